package ini

import (
	"strings"
	"testing"
)

// FuzzParse checks that any text parses, renders back unchanged (with a
// final newline), and that a value set can be read back and set again
// without a change.
func FuzzParse(f *testing.F) {
	f.Add("[a]\nk = v\n", "=", "a", "k", "x")
	f.Add("top=1\n; c\n[s]\n", "=", "", "top", "2")
	f.Add("k v\n", " ", "", "k", "w")
	f.Fuzz(func(t *testing.T, text, sep, section, key, val string) {
		file := Parse(text, sep)
		want := text
		if want != "" && !strings.HasSuffix(want, "\n") {
			want += "\n"
		}
		if got := file.String(); got != want {
			t.Fatalf("round trip %q -> %q", text, got)
		}
		if strings.ContainsAny(section+key+val, "\n\r[]=;# ") || strings.TrimSpace(key) != key || key == "" ||
			strings.TrimSpace(val) != val || strings.TrimSpace(section) != section || sep != "=" {
			return
		}
		file.Set(section, key, val)
		again := Parse(file.String(), sep)
		if v, ok := again.Get(section, key); !ok || v != val {
			t.Fatalf("set %q/%q=%q in %q, read back %q %v", section, key, val, text, v, ok)
		}
		if again.Set(section, key, val) {
			t.Fatalf("setting %q/%q again changed %q", section, key, file.String())
		}
	})
}
