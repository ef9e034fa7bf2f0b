// Package gitfs serves state trees straight from git repositories
// (Salt's gitfs): each remote is kept as a bare clone, its branches and
// tags are saltenvs (base is the configured branch), and files are read
// from git objects, no checkout on disk. An update fetches, resolves every
// environment to a commit, and swaps the whole set in at once: a failed or
// half-done fetch never changes what is served.
package gitfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	neturl "net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"

	"github.com/halite/halite/pkg/fileserver"
)

// Remote is one gitfs_remotes entry.
type Remote struct {
	// URL is a path, file://, git://, ssh:// or https:// URL.
	URL string
	// Name names the clone on disk and in events; default: from the URL.
	Name string
	// Base is the branch served as saltenv base (default master).
	Base string
	// Root is the directory in the repository the tree starts at.
	Root string
	// Mountpoint is where the tree appears in salt:// paths.
	Mountpoint string
	// User and Password authenticate to an https remote; PrivKey (a key
	// file) and Passphrase to an ssh one. They are never logged.
	User, Password, PrivKey, Passphrase string
}

// auth is the remote's credentials for go-git, nil when it has none.
func (r Remote) auth() (transport.AuthMethod, error) {
	switch {
	case r.PrivKey != "":
		// The user is the option's, else the URL's (ssh://deploy@host),
		// else git's usual "git".
		user := r.User
		if ep, err := transport.NewEndpoint(r.URL); user == "" && err == nil {
			user = ep.User
		}
		if user == "" {
			user = "git"
		}
		keys, err := gitssh.NewPublicKeysFromFile(user, r.PrivKey, r.Passphrase)
		if err != nil {
			return nil, fmt.Errorf("privkey %s: %w", r.PrivKey, err)
		}
		return keys, nil
	case r.User != "" || r.Password != "":
		return &githttp.BasicAuth{Username: r.User, Password: r.Password}, nil
	}
	return nil, nil
}

// Repo is one remote: its bare clone and the commits being served.
type Repo struct {
	remote Remote
	dir    string

	mu   sync.RWMutex
	repo *git.Repository
	envs map[string]plumbing.Hash // saltenv → commit served

	hashes sync.Map // blob hash → "sha256:<hex>" of its content

	// What a fleet reads again and again, kept from the git objects: the
	// served trees (immutable per commit) and small blobs' contents,
	// bounded in bytes, so 200 minions reading a file decompress it once.
	cacheMu   sync.Mutex
	trees     map[plumbing.Hash]*object.Tree
	found     map[string]*object.File // tree hash + path → file
	blobs     map[plumbing.Hash][]byte
	blobOrder []plumbing.Hash
	blobBytes int
}

// Bounds of the content cache: files up to blobMax, blobCacheBytes in all.
const (
	blobMax        = 1 << 20
	blobCacheBytes = 64 << 20
)

// Open prepares a remote whose clone lives under cacheDir. Nothing is
// fetched until Update.
func Open(r Remote, cacheDir string) (*Repo, error) {
	if r.URL == "" {
		return nil, errors.New("gitfs remote without a URL")
	}
	if r.Base == "" {
		r.Base = "master"
	}
	r.Root = strings.Trim(path.Clean("/"+r.Root), "/")
	r.Mountpoint = strings.Trim(path.Clean("/"+r.Mountpoint), "/")
	if r.Name == "" {
		r.Name = nameOf(r.URL)
	}
	return &Repo{remote: r, dir: filepath.Join(cacheDir, r.Name), envs: map[string]plumbing.Hash{}}, nil
}

// nameOf is a directory name for a URL: readable and unique.
func nameOf(url string) string {
	sum := sha256.Sum256([]byte(url))
	base := strings.TrimSuffix(path.Base(strings.TrimRight(url, "/")), ".git")
	clean := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, base)
	return clean + "-" + hex.EncodeToString(sum[:4])
}

// Name is the remote's name.
func (r *Repo) Name() string { return r.remote.Name }

// URL is the remote's URL, without any password in it.
func (r *Repo) URL() string { return redact(r.remote.URL) }

