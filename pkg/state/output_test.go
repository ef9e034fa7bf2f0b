package state

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/output")

func bptr(b bool) *bool { return &b }

// sampleRun is a run with every kind of outcome the outputter renders.
func sampleRun() map[string]*StateReturn {
	return map[string]*StateReturn{
		"pkg_|-vim_|-vim_|-installed": {
			Name: "vim", Result: bptr(true), Changes: map[string]any{},
			Comment: "All specified packages are already installed", StartTime: "19:01:36.375454", Duration: 29.186,
			RunNum: 0, SLS: "editors", ID: "vim",
		},
		"file_|-vimrc_|-/etc/vimrc_|-managed": {
			Name: "/etc/vimrc", Result: bptr(true),
			Changes: map[string]any{"diff": "--- \n+++ \n@@ -1 +1 @@\n-set nocompatible\n+set compatible\n"},
			Comment: "File /etc/vimrc updated", StartTime: "19:01:36.405212", Duration: 12.5,
			RunNum: 1, SLS: "editors", ID: "vimrc",
		},
		"pkg_|-tools_|-curl_|-installed": {
			Name: "curl", Result: bptr(true),
			Changes: map[string]any{"curl": map[string]any{"new": "7.88.1-10", "old": ""}, "libcurl4": map[string]any{"new": "7.88.1-10", "old": ""}},
			Comment: "The following packages were installed/updated: curl", StartTime: "19:01:36.418000", Duration: 1204.0,
			RunNum: 2, SLS: "tools", ID: "tools",
		},
		"cmd_|-migrate_|-./manage.py migrate_|-run": {
			Name: "./manage.py migrate", Result: bptr(false),
			Changes: map[string]any{"pid": 6554, "retcode": 1, "stderr": "Traceback:\n  boom", "stdout": "", "ok": false, "ratio": 0.5, "none": nil,
				"steps": []any{"a", map[string]any{"b": 1}, []any{"c"}}},
			Comment: "Command \"./manage.py migrate\" run\nwith a second line", StartTime: "19:01:37.622100", Duration: 840.07,
			RunNum: 3, SLS: "app", ID: "migrate",
		},
		"service_|-app_|-app_|-running": {
			Name: "app", Result: bptr(false), Changes: map[string]any{},
			Comment: "One or more requisite failed: app.migrate", StartTime: "19:01:38.462300", Duration: 0,
			RunNum: 4, SLS: "app", ID: "app",
		},
		"file_|-motd_|-/etc/motd_|-managed": {
			Name: "/etc/motd", Result: nil, Changes: map[string]any{"newfile": "/etc/motd"},
			Comment: "The file /etc/motd is set to be changed", StartTime: "19:01:38.463000", Duration: 1.0,
			RunNum: 5, SLS: "base", ID: "motd",
		},
	}
}

func TestFormatHighstateGolden(t *testing.T) {
	clean := map[string]*StateReturn{
		"test_|-ok_|-ok_|-succeed_without_changes": {Name: "ok", Result: bptr(true), Changes: map[string]any{}, Comment: "Success!", StartTime: "10:00:00.000001", Duration: 0.512, ID: "ok", SLS: "s"},
	}
	tests := []struct {
		file string
		ret  map[string]*StateReturn
		opts OutputOptions
	}{
		{"full.golden", sampleRun(), DefaultOutputOptions(false)},
		{"full_color.golden", sampleRun(), DefaultOutputOptions(true)},
		{"terse.golden", sampleRun(), OutputOptions{StateOutput: "terse", Verbose: true}},
		{"mixed.golden", sampleRun(), OutputOptions{StateOutput: "mixed", Verbose: true}},
		{"changes.golden", sampleRun(), OutputOptions{StateOutput: "changes", Verbose: true}},
		{"full_id.golden", sampleRun(), OutputOptions{StateOutput: "full_id", Verbose: true}},
		{"filter.golden", sampleRun(), OutputOptions{StateOutput: "filter", Verbose: true, Exclude: []string{"True"}, Terse: []string{"False"}}},
		{"not_verbose.golden", sampleRun(), OutputOptions{StateOutput: "full", Verbose: false}},
		{"clean.golden", clean, DefaultOutputOptions(false)},
		{"empty.golden", map[string]*StateReturn{}, DefaultOutputOptions(false)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var buf bytes.Buffer
			if err := FormatHighstate(&buf, "web1", tt.ret, tt.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.file, buf.Bytes())
		})
	}
}

func TestFormatCompileErrorsGolden(t *testing.T) {
	var buf bytes.Buffer
	errs := []string{
		"ID 'conf' in SLS 'web': state function file.mange is not available",
		"Referenced state does not exist for requisite [require: (pkg: nginx)] in state [conf] in SLS [web]",
	}
	if err := FormatCompileErrors(&buf, "web1", errs, OutputOptions{}); err != nil {
		t.Fatal(err)
	}
	golden(t, "compile_errors.golden", buf.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "output", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// The layout details Salt users rely on, asserted directly so the golden
// files cannot drift from Salt unnoticed.
func TestFormatHighstateLayout(t *testing.T) {
	var buf bytes.Buffer
	if err := FormatHighstate(&buf, "web1", sampleRun(), DefaultOutputOptions(false)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"web1:\n----------\n          ID: vim\n    Function: pkg.installed\n      Result: True\n     Comment: All specified packages are already installed\n     Started: 19:01:36.375454\n    Duration: 29.186 ms\n     Changes:   \n----------\n",
		"          ID: vimrc\n    Function: file.managed\n        Name: /etc/vimrc\n      Result: True\n",
		"     Changes:   \n              ----------\n              diff:\n                  --- \n                  +++ \n                  @@ -1 +1 @@\n                  -set nocompatible\n                  +set compatible\n",
		"              curl:\n                  ----------\n                  new:\n                      7.88.1-10\n                  old:\n              libcurl4:\n",
		"     Comment: Command \"./manage.py migrate\" run\n              with a second line\n",
		"              none:\n                  None\n              ok:\n                  False\n              pid:\n                  6554\n              ratio:\n                  0.5\n",
		"              steps:\n                  - a\n                  |_\n                    ----------\n                    b:\n                        1\n                  |_\n                    - c\n",
		"    Duration: 1204.0 ms\n",
		"      Result: None\n",
		"\nSummary for web1\n------------\nSucceeded: 4 (unchanged=1, changed=4)\nFailed:    2\n------------\nTotal states run:     6\nTotal run time:   2.087 s\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks:\n%s\n--- output:\n%s", want, out)
		}
	}
}

func TestAsReturnsRejectsOtherData(t *testing.T) {
	for _, v := range []any{nil, "text", []any{"a"}, map[string]any{"x": 1}, map[string]any{"x": map[string]any{"name": "n"}}, map[string]any{"x": map[string]any{"result": "yes"}}} {
		if _, ok := AsReturns(v); ok {
			t.Errorf("AsReturns(%v) accepted non-state data", v)
		}
	}
}

func TestPyFloat(t *testing.T) {
	tests := map[float64]string{
		29.186: "29.186", 12: "12.0", 0.5: "0.5", 1e16: "1e+16", 1234567890123456: "1234567890123456.0",
		0.0001: "0.0001", 0.00001: "1e-05", -2.5: "-2.5", 0: "0.0", 1.5e300: "1.5e+300",
	}
	for f, want := range tests {
		if got := pyFloat(f); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", f, got, want)
		}
	}
}
