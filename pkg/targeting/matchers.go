package targeting

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode"
)

// globMatcher matches the minion id against a shell pattern.
type globMatcher struct {
	pattern string
	g       *glob
}

func newGlobMatcher(pattern string) *globMatcher {
	return &globMatcher{pattern: pattern, g: compileGlob(pattern, false)}
}

func (m *globMatcher) Match(mn *Minion) bool { return m.g.MatchString(mn.ID) }
func (m *globMatcher) String() string        { return m.pattern }

// pcreMatcher matches the minion id against a regular expression anchored
// at the start, like Python's re.match.
type pcreMatcher struct {
	pattern string
	re      *regexp.Regexp
}

func newPCREMatcher(pattern, expr string, pos int) (*pcreMatcher, error) {
	if _, err := regexp.Compile(pattern); err != nil {
		return nil, regexpError(err, pattern, expr, pos)
	}
	re, err := regexp.Compile(`^(?:` + pattern + `)`)
	if err != nil {
		return nil, regexpError(err, pattern, expr, pos)
	}
	return &pcreMatcher{pattern: pattern, re: re}, nil
}

func (m *pcreMatcher) Match(mn *Minion) bool { return m.re.MatchString(mn.ID) }
func (m *pcreMatcher) String() string        { return "E@" + m.pattern }

// listMatcher matches ids exactly, with one map lookup.
type listMatcher struct {
	ids   map[string]struct{}
	order []string // as given, without duplicates, for String
}

// newListMatcher parses a comma-separated list of ids. Spaces around ids
// are dropped and empty entries ignored ("a, b," is a and b).
func newListMatcher(text, expr string, pos int) (*listMatcher, error) {
	m := &listMatcher{ids: map[string]struct{}{}}
	for _, id := range strings.Split(text, ",") {
		m.add(strings.TrimFunc(id, unicode.IsSpace))
	}
	if len(m.order) == 0 {
		return nil, &ParseError{Expr: expr, Pos: pos, Msg: fmt.Sprintf("list target %q names no minion", text)}
	}
	return m, nil
}

func (m *listMatcher) add(id string) {
	if id == "" {
		return
	}
	if _, dup := m.ids[id]; dup {
		return
	}
	m.ids[id] = struct{}{}
	m.order = append(m.order, id)
}

func (m *listMatcher) Match(mn *Minion) bool {
	_, ok := m.ids[mn.ID]
	return ok
}

func (m *listMatcher) String() string { return "L@" + strings.Join(m.order, ",") }

// cidrMatcher matches the addresses in the minion's "ipv4" or "ipv6" grain
// (whichever family the target is) against a network or one address.
type cidrMatcher struct {
	prefix netip.Prefix
	addr   netip.Addr // valid when the target is a single address
}

// newCIDRMatcher parses "10.0.0.0/24", "2001:db8::/32" or a single address.
// A network with host bits set ("10.0.0.1/24") is an error, as in Python's
// ipaddress module that Salt uses, but with the fix in the message.
func newCIDRMatcher(text, expr string, pos int) (*cidrMatcher, error) {
	if strings.Contains(text, "/") {
		p, err := netip.ParsePrefix(text)
		if err != nil {
			return nil, &ParseError{Expr: expr, Pos: pos, Msg: fmt.Sprintf("invalid network %q: want an address or CIDR such as 10.0.0.0/24", text)}
		}
		if p != p.Masked() {
			return nil, &ParseError{Expr: expr, Pos: pos, Msg: fmt.Sprintf("network %s has host bits set; did you mean %s?", text, p.Masked())}
		}
		return &cidrMatcher{prefix: p}, nil
	}
	a, err := netip.ParseAddr(text)
	if err != nil || a.Zone() != "" {
		return nil, &ParseError{Expr: expr, Pos: pos, Msg: fmt.Sprintf("invalid address %q: want an address or CIDR such as 10.0.0.0/24", text)}
	}
	return &cidrMatcher{addr: a}, nil
}

