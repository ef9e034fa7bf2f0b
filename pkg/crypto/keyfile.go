package crypto

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// File names inside pki_dir (DESIGN §2).
const (
	MasterKeyFile       = "master.key"
	MasterPublicKeyFile = "master.pub"
	MinionKeyFile       = "minion.key"
	MinionPublicKeyFile = "minion.pub"
)

// Modes of the files this package writes.
const (
	privateKeyMode fs.FileMode = 0o600
	publicKeyMode  fs.FileMode = 0o644
	pkiDirMode     fs.FileMode = 0o700
)

// maxKeyFileSize bounds what a key file read will load: a key is under 100
// bytes, so anything much larger is not a key file.
const maxKeyFileSize = 4 << 10

// LoadOrGenerateMasterKey loads pkiDir/master.key, or generates it (0600)
// on first start. It also writes pkiDir/master.pub (0644) when missing, and
// refuses a master.pub that does not match master.key.
func LoadOrGenerateMasterKey(pkiDir string) (MasterPrivate, error) {
	var k MasterPrivate
	if err := loadOrGenerate(pkiDir, MasterKeyFile, MasterPublicKeyFile, &k); err != nil {
		return MasterPrivate{}, err
	}
	return k, nil
}

// LoadOrGenerateMinionKey loads pkiDir/minion.key, or generates it (0600)
// on first start. It also writes pkiDir/minion.pub (0644) when missing, and
// refuses a minion.pub that does not match minion.key.
func LoadOrGenerateMinionKey(pkiDir string) (MinionPrivate, error) {
	var k MinionPrivate
	if err := loadOrGenerate(pkiDir, MinionKeyFile, MinionPublicKeyFile, &k); err != nil {
		return MinionPrivate{}, err
	}
	return k, nil
}

// ReadMasterPublicFile reads a master public key file (the minion's pinned
// master.pub, or the master's own).
func ReadMasterPublicFile(path string) (MasterPublic, error) {
	var p MasterPublic
	if err := readKeyFile(path, &p, false); err != nil {
		return MasterPublic{}, err
	}
	if p.IsZero() {
		return MasterPublic{}, fmt.Errorf("read key %s: zero key", path)
	}
	return p, nil
}

// WriteMasterPublicFile atomically writes pub to path (0644) in text form.
func WriteMasterPublicFile(path string, pub MasterPublic) error {
	if pub.IsZero() {
		return fmt.Errorf("write key %s: zero key", path)
	}
	text, _ := pub.MarshalText()
	return writeKeyFile(path, text, publicKeyMode, false)
}

// ReadMinionPublicFile reads a minion public key file (one of the master's
// pki_dir/minions*/ID files, or the minion's own minion.pub).
func ReadMinionPublicFile(path string) (MinionPublic, error) {
	var p MinionPublic
	if err := readKeyFile(path, &p, false); err != nil {
		return MinionPublic{}, err
	}
	if p.IsZero() {
		return MinionPublic{}, fmt.Errorf("read key %s: zero key", path)
	}
	return p, nil
}

// WriteMinionPublicFile atomically writes pub to path (0644) in text form.
func WriteMinionPublicFile(path string, pub MinionPublic) error {
	if pub.IsZero() {
		return fmt.Errorf("write key %s: zero key", path)
	}
	text, _ := pub.MarshalText()
	return writeKeyFile(path, text, publicKeyMode, false)
}

// textKey is any key type of this package, by pointer.
type textKey interface {
	encoding.TextMarshaler
	encoding.TextUnmarshaler
}

// privateKeyFile is what loadOrGenerate needs of *MasterPrivate and
// *MinionPrivate.
type privateKeyFile interface {
	textKey
	generate() error
	// publicText is the text form of the public half.
	publicText() []byte
	// newPublic returns a zero public key of the matching kind.
	newPublic() textKey
}

func (k *MasterPrivate) generate() (err error) {
	*k, err = GenerateMasterKey()
	return err
}

