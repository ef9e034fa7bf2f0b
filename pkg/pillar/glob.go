package pillar

import "strings"

// hasMeta reports whether s uses fnmatch wildcards.
func hasMeta(s string) bool { return strings.ContainsAny(s, "*?[") }

// globMatch is Python's fnmatch.fnmatchcase, which Salt uses for SLS
// globs: '*' and '?' also match '.' and ':', "[seq]" and "[!seq]" are
// character classes, and a '[' without its ']' is a literal. It works on
// bytes, which is exact for the ASCII patterns pillar trees use.
func globMatch(pattern, name string) bool {
	// Iterative matching with backtracking to the last '*': linear in
	// practice and never exponential.
	p, n := 0, 0
	starP, starN := -1, 0
	for n < len(name) {
		if p < len(pattern) {
			switch c := pattern[p]; c {
			case '*':
				starP, starN = p, n
				p++
				continue
			case '?':
				p++
				n++
				continue
			case '[':
				if ok, width, valid := matchClass(pattern[p:], name[n]); valid {
					if ok {
						p += width
						n++
						continue
					}
				} else if name[n] == '[' {
					p++
					n++
					continue
				}
			default:
				if c == name[n] {
					p++
					n++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		p = starP + 1
		starN++
		n = starN
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// matchClass matches c against the class at the start of pat ("[...]").
// valid is false when the class is not closed (then '[' is a literal).
func matchClass(pat string, c byte) (ok bool, width int, valid bool) {
	i := 1
	negate := false
	if i < len(pat) && pat[i] == '!' {
		negate = true
		i++
	}
	start := i
	for ; i < len(pat); i++ {
		if pat[i] == ']' && i > start {
			break
		}
	}
	if i >= len(pat) {
		return false, 0, false
	}
	body := pat[start:i]
	for j := 0; j < len(body); j++ {
		lo := body[j]
		if j+2 < len(body) && body[j+1] == '-' {
			if lo <= c && c <= body[j+2] {
				ok = true
			}
			j += 2
			continue
		}
		if lo == c {
			ok = true
		}
	}
	return ok != negate, i + 1, true
}