// redact drops the password of a URL's userinfo: what is shown, logged
// or evented never carries a credential.
func redact(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = neturl.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// Update fetches the remote and serves what it now holds. On any error
// the commits served before stay served.
func (r *Repo) Update(ctx context.Context) (map[string]string, error) {
	repo, err := r.fetch(ctx)
	if err != nil {
		return nil, fmt.Errorf("gitfs %s: %w", r.remote.Name, err)
	}
	envs, err := r.environments(repo)
	if err != nil {
		return nil, fmt.Errorf("gitfs %s: %w", r.remote.Name, err)
	}
	r.mu.Lock()
	r.repo, r.envs = repo, envs
	r.mu.Unlock()
	return r.Commits(), nil
}

// fetch clones the remote the first time (bare) and fetches after.
func (r *Repo) fetch(ctx context.Context) (*git.Repository, error) {
	refs := []gitconfig.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"}
	repo, err := git.PlainOpen(r.dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		if err := os.MkdirAll(r.dir, 0o700); err != nil {
			return nil, err
		}
		repo, err = git.PlainInit(r.dir, true)
		if err != nil {
			return nil, err
		}
		if _, err := repo.CreateRemote(&gitconfig.RemoteConfig{Name: "origin", URLs: []string{r.remote.URL}, Fetch: refs}); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	auth, err := r.remote.auth()
	if err != nil {
		return nil, err
	}
	err = repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: refs, Tags: git.AllTags, Force: true, Prune: true, Auth: auth})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		msg := err.Error()
		if r.remote.Password != "" {
			msg = strings.ReplaceAll(msg, r.remote.Password, "xxxxx")
		}
		return nil, fmt.Errorf("fetch %s: %s", redact(r.remote.URL), redact(msg))
	}
	return repo, nil
}

