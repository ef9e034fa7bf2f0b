package pip_test

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/states/internal/statetest"
	_ "github.com/halite/halite/pkg/states/pip"
)

// wheel writes a minimal pure-Python wheel of name and version into dir:
// pip installs it with no network.
func wheel(t *testing.T, dir, name, version string) {
	t.Helper()
	mod := strings.ReplaceAll(name, "-", "_")
	info := fmt.Sprintf("%s-%s.dist-info", mod, version)
	files := map[string]string{
		mod + "/__init__.py":    fmt.Sprintf("VERSION = %q\n", version),
		info + "/METADATA":      fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version),
		info + "/WHEEL":         "Wheel-Version: 1.0\nGenerator: halite-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
		info + "/top_level.txt": mod + "\n",
	}
	var record strings.Builder
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s-%s-py3-none-any.whl", mod, version)))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for n, body := range files {
		w, _ := zw.Create(n)
		w.Write([]byte(body))
		sum := sha256.Sum256([]byte(body))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(body))
	}
	record.WriteString(info + "/RECORD,,\n")
	w, _ := zw.Create(info + "/RECORD")
	w.Write([]byte(record.String()))
	zw.Close()
	f.Close()
}

// pip.installed and pip.removed in a virtualenv, from local wheels only
// (no index): install, no-op, upgrade by a version specifier, removal.
func TestPipInstalled(t *testing.T) {
	py := statetest.RequireCommand(t, "python3", "python3")
	root := t.TempDir()
	venv := filepath.Join(root, "venv")
	if out, err := exec.Command(py, "-m", "venv", venv).CombinedOutput(); err != nil {
		t.Skipf("python3 -m venv does not work here: %v\n%s", err, out)
	}
	wheels := filepath.Join(root, "wheels")
	os.MkdirAll(wheels, 0o755)
	wheel(t, wheels, "halite-demo", "1.0")
	wheel(t, wheels, "halite-demo", "2.0")
	args := func(name string) map[string]any {
		return map[string]any{"bin_env": venv, "no_index": true, "find_links": wheels}
	}
	dry := statetest.Call(t, "pip.installed", "halite-demo==1.0", args(""), true)
	if dry.Result != nil || dry.Changes["halite-demo==1.0"] == nil {
		t.Fatalf("dry run: %v %v %s", dry.Result, dry.Changes, dry.Comment)
	}
	res := statetest.Call(t, "pip.installed", "halite-demo==1.0", args(""), false)
	if res.Result == nil || !*res.Result {
		t.Fatalf("install: %s", res.Comment)
	}
	version := func() string {
		out, _ := exec.Command(filepath.Join(venv, "bin", "python"), "-c", "import halite_demo; print(halite_demo.VERSION)").Output()
		return strings.TrimSpace(string(out))
	}
	if v := version(); v != "1.0" {
		t.Fatalf("installed version %q", v)
	}
	if again := statetest.Call(t, "pip.installed", "halite-demo==1.0", args(""), false); len(again.Changes) != 0 || !*again.Result {
		t.Fatalf("second run: %v %s", again.Changes, again.Comment)
	}
	if up := statetest.Call(t, "pip.installed", "halite-demo>=2", args(""), false); up.Result == nil || !*up.Result || version() != "2.0" {
		t.Fatalf("upgrade by specifier: %v %s (version %s)", up.Changes, up.Comment, version())
	}
	rm := statetest.Call(t, "pip.removed", "halite-demo", map[string]any{"bin_env": venv}, false)
	if rm.Result == nil || !*rm.Result || version() != "" {
		t.Fatalf("removed: %v %s", rm.Changes, rm.Comment)
	}
	if again := statetest.Call(t, "pip.removed", "halite-demo", map[string]any{"bin_env": venv}, false); len(again.Changes) != 0 {
		t.Fatalf("second removal: %v", again.Changes)
	}
}
