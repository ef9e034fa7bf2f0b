package pillar

import (
	"reflect"
	"strings"
	"testing"
)

func samplePillar() map[string]any {
	return map[string]any{
		"mysql": map[string]any{
			"host":          "db.internal",
			"Root_PASSWORD": "hunter2-long",
			"users": []any{
				map[string]any{"name": "app", "password": "app-pass-1"},
				map[string]any{"name": "ro", "password": "ro-pass-22"},
			},
		},
		"api_tokens": map[string]any{"github": "ghp_abcdef", "slack": "xoxb-123456"},
		"ssh": map[string]any{
			"private_key": "-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ\n-----END KEY-----\n",
			"port":        22,
		},
		"keyboard": "us",
		"motd":     "hello",
		"secret_n": 123456,
	}
}

func TestRedact(t *testing.T) {
	in := samplePillar()
	got := NewRedactor(nil).Redact(in)
	want := map[string]any{
		"mysql": map[string]any{
			"host":          "db.internal",
			"Root_PASSWORD": Redacted,
			"users": []any{
				map[string]any{"name": "app", "password": Redacted},
				map[string]any{"name": "ro", "password": Redacted},
			},
		},
		"api_tokens": Redacted, // a secret mapping is hidden whole
		"ssh":        map[string]any{"private_key": Redacted, "port": 22},
		"keyboard":   Redacted, // *key* is broad on purpose
		"motd":       "hello",
		"secret_n":   Redacted,
	}
	assertEqual(t, got, want)
	assertEqual(t, in, samplePillar()) // the input is untouched
}

func TestRedactGlobs(t *testing.T) {
	in := map[string]any{
		"mysql": map[string]any{"users": []any{map[string]any{"pw": "x", "name": "a"}}, "pw": "y"},
		"PW":    "z",
		"pwd":   "w",
	}
	tests := []struct {
		globs []string
		want  map[string]any
	}{
		{[]string{"pw"}, map[string]any{
			"mysql": map[string]any{"users": []any{map[string]any{"pw": Redacted, "name": "a"}}, "pw": Redacted},
			"PW":    Redacted, "pwd": "w",
		}},
		// With a ':', the glob matches the whole key path.
		{[]string{"mysql:*:pw"}, map[string]any{
			"mysql": map[string]any{"users": []any{map[string]any{"pw": Redacted, "name": "a"}}, "pw": "y"},
			"PW":    "z", "pwd": "w",
		}},
		{[]string{"pw?"}, map[string]any{
			"mysql": map[string]any{"users": []any{map[string]any{"pw": "x", "name": "a"}}, "pw": "y"},
			"PW":    "z", "pwd": Redacted,
		}},
	}
	for _, tt := range tests {
		assertEqual(t, NewRedactor(tt.globs).Redact(in), tt.want)
	}
}

func TestRedactOtherShapes(t *testing.T) {
	type creds struct {
		User     string
		Password string
		Extra    map[string]string
		hidden   string
	}
	in := []any{
		map[any]any{"token": "t-1", 1: "one"},
		map[string]string{"secret": "s", "plain": "p"},
		&creds{User: "u", Password: "p4ss", Extra: map[string]string{"api_key": "k", "x": "y"}, hidden: "h"},
	}
	got := NewRedactor(nil).Redact(in).([]any)
	assertEqual(t, got[0], map[any]any{"token": Redacted, 1: "one"})
	assertEqual(t, got[1], map[string]string{"secret": Redacted, "plain": "p"})
	assertEqual(t, got[2], &creds{User: "u", Password: Redacted, Extra: map[string]string{"api_key": Redacted, "x": "y"}, hidden: "h"})
	if in[2].(*creds).Password != "p4ss" {
		t.Error("Redact modified a struct it was given")
	}
}

func TestSecrets(t *testing.T) {
	got := NewRedactor(nil).Secrets(samplePillar())
	want := []string{
		"-----BEGIN KEY-----\nAAAAB3NzaC1yc2EAAAADAQABAAABAQ\n-----END KEY-----\n",
		"AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
		"-----BEGIN KEY-----",
		"-----END KEY-----",
		"hunter2-long",
		"xoxb-123456",
		"app-pass-1",
		"ghp_abcdef",
		"ro-pass-22",
	}
	// "us" is a secret value too, but too short to scrub; 123456 is not a
	// string.
	assertEqual(t, got, want)
	if s := NewRedactor(nil).Secrets(nil); len(s) != 0 {
		t.Errorf("Secrets(nil) = %v", s)
	}
}

