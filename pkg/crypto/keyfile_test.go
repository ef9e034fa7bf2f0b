package crypto

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestLoadOrGenerateMasterKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki", "master")
	k1, err := LoadOrGenerateMasterKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, pubPath := filepath.Join(dir, MasterKeyFile), filepath.Join(dir, MasterPublicKeyFile)
	if runtime.GOOS != "windows" {
		if m := fileMode(t, keyPath); m != 0o600 {
			t.Errorf("%s mode %#o, want 0600", keyPath, m)
		}
		if m := fileMode(t, pubPath); m != 0o644 {
			t.Errorf("%s mode %#o, want 0644", pubPath, m)
		}
		if m := fileMode(t, dir); m != 0o700 {
			t.Errorf("%s mode %#o, want 0700", dir, m)
		}
	}
	b, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), masterPrivatePrefix) || !strings.HasSuffix(string(b), "=\n") {
		t.Errorf("master.key content has the wrong form (len %d)", len(b))
	}
	pub, err := ReadMasterPublicFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	if pub != k1.Public() {
		t.Error("master.pub does not hold the public half of master.key")
	}

	k2, err := LoadOrGenerateMasterKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !k2.Equal(k1) {
		t.Error("second LoadOrGenerateMasterKey returned a different key")
	}

	// A lost master.pub is rewritten from master.key.
	if err := os.Remove(pubPath); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrGenerateMasterKey(dir); err != nil {
		t.Fatal(err)
	}
	if pub, err := ReadMasterPublicFile(pubPath); err != nil || pub != k1.Public() {
		t.Errorf("master.pub not restored: %v", err)
	}

	// No temporary files are left behind.
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "master.key,master.pub" {
		t.Errorf("pki dir holds %v", names)
	}
}

func TestLoadOrGenerateMinionKey(t *testing.T) {
	dir := t.TempDir()
	k1, err := LoadOrGenerateMinionKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ReadMinionPublicFile(filepath.Join(dir, MinionPublicKeyFile))
	if err != nil || pub != k1.Public() {
		t.Fatalf("minion.pub: %v", err)
	}
	k2, err := LoadOrGenerateMinionKey(dir)
	if err != nil || !k2.Equal(k1) {
		t.Fatalf("reload: equal %v, err %v", k2.Equal(k1), err)
	}
	// The minion key files are not master key files.
	if _, err := LoadOrGenerateMasterKey(dir); err != nil {
		t.Fatalf("master key next to minion key: %v", err)
	}
	if _, err := ReadMasterPublicFile(filepath.Join(dir, MinionPublicKeyFile)); !errors.Is(err, ErrWrongKeyKind) {
		t.Errorf("minion.pub read as master key: %v, want ErrWrongKeyKind", err)
	}
}

// Two processes (here goroutines) starting on an empty pki dir at once
// must end up with one key, not each its own.
func TestLoadOrGenerateConcurrent(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	keys := make([]MasterPrivate, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = LoadOrGenerateMasterKey(dir)
		}()
	}
	wg.Wait()
	for i := range n {
		// The public file may lose a race too: the only acceptable error is
		// none; every key must be the one on disk.
		if errs[i] != nil {
			t.Fatalf("goroutine %d: %v", i, errs[i])
		}
		if !keys[i].Equal(keys[0]) {
			t.Fatalf("goroutine %d got a different key", i)
		}
	}
	onDisk, err := LoadOrGenerateMasterKey(dir)
	if err != nil || !onDisk.Equal(keys[0]) {
		t.Fatalf("key on disk differs from the returned one (err %v)", err)
	}
}

