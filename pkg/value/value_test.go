package value

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitizeKeepsBytesExactly(t *testing.T) {
	in := map[string]any{
		"stdout":      "caf\xe9",
		"ok":          "café",
		"list":        []any{"\xff\xfe", 1},
		"k\xffey":     "v",
		"strings":     []string{"a", "\x80"},
		"nested":      map[string]string{"x": "\xc3"},
		"not strings": 3.5,
	}
	out := Sanitize(in).(map[string]any)
	if b, ok := out["stdout"].(Bytes); !ok || string(b) != "caf\xe9" {
		t.Fatalf("stdout = %#v", out["stdout"])
	}
	if out["ok"] != "café" {
		t.Errorf("valid text changed: %#v", out["ok"])
	}
	if b, ok := out["list"].([]any)[0].(Bytes); !ok || string(b) != "\xff\xfe" {
		t.Errorf("list = %#v", out["list"])
	}
	for k := range out {
		if !utf8.ValidString(k) {
			t.Errorf("key %q is not UTF-8", k)
		}
	}
	if _, ok := out["k\uFFFDey"]; !ok {
		t.Errorf("invalid key not replaced: %v", out)
	}
	if b, ok := out["strings"].([]any)[1].(Bytes); !ok || string(b) != "\x80" {
		t.Errorf("strings = %#v", out["strings"])
	}
}

func TestBytesJSONRoundTrip(t *testing.T) {
	raw := Bytes("\x00\xffbinary")
	j, err := json.Marshal(map[string]any{"out": raw})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(j), `{"$bytes":"`) {
		t.Fatalf("json = %s", j)
	}
	var back any
	if err := json.Unmarshal(j, &back); err != nil {
		t.Fatal(err)
	}
	got, ok := Restore(back).(map[string]any)["out"].(Bytes)
	if !ok || string(got) != string(raw) {
		t.Fatalf("restored %#v", got)
	}
	if b, ok := AsBytes(back.(map[string]any)["out"]); !ok || string(b) != string(raw) {
		t.Fatalf("AsBytes %#v", b)
	}
	if raw.String() != "\x00\uFFFDbinary" {
		t.Errorf("text form %q", raw.String())
	}
	// A user's own one-key object that is not base64 stays what it is.
	if _, ok := AsBytes(map[string]any{"$bytes": "not base64!"}); ok {
		t.Error("took a non-base64 value as bytes")
	}
}

func TestTruncate(t *testing.T) {
	v := map[string]any{"a": strings.Repeat("é", 100), "b": []any{"short", Bytes(strings.Repeat("x", 50))}}
	cut, n := Truncate(v, 21)
	if n != 2 {
		t.Fatalf("%d cut, want 2", n)
	}
	a := cut.(map[string]any)["a"].(string)
	if !utf8.ValidString(a) || !strings.HasPrefix(a, strings.Repeat("é", 10)) || !strings.Contains(a, "[truncated by halite: 180 bytes omitted]") {
		t.Errorf("a = %q", a)
	}
	if got := cut.(map[string]any)["b"].([]any)[0]; got != "short" {
		t.Errorf("short string changed: %q", got)
	}
	if len(v["a"].(string)) != 200 {
		t.Error("the input was changed")
	}
}
