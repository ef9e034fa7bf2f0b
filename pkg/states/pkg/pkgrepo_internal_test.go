package pkg

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	modpkg "github.com/halite/halite/pkg/modules/pkg"
	"github.com/halite/halite/pkg/state"
)

func repoCall(t *testing.T, fn state.Func, name string, args map[string]any, dry bool) state.Result {
	t.Helper()
	return fn(context.Background(), &state.Request{ID: name, Name: name, Args: args, Test: dry})
}

// pkgrepo.managed on apt: the sources line and its signed-by key, written
// once, idempotent; pkgrepo.absent removes the line.
func TestAptRepo(t *testing.T) {
	if m, err := modpkg.Detect(); err != nil || m.Name() != "apt" {
		t.Skip("needs apt")
	}
	dir := t.TempDir()
	aptSourcesDir = dir
	keyring := filepath.Join(dir, "keyrings", "example.asc")
	key := filepath.Join(dir, "example.key")
	os.WriteFile(key, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\nxyz\n-----END PGP PUBLIC KEY BLOCK-----\n"), 0o644)
	line := "deb [signed-by=" + keyring + "]  https://pkg.example.com/debian bookworm main"
	args := func() map[string]any {
		return map[string]any{"key_url": key, "refresh": false, "file": filepath.Join(dir, "example.list")}
	}
	r := repoCall(t, repoManaged, line, args(), true)
	if r.Result != nil || len(r.Changes) == 0 {
		t.Fatalf("dry run: %+v", r)
	}
	if _, err := os.Stat(keyring); err == nil {
		t.Fatal("the dry run wrote the key")
	}
	r = repoCall(t, repoManaged, line, args(), false)
	if r.Result == nil || !*r.Result || r.Changes["key"] != keyring {
		t.Fatalf("first run: %+v", r)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "example.list")); string(b) != "deb [signed-by="+keyring+"] https://pkg.example.com/debian bookworm main\n" {
		t.Fatalf("sources:\n%s", b)
	}
	if b, _ := os.ReadFile(keyring); !strings.Contains(string(b), "BEGIN PGP") {
		t.Fatalf("key: %q", b)
	}
	if r = repoCall(t, repoManaged, line, args(), false); r.Result == nil || !*r.Result || len(r.Changes) != 0 {
		t.Fatalf("second run: %+v", r)
	}
	// The default file is named after the host.
	if got := aptFile(line); got != filepath.Join(dir, "pkg_example_com.list") {
		t.Errorf("default file %s", got)
	}
	r = repoCall(t, repoAbsent, line, map[string]any{"file": filepath.Join(dir, "example.list")}, false)
	if r.Result == nil || !*r.Result || len(r.Changes) == 0 {
		t.Fatalf("absent: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "example.list")); err == nil {
		t.Error("the emptied sources file is still there")
	}
	if r = repoCall(t, repoManaged, "not a deb line", map[string]any{"refresh": false}, false); r.Result == nil || *r.Result {
		t.Errorf("bad line: %+v", r)
	}
}
