package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Config errors speak the user's terms: the key a wrong value is under,
// and the nearest known key for a misspelt one.
func TestConfigErrorsNameTheKey(t *testing.T) {
	for body, want := range map[string]string{
		"publish_port: abc\n":     `line 1: publish_port: "abc" is not a port`,
		"publsh_port: 4505\n":     `unknown key "publsh_port" (did you mean publish_port?)`,
		"auto_accept: maybe\n":    `auto_accept: "maybe" is not true or false`,
		"nodegroups: [a, b]\n":    `nodegroups: a list is not a mapping`,
		"completely_unknown: 1\n": `unknown key "completely_unknown"`,
		"log_fromat: json\n":      `unknown key "log_fromat" (did you mean log_format?)`,
	} {
		p := filepath.Join(t.TempDir(), "master.yaml")
		os.WriteFile(p, []byte(body), 0o600)
		_, err := LoadMaster(p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}
