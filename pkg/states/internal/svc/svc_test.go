package svc

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestSysVLayout(t *testing.T) {
	root := t.TempDir()
	initDir := filepath.Join(root, "init.d")
	os.MkdirAll(initDir, 0o755)
	for _, rl := range []string{"rc2.d", "rc3.d", "rc6.d"} {
		os.MkdirAll(filepath.Join(root, rl), 0o755)
	}
	script := "#!/bin/sh\ncase $1 in status) [ -f " + filepath.Join(root, "up") + " ];; esac\n"
	os.WriteFile(filepath.Join(initDir, "demo"), []byte(script), 0o755)
	os.WriteFile(filepath.Join(initDir, "noexec"), []byte(script), 0o644)
	s := SysV{InitDir: initDir, RCDir: root}
	ctx := context.Background()

	for name, want := range map[string]bool{"demo": true, "noexec": false, "missing": false} {
		if got, err := s.Available(ctx, name); err != nil || got != want {
			t.Errorf("Available(%s) = %v, %v", name, got, err)
		}
	}
	if up, err := s.Status(ctx, "demo"); err != nil || up {
		t.Fatalf("status before: %v %v", up, err)
	}
	os.WriteFile(filepath.Join(root, "up"), nil, 0o644)
	if up, err := s.Status(ctx, "demo"); err != nil || !up {
		t.Fatalf("status after: %v %v", up, err)
	}
	if en, _ := s.Enabled(ctx, "demo"); en {
		t.Fatal("no links: not enabled")
	}
	os.Symlink("../init.d/demo", filepath.Join(root, "rc6.d", "K01demo"))
	os.Symlink("../init.d/demo", filepath.Join(root, "rc3.d", "K01demo"))
	if en, _ := s.Enabled(ctx, "demo"); en {
		t.Fatal("K links do not enable")
	}
	os.Symlink("../init.d/demo", filepath.Join(root, "rc2.d", "S01demo"))
	if en, _ := s.Enabled(ctx, "demo"); !en {
		t.Fatal("S link in rc2.d enables")
	}
	if en, _ := s.Enabled(ctx, "de*"); en {
		t.Fatal("glob characters in names must not match other services")
	}
}

func TestValidName(t *testing.T) {
	for _, bad := range []string{"", "..", ".", "a/b", "-x", "a\x00b", "a\nb"} {
		if validName(bad) == nil {
			t.Errorf("validName(%q) accepted", bad)
		}
		if _, err := (SysV{InitDir: "/etc/init.d"}).Status(context.Background(), bad); err == nil {
			t.Errorf("Status(%q) accepted", bad)
		}
	}
	for _, good := range []string{"nginx", "php8.2-fpm", "ssh@1"} {
		if err := validName(good); err != nil {
			t.Errorf("validName(%q): %v", good, err)
		}
	}
}
