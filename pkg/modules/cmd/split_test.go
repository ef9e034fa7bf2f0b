package cmd

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"ls -l /tmp", []string{"ls", "-l", "/tmp"}},
		{"  a\t b\nc  ", []string{"a", "b", "c"}},
		{`echo 'single $HOME "x"'`, []string{"echo", `single $HOME "x"`}},
		{`echo "double \"q\" \$x \\ \a"`, []string{"echo", `double "q" $x \ \a`}},
		{`a\ b c\\d \'e`, []string{"a b", `c\d`, "'e"}},
		{`x""y ''`, []string{"xy", ""}},
		{`pre"mid dle"post`, []string{"premid dlepost"}},
		{"a\\\nb", []string{"ab"}},
		{"\"a\\\nb\"", []string{"ab"}},
		{`'it'\''s'`, []string{"it's"}},
	}
	for _, tt := range tests {
		got, err := SplitArgs(tt.line)
		if err != nil {
			t.Errorf("SplitArgs(%q): %v", tt.line, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("SplitArgs(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
	for _, bad := range []string{`"open`, `'open`, `trailing\`, `ok "a" 'b`} {
		if _, err := SplitArgs(bad); !errors.Is(err, ErrUnterminatedQuote) {
			t.Errorf("SplitArgs(%q) err = %v, want ErrUnterminatedQuote", bad, err)
		}
	}
}

// TestSplitArgsMatchesShell checks SplitArgs against /bin/sh itself for
// lines without expansions.
func TestSplitArgsMatchesShell(t *testing.T) {
	lines := []string{
		`a "b c" 'd e' f\ g`,
		`"x\"y" 'p\q' r\\s`,
		`one""two '' ""`,
		`"tab	inside" back\\slash`,
		`mixed"dq"'sq'plain`,
	}
	for _, line := range lines {
		res, err := Run(context.Background(), Options{Command: `printf '%s\0' ` + line})
		if err != nil || res.Retcode != 0 {
			t.Fatalf("sh: %v %+v", err, res)
		}
		want := strings.Split(strings.TrimSuffix(res.Stdout, "\x00"), "\x00")
		got, err := SplitArgs(line)
		if err != nil {
			t.Fatalf("SplitArgs(%q): %v", line, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("SplitArgs(%q) = %q, sh says %q", line, got, want)
		}
	}
}

func TestQuoteArgRoundTrip(t *testing.T) {
	words := []string{"", "plain", "with space", "it's", `"dq"`, `back\slash`, "$HOME", "tab\there", "new\nline", "*"}
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, QuoteArg(w))
	}
	got, err := SplitArgs(strings.Join(quoted, " "))
	if err != nil || !slices.Equal(got, words) {
		t.Fatalf("round trip = %q, %v; want %q", got, err, words)
	}
	res, err := Run(context.Background(), Options{Command: `printf '%s\0' ` + strings.Join(quoted, " ")})
	if err != nil {
		t.Fatal(err)
	}
	if sh := strings.Split(strings.TrimSuffix(res.Stdout, "\x00"), "\x00"); !slices.Equal(sh, words) {
		t.Errorf("sh read %q, want %q", sh, words)
	}
}

func FuzzSplitArgs(f *testing.F) {
	for _, s := range []string{"", "a b", `"a b" 'c'`, `a\ b`, `"\$x\\"`, "x\\\ny", `'unterminated`, `'it'\''s'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		words, err := SplitArgs(line)
		if err != nil {
			return
		}
		// Quoting the words and splitting again must give them back.
		quoted := make([]string, len(words))
		for i, w := range words {
			quoted[i] = QuoteArg(w)
		}
		again, err := SplitArgs(strings.Join(quoted, " "))
		if err != nil {
			t.Fatalf("re-split of %q: %v", quoted, err)
		}
		if !slices.Equal(again, words) {
			t.Fatalf("round trip of %q: %q != %q", line, again, words)
		}
	})
}
