package output

import (
	"bytes"
	"strings"
	"testing"
)

func TestNestedMatchesSaltLayout(t *testing.T) {
	cases := []struct {
		name string
		v    any
		want string
	}{
		{"bool", true, "m1:\n    True\n"},
		{"none", nil, "m1:\n    None\n"},
		{"int", int64(3), "m1:\n    3\n"},
		{"multiline", "a\nb\n", "m1:\n    a\n    b\n"},
		{"empty string", "", "m1:\n"},
		{"dict", map[string]any{"retcode": int64(0), "stdout": "hi"},
			"m1:\n    ----------\n    retcode:\n        0\n    stdout:\n        hi\n"},
		{"list", []any{"a", int64(1), map[string]any{"k": "v"}, []any{"x"}},
			"m1:\n    - a\n    - 1\n    |_\n      ----------\n      k:\n          v\n    |_\n      - x\n"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		if err := Nested(&b, "m1", c.v); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", c.name, b.String(), c.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"": Text, "nested": Text, "json": JSON, "yaml": YAML} {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v", in, got, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("xml accepted")
	}
}

// --out raw prints what Python's repr would: Salt users' eyes and tools
// (ast.literal_eval) read it.
func TestWriteRawIsPythonRepr(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{map[string]any{"web1": true}, "{'web1': True}"},
		{map[string]any{"b": nil, "a": []any{1, 2.5, "x"}}, "{'a': [1, 2.5, 'x'], 'b': None}"},
		{"it's", `"it's"`},
		{`both ' and "`, `'both \' and "'`},
		{"tab\tnew\nline\x01", `'tab\tnew\nline\x01'`},
		{2.5, "2.5"},
		{false, "False"},
	} {
		var b strings.Builder
		if err := WriteRaw(&b, c.v); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSuffix(b.String(), "\n"); got != c.want {
			t.Errorf("%#v: %s, want %s", c.v, got, c.want)
		}
	}
}
