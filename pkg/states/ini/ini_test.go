package ini_test

import (
	"os"
	"path/filepath"
	"testing"

	_ "github.com/halite/halite/pkg/states/ini"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

const phpIni = `; PHP settings
top = 1

[PHP]
; how much memory
memory_limit = 128M
engine = On

[Session]
session.save_handler = files
`

func TestIniStates(t *testing.T) {
	p := filepath.Join(t.TempDir(), "php.ini")
	if err := os.WriteFile(p, []byte(phpIni), 0o640); err != nil {
		t.Fatal(err)
	}
	read := func() string { b, _ := os.ReadFile(p); return string(b) }
	args := map[string]any{"sections": map[string]any{
		"PHP":     map[string]any{"memory_limit": "256M", "short_open_tag": false},
		"opcache": map[string]any{"opcache.enable": 1},
	}}
	dry := statetest.Call(t, "ini.options_present", p, args, true)
	if dry.Result != nil || read() != phpIni {
		t.Fatalf("dry run: %v %s", dry.Result, dry.Comment)
	}
	res := statetest.Call(t, "ini.options_present", p, args, false)
	if res.Result == nil || !*res.Result {
		t.Fatalf("options_present: %s", res.Comment)
	}
	want := `; PHP settings
top = 1

[PHP]
; how much memory
memory_limit = 256M
engine = On
short_open_tag = False

[Session]
session.save_handler = files

[opcache]
opcache.enable = 1
`
	if got := read(); got != want {
		t.Fatalf("file =\n%s\nwant\n%s", got, want)
	}
	php := res.Changes["PHP"].(map[string]any)
	if ch := php["memory_limit"].(map[string]any); ch["before"] != "128M" || ch["after"] != "256M" {
		t.Fatalf("changes = %v", res.Changes)
	}
	if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode changed to %v", fi.Mode())
	}
	if again := statetest.Call(t, "ini.options_present", p, args, false); len(again.Changes) != 0 || again.Result == nil || !*again.Result {
		t.Fatalf("second run: %v", again.Changes)
	}

	strict := statetest.Call(t, "ini.options_present", p, map[string]any{"strict": true, "sections": map[string]any{"PHP": map[string]any{"memory_limit": "256M"}}}, false)
	if _, ok := strict.Changes["PHP"].(map[string]any)["engine"]; !ok {
		t.Fatalf("strict did not remove engine: %v", strict.Changes)
	}

	abs := statetest.Call(t, "ini.options_absent", p, map[string]any{"sections": map[string]any{"Session": []any{"session.save_handler"}, "top": nil}}, false)
	if abs.Result == nil || !*abs.Result || len(abs.Changes) != 2 {
		t.Fatalf("options_absent: %v %s", abs.Changes, abs.Comment)
	}
	sp := statetest.Call(t, "ini.sections_present", p, map[string]any{"sections": []any{"Session", "new"}}, false)
	if _, ok := sp.Changes["new"]; !ok || len(sp.Changes) != 1 {
		t.Fatalf("sections_present: %v", sp.Changes)
	}
	sa := statetest.Call(t, "ini.sections_absent", p, map[string]any{"sections": []any{"opcache", "nope"}}, false)
	if _, ok := sa.Changes["opcache"]; !ok || len(sa.Changes) != 1 {
		t.Fatalf("sections_absent: %v", sa.Changes)
	}
	want = `; PHP settings

[PHP]
; how much memory
memory_limit = 256M

[Session]

[new]
`
	if got := read(); got != want {
		t.Fatalf("file =\n%s\nwant\n%s", got, want)
	}
	created := filepath.Join(t.TempDir(), "sub", "new.ini")
	if r := statetest.Call(t, "ini.options_present", created, map[string]any{"sections": map[string]any{"a": map[string]any{"b": "c"}}}, false); r.Result == nil || !*r.Result {
		t.Fatalf("new file: %s", r.Comment)
	}
	if b, _ := os.ReadFile(created); string(b) != "[a]\nb = c\n" {
		t.Fatalf("new file = %q", b)
	}
}