func (m *cidrMatcher) family() (grain string, v4 bool) {
	a := m.addr
	if !a.IsValid() {
		a = m.prefix.Addr()
	}
	if a.Is4() {
		return "ipv4", true
	}
	return "ipv6", false
}

func (m *cidrMatcher) Match(mn *Minion) bool {
	grain, _ := m.family()
	ips, ok := mn.Grains[grain]
	if !ok || !isList(ips) {
		return false
	}
	found := false
	eachElem(ips, func(e any) bool {
		s, ok := e.(string)
		if !ok {
			return true
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return true
		}
		a = a.WithZone("") // fe80::1%eth0 is still fe80::1
		if m.addr.IsValid() {
			found = a == m.addr
		} else {
			found = m.prefix.Contains(a)
		}
		return !found
	})
	return found
}

func (m *cidrMatcher) String() string {
	if m.addr.IsValid() {
		return "S@" + m.addr.String()
	}
	return "S@" + m.prefix.String()
}

// andMatcher, orMatcher and notMatcher are the compound operators. and/or
// hold all operands of a chain ("a and b and c") in one node, so String
// prints them without needless nesting.
//
// depth is how deeply String nests parentheses and "not" (a term is 0): the
// parser keeps it within MaxDepth so that the canonical form, which
// parenthesises what precedence left implicit, always parses back.
type andMatcher struct {
	kids  []Matcher
	depth int
}

func (m *andMatcher) Match(mn *Minion) bool {
	for _, k := range m.kids {
		if !k.Match(mn) {
			return false
		}
	}
	return true
}

func (m *andMatcher) String() string { return group(m.kids, "and") }

type orMatcher struct {
	kids  []Matcher
	depth int
}

func (m *orMatcher) Match(mn *Minion) bool {
	for _, k := range m.kids {
		if k.Match(mn) {
			return true
		}
	}
	return false
}

func (m *orMatcher) String() string { return group(m.kids, "or") }

type notMatcher struct {
	kid   Matcher
	depth int
}

// depthOf returns the nesting depth of m's canonical form.
func depthOf(m Matcher) int {
	switch m := m.(type) {
	case *andMatcher:
		return m.depth
	case *orMatcher:
		return m.depth
	case *notMatcher:
		return m.depth
	}
	return 0
}

func maxDepth(kids []Matcher) int {
	d := 0
	for _, k := range kids {
		d = max(d, depthOf(k))
	}
	return d
}

func (m *notMatcher) Match(mn *Minion) bool { return !m.kid.Match(mn) }
func (m *notMatcher) String() string        { return "not " + m.kid.String() }

// group prints "(a op b op c)". Parentheses need no spaces around them in
// Halite, except where a term's own parentheses would change the reading
// (a regexp ending in an unbalanced '(' for example): there a space keeps
// the canonical form re-parseable.
func group(kids []Matcher, op string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, k := range kids {
		s := k.String()
		if i == 0 && !openerSafe(firstWord(s)) {
			b.WriteByte(' ')
		}
		if i > 0 {
			b.WriteString(" " + op + " ")
		}
		b.WriteString(s)
		if i == len(kids)-1 && !closerSafe(lastWord(s)) {
			b.WriteByte(' ')
		}
	}
	b.WriteByte(')')
	return b.String()
}

func firstWord(s string) string {
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return s[:i]
	}
	return s
}

func lastWord(s string) string {
	if i := strings.LastIndexFunc(s, unicode.IsSpace); i >= 0 {
		return s[i+1:]
	}
	return s
}

// nodegroupMatcher is an expanded N@name. It prints as N@name: the
// definition lives in the master's configuration, and --explain output
// stays short.
type nodegroupMatcher struct {
	name  string
	inner Matcher
	terms int // terms in the expansion, for MaxTerms
}

func (m *nodegroupMatcher) Match(mn *Minion) bool { return m.inner.Match(mn) }
func (m *nodegroupMatcher) String() string        { return "N@" + m.name }
