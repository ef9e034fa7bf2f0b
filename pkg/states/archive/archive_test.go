package archive_test

import (
	"archive/tar"
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/halite/halite/pkg/states/archive"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// A tar.gz made by tar, served over HTTP on loopback with its hash:
// extracted once, idempotent, and refused when the hash is wrong or the
// archive has more than one top-level entry.
func TestExtractedTarOverHTTP(t *testing.T) {
	statetest.RequireCommand(t, "tar", "tar")
	src := t.TempDir()
	os.MkdirAll(filepath.Join(src, "app-1.0", "bin"), 0o755)
	os.WriteFile(filepath.Join(src, "app-1.0", "bin", "app"), []byte("#!/bin/sh\necho app\n"), 0o755)
	os.WriteFile(filepath.Join(src, "app-1.0", "README"), []byte("readme\n"), 0o644)
	tgz := filepath.Join(t.TempDir(), "app-1.0.tar.gz")
	if out, err := exec.Command("tar", "-czf", tgz, "-C", src, "app-1.0").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	body, _ := os.ReadFile(tgz)
	sum := sha256.Sum256(body)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(body) }))
	defer srv.Close()
	dest := filepath.Join(t.TempDir(), "opt")
	args := map[string]any{"source": srv.URL + "/app-1.0.tar.gz", "source_hash": "sha256=" + hex.EncodeToString(sum[:])}

	dry := statetest.Call(t, "archive.extracted", dest, args, true)
	if dry.Result != nil || exists(dest) {
		t.Fatalf("dry run: %v %s", dry.Result, dry.Comment)
	}
	res := statetest.Call(t, "archive.extracted", dest, args, false)
	if res.Result == nil || !*res.Result {
		t.Fatalf("extract: %s", res.Comment)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "app-1.0", "bin", "app")); !strings.Contains(string(b), "echo app") {
		t.Fatal("archive not extracted")
	}
	if fi, _ := os.Stat(filepath.Join(dest, "app-1.0", "bin", "app")); fi.Mode().Perm() != 0o755 {
		t.Fatalf("mode %v not kept", fi.Mode())
	}
	if again := statetest.Call(t, "archive.extracted", dest, args, false); len(again.Changes) != 0 || !*again.Result {
		t.Fatalf("second run: %v %s", again.Changes, again.Comment)
	}
	bad := statetest.Call(t, "archive.extracted", filepath.Join(t.TempDir(), "x"), map[string]any{"source": srv.URL + "/app-1.0.tar.gz", "source_hash": strings.Repeat("0", 64)}, false)
	if bad.Result == nil || *bad.Result {
		t.Fatalf("a wrong hash was accepted: %s", bad.Comment)
	}
	nohash := statetest.Call(t, "archive.extracted", filepath.Join(t.TempDir(), "x"), map[string]any{"source": srv.URL + "/app-1.0.tar.gz"}, false)
	if nohash.Result == nil || *nohash.Result || !strings.Contains(nohash.Comment, "source_hash") {
		t.Fatalf("a web source without a hash: %s", nohash.Comment)
	}
	// Two top-level entries: refused unless enforce_toplevel is False.
	os.WriteFile(filepath.Join(src, "stray"), []byte("x"), 0o644)
	bomb := filepath.Join(t.TempDir(), "bomb.tar")
	exec.Command("tar", "-cf", bomb, "-C", src, "app-1.0", "stray").Run()
	if r := statetest.Call(t, "archive.extracted", filepath.Join(t.TempDir(), "b"), map[string]any{"source": bomb}, false); r.Result == nil || *r.Result || !strings.Contains(r.Comment, "single top-level") {
		t.Fatalf("tar bomb: %s", r.Comment)
	}
	if r := statetest.Call(t, "archive.extracted", filepath.Join(t.TempDir(), "b"), map[string]any{"source": bomb, "enforce_toplevel": false}, false); r.Result == nil || !*r.Result {
		t.Fatalf("enforce_toplevel False: %s", r.Comment)
	}
}

// A zip, and hostile archives: a member climbing out with "..", or a
// link pointing out, refuse the whole archive and write nothing.
func TestExtractedZipAndHostile(t *testing.T) {
	dir := t.TempDir()
	zp := filepath.Join(dir, "site.zip")
	f, _ := os.Create(zp)
	zw := zip.NewWriter(f)
	w, _ := zw.Create("site/index.html")
	w.Write([]byte("<h1>hi</h1>\n"))
	zw.Close()
	f.Close()
	dest := filepath.Join(dir, "www")
	res := statetest.Call(t, "archive.extracted", dest, map[string]any{"source": zp}, false)
	if res.Result == nil || !*res.Result {
		t.Fatalf("zip: %s", res.Comment)
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "site", "index.html")); string(b) != "<h1>hi</h1>\n" {
		t.Fatalf("zip content %q", b)
	}

	for _, hdr := range []tar.Header{
		{Name: "app/../../evil", Mode: 0o644, Size: 1, Typeflag: tar.TypeReg},
		{Name: "app/link", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink},
		{Name: "app/up", Linkname: "../../x", Typeflag: tar.TypeSymlink},
	} {
		p := filepath.Join(t.TempDir(), "evil.tar")
		f, _ := os.Create(p)
		tw := tar.NewWriter(f)
		tw.WriteHeader(&tar.Header{Name: "app/", Mode: 0o755, Typeflag: tar.TypeDir})
		h := hdr
		tw.WriteHeader(&h)
		if h.Size > 0 {
			tw.Write([]byte("x"))
		}
		tw.Close()
		f.Close()
		out := filepath.Join(t.TempDir(), "dest")
		r := statetest.Call(t, "archive.extracted", out, map[string]any{"source": p}, false)
		if r.Result == nil || *r.Result || exists(out) {
			t.Fatalf("hostile member %q (%q): %v %s", hdr.Name, hdr.Linkname, r.Result, r.Comment)
		}
	}
}
