package file_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/halite/halite/pkg/states/internal/statetest"
)

// F6: a new file with mode 0600 and secret contents must never exist,
// under any name, readable by others with content in it. A watcher stats
// the directory as fast as it can while the state creates the file again
// and again.
func TestSecretFileNeverReadableByOthers(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "secret")
	var exposed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if readableSecret(filepath.Join(dir, e.Name())) {
					exposed.Add(1)
				}
			}
		}
	}()
	for range 200 {
		res := call(t, "file.managed", p, map[string]any{"contents": "hunter2", "mode": "0600"}, false)
		statetest.Expect(t, res, statetest.Changed)
		if res.Changes["mode"] != "0600" {
			t.Fatalf("changes %v: want mode 0600 reported", res.Changes)
		}
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	// And an existing 0644 file that becomes a 0600 secret.
	if err := os.WriteFile(p, []byte("public"), 0o644); err != nil {
		t.Fatal(err)
	}
	statetest.Expect(t, call(t, "file.managed", p, map[string]any{"contents": "hunter2", "mode": "0600"}, false), statetest.Changed)
	close(stop)
	wg.Wait()
	if m := modeOf(t, p).Perm(); m != 0o600 {
		t.Fatalf("final mode %o", m)
	}
	if n := exposed.Load(); n != 0 {
		t.Fatalf("the secret was readable by others %d times", n)
	}
}

// readableSecret reports whether the file at p, as one inode, is readable
// by others and holds the secret.
func readableSecret(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return false
	}
	b := make([]byte, 64)
	n, _ := f.Read(b)
	return strings.Contains(string(b[:n]), "hunter2")
}
