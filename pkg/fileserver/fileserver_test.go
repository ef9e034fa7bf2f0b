package fileserver

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func tree(t *testing.T) (string, string) {
	t.Helper()
	base := t.TempDir()
	a, b := filepath.Join(base, "a"), filepath.Join(base, "b")
	for p, body := range map[string]string{
		filepath.Join(a, "top.sls"):         "base: {'*': [web]}\n",
		filepath.Join(a, "web", "init.sls"): "nginx: {pkg.installed: []}\n",
		filepath.Join(b, "web", "init.sls"): "shadowed\n",
		filepath.Join(b, "only-b.txt"):      "b\n",
		filepath.Join(base, "secret.txt"):   "outside\n",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(a, "escape.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(base, filepath.Join(a, "updir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("web/init.sls", filepath.Join(a, "inside-link.sls")); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestReadFirstRootWins(t *testing.T) {
	a, b := tree(t)
	s := New(map[string][]string{"base": {a, b}})
	f, data, err := s.Read("base", "salt://web/init.sls")
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != "nginx: {pkg.installed: []}\n" || f.Path != "web/init.sls" || f.Hash != HashBytes(data) {
		t.Errorf("got %+v %q", f, data)
	}
	if _, data, err := s.Read("base", "only-b.txt"); err != nil || string(data) != "b\n" {
		t.Errorf("second root: %q %v", data, err)
	}
	if _, data, err := s.Read("base", "inside-link.sls"); err != nil || string(data) != "nginx: {pkg.installed: []}\n" {
		t.Errorf("symlink inside the root must work: %q %v", data, err)
	}
}

func TestTraversalRefused(t *testing.T) {
	a, b := tree(t)
	s := New(map[string][]string{"base": {a, b}})
	for _, p := range []string{
		"../secret.txt", "salt://../secret.txt", "web/../../secret.txt", "/etc/passwd",
		"escape.txt", "updir/secret.txt", "web/init.sls\x00.txt", `..\secret.txt`, "",
	} {
		_, _, err := s.Read("base", p)
		if !errors.Is(err, ErrUnsafePath) {
			t.Errorf("%q: got %v, want ErrUnsafePath", p, err)
		}
	}
	if _, _, err := s.Read("base", "missing.sls"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	if _, _, err := s.Read("prod", "top.sls"); !errors.Is(err, ErrNoSaltenv) {
		t.Errorf("unknown saltenv: %v", err)
	}
}

func TestListSkipsEscapes(t *testing.T) {
	a, b := tree(t)
	s := New(map[string][]string{"base": {a, b}})
	files, err := s.List("base", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
		got = append(got, f.Path)
	}
	want := []string{"inside-link.sls", "only-b.txt", "top.sls", "web/init.sls"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	web, err := s.List("base", "web")
	if err != nil || len(web) != 1 || web[0].Path != "web/init.sls" {
		t.Errorf("prefix web: %+v %v", web, err)
	}
}

func TestHashFollowsChanges(t *testing.T) {
	a, _ := tree(t)
	s := New(map[string][]string{"base": {a}})
	f1, err := s.Stat("base", "top.sls")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a, "top.sls"), []byte("base: {}\n# changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f2, err := s.Stat("base", "top.sls")
	if err != nil {
		t.Fatal(err)
	}
	if f1.Hash == f2.Hash {
		t.Error("hash did not change with the file")
	}
}

func FuzzClean(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "salt://a/../b", "/abs", "a\x00b", "./a", "a//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		c, err := Clean(p)
		if err != nil {
			return
		}
		if c == "" || c[0] == '/' || c == ".." || len(c) >= 3 && c[:3] == "../" {
			t.Fatalf("Clean(%q) = %q escapes", p, c)
		}
		for i := 0; i+2 < len(c); i++ {
			if c[i:i+3] == "/.." && (i+3 == len(c) || c[i+3] == '/') {
				t.Fatalf("Clean(%q) = %q keeps ..", p, c)
			}
		}
	})
}
