package targeting

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// glob is a compiled shell pattern with the semantics of Python's
// fnmatch.fnmatchcase, which is what Salt uses for minion ids and (on
// lowercased text) for grain and pillar values:
//
//   - '*' matches any run of characters, including '/', '.' and newlines;
//   - '?' matches exactly one character;
//   - '[seq]' matches one character in seq, '[!seq]' one not in seq; a ']'
//     right after '[' or '[!' is literal, 'a-z' is a range, a range whose
//     ends are reversed matches nothing, a '-' first or last is literal;
//   - a '[' with no closing ']' is a literal '[';
//   - there is no escape character: a backslash is literal.
//
// path.Match is not a substitute: its '*' stops at '/', it treats '\' as an
// escape and it rejects patterns fnmatch accepts.
//
// Matching works on runes and uses the classic single-backtrack algorithm,
// so it costs O(len(pattern)·len(name)) at worst, never exponential time.
type glob struct {
	toks []globTok
	// literal is set when the pattern has no wildcard at all; the id set of
	// such a glob is known without looking at any minion (see ListIDs).
	literal bool
	// fold makes matching case-insensitive the way Salt does it for grains
	// and pillar: the pattern is lowercased when compiled and each rune of
	// the name is lowercased while matching (no allocation).
	fold bool
	// Fast paths for the common id shapes "web1", "web*", "*.example.com".
	kind         globKind
	lit, suffix  string
	minLen       int // in runes: a name shorter than this cannot match
	hasStarToken bool
}

type globKind uint8

const (
	globGeneral globKind = iota
	globExact            // lit
	globPrefix           // lit*
	globSuffix           // *suffix
	globAny              // *
)

type globTokKind uint8

const (
	tokLiteral globTokKind = iota
	tokAnyOne
	tokStar
	tokClass
)

type globTok struct {
	kind   globTokKind
	r      rune        // tokLiteral, as decoded
	s      string      // tokLiteral, the pattern's own bytes for that rune
	negate bool        // tokClass
	ranges []runeRange // tokClass; empty means the class matches nothing (or, negated, anything)
}

type runeRange struct{ lo, hi rune }

// compileGlob compiles pattern. It never fails: like fnmatch, every string is
// a valid pattern.
func compileGlob(pattern string, fold bool) *glob {
	if fold {
		pattern = strings.ToLower(pattern)
	}
	g := &glob{fold: fold, literal: true}
	// A '[' after the last ']' cannot open a class: knowing where that is
	// keeps "[[[[..." linear instead of scanning ahead from every '['.
	lastClose := strings.LastIndexByte(pattern, ']')
	for i := 0; i < len(pattern); {
		r, size := utf8.DecodeRuneInString(pattern[i:])
		switch r {
		case '*':
			g.literal = false
			g.hasStarToken = true
			if n := len(g.toks); n == 0 || g.toks[n-1].kind != tokStar {
				g.toks = append(g.toks, globTok{kind: tokStar})
			}
			i += size
			continue
		case '?':
			g.literal = false
			g.toks = append(g.toks, globTok{kind: tokAnyOne})
			i += size
			continue
		case '[':
			if i >= lastClose {
				break
			}
			if tok, next, ok := parseClass(pattern, i); ok {
				g.literal = false
				g.toks = append(g.toks, tok)
				i = next
				continue
			}
		}
		g.toks = append(g.toks, globTok{kind: tokLiteral, r: r, s: pattern[i : i+size]})
		i += size
	}
	for _, t := range g.toks {
		if t.kind != tokStar {
			g.minLen++
		}
	}
	g.classify(pattern)
	return g
}

// classify picks a fast path when the pattern is a plain string, a literal
// prefix followed by one '*', or one '*' followed by a literal suffix. Folded
// globs always take the general path, which lowercases as it goes, and so do
// patterns that are not valid UTF-8: comparing bytes is the same as
// comparing runes only when the literal is made of whole runes.
func (g *glob) classify(pattern string) {
	if g.fold || !utf8.ValidString(pattern) {
		return
	}
	n := len(g.toks)
	switch {
	case g.literal:
		g.kind, g.lit = globExact, pattern
	case n == 1 && g.toks[0].kind == tokStar:
		g.kind = globAny
	case g.toks[n-1].kind == tokStar && allLiteral(g.toks[:n-1]):
		g.kind, g.lit = globPrefix, strings.TrimRight(pattern, "*")
	case g.toks[0].kind == tokStar && allLiteral(g.toks[1:]):
		g.kind, g.suffix = globSuffix, strings.TrimLeft(pattern, "*")
	}
}

