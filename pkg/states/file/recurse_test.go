package file_test

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

// A source tree on the file server, copied with file.recurse: every file
// lands at its relative path, include/exclude patterns and maxdepth pick
// files as Salt's do, templates render, clean removes strays (but not
// excluded ones), a dry run predicts and touches nothing, and a second
// run changes nothing.
func TestRecurse(t *testing.T) {
	srv := t.TempDir()
	put := func(rel, content string) {
		p := filepath.Join(srv, "base", filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, p, content)
	}
	put("app/conf.d/a.conf", "a\n")
	put("app/conf.d/sub/b.conf", "b {{ grains.id }}\n")
	put("app/conf.d/skip.bak", "backup\n")
	put("app/other", "not under the source\n")
	env := &modules.Env{Files: &fakeFiles{root: srv}, Grains: func() map[string]any { return map[string]any{"id": "web1"} }}
	dest := filepath.Join(t.TempDir(), "etc", "app")
	args := func(extra map[string]any) map[string]any {
		m := map[string]any{"source": "salt://app/conf.d", "makedirs": true, "file_mode": "0640", "dir_mode": 750, "exclude_pat": "*.bak", "template": "jinja"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	r := &recordingRenderer{}

	dry := statetest.CallEnv(t, "file.recurse", dest, args(nil), true, env, r)
	if dry.Result != nil || exists(dest) {
		t.Fatalf("dry run: result %v, dest exists %v: %s", dry.Result, exists(dest), dry.Comment)
	}
	if _, ok := dry.Changes[filepath.Join(dest, "sub", "b.conf")]; !ok {
		t.Fatalf("dry run does not predict sub/b.conf: %v", dry.Changes)
	}

	res := statetest.CallEnv(t, "file.recurse", dest, args(nil), false, env, r)
	if res.Result == nil || !*res.Result {
		t.Fatalf("recurse failed: %s", res.Comment)
	}
	if got := readFile(t, filepath.Join(dest, "sub", "b.conf")); got != "b web1\n" {
		t.Fatalf("templated file = %q", got)
	}
	if exists(filepath.Join(dest, "skip.bak")) || exists(filepath.Join(dest, "other")) {
		t.Fatal("an excluded file or one outside the source was copied")
	}
	if m := modeOf(t, filepath.Join(dest, "a.conf")).Perm(); m != 0o640 {
		t.Fatalf("file mode %o", m)
	}
	if m := modeOf(t, filepath.Join(dest, "sub")).Perm(); m != 0o750 {
		t.Fatalf("dir mode %o", m)
	}

	again := statetest.CallEnv(t, "file.recurse", dest, args(nil), false, env, r)
	if again.Result == nil || !*again.Result || len(again.Changes) != 0 {
		t.Fatalf("second run: %v %s", again.Changes, again.Comment)
	}

	// clean: a stray file and directory go, an excluded one stays.
	writeFile(t, filepath.Join(dest, "stray"), "x")
	os.MkdirAll(filepath.Join(dest, "olddir", "deep"), 0o755)
	writeFile(t, filepath.Join(dest, "keep.bak"), "mine")
	cl := statetest.CallEnv(t, "file.recurse", dest, args(map[string]any{"clean": true}), false, env, r)
	removed, _ := cl.Changes["removed"].([]string)
	sort.Strings(removed)
	want := []string{filepath.Join(dest, "olddir"), filepath.Join(dest, "stray")}
	if len(removed) != 2 || removed[0] != want[0] || removed[1] != want[1] {
		t.Fatalf("removed = %v, want %v", removed, want)
	}
	if !exists(filepath.Join(dest, "keep.bak")) || exists(filepath.Join(dest, "stray")) {
		t.Fatal("clean removed an excluded file or kept a stray")
	}

	// maxdepth 0: only the files directly in the source.
	flat := filepath.Join(t.TempDir(), "flat")
	statetest.CallEnv(t, "file.recurse", flat, map[string]any{"source": "salt://app/conf.d/", "maxdepth": 0, "include_pat": "E@\\.conf$"}, false, env, r)
	if !exists(filepath.Join(flat, "a.conf")) || exists(filepath.Join(flat, "sub")) || exists(filepath.Join(flat, "skip.bak")) {
		t.Fatal("maxdepth/include_pat picked the wrong files")
	}

	missing := statetest.CallEnv(t, "file.recurse", flat, map[string]any{"source": "salt://nope"}, false, env, r)
	if missing.Result == nil || *missing.Result {
		t.Fatalf("a missing source directory did not fail: %s", missing.Comment)
	}
}
