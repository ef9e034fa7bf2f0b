package pillar

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeTree writes files (slash paths relative to a new temporary
// directory) and returns the directory.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		writeFile(t, root, name, content)
	}
	return root
}

func writeFile(t testing.TB, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lines joins its arguments into a file with a final newline.
func lines(l ...string) string { return strings.Join(l, "\n") + "\n" }

// compileOne compiles minion id from a one-root base tree.
func compileOne(t *testing.T, files map[string]string, opts Options, id string, grains map[string]any) (map[string]any, error) {
	t.Helper()
	c := NewCompiler(map[string][]string{"base": {writeTree(t, files)}}, opts)
	return c.Compile(context.Background(), id, grains)
}

func mustCompile(t *testing.T, c *Compiler, id string, grains map[string]any) map[string]any {
	t.Helper()
	p, err := c.Compile(context.Background(), id, grains)
	if err != nil {
		t.Fatalf("compile %s: %v", id, err)
	}
	return p
}

func assertEqual(t *testing.T, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
}

// compileErrors returns the problems of a failed compile, failing the
// test when err is not a *CompileError.
func compileErrors(t *testing.T, err error) []*Error {
	t.Helper()
	var ce *CompileError
	if !errors.As(err, &ce) || len(ce.Errs) == 0 {
		t.Fatalf("want a *CompileError, got %T: %v", err, err)
	}
	return ce.Errs
}

var (
	debian = map[string]any{"os": "Debian", "os_family": "Debian", "roles": []any{"web"}, "ipv4": []any{"10.0.0.5"}}
	redhat = map[string]any{"os": "Rocky", "os_family": "RedHat", "roles": []any{"db"}, "ipv4": []any{"10.1.0.7"}}
)