func TestScrub(t *testing.T) {
	secrets := NewRedactor(nil).Secrets(samplePillar())
	type stateRet struct {
		Comment string
		Changes map[string]any
		Result  *bool
	}
	ok := true
	ret := map[string]any{
		"cmd_|-mysql -uroot -phunter2-long_|-run": map[string]any{
			"stdout":  "connected with app-pass-1 and app-pass-1",
			"retcode": 0,
			"lines":   []any{"ok", "token ghp_abcdef", []byte("raw ro-pass-22")},
		},
		"file": &stateRet{
			Comment: "diff:\n+AAAAB3NzaC1yc2EAAAADAQABAAABAQ\n",
			Changes: map[string]any{"diff": "-----BEGIN KEY-----"},
			Result:  &ok,
		},
		"plain": "nothing secret, keyboard us",
	}
	got := Scrub(ret, secrets).(map[string]any)
	want := map[string]any{
		"cmd_|-mysql -uroot -p<redacted>_|-run": map[string]any{
			"stdout":  "connected with <redacted> and <redacted>",
			"retcode": 0,
			"lines":   []any{"ok", "token <redacted>", []byte("raw <redacted>")},
		},
		"file": &stateRet{
			Comment: "diff:\n+<redacted>\n",
			Changes: map[string]any{"diff": "<redacted>"},
			Result:  &ok,
		},
		"plain": "nothing secret, keyboard us",
	}
	assertEqual(t, got, want)
	if ret["file"].(*stateRet).Comment == got["file"].(*stateRet).Comment {
		t.Error("Scrub modified its input")
	}
	if got["file"].(*stateRet).Result == &ok {
		t.Error("Scrub shared a pointer with its input")
	}
}

func TestScrubOverlapsAndCollisions(t *testing.T) {
	// The longest secret wins where two overlap; "<redacted>" is never
	// itself scrubbed into something else.
	got := Scrub("pass=abcdef abc", []string{"abc", "abcdef", "dact"})
	if got != "pass=<redacted> <redacted>" {
		t.Errorf("got %q", got)
	}
	// Two keys that scrub to the same text are both kept.
	m := Scrub(map[string]any{"k-s3cret1": 1, "k-s3cret2": 2}, []string{"s3cret1", "s3cret2"}).(map[string]any)
	if len(m) != 2 || m["k-<redacted>"] == nil || m["k-<redacted> (2)"] == nil {
		t.Errorf("collision lost a key: %v", m)
	}
	// No secrets: a plain deep copy.
	in := map[string]any{"a": []any{"x"}}
	out := Scrub(in, nil).(map[string]any)
	out["a"].([]any)[0] = "y"
	if in["a"].([]any)[0] != "x" {
		t.Error("Scrub without secrets shared data with its input")
	}
}

func TestScrubCycles(t *testing.T) {
	type node struct {
		Name string
		Next *node
	}
	n := &node{Name: "a-s3cret"}
	n.Next = n
	got := Scrub(n, []string{"s3cret"}).(*node)
	if got.Name != "a-<redacted>" || got.Next != got {
		t.Errorf("cycle not preserved: %+v", got)
	}
	m := map[string]any{"v": "s3cret"}
	m["self"] = m
	gm := Scrub(m, []string{"s3cret"}).(map[string]any)
	if gm["v"] != "<redacted>" || reflect.ValueOf(gm["self"]).Pointer() != reflect.ValueOf(gm).Pointer() {
		t.Errorf("map cycle not preserved")
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "a.b:c", true},
		{"users.*", "users.alice", true},
		{"users.*", "users", false},
		{"*password*", "root_password", true},
		{"*password*", "passwd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"[ab]x", "bx", true},
		{"[!ab]x", "bx", false},
		{"[!ab]x", "cx", true},
		{"[a-c]*", "cat", true},
		{"[a-c]*", "dog", false},
		{"[]x", "[]x", true},
		{"a[", "a[", true},
		{"*a*a*a*a*b", strings.Repeat("a", 60), false},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.name); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}
