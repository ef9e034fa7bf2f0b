package keys

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/halite/halite/pkg/crypto"
)

// Directory names under pki_dir, Salt's.
const (
	dirAccepted = "minions"
	dirPending  = "minions_pre"
	dirRejected = "minions_rejected"
	dirDenied   = "minions_denied"
)

// tmpPrefix names the temporary files of atomic writes. They live in
// pki_dir itself, not in a state directory, so a write interrupted by a
// crash can never be mistaken for a key; NewFileRegistry removes leftovers.
const tmpPrefix = ".minion-key-tmp-"

// Modes of what FileRegistry creates. Public keys are not secret, but the
// directory says who may talk to the master, so only its owner may list or
// change it.
const (
	dirMode fs.FileMode = 0o700
	keyMode fs.FileMode = 0o644
)

func (s State) dir() string {
	switch s {
	case StateAccepted:
		return dirAccepted
	case StatePending:
		return dirPending
	case StateRejected:
		return dirRejected
	case StateDenied:
		return dirDenied
	}
	panic("keys: unknown state " + string(s)) // unreachable: states come from this package
}

// FileRegistry is the embedded Registry: Salt's pki_dir layout, one file per
// minion id in minions/ (accepted), minions_pre/ (pending),
// minions_rejected/ and minions_denied/.
//
// A file's name is the bare minion id, with no extension, as in Salt; its
// content is the key's text form ("halite-minion:" + base64) and a newline.
// To pre-seed a minion, an operator copies its minion.pub to
// minions/<id>. Since '.' is allowed in ids, "web1.pub" would be the key of
// a minion called "web1.pub", not of "web1".
//
// The files are the truth: every call reads them, so a key an operator
// drops in takes effect at the next authentication. A mutex serializes the
// calls of one process, and every write is a rename of a synced temporary
// file, so a crash leaves either the old key or the new one, never half a
// key.
type FileRegistry struct {
	dir        string
	autoAccept bool
	maxPending int // 0: no bound
	mu         sync.Mutex
}

// LimitPending bounds the pending keys: past n, Check refuses new ids with
// ErrTooManyPending instead of recording them, so a flood of made-up ids
// cannot fill the disk or bury the real ones (0: no bound).
func (r *FileRegistry) LimitPending(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.maxPending = n
}

var _ Registry = (*FileRegistry)(nil)

