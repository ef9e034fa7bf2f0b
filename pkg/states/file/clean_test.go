package file_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/state"
)

// file.directory with clean, in a real state run: what the file states it
// requires manage stays (a required directory with all below it), what
// exclude_pat names stays, everything else goes; a dry run only lists it.
func TestDirectoryClean(t *testing.T) {
	tree, root := t.TempDir(), t.TempDir()
	conf := filepath.Join(root, "conf.d")
	os.MkdirAll(filepath.Join(conf, "keep.d", "deep"), 0o755)
	os.MkdirAll(filepath.Join(conf, "old.d"), 0o755)
	for _, f := range []string{"managed.conf", "stray.conf", "local.keep", "keep.d/deep/x", "old.d/y"} {
		writeFile(t, filepath.Join(conf, f), "x")
	}
	sls := strings.ReplaceAll(`
ROOT/managed.conf:
  file.managed:
    - contents: managed
ROOT/keep.d:
  file.directory: []
ROOT:
  file.directory:
    - clean: True
    - exclude_pat: '*.keep'
    - require:
      - file: ROOT/managed.conf
      - file: ROOT/keep.d
`, "ROOT", conf)
	writeFile(t, filepath.Join(tree, "clean.sls"), sls)
	run := func(test bool) *state.StateReturn {
		c := &state.Compiler{Source: state.DirSource(tree)}
		ret, err := c.SLS(context.Background(), "", []string{"clean"}, state.RunOptions{Test: test})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range ret {
			if r.ID == conf {
				return r
			}
		}
		t.Fatal("no result for the directory")
		return nil
	}
	removed := func(r *state.StateReturn) []string {
		var out []string
		l, _ := r.Changes["removed"].([]string)
		for _, p := range l {
			out = append(out, strings.TrimPrefix(p, conf+"/"))
		}
		sort.Strings(out)
		return out
	}
	dry := run(true)
	if got := strings.Join(removed(dry), " "); got != "old.d stray.conf" || !exists(filepath.Join(conf, "stray.conf")) {
		t.Fatalf("dry run removes %q (stray still there: %v)", got, exists(filepath.Join(conf, "stray.conf")))
	}
	real := run(false)
	if got := strings.Join(removed(real), " "); got != "old.d stray.conf" {
		t.Fatalf("removed %q: %s", got, real.Comment)
	}
	for _, f := range []string{"managed.conf", "local.keep", "keep.d/deep/x"} {
		if !exists(filepath.Join(conf, f)) {
			t.Errorf("%s was removed", f)
		}
	}
	if exists(filepath.Join(conf, "stray.conf")) || exists(filepath.Join(conf, "old.d")) {
		t.Error("strays were kept")
	}
	if again := run(false); len(again.Changes) != 0 {
		t.Fatalf("second run: %v", again.Changes)
	}
}
