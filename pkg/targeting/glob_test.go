package targeting

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestGlob pins fnmatch.fnmatchcase results of CPython 3.12, except where
// a comment says otherwise.
func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "a/b.c", true}, // '*' crosses '/' and '.'
		{"?", "", false},
		{"?", "é", true}, // one character, not one byte
		{"a?c", "a/c", true},
		{"a*c*", "abc", true},
		{"*X*X*", "aXbXc", true},
		{"*X*X*", "aXb", false},
		{"a**b", "ab", true},
		{"*a", "ba", true},
		{"*a", "ab", false},
		{"a*", "ba", false},
		{"[!a]bc", "abc", false},
		{"[!a]bc", "xbc", true},
		{"[]]", "]", true},     // ']' first in a set is literal
		{"[]a]", "a", true},    //
		{"[!]]", "]", false},   //
		{"[!]]", "x", true},    //
		{"[", "[", true},       // unclosed: literal
		{"[a", "[a", true},     //
		{"[!]", "[!]", true},   //
		{"[!]", "x", false},    //
		{"a\\b", "a\\b", true}, // no escape character
		{"\\*", "\\x", true},   //
		{"[a-]", "-", true},    // '-' last is literal
		{"[-a]", "-", true},    // '-' first too
		{"[a-c]", "b", true},
		{"[z-a]", "b", false},  // reversed range: empty
		{"[z-ab]", "b", true},  // and the rest of the set survives
		{"[!z-a]", "b", true},  // negated empty set: anything
		{"[0- !]", "!", true},  // CPython reads this set as "any character" (a
		{"[0- !]", "0", false}, // quirk of its range clean-up); we keep the '!'
		{"[c-a-z]", "-", true},
		{"[c-a-z]", "b", false},
		{"[a-c-e]", "-", true},
		{"[a-c-e]", "d", false},
		{"[^a]", "^", true}, // '^' is literal; only '!' negates
		{"[^a]", "b", false},
		{"[[]", "[", true},
		{"web[0-9][0-9]", "web42", true},
		{"web[0-9][0-9]", "web4", false},
		{"*.example.com", "lb-01.dc1.example.com", true},
		{"*.example.com", "example.com", false},
		{"a*b*c", "aXbYbZc", true},
		{strings.Repeat("*a", 30) + "b", strings.Repeat("a", 60), false}, // no exponential backtracking
	} {
		g := compileGlob(tc.pattern, false)
		if got := g.MatchString(tc.name); got != tc.want {
			t.Errorf("glob %q on %q = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
		if got := g.matchGeneral(tc.name); got != tc.want {
			t.Errorf("glob %q on %q (general path) = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
		if got := pyFnmatch(tc.pattern).MatchString(tc.name); got != tc.want {
			t.Errorf("oracle %q on %q = %v, want %v (the oracle is wrong)", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func TestGlobFold(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"Debian", "debian", true},
		{"debian", "DEBIAN", true},
		{"DEB*", "Debian", true},
		{"[A-C]*", "beta", true}, // the range is lowercased with the pattern
		{"[a-c]*", "Beta", true},
		{"ÉTÉ", "été", true},
	} {
		if got := compileGlob(tc.pattern, true).MatchString(tc.name); got != tc.want {
			t.Errorf("folded glob %q on %q = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

// pyFnmatch is an independent oracle: a port of CPython 3.12's
// fnmatch.translate, producing a regexp instead of matching directly, with
// its own handling of bracket ranges (chunks split at '-', reversed ranges
// merged away). FuzzGlob compares the glob matcher against it.
func pyFnmatch(pat string) *regexp.Regexp {
	p := []rune(pat)
	n := len(p)
	var res strings.Builder
	esc := func(r rune) string { return fmt.Sprintf(`\x{%x}`, r) }
	for i := 0; i < n; {
		c := p[i]
		i++
		switch c {
		case '*':
			res.WriteString(".*")
		case '?':
			res.WriteString(".")
		case '[':
			j := i
			if j < n && p[j] == '!' {
				j++
			}
			if j < n && p[j] == ']' {
				j++
			}
			for j < n && p[j] != ']' {
				j++
			}
			if j >= n {
				res.WriteString(esc('['))
				continue
			}
			negate := p[i] == '!'
			var chunks [][]rune
			if !strings.ContainsRune(string(p[i:j]), '-') {
				chunks = [][]rune{p[i:j]}
			} else {
				k := i + 1
				if p[i] == '!' {
					k = i + 2
				}
				for {
					d := -1
					for x := k; x < j; x++ {
						if p[x] == '-' {
							d = x
							break
						}
					}
					if d < 0 {
						break
					}
					chunks = append(chunks, p[i:d])
					i = d + 1
					k = d + 3
				}
				if i < j {
					chunks = append(chunks, p[i:j])
				} else {
					last := len(chunks) - 1
					chunks[last] = append(append([]rune{}, chunks[last]...), '-')
				}
				for k := len(chunks) - 1; k > 0; k-- {
					if chunks[k-1][len(chunks[k-1])-1] > chunks[k][0] {
						merged := append(append([]rune{}, chunks[k-1][:len(chunks[k-1])-1]...), chunks[k][1:]...)
						chunks[k-1] = merged
						chunks = append(chunks[:k], chunks[k+1:]...)
					}
				}
			}
			i = j + 1
			// Python joins the chunks with '-' (a range between the last
			// character of one chunk and the first of the next); every
			// other character is literal.
			// One CPython quirk is left out: when dropping a reversed range
			// leaves a literal '!' first in the set ("[0- !]"), CPython
			// reads it as a negation. Only a '!' right after '[' negates.
			var items []string
			for ci, ch := range chunks {
				for ri, r := range ch {
					if ci == 0 && ri == 0 && negate {
						continue
					}
					items = append(items, esc(r))
				}
				if ci < len(chunks)-1 {
					items = append(items, "-")
				}
			}
			switch {
			case len(items) == 0 && !negate:
				res.WriteString(`[^\x00-\x{10FFFF}]`) // matches nothing
			case len(items) == 0:
				res.WriteString(".")
			case negate:
				res.WriteString("[^" + strings.Join(items, "") + "]")
			default:
				res.WriteString("[" + strings.Join(items, "") + "]")
			}
		default:
			res.WriteString(esc(c))
		}
	}
	return regexp.MustCompile(`(?s)^(?:` + res.String() + `)$`)
}

func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{
		{"*", "web1"}, {"web?", "web1"}, {"[!a-c]*", "dbx"}, {"[]-]", "-"}, {"[z-a-c]", "b"},
		{"*.example.com", "a.example.com"}, {"[!]", "x"}, {"a[", "a["}, {"[a-c-e]x", "-x"},
		{"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaac"}, {"[c-a-z]", "-"}, {"É*", "été"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		if len(pattern) > 64 || len(name) > 256 {
			return // long inputs teach the fuzzer nothing new here
		}
		g := compileGlob(pattern, false)
		got := g.MatchString(name)
		if general := g.matchGeneral(name); general != got {
			t.Fatalf("glob %q on %q: fast path %v, general path %v", pattern, name, got, general)
		}
		if !utf8.ValidString(pattern) || !utf8.ValidString(name) {
			return // Python strings are text: the oracle only speaks UTF-8
		}
		if want := pyFnmatch(pattern).MatchString(name); got != want {
			t.Fatalf("glob %q on %q = %v, fnmatch says %v", pattern, name, got, want)
		}
		lp, ln := strings.ToLower(pattern), strings.ToLower(name)
		if got, want := compileGlob(pattern, true).MatchString(name), pyFnmatch(lp).MatchString(ln); got != want {
			t.Fatalf("folded glob %q on %q = %v, fnmatch on lowercased says %v", pattern, name, got, want)
		}
	})
}
