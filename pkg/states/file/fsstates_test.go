package file_test

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/halite/halite/pkg/states/internal/statetest"
)

func TestDirectory(t *testing.T) {
	root := t.TempDir()
	d := filepath.Join(root, "srv", "app")

	res := call(t, "file.directory", d, nil, false)
	if statetest.Expect(t, res, statetest.Failed); !strings.Contains(res.Comment, "No directory to create") {
		t.Fatalf("comment %q", res.Comment)
	}
	args := map[string]any{"makedirs": true, "dir_mode": 750}
	res = dryRunTouchesNothing(t, root, "file.directory", d, args)
	statetest.Expect(t, res, statetest.WouldChange)
	if !strings.Contains(res.Comment, d+": directory - new") {
		t.Fatalf("comment %q", res.Comment)
	}
	res = call(t, "file.directory", d, args, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Changes[d] != "New Dir" {
		t.Fatalf("changes %v", res.Changes)
	}
	if m := modeOf(t, d); !m.IsDir() || m.Perm() != 0o750 {
		t.Fatalf("mode %v", m)
	}
	statetest.Expect(t, call(t, "file.directory", d, args, false), statetest.Unchanged)
	statetest.Expect(t, call(t, "file.directory", d, args, true), statetest.Unchanged)

	// Mode drift is predicted, then fixed.
	os.Chmod(d, 0o777)
	res = dryRunTouchesNothing(t, root, "file.directory", d, args)
	statetest.Expect(t, res, statetest.WouldChange)
	res = call(t, "file.directory", d, args, false)
	if statetest.Expect(t, res, statetest.Changed); res.Changes["mode"] != "0750" {
		t.Fatalf("changes %v", res.Changes)
	}

	f := filepath.Join(root, "plain")
	writeFile(t, f, "")
	res = call(t, "file.directory", f, nil, false)
	if statetest.Expect(t, res, statetest.Failed); !strings.Contains(res.Comment, "exists and is a file") {
		t.Fatalf("comment %q", res.Comment)
	}
}

func TestDirectoryRecurse(t *testing.T) {
	statetest.RequireRoot(t)
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	root := t.TempDir()
	d := filepath.Join(root, "www")
	os.MkdirAll(filepath.Join(d, "sub"), 0o700)
	writeFile(t, filepath.Join(d, "index.html"), "hi")
	writeFile(t, filepath.Join(d, "sub", "a.css"), "x")
	os.Symlink("/etc/passwd", filepath.Join(d, "link"))
	args := map[string]any{"user": "nobody", "dir_mode": "0755", "file_mode": "0644", "recurse": []any{"user", "mode"}}

	res := dryRunTouchesNothing(t, root, "file.directory", d, args)
	statetest.Expect(t, res, statetest.WouldChange)
	res = call(t, "file.directory", d, args, false)
	statetest.Expect(t, res, statetest.Changed)
	for p, wantMode := range map[string]os.FileMode{d: 0o755, filepath.Join(d, "sub"): 0o755,
		filepath.Join(d, "index.html"): 0o644, filepath.Join(d, "sub", "a.css"): 0o644} {
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != wantMode || int(fi.Sys().(*syscall.Stat_t).Uid) != uid {
			t.Errorf("%s: mode %o uid %d", p, fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid)
		}
	}
	if fi, _ := os.Stat("/etc/passwd"); int(fi.Sys().(*syscall.Stat_t).Uid) == uid {
		t.Fatal("recurse followed a symlink out of the tree")
	}
	statetest.Expect(t, call(t, "file.directory", d, args, false), statetest.Unchanged)
}

func TestAbsent(t *testing.T) {
	root := t.TempDir()
	f := filepath.Join(root, "f")
	d := filepath.Join(root, "d")
	l := filepath.Join(root, "l")
	writeFile(t, f, "x")
	os.MkdirAll(filepath.Join(d, "deep"), 0o755)
	writeFile(t, filepath.Join(d, "deep", "x"), "x")
	os.Symlink(d, l)

	for _, tc := range []struct{ path, comment string }{
		{f, "Removed file " + f},
		{l, "Removed file " + l},
		{d, "Removed directory " + d},
	} {
		res := dryRunTouchesNothing(t, root, "file.absent", tc.path, nil)
		statetest.Expect(t, res, statetest.WouldChange)
		res = call(t, "file.absent", tc.path, nil, false)
		statetest.Expect(t, res, statetest.Changed)
		if res.Comment != tc.comment || res.Changes["removed"] != tc.path || exists(tc.path) {
			t.Fatalf("%s: %s (exists=%v)", tc.path, statetest.Format(res), exists(tc.path))
		}
		statetest.Expect(t, call(t, "file.absent", tc.path, nil, false), statetest.Unchanged)
		statetest.Expect(t, call(t, "file.absent", tc.path, nil, true), statetest.Unchanged)
	}
	for _, bad := range []string{"/", "/../", "relative"} {
		statetest.Expect(t, call(t, "file.absent", bad, nil, false), statetest.Failed)
	}
}

func TestSymlink(t *testing.T) {
	root := t.TempDir()
	l := filepath.Join(root, "current")
	args := map[string]any{"target": "releases/v1"}

	res := dryRunTouchesNothing(t, root, "file.symlink", l, args)
	statetest.Expect(t, res, statetest.WouldChange)
	res = call(t, "file.symlink", l, args, false)
	if statetest.Expect(t, res, statetest.Changed); res.Changes["new"] != l {
		t.Fatalf("changes %v", res.Changes)
	}
	if got, _ := os.Readlink(l); got != "releases/v1" {
		t.Fatalf("link -> %q", got)
	}
	statetest.Expect(t, call(t, "file.symlink", l, args, false), statetest.Unchanged)
	statetest.Expect(t, call(t, "file.symlink", l, args, true), statetest.Unchanged)

	args2 := map[string]any{"target": "releases/v2"}
	res = dryRunTouchesNothing(t, root, "file.symlink", l, args2)
	statetest.Expect(t, res, statetest.WouldChange)
	res = call(t, "file.symlink", l, args2, false)
	if statetest.Expect(t, res, statetest.Changed); res.Changes["change"] != l {
		t.Fatalf("changes %v", res.Changes)
	}
	if got, _ := os.Readlink(l); got != "releases/v2" {
		t.Fatalf("link -> %q", got)
	}

	// Something else in the way: refused without force, replaced with it.
	f := filepath.Join(root, "conf")
	writeFile(t, f, "x")
	res = call(t, "file.symlink", f, args, false)
	if statetest.Expect(t, res, statetest.Failed); !strings.Contains(res.Comment, "File exists where the symlink") {
		t.Fatalf("comment %q", res.Comment)
	}
	force := map[string]any{"target": "/etc/hostname", "force": true}
	res = dryRunTouchesNothing(t, root, "file.symlink", f, force)
	statetest.Expect(t, res, statetest.WouldChange)
	statetest.Expect(t, call(t, "file.symlink", f, force, false), statetest.Changed)
	if got, _ := os.Readlink(f); got != "/etc/hostname" {
		t.Fatalf("link -> %q", got)
	}

	// makedirs, missing target argument.
	deep := filepath.Join(root, "a", "b", "link")
	statetest.Expect(t, call(t, "file.symlink", deep, args, false), statetest.Failed)
	statetest.Expect(t, call(t, "file.symlink", deep, map[string]any{"target": "x", "makedirs": true}, false), statetest.Changed)
	res = call(t, "file.symlink", filepath.Join(root, "y"), nil, false)
	if statetest.Expect(t, res, statetest.Failed); !strings.Contains(res.Comment, `"target"`) {
		t.Fatalf("comment %q", res.Comment)
	}
}