// NewFileRegistry opens the registry in pkiDir, creating pkiDir and its
// four state directories (mode 0700) as needed. With autoAccept, unknown
// keys are accepted on first sight (Salt's auto_accept).
func NewFileRegistry(pkiDir string, autoAccept bool) (*FileRegistry, error) {
	if pkiDir == "" {
		return nil, errors.New("open key registry: empty pki_dir")
	}
	if err := os.MkdirAll(pkiDir, dirMode); err != nil {
		return nil, fmt.Errorf("open key registry: %w", err)
	}
	for _, s := range stateOrder {
		p := filepath.Join(pkiDir, s.dir())
		if err := os.Mkdir(p, dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("open key registry: %w", err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("open key registry: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("open key registry: %s is not a directory", p)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(pkiDir, tmpPrefix+"*"))
	for _, p := range leftovers {
		os.Remove(p)
	}
	return &FileRegistry{dir: pkiDir, autoAccept: autoAccept}, nil
}

func (r *FileRegistry) path(s State, id string) string {
	return filepath.Join(r.dir, s.dir(), id)
}

// read returns the key of id in state s; ok is false when there is none.
func (r *FileRegistry) read(s State, id string) (pub crypto.MinionPublic, ok bool, err error) {
	p := r.path(s, id)
	pub, err = crypto.ReadMinionPublicFile(p)
	switch {
	case err == nil:
		return pub, true, nil
	case errors.Is(err, fs.ErrNotExist):
		return pub, false, nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pub, false, err // an I/O failure, not the file's content
	}
	return pub, false, fmt.Errorf("%w: %w", ErrBadKeyFile, err) // err names p
}

// exists reports whether id has a file in state s, whatever its content.
func (r *FileRegistry) exists(s State, id string) (bool, error) {
	_, err := os.Lstat(r.path(s, id))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// write stores pub as the key of id in state s, atomically.
func (r *FileRegistry) write(s State, id string, pub crypto.MinionPublic) (err error) {
	text, err := pub.MarshalText()
	if err != nil {
		return err
	}
	dst := r.path(s, id)
	tmp, err := os.CreateTemp(r.dir, tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("write key %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(keyMode); err != nil {
		return fmt.Errorf("write key %s: %w", dst, err)
	}
	if _, err := tmp.Write(append(text, '\n')); err != nil {
		return fmt.Errorf("write key %s: %w", dst, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write key %s: %w", dst, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write key %s: %w", dst, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("write key %s: %w", dst, err)
	}
	syncDir(filepath.Dir(dst))
	return nil
}

// move renames the key of id from state from to state to, replacing any
// key id already has in to.
func (r *FileRegistry) move(id string, from, to State) error {
	src, dst := r.path(from, id), r.path(to, id)
	if err := os.Rename(src, dst); err != nil {
		return fmt.Errorf("move key of %s from %s to %s: %w", id, from, to, err)
	}
	syncDir(filepath.Dir(dst))
	syncDir(filepath.Dir(src))
	return nil
}

// syncDir makes a rename durable. Best effort: the file itself is synced.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func entry(id string, s State, pub crypto.MinionPublic) Entry {
	return Entry{ID: id, State: s, Public: pub, Fingerprint: pub.Fingerprint()}
}

// Check implements Registry.
func (r *FileRegistry) Check(ctx context.Context, id string, pub crypto.MinionPublic) (State, error) {
	st, err := r.check(ctx, id, pub)
	if err != nil {
		return "", fmt.Errorf("check key of %q: %w", id, err)
	}
	return st, nil
}

func (r *FileRegistry) check(ctx context.Context, id string, pub crypto.MinionPublic) (State, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := ValidID(id); err != nil {
		return "", err
	}
	if pub.IsZero() {
		return "", errors.New("zero key")
	}
	r.mu.Lock()
	defer r.mu.Unlock()

	if acc, ok, err := r.read(StateAccepted, id); err != nil {
		return "", err
	} else if ok {
		if acc.Equal(pub) {
			return StateAccepted, nil
		}
		return StateDenied, r.write(StateDenied, id, pub)
	}
	if ok, err := r.exists(StateRejected, id); err != nil {
		return "", err
	} else if ok {
		return StateRejected, nil
	}
	if pend, ok, err := r.read(StatePending, id); err != nil {
		return "", err
	} else if ok {
		switch {
		case !pend.Equal(pub):
			return StateDenied, r.write(StateDenied, id, pub)
		case r.autoAccept:
			return StateAccepted, r.move(id, StatePending, StateAccepted)
		}
		return StatePending, nil
	}
	if den, ok, err := r.read(StateDenied, id); err != nil {
		return "", err
	} else if ok && den.Equal(pub) {
		return StateDenied, nil
	}
	if r.autoAccept {
		return StateAccepted, r.write(StateAccepted, id, pub)
	}
	if r.maxPending > 0 {
		ents, err := os.ReadDir(filepath.Join(r.dir, StatePending.dir()))
		if err != nil {
			return "", err
		}
		if len(ents) >= r.maxPending {
			return "", fmt.Errorf("%w: %d keys wait for acceptance", ErrTooManyPending, len(ents))
		}
	}
	return StatePending, r.write(StatePending, id, pub)
}

// List implements Registry. A file whose name is not a valid id is not a
// key of this registry and is skipped; a file with a valid name that does
// not hold a key fails the call with ErrBadKeyFile, naming it, rather than
// hide a key an operator meant to add.
func (r *FileRegistry) List(ctx context.Context) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Entry
	for _, s := range stateOrder {
		des, err := os.ReadDir(filepath.Join(r.dir, s.dir()))
		if err != nil {
			return nil, fmt.Errorf("list keys: %w", err)
		}
		for _, de := range des { // sorted by name
			id := de.Name()
			if de.IsDir() || ValidID(id) != nil {
				continue
			}
			pub, ok, err := r.read(s, id)
			if err != nil {
				return nil, fmt.Errorf("list keys: %w", err)
			}
			if ok { // else removed since ReadDir, by hand
				out = append(out, entry(id, s, pub))
			}
		}
	}
	return out, nil
}

// Get implements Registry.
func (r *FileRegistry) Get(ctx context.Context, id string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get key of %q: %w", id, err)
	}
	if err := ValidID(id); err != nil {
		return nil, fmt.Errorf("get key: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Entry
	for _, s := range stateOrder {
		pub, ok, err := r.read(s, id)
		if err != nil {
			return nil, fmt.Errorf("get key of %q: %w", id, err)
		}
		if ok {
			out = append(out, entry(id, s, pub))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get key of %q: %w", id, ErrNotFound)
	}
	return out, nil
}

// Accept implements Registry.
func (r *FileRegistry) Accept(ctx context.Context, id string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, fmt.Errorf("accept key of %q: %w", id, err)
	}
	if err := ValidID(id); err != nil {
		return Entry{}, fmt.Errorf("accept key: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e, err := r.transition(id, StateAccepted, StatePending, StateRejected)
	if err != nil {
		return Entry{}, fmt.Errorf("accept key of %q: %w", id, err)
	}
	return e, nil
}

// AcceptAll implements Registry. On an error it returns the keys accepted
// before it.
func (r *FileRegistry) AcceptAll(ctx context.Context) ([]Entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	des, err := os.ReadDir(filepath.Join(r.dir, dirPending))
	if err != nil {
		return nil, fmt.Errorf("accept all keys: %w", err)
	}
	var out []Entry
	for _, de := range des {
		id := de.Name()
		if de.IsDir() || ValidID(id) != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("accept all keys: %w", err)
		}
		e, err := r.transition(id, StateAccepted, StatePending)
		if errors.Is(err, ErrNotFound) {
			continue // removed by hand since ReadDir
		}
		if err != nil {
			return out, fmt.Errorf("accept all keys: %s: %w", id, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Reject implements Registry.
func (r *FileRegistry) Reject(ctx context.Context, id string) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, fmt.Errorf("reject key of %q: %w", id, err)
	}
	if err := ValidID(id); err != nil {
		return Entry{}, fmt.Errorf("reject key: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e, err := r.transition(id, StateRejected, StateAccepted, StatePending)
	if err != nil {
		return Entry{}, fmt.Errorf("reject key of %q: %w", id, err)
	}
	return e, nil
}

// transition moves the key of id from the first of from that holds one to
// state to. The key is read first so that a corrupt file is reported, not
// moved. r.mu must be held.
func (r *FileRegistry) transition(id string, to State, from ...State) (Entry, error) {
	for _, s := range from {
		pub, ok, err := r.read(s, id)
		if err != nil {
			return Entry{}, err
		}
		if !ok {
			continue
		}
		if err := r.move(id, s, to); err != nil {
			return Entry{}, err
		}
		e := entry(id, to, pub)
		e.Prior = s
		return e, nil
	}
	names := make([]string, len(from))
	for i, s := range from {
		names[i] = string(s)
	}
	return Entry{}, fmt.Errorf("%w: no %s key", ErrNotFound, strings.Join(names, " or "))
}

// Delete implements Registry. A file that does not hold a valid key is
// removed all the same (deleting is how an operator clears it) and is
// returned with a zero Public and an empty Fingerprint.
func (r *FileRegistry) Delete(ctx context.Context, id string) ([]Entry, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("delete key of %q: %w", id, err)
	}
	if err := ValidID(id); err != nil {
		return nil, fmt.Errorf("delete key: %w", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Entry
	for _, s := range stateOrder {
		ok, err := r.exists(s, id)
		if err != nil {
			return out, fmt.Errorf("delete key of %q: %w", id, err)
		}
		if !ok {
			continue
		}
		e := Entry{ID: id, State: s}
		if pub, ok, err := r.read(s, id); err == nil && ok {
			e = entry(id, s, pub)
		}
		p := r.path(s, id)
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return out, fmt.Errorf("delete key of %q: %w", id, err)
		}
		syncDir(filepath.Dir(p))
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("delete key of %q: %w", id, ErrNotFound)
	}
	return out, nil
}