func (k *MasterPrivate) publicText() []byte {
	b, _ := k.Public().MarshalText()
	return b
}

func (k *MasterPrivate) newPublic() textKey { return new(MasterPublic) }

func (k *MinionPrivate) generate() (err error) {
	*k, err = GenerateMinionKey()
	return err
}

func (k *MinionPrivate) publicText() []byte {
	b, _ := k.Public().MarshalText()
	return b
}

func (k *MinionPrivate) newPublic() textKey { return new(MinionPublic) }

// loadOrGenerate is the body of the LoadOrGenerate functions: it fills priv
// from pkiDir/keyName, generating that file when missing, then makes sure
// pkiDir/pubName holds the matching public key.
func loadOrGenerate(pkiDir, keyName, pubName string, priv privateKeyFile) error {
	if err := os.MkdirAll(pkiDir, pkiDirMode); err != nil {
		return fmt.Errorf("create pki dir: %w", err)
	}
	keyPath := filepath.Join(pkiDir, keyName)
	err := readKeyFile(keyPath, priv, true)
	if errors.Is(err, fs.ErrNotExist) {
		err = generateKeyFile(keyPath, priv)
	}
	if err != nil {
		return err
	}

	want := priv.publicText()
	pubPath := filepath.Join(pkiDir, pubName)
	pub := priv.newPublic()
	err = readKeyFile(pubPath, pub, false)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return writeKeyFile(pubPath, want, publicKeyMode, false)
	case err != nil:
		return err
	}
	if got, _ := pub.MarshalText(); !bytes.Equal(got, want) {
		return fmt.Errorf("key %s does not match %s: remove the stale one", pubPath, keyPath)
	}
	return nil
}

// generateKeyFile generates a key into priv and writes it without ever
// replacing an existing file: if another process created the key first,
// that key wins and is loaded, so a master key is never silently swapped
// under minions that pinned it.
func generateKeyFile(path string, priv privateKeyFile) error {
	if err := priv.generate(); err != nil {
		return err
	}
	text, err := priv.MarshalText()
	if err != nil {
		return err
	}
	err = writeKeyFile(path, text, privateKeyMode, true)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path, priv, true)
	}
	return err
}

// readKeyFile reads one key in text form from path into k. For a private
// key it first refuses a file that group or others can access, as ssh does.
// Errors name the path and never quote the file's content.
func readKeyFile(path string, k interface{ UnmarshalText([]byte) error }, private bool) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read key: %w", err) // *PathError names the path
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("read key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("read key %s: not a regular file", path)
	}
	if private && runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("read key %s: mode %#o, want %#o: %w", path, fi.Mode().Perm(), privateKeyMode, ErrInsecurePermissions)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return fmt.Errorf("read key: %w", err)
	}
	if len(b) > maxKeyFileSize {
		return fmt.Errorf("read key %s: larger than %d bytes, not a key file", path, maxKeyFileSize)
	}
	if err := k.UnmarshalText(bytes.TrimSpace(b)); err != nil {
		return fmt.Errorf("read key %s: %w", path, err)
	}
	return nil
}

// writeKeyFile writes text+"\n" to path atomically: a temporary file in the
// same directory, synced, then renamed over path (or, with exclusive, hard
// linked to path, which fails with fs.ErrExist instead of replacing it).
func writeKeyFile(path string, text []byte, mode fs.FileMode, exclusive bool) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	tmpPath := tmp.Name()
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmpPath)
		}
	}()
	// CreateTemp makes the file 0600; Chmod sets the final mode whatever
	// the umask is.
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	data := append(append(make([]byte, 0, len(text)+1), text...), '\n')
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	if exclusive {
		err = os.Link(tmpPath, path)
		os.Remove(tmpPath)
	} else {
		err = os.Rename(tmpPath, path)
	}
	if err != nil {
		return fmt.Errorf("write key %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename durable. Best effort: not every platform can sync
// a directory, and the file itself is already synced.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	d.Sync()
	d.Close()
}