func TestLoadKeyErrors(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("permission bits are not meaningful on Windows")
	}
	other := testMinion(5)
	minionText, _ := other.MarshalText()
	masterText, _ := testMaster(5).MarshalText()

	tests := []struct {
		name    string
		content string
		mode    fs.FileMode
		wantIs  error  // nil: any error
		wantMsg string // substring of the error
	}{
		{"group readable", string(masterText) + "\n", 0o640, ErrInsecurePermissions, "0640"},
		{"world readable", string(masterText) + "\n", 0o644, ErrInsecurePermissions, "0644"},
		{"group writable", string(masterText) + "\n", 0o620, ErrInsecurePermissions, ""},
		{"garbage", "not a key\n", 0o600, nil, "missing"},
		{"empty", "", 0o600, nil, ""},
		{"minion key", string(minionText) + "\n", 0o600, ErrWrongKeyKind, ""},
		{"huge", strings.Repeat("A", 1<<20), 0o600, nil, "not a key file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, MasterKeyFile)
			if err := os.WriteFile(path, []byte(tt.content), tt.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // whatever the umask
				t.Fatal(err)
			}
			_, err := LoadOrGenerateMasterKey(dir)
			if err == nil {
				t.Fatal("loaded a bad key file")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v, want %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			// The bad file is left for the operator, never replaced.
			if b, _ := os.ReadFile(path); string(b) != tt.content {
				t.Error("key file was modified")
			}
		})
	}
}

func TestLoadKeyDirectoryInPlace(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, MinionKeyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrGenerateMinionKey(dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("minion.key is a directory: err %v", err)
	}
}

func TestLoadKeyMismatchedPublic(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadOrGenerateMinionKey(dir); err != nil {
		t.Fatal(err)
	}
	pubPath := filepath.Join(dir, MinionPublicKeyFile)
	if err := WriteMinionPublicFile(pubPath, testMinion(9).Public()); err != nil {
		t.Fatal(err)
	}
	_, err := LoadOrGenerateMinionKey(dir)
	if err == nil || !strings.Contains(err.Error(), pubPath) || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("mismatched minion.pub: err %v", err)
	}
}

func TestPublicKeyFiles(t *testing.T) {
	dir := t.TempDir()
	mp, np := testMaster(1).Public(), testMinion(2).Public()

	mpath := filepath.Join(dir, "master.pub")
	if err := WriteMasterPublicFile(mpath, mp); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(mpath)
	if string(b) != mp.String()+"\n" {
		t.Errorf("master.pub = %q, want text form + newline", b)
	}
	if runtime.GOOS != "windows" {
		if m := fileMode(t, mpath); m != 0o644 {
			t.Errorf("mode %#o, want 0644", m)
		}
	}
	got, err := ReadMasterPublicFile(mpath)
	if err != nil || got != mp {
		t.Fatalf("ReadMasterPublicFile: %v, %v", got, err)
	}
	// Writing again replaces the file (re-pinning is the caller's decision).
	mp2 := testMaster(3).Public()
	if err := WriteMasterPublicFile(mpath, mp2); err != nil {
		t.Fatal(err)
	}
	if got, _ := ReadMasterPublicFile(mpath); got != mp2 {
		t.Error("WriteMasterPublicFile did not replace the key")
	}

	npath := filepath.Join(dir, "minions", "web1")
	if err := os.Mkdir(filepath.Dir(npath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := WriteMinionPublicFile(npath, np); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadMinionPublicFile(npath); err != nil || got != np {
		t.Fatalf("ReadMinionPublicFile: %v, %v", got, err)
	}

	// Errors name the path and the cause.
	if _, err := ReadMinionPublicFile(mpath); !errors.Is(err, ErrWrongKeyKind) || !strings.Contains(err.Error(), mpath) {
		t.Errorf("master key read as minion key: %v", err)
	}
	missing := filepath.Join(dir, "nope.pub")
	if _, err := ReadMasterPublicFile(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	zero := filepath.Join(dir, "zero.pub")
	os.WriteFile(zero, []byte(MasterPublic{}.String()+"\n"), 0o644)
	if _, err := ReadMasterPublicFile(zero); err == nil || !strings.Contains(err.Error(), zero) {
		t.Errorf("zero key file: %v", err)
	}
	if err := WriteMasterPublicFile(filepath.Join(dir, "z.pub"), MasterPublic{}); err == nil {
		t.Error("wrote a zero key")
	}
	if err := WriteMinionPublicFile(filepath.Join(dir, "no", "such", "dir"), np); err == nil {
		t.Error("wrote into a missing directory")
	}
	// Public key files may be world readable; only private ones are checked.
	os.Chmod(npath, 0o666)
	if _, err := ReadMinionPublicFile(npath); err != nil {
		t.Errorf("world-readable public key refused: %v", err)
	}
}
