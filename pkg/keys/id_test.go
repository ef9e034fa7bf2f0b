package keys

import (
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	tests := []struct {
		id string
		ok bool
	}{
		{"web1", true},
		{"a", true},
		{"web-1.example.com", true},
		{"backup@dc2", true},
		{"DB_01", true},
		{".hidden", true},
		{"...", true},
		{"web1.pub", true}, // an id, not web1's key file
		{strings.Repeat("a", 255), true},
		{"", false},
		{".", false},
		{"..", false},
		{"../etc/passwd", false},
		{"a/b", false},
		{`a\b`, false},
		{"/abs", false},
		{"web 1", false},
		{"web1\x00", false},
		{"web1\n", false},
		{"wéb1", false},
		{"a:b", false},
		{"*", false},
		{strings.Repeat("a", 256), false},
	}
	for _, tt := range tests {
		err := ValidID(tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ValidID(%q) = %v, want ok=%v", tt.id, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidID) {
			t.Errorf("ValidID(%q) = %v, does not wrap ErrInvalidID", tt.id, err)
		}
	}
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,255}$`)

// FuzzValidID checks ValidID against the rule as a regular expression and
// checks the property the registry relies on: an accepted id, joined to a
// directory, names a file directly inside that directory.
func FuzzValidID(f *testing.F) {
	for _, s := range []string{
		"web1", "web-1.example.com", "user@host", ".", "..", "...", "../x", "a/b", `a\b`,
		"", "\x00", "é", strings.Repeat("a", 255), strings.Repeat("a", 256), "./a", "a/..",
	} {
		f.Add(s)
	}
	dir := filepath.Join("/srv", "pki", "minions")
	f.Fuzz(func(t *testing.T, id string) {
		err := ValidID(id)
		want := idPattern.MatchString(id) && id != "." && id != ".."
		if (err == nil) != want {
			t.Fatalf("ValidID(%q) = %v, want ok=%v", id, err, want)
		}
		if err != nil {
			if !errors.Is(err, ErrInvalidID) {
				t.Fatalf("ValidID(%q) = %v, does not wrap ErrInvalidID", id, err)
			}
			return
		}
		p := filepath.Join(dir, id)
		if filepath.Dir(p) != dir || filepath.Base(p) != id {
			t.Fatalf("valid id %q escapes: joined path %q", id, p)
		}
	})
}
