package state

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDirSource(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "states")
	writeTree(t, root, map[string]string{
		"top.sls":           "base: {'*': [web]}\n",
		"web/init.sls":      "web: t.succeed\n",
		"web/nginx.sls":     "nginx: t.succeed\n",
		"both.sls":          "file: 1\n",
		"both/init.sls":     "dir: 1\n",
		"../outside.sls":    "secret: 1\n",
		"../outside/x.sls":  "secret: 1\n",
		"link/.placeholder": "",
	})
	if err := os.Symlink(filepath.Join(dir, "outside.sls"), filepath.Join(root, "escape.sls")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "outside"), filepath.Join(root, "escdir")); err != nil {
		t.Fatal(err)
	}
	src := DirSource(root)
	ctx := context.Background()

	tests := []struct {
		sls      string
		wantBody string
		wantFile string
		wantErr  error
	}{
		{"web", "web: t.succeed\n", "web/init.sls", nil},
		{"web.nginx", "nginx: t.succeed\n", "web/nginx.sls", nil},
		{"both", "file: 1\n", "both.sls", nil}, // a.sls wins over a/init.sls, as in Salt
		{"missing", "", "", ErrSLSNotFound},
		{"escape", "", "", ErrOutsideRoot},
		{"escdir.x", "", "", ErrOutsideRoot},
		{"..outside", "", "", ErrOutsideRoot},
		{"web/../../outside", "", "", ErrOutsideRoot},
		{"", "", "", ErrSLSNotFound},
	}
	for _, tt := range tests {
		body, file, err := src.ReadSLS(ctx, "base", tt.sls)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ReadSLS(%q) err = %v, want %v", tt.sls, err, tt.wantErr)
			}
			if strings.Contains(string(body), "secret") {
				t.Errorf("ReadSLS(%q) read outside the root", tt.sls)
			}
			continue
		}
		if err != nil || string(body) != tt.wantBody || file != filepath.Join(root, filepath.FromSlash(tt.wantFile)) {
			t.Errorf("ReadSLS(%q) = %q, %q, %v; want %q, %q", tt.sls, body, file, err, tt.wantBody, tt.wantFile)
		}
	}
	top, err := src.Top(ctx, "base")
	if err != nil || !strings.HasPrefix(string(top), "base:") {
		t.Errorf("Top = %q, %v", top, err)
	}
	if _, err := DirSource(filepath.Join(dir, "nothing")).Top(ctx, "base"); err == nil {
		t.Errorf("Top of a missing tree must fail")
	}

	// The whole pipeline over a directory, with init.sls relative includes.
	writeTree(t, root, map[string]string{
		"app/init.sls": "include:\n  - .db\napp:\n  t.succeed:\n    - require:\n      - t: db\n",
		"app/db.sls":   "db: t.succeed\n",
	})
	got := chunkNames(mustLow(t, &Compiler{Source: src}, "app"))
	if strings.Join(got, " ") != "db app" {
		t.Errorf("chunks = %v", got)
	}
}

func mustLow(t *testing.T, c *Compiler, names ...string) []Chunk {
	t.Helper()
	chunks, err := c.ShowLowSLS(context.Background(), "", names)
	if err != nil {
		t.Fatal(err)
	}
	return chunks
}
