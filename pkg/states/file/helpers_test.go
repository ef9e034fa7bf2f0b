package file_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/halite/halite/pkg/state"
	_ "github.com/halite/halite/pkg/states/file"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

// fakeFiles is a file server client backed by a directory, as the minion's
// cache would be: salt://a/b resolves to root/a/b.
type fakeFiles struct {
	root string
	mu   sync.Mutex
	envs []string // saltenv of each call
}

func (f *fakeFiles) CacheFile(ctx context.Context, url, saltenv string) (string, error) {
	f.mu.Lock()
	f.envs = append(f.envs, saltenv)
	f.mu.Unlock()
	rel := strings.TrimPrefix(strings.TrimPrefix(url, "salt://"), "halite://")
	p := filepath.Join(f.root, saltenv, rel)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("cache %s: %w", url, fs.ErrNotExist)
	}
	return p, nil
}

// ListFiles lists the files of root/saltenv as the file server does:
// relative slash-separated paths, equal to prefix or below it.
func (f *fakeFiles) ListFiles(ctx context.Context, prefix, saltenv string) ([]string, error) {
	base := filepath.Join(f.root, saltenv)
	var out []string
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		rel = filepath.ToSlash(rel)
		if prefix == "" || rel == prefix || strings.HasPrefix(rel, strings.TrimSuffix(prefix, "/")+"/") {
			out = append(out, rel)
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return out, err
}

// recordingRenderer substitutes {{ a.b }} from the variables and records
// what it was given, so tests can check which variables a template sees.
type recordingRenderer struct {
	name string
	vars map[string]any
}

var tplVar = regexp.MustCompile(`\{\{\s*([\w.]+)\s*\}\}`)

func (r *recordingRenderer) Render(ctx context.Context, name string, src []byte, vars map[string]any) ([]byte, error) {
	r.name, r.vars = name, vars
	var missing error
	out := tplVar.ReplaceAllStringFunc(string(src), func(m string) string {
		key := tplVar.FindStringSubmatch(m)[1]
		var cur any = vars
		for _, p := range strings.Split(key, ".") {
			mm, ok := cur.(map[string]any)
			if !ok {
				missing = fmt.Errorf("%s: line 1: undefined %s", name, key)
				return ""
			}
			cur = mm[p]
		}
		return fmt.Sprint(cur)
	})
	return []byte(out), missing
}

func call(t *testing.T, fun, name string, args map[string]any, dry bool) state.Result {
	t.Helper()
	return statetest.Call(t, fun, name, args, dry)
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func modeOf(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// snapshot lists a directory tree with modes and contents, to prove a dry
// run touched nothing.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		uid, gid := -1, -1
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid, gid = int(st.Uid), int(st.Gid)
		}
		fmt.Fprintf(&b, "%s %v %d:%d", p, fi.Mode(), uid, gid)
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			fmt.Fprintf(&b, " -> %s", l)
		case fi.Mode().IsRegular():
			c, _ := os.ReadFile(p)
			fmt.Fprintf(&b, " %q", c)
		}
		b.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// dryRunTouchesNothing runs fun in test mode and fails if anything under
// root changed.
func dryRunTouchesNothing(t *testing.T, root, fun, name string, args map[string]any) state.Result {
	t.Helper()
	before := snapshot(t, root)
	res := call(t, fun, name, args, true)
	if after := snapshot(t, root); after != before {
		t.Fatalf("test mode changed the disk:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	return res
}