func allLiteral(toks []globTok) bool {
	for _, t := range toks {
		if t.kind != tokLiteral {
			return false
		}
	}
	return true
}

// parseClass parses the bracket expression that starts at pattern[i] == '['.
// It reports ok=false when there is no closing ']', in which case fnmatch
// treats the '[' as a literal character.
func parseClass(pattern string, i int) (tok globTok, next int, ok bool) {
	j := i + 1
	if j < len(pattern) && pattern[j] == '!' {
		tok.negate = true
		j++
	}
	start := j
	if j < len(pattern) && pattern[j] == ']' {
		j++ // a ']' first in the set is literal
	}
	end := strings.IndexByte(pattern[j:], ']')
	if end < 0 {
		return globTok{}, 0, false
	}
	end += j
	set := []rune(pattern[start:end])
	for k := 0; k < len(set); {
		if k+2 < len(set) && set[k+1] == '-' {
			if set[k] <= set[k+2] { // a reversed range matches nothing
				tok.ranges = append(tok.ranges, runeRange{set[k], set[k+2]})
			}
			k += 3
			continue
		}
		tok.ranges = append(tok.ranges, runeRange{set[k], set[k]})
		k++
	}
	tok.kind = tokClass
	return tok, end + 1, true
}

// MatchString reports whether name matches the whole pattern.
func (g *glob) MatchString(name string) bool {
	switch g.kind {
	case globExact:
		return name == g.lit
	case globAny:
		return true
	case globPrefix:
		return strings.HasPrefix(name, g.lit)
	case globSuffix:
		return strings.HasSuffix(name, g.suffix)
	}
	return g.matchGeneral(name)
}

func (g *glob) matchGeneral(name string) bool {
	if !g.hasStarToken && utf8.RuneCountInString(name) != g.minLen {
		return false
	}
	// p indexes tokens, i indexes bytes of name. When a star is seen we
	// remember where, and on a mismatch retry with the star eating one more
	// rune. One remembered star is enough: a later star supersedes it, since
	// anything the earlier star could still absorb the later one can too.
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(name) {
		r, size := utf8.DecodeRuneInString(name[i:])
		if g.fold {
			r = unicode.ToLower(r)
		}
		if p < len(g.toks) {
			t := &g.toks[p]
			switch t.kind {
			case tokStar:
				starP, starI = p, i
				p++
				continue
			case tokAnyOne:
				p++
				i += size
				continue
			case tokLiteral:
				// Unfolded literals compare bytes, as the fast paths do, so
				// that invalid UTF-8 matches only itself.
				if g.fold && t.r == r || !g.fold && name[i:i+size] == t.s {
					p++
					i += size
					continue
				}
			case tokClass:
				if t.matches(r) {
					p++
					i += size
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, skip := utf8.DecodeRuneInString(name[starI:])
		starI += skip
		p, i = starP+1, starI
	}
	for p < len(g.toks) && g.toks[p].kind == tokStar {
		p++
	}
	return p == len(g.toks)
}

func (t *globTok) matches(r rune) bool {
	in := false
	for _, rg := range t.ranges {
		if rg.lo <= r && r <= rg.hi {
			in = true
			break
		}
	}
	return in != t.negate
}

// Pattern is a compiled fnmatch pattern (Salt's glob) for names other
// than minion ids: event tags in the reactor and `events --tag`, where
// '*' spans '/' as it does in Salt's reactor.
type Pattern struct{ g *glob }

// CompilePattern compiles p; every string is a valid pattern.
func CompilePattern(p string) Pattern { return Pattern{compileGlob(p, false)} }

// Match reports whether s matches the whole pattern.
func (p Pattern) Match(s string) bool { return p.g.MatchString(s) }
