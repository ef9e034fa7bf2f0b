package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/halite/halite/pkg/master"
)

// Unquoted octal modes mean what a Salt user means: `mode: 0644` is 0644
// (Salt's YAML loader drops the leading zero and reads the digits as the
// octal mode), in every mode argument, literal or templated.
func TestUnquotedOctalModes(t *testing.T) {
	dir := t.TempDir()
	sls := `{% set root = grains['root'] %}
{% set m = '0640' %}
{{ root }}/f644:
  file.managed:
    - makedirs: True
    - contents: x
    - mode: 0644
{{ root }}/f600:
  file.managed:
    - makedirs: True
    - contents: x
    - mode: 0600
{{ root }}/f640:
  file.managed:
    - makedirs: True
    - contents: x
    - mode: {{ m }}
{{ root }}/f755:
  file.managed:
    - makedirs: True
    - contents: x
    - mode: 755
{{ root }}/d700:
  file.directory:
    - makedirs: True
    - mode: 0700
{{ root }}/tree:
  file.directory:
    - makedirs: True
    - dir_mode: 0750
    - file_mode: 0600
    - recurse: [mode]
`
	for name, body := range map[string]string{"top.sls": "base:\n  '*':\n    - modes\n", "modes.sls": sls} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, roots := stateCluster(t, dir, 1)
	if err := os.MkdirAll(filepath.Join(roots[0], "tree", "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(roots[0], "tree", "sub", "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	jr := c.run(&master.RunRequest{Target: "*", Fun: "state.apply"})
	if ev := jr.returns["st0"]; !ev.Success {
		t.Fatalf("apply failed: %v", ev.Return)
	}
	for name, want := range map[string]os.FileMode{
		"f644": 0o644, "f600": 0o600, "f640": 0o640, "f755": 0o755, "d700": 0o700,
		"tree": 0o750, "tree/sub": 0o750, "tree/sub/file": 0o600,
	} {
		st, err := os.Stat(filepath.Join(roots[0], name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %#o, want %#o", name, got, want)
		}
	}
}

// `state.apply test=1` (the CLI sends the number 1) is a dry run: nothing
// is written.
func TestTestEqualsOneIsADryRun(t *testing.T) {
	dir := t.TempDir()
	sls := "{{ grains['root'] }}/written:\n  file.managed:\n    - makedirs: True\n    - contents: x\n"
	for name, body := range map[string]string{"top.sls": "base:\n  '*':\n    - w\n", "w.sls": sls} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, roots := stateCluster(t, dir, 1)
	for _, v := range []any{int64(1), 1, uint64(1), 1.0, "1", "True", "yes"} {
		c.run(&master.RunRequest{Target: "*", Fun: "state.apply", Kwargs: map[string]any{"test": v}})
		if _, err := os.Stat(filepath.Join(roots[0], "written")); err == nil {
			t.Fatalf("state.apply test=%v (%T) wrote to disk", v, v)
		}
	}
	c.run(&master.RunRequest{Target: "*", Fun: "state.apply", Kwargs: map[string]any{"test": int64(0)}})
	if _, err := os.Stat(filepath.Join(roots[0], "written")); err != nil {
		t.Fatal(fmt.Errorf("state.apply test=0 did not run: %w", err))
	}
}
