package logging

import (
	"bytes"
	"strings"
	"testing"
)

// A subsystem's level applies to it and to everything named under it;
// other subsystems keep the default level.
func TestGranularLevels(t *testing.T) {
	var buf bytes.Buffer
	l, err := New(Config{Name: "master", Level: "warn", Granular: map[string]string{"returns": "debug", "master.auth": "error"}}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("root info")
	l.Named("returns").Debug("returns debug")
	l.Named("returns").Named("batch").Debug("batch debug")
	l.Named("auth").Warn("auth warn")
	l.Named("keys").Warn("keys warn")
	l.With("k", "v").Named("returns").Debug("with then named")
	out := buf.String()
	for _, want := range []string{"returns debug", "batch debug", "keys warn", "with then named"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	for _, not := range []string{"root info", "auth warn"} {
		if strings.Contains(out, not) {
			t.Errorf("%q should be filtered out:\n%s", not, out)
		}
	}
	if _, err := New(Config{Name: "m", Level: "info", Granular: map[string]string{"x": "loud"}}, &buf); err == nil {
		t.Error("an unknown granular level was accepted")
	}
}