// environments maps every branch and tag to its commit; base is the
// configured base branch.
func (r *Repo) environments(repo *git.Repository) (map[string]plumbing.Hash, error) {
	envs := map[string]plumbing.Hash{}
	iter, err := repo.References()
	if err != nil {
		return nil, err
	}
	err = iter.ForEach(func(ref *plumbing.Reference) error {
		var env string
		switch {
		case ref.Name().IsBranch():
			env = ref.Name().Short()
		case ref.Name().IsTag():
			env = ref.Name().Short()
		default:
			return nil
		}
		c, err := commitOf(repo, ref.Hash())
		if err != nil {
			return nil // a tag of a tree or blob: not an environment
		}
		if env == r.remote.Base {
			envs["base"] = c
		}
		if _, taken := envs[env]; !taken || ref.Name().IsBranch() {
			envs[env] = c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if _, ok := envs["base"]; !ok {
		return nil, fmt.Errorf("base branch %q not found in %s", r.remote.Base, redact(r.remote.URL))
	}
	return envs, nil
}

// commitOf peels annotated tags down to a commit.
func commitOf(repo *git.Repository, h plumbing.Hash) (plumbing.Hash, error) {
	if t, err := repo.TagObject(h); err == nil {
		c, err := t.Commit()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		return c.Hash, nil
	}
	c, err := repo.CommitObject(h)
	if err != nil {
		return plumbing.ZeroHash, err
	}
	return c.Hash, nil
}

// Commits is the commit served for each saltenv.
func (r *Repo) Commits() map[string]string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make(map[string]string, len(r.envs))
	for env, h := range r.envs {
		out[env] = h.String()
	}
	return out
}

// Commit is the commit served for saltenv ("" when none).
func (r *Repo) Commit(saltenv string) string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if h, ok := r.envs[saltenv]; ok {
		return h.String()
	}
	return ""
}

// tree is the served tree of saltenv at the remote's root, or nil. rev,
// when set, is a commit, branch or tag to read instead (apply --rev).
func (r *Repo) tree(saltenv, rev string) (*object.Tree, error) {
	r.mu.RLock()
	repo, h, ok := r.repo, r.envs[saltenv], false
	if _, ok2 := r.envs[saltenv]; ok2 {
		ok = true
	}
	r.mu.RUnlock()
	if repo == nil {
		return nil, fmt.Errorf("%w %q (gitfs %s not fetched yet)", fileserver.ErrNoSaltenv, saltenv, r.remote.Name)
	}
	if rev != "" {
		rh, err := repo.ResolveRevision(plumbing.Revision(rev))
		if err != nil {
			return nil, fmt.Errorf("gitfs %s: revision %q: %w", r.remote.Name, rev, fileserver.ErrNotFound)
		}
		h, ok = *rh, true
	}
	if !ok {
		return nil, fmt.Errorf("%w %q", fileserver.ErrNoSaltenv, saltenv)
	}
	r.cacheMu.Lock()
	t, ok := r.trees[h]
	r.cacheMu.Unlock()
	if !ok {
		c, err := repo.CommitObject(h)
		if err != nil {
			return nil, err
		}
		if t, err = c.Tree(); err != nil {
			return nil, err
		}
		r.cacheMu.Lock()
		if r.trees == nil || len(r.trees) > 64 {
			r.trees = map[plumbing.Hash]*object.Tree{}
		}
		r.trees[h] = t
		r.cacheMu.Unlock()
	}
	if r.remote.Root == "" || r.remote.Root == "." {
		return t, nil
	}
	sub, err := t.Tree(r.remote.Root)
	if err != nil {
		return nil, fmt.Errorf("gitfs %s: root %s: %w", r.remote.Name, r.remote.Root, fileserver.ErrNotFound)
	}
	return sub, nil
}

// inRepo maps a salt:// path to the path inside the tree, or false when
// it is outside the mountpoint.
func (r *Repo) inRepo(clean string) (string, bool) {
	mp := r.remote.Mountpoint
	if mp == "" || mp == "." {
		return clean, true
	}
	if clean == mp {
		return "", false
	}
	rest, ok := strings.CutPrefix(clean, mp+"/")
	return rest, ok
}

// Stat describes rel in saltenv.
func (r *Repo) Stat(saltenv, rel string) (fileserver.File, error) {
	return r.StatAt(saltenv, rel, "")
}

// StatAt is Stat at revision rev ("" for the served commit).
func (r *Repo) StatAt(saltenv, rel, rev string) (fileserver.File, error) {
	f, _, err := r.file(saltenv, rel, rev)
	if err != nil {
		return fileserver.File{}, err
	}
	return f, nil
}

// Read returns rel's description and contents in saltenv.
func (r *Repo) Read(saltenv, rel string) (fileserver.File, []byte, error) {
	return r.ReadAt(saltenv, rel, "")
}

// ReadAt is Read at revision rev ("" for the served commit).
func (r *Repo) ReadAt(saltenv, rel, rev string) (fileserver.File, []byte, error) {
	f, blob, err := r.file(saltenv, rel, rev)
	if err != nil {
		return fileserver.File{}, nil, err
	}
	if f.Size > fileserver.MaxFileSize {
		return fileserver.File{}, nil, fmt.Errorf("%s is %d bytes: %w (max %d)", rel, f.Size, fileserver.ErrTooLarge, fileserver.MaxFileSize)
	}
	r.cacheMu.Lock()
	data, ok := r.blobs[blob.Hash]
	r.cacheMu.Unlock()
	if ok {
		return f, data, nil
	}
	data, err = readBlob(blob)
	if err != nil {
		return fileserver.File{}, nil, err
	}
	if len(data) <= blobMax {
		r.cacheBlob(blob.Hash, data)
	}
	return f, data, nil
}

// lookup finds path in tree t, remembering the answer: a tree is
// immutable, and walking it decodes every directory on the way.
func (r *Repo) lookup(t *object.Tree, path string) (*object.File, error) {
	key := t.Hash.String() + "\x00" + path
	r.cacheMu.Lock()
	f, ok := r.found[key]
	r.cacheMu.Unlock()
	if ok {
		return f, nil
	}
	f, err := t.File(path)
	if err != nil {
		return nil, err
	}
	r.cacheMu.Lock()
	if r.found == nil || len(r.found) >= 100_000 {
		r.found = map[string]*object.File{}
	}
	r.found[key] = f
	r.cacheMu.Unlock()
	return f, nil
}

// cacheBlob keeps a blob's content, forgetting the oldest past the bound.
// Callers get the cached slice: nothing may write to it.
func (r *Repo) cacheBlob(h plumbing.Hash, data []byte) {
	r.cacheMu.Lock()
	defer r.cacheMu.Unlock()
	if r.blobs == nil {
		r.blobs = map[plumbing.Hash][]byte{}
	}
	if _, ok := r.blobs[h]; ok {
		return
	}
	r.blobs[h] = data
	r.blobOrder = append(r.blobOrder, h)
	r.blobBytes += len(data)
	for r.blobBytes > blobCacheBytes && len(r.blobOrder) > 0 {
		old := r.blobOrder[0]
		r.blobOrder = r.blobOrder[1:]
		r.blobBytes -= len(r.blobs[old])
		delete(r.blobs, old)
	}
}

func (r *Repo) file(saltenv, rel, rev string) (fileserver.File, *object.File, error) {
	clean, err := fileserver.Clean(rel)
	if err != nil {
		return fileserver.File{}, nil, err
	}
	inner, ok := r.inRepo(clean)
	if !ok {
		return fileserver.File{}, nil, fmt.Errorf("%s (saltenv %s): %w", clean, saltenv, fileserver.ErrNotFound)
	}
	t, err := r.tree(saltenv, rev)
	if err != nil {
		return fileserver.File{}, nil, err
	}
	f, err := r.lookup(t, inner)
	if err != nil {
		return fileserver.File{}, nil, fmt.Errorf("%s (saltenv %s): %w", clean, saltenv, fileserver.ErrNotFound)
	}
	// Links and submodules are not files a tree serves: a symlink in a
	// repository could name anything on the master.
	if f.Mode != filemode.Regular && f.Mode != filemode.Executable && f.Mode != filemode.Deprecated {
		return fileserver.File{}, nil, fmt.Errorf("%s is not a regular file in git: %w", clean, fileserver.ErrNotFound)
	}
	h, err := r.contentHash(f)
	if err != nil {
		return fileserver.File{}, nil, err
	}
	mode := fs.FileMode(0o644)
	if f.Mode == filemode.Executable {
		mode = 0o755
	}
	return fileserver.File{Path: clean, Hash: h, Size: f.Size, Mode: mode}, f, nil
}

// contentHash is the sha256 of a blob, computed once per blob: a branch
// switch does not make minions fetch what did not change.
func (r *Repo) contentHash(f *object.File) (string, error) {
	if h, ok := r.hashes.Load(f.Hash); ok {
		return h.(string), nil
	}
	rd, err := f.Reader()
	if err != nil {
		return "", err
	}
	defer rd.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, rd); err != nil {
		return "", err
	}
	h := "sha256:" + hex.EncodeToString(sum.Sum(nil))
	r.hashes.Store(f.Hash, h)
	return h, nil
}

func readBlob(f *object.File) ([]byte, error) {
	rd, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	return io.ReadAll(io.LimitReader(rd, fileserver.MaxFileSize+1))
}

// List returns the files under prefix ("" for all) in saltenv.
func (r *Repo) List(saltenv, prefix string) ([]fileserver.File, error) {
	return r.ListAt(saltenv, prefix, "")
}

// ListAt is List at revision rev ("" for the served commit).
func (r *Repo) ListAt(saltenv, prefix, rev string) ([]fileserver.File, error) {
	if prefix != "" {
		clean, err := fileserver.Clean(prefix)
		if err != nil {
			return nil, err
		}
		prefix = clean
	}
	t, err := r.tree(saltenv, rev)
	if err != nil {
		return nil, err
	}
	var out []fileserver.File
	err = t.Files().ForEach(func(f *object.File) error {
		p := f.Name
		if mp := r.remote.Mountpoint; mp != "" && mp != "." {
			p = mp + "/" + p
		}
		if prefix != "" && p != prefix && !strings.HasPrefix(p, strings.TrimSuffix(prefix, "/")+"/") {
			return nil
		}
		fi, _, err := r.file(saltenv, p, rev)
		if err != nil {
			return nil // links, submodules: not listed
		}
		out = append(out, fi)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Resolve is the commit rev names in this remote ("" when it names none).
func (r *Repo) Resolve(rev string) string {
	r.mu.RLock()
	repo := r.repo
	r.mu.RUnlock()
	if repo == nil {
		return ""
	}
	h, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return ""
	}
	c, err := commitOf(repo, *h)
	if err != nil {
		return ""
	}
	return c.String()
}

// Changed lists the files that differ between two revisions of the
// remote's tree (jobs diff).
func (r *Repo) Changed(from, to string) ([]string, error) {
	r.mu.RLock()
	repo := r.repo
	r.mu.RUnlock()
	if repo == nil {
		return nil, fmt.Errorf("gitfs %s not fetched yet", r.remote.Name)
	}
	trees := make([]*object.Tree, 2)
	for i, rev := range []string{from, to} {
		h, err := repo.ResolveRevision(plumbing.Revision(rev))
		if err != nil {
			return nil, fmt.Errorf("revision %q: %w", rev, err)
		}
		c, err := repo.CommitObject(*h)
		if err != nil {
			return nil, err
		}
		if trees[i], err = c.Tree(); err != nil {
			return nil, err
		}
	}
	changes, err := trees[0].Diff(trees[1])
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ch := range changes {
		name := ch.To.Name
		if name == "" {
			name = ch.From.Name
		}
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

// Export writes the tree served for saltenv (at the remote's root) into
// dir/<commit> and points the symlink link at it, atomically: a reader
// of link sees the old tree or the new one, never a mix. The previous
// export is kept (a compile may still read it), older ones removed.
// git_pillar uses it: the pillar compiler reads directories.
func (r *Repo) Export(saltenv, dir, link string) (string, error) {
	commit := r.Commit(saltenv)
	if commit == "" {
		return "", fmt.Errorf("gitfs %s: no saltenv %q", r.remote.Name, saltenv)
	}
	target := filepath.Join(dir, commit)
	if _, err := os.Stat(target); err != nil {
		t, err := r.tree(saltenv, "")
		if err != nil {
			return "", err
		}
		tmp := target + ".tmp"
		os.RemoveAll(tmp)
		err = t.Files().ForEach(func(f *object.File) error {
			if f.Mode != filemode.Regular && f.Mode != filemode.Executable && f.Mode != filemode.Deprecated {
				return nil // links and submodules are not exported
			}
			if f.Size > fileserver.MaxFileSize {
				// Never a silently cut file: the export fails and the last
				// good pillar stays in force.
				return fmt.Errorf("%s is %d bytes: %w (max %d)", f.Name, f.Size, fileserver.ErrTooLarge, fileserver.MaxFileSize)
			}
			p := filepath.Join(tmp, filepath.FromSlash(f.Name))
			if !strings.HasPrefix(p, tmp+string(filepath.Separator)) {
				return fmt.Errorf("path %q leaves the tree", f.Name)
			}
			data, err := readBlob(f)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
				return err
			}
			return os.WriteFile(p, data, 0o600)
		})
		if err == nil {
			err = os.MkdirAll(tmp, 0o700) // an empty tree is a tree
		}
		if err == nil {
			err = os.Rename(tmp, target)
		}
		if err != nil {
			os.RemoveAll(tmp)
			return "", fmt.Errorf("gitfs %s: export: %w", r.remote.Name, err)
		}
	}
	prev, _ := os.Readlink(link)
	next := link + ".new"
	os.Remove(next)
	if err := os.Symlink(target, next); err != nil {
		return "", err
	}
	if err := os.Rename(next, link); err != nil {
		return "", err
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if p != target && p != prev && e.IsDir() {
			os.RemoveAll(p)
		}
	}
	return commit, nil
}
