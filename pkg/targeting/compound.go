package targeting

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Compound expressions
//
// Grammar, with Python's precedence as Salt evaluates it ("not" binds
// tightest, then "and", then "or"):
//
//	expr    = and { "or" and }
//	and     = unary { "and" unary | unary-starting-with-"not" }
//	unary   = "not" unary | "(" expr ")" | term
//	term    = [ prefix "@" ] pattern      (no prefix: a glob on the id)
//	prefix  = "G" | "P" | "I" | "J" | "L" | "E" | "S" | "N"
//	        | ("G" | "P" | "I" | "J") delimiter
//
// Words are separated by whitespace, as in Salt. A "not" right after a
// term or ")" means "and not", as in Salt ("web* not db1").
//
// Unlike Salt, parentheses need no spaces around them: "(a or b)" is read
// as "( a or b )". Every '(' at the start of a word opens a group. A ')' at
// the end of a word closes a group unless the word needs it to balance its
// own parentheses, so "E@web(1|2))" is the regexp web(1|2) followed by a
// closing parenthesis. A parenthesis after a backslash or inside [...] does
// not count.

type tokKind uint8

const (
	tTerm tokKind = iota
	tLParen
	tRParen
	tAnd
	tOr
	tNot
)

type token struct {
	kind tokKind
	text string
	pos  int // byte offset into the expression
}

// word is a whitespace-separated piece of an expression, or one element of
// a nodegroup defined as a list.
type word struct {
	text string
	pos  int
}

func splitWords(expr string) []word {
	var words []word
	start := -1
	for i, r := range expr {
		if unicode.IsSpace(r) {
			if start >= 0 {
				words = append(words, word{expr[start:i], start})
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		words = append(words, word{expr[start:], start})
	}
	return words
}

func lex(words []word) []token {
	var toks []token
	for _, w := range words {
		toks = lexWord(toks, w.text, w.pos)
	}
	return toks
}

func lexWord(toks []token, text string, pos int) []token {
	for strings.HasPrefix(text, "(") {
		toks = append(toks, token{tLParen, "(", pos})
		text, pos = text[1:], pos+1
	}
	if text == "" {
		return toks
	}
	core := trimClosers(text)
	switch core {
	case "":
	case "and":
		toks = append(toks, token{tAnd, core, pos})
	case "or":
		toks = append(toks, token{tOr, core, pos})
	case "not":
		toks = append(toks, token{tNot, core, pos})
	default:
		toks = append(toks, token{tTerm, core, pos})
	}
	for i := len(core); i < len(text); i++ {
		toks = append(toks, token{tRParen, ")", pos + i})
	}
	return toks
}

// trimClosers drops the ')' characters at the end of s that close groups
// rather than balance a '(' of s itself.
func trimClosers(s string) string {
	if !strings.HasSuffix(s, ")") {
		return s
	}
	// One left-to-right pass decides which parentheses count; dropping
	// trailing ')' cannot change that for the characters before them.
	opens, closes := 0, 0
	counted := make([]bool, len(s)) // for ')' only
	classes := true                 // false once a '[' was found unclosed
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // the next byte is escaped
		case '[':
			if !classes {
				break
			}
			// Once one '[' has no ']' after it, later ones will not
			// either: stop looking, or "[[[[...)" would take quadratic time.
			if end := classEnd(s, i); end > 0 {
				i = end
			} else {
				classes = false
			}
		case '(':
			opens++
		case ')':
			closes++
			counted[i] = true
		}
	}
	end := len(s)
	for end > 0 && s[end-1] == ')' && counted[end-1] && closes > opens {
		end--
		closes--
	}
	return s[:end]
}

// classEnd returns the index of the ']' closing the bracket expression that
// starts at s[i] == '[', or -1 when there is none (then '[' is literal).
func classEnd(s string, i int) int {
	j := i + 1
	if j < len(s) && (s[j] == '!' || s[j] == '^') {
		j++
	}
	if j < len(s) && s[j] == ']' {
		j++
	}
	for ; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case ']':
			return j
		}
	}
	return -1
}

// openerSafe and closerSafe tell whether "(" + w, or w + ")", reads as a
// parenthesis next to the word w. String uses them to decide where a space
// is needed so that its output parses back to the same expression.
func openerSafe(w string) bool {
	want := append([]token{{kind: tLParen, text: "("}}, lexWord(nil, w, 1)...)
	return sameTokens(lexWord(nil, "("+w, 0), want)
}

func closerSafe(w string) bool {
	want := append(lexWord(nil, w, 0), token{kind: tRParen, text: ")"})
	return sameTokens(lexWord(nil, w+")", 0), want)
}

func sameTokens(a, b []token) bool {
	return slices.EqualFunc(a, b, func(x, y token) bool { return x.kind == y.kind && x.text == y.text })
}

// compiler holds what one Compile call shares across nodegroups: the
// options and the nodegroups already expanded, so that a group used many
// times is compiled once.
type compiler struct {
	opts   Options
	groups map[string]*nodegroupMatcher
}

type parser struct {
	c     *compiler
	expr  string
	toks  []token
	i     int
	depth int
	terms int
	stack []string // nodegroups being expanded, outermost first
}

func (c *compiler) compound(expr string, stack []string) (Matcher, error) {
	p := &parser{c: c, expr: expr, toks: lex(splitWords(expr)), stack: stack}
	return p.parse()
}

func (p *parser) errorf(pos int, format string, args ...any) *ParseError {
	return &ParseError{Expr: p.expr, Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) peek() *token {
	if p.i < len(p.toks) {
		return &p.toks[p.i]
	}
	return nil
}

func (p *parser) parse() (Matcher, error) {
	if len(p.toks) == 0 {
		return nil, p.errorf(0, "empty target expression")
	}
	m, err := p.parseOr(nil)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t != nil {
		if t.kind == tRParen {
			return nil, p.errorf(t.pos, "unbalanced parenthesis: this \")\" closes nothing")
		}
		return nil, p.errorf(t.pos, "missing \"and\" or \"or\" before %q", t.text)
	}
	return m, nil
}

// parseOr, parseAnd, parseUnary and parsePrimary implement the grammar
// above. after is the token that demands the operand being parsed (an
// operator or "("), or nil at the start of the expression: it makes the
// error messages specific.
func (p *parser) parseOr(after *token) (Matcher, error) {
	m, err := p.parseAnd(after)
	if err != nil {
		return nil, err
	}
	kids := flatOr(nil, m)
	var first *token
	for t := p.peek(); t != nil && t.kind == tOr; t = p.peek() {
		p.i++
		if first == nil {
			first = t
		}
		m, err := p.parseAnd(t)
		if err != nil {
			return nil, err
		}
		kids = flatOr(kids, m)
	}
	if first == nil {
		return m, nil
	}
	or := &orMatcher{kids: kids, depth: 1 + maxDepth(kids)}
	if err := p.checkDepth(first, or.depth); err != nil {
		return nil, err
	}
	return or, nil
}

func (p *parser) parseAnd(after *token) (Matcher, error) {
	m, err := p.parseUnary(after)
	if err != nil {
		return nil, err
	}
	kids := flatAnd(nil, m)
	var first *token
	for t := p.peek(); t != nil && (t.kind == tAnd || t.kind == tNot); t = p.peek() {
		if t.kind == tAnd {
			p.i++
		} // else Salt's implicit "and" before "not"
		if first == nil {
			first = t
		}
		m, err := p.parseUnary(t)
		if err != nil {
			return nil, err
		}
		kids = flatAnd(kids, m)
	}
	if first == nil {
		return m, nil
	}
	and := &andMatcher{kids: kids, depth: 1 + maxDepth(kids)}
	if err := p.checkDepth(first, and.depth); err != nil {
		return nil, err
	}
	return and, nil
}

// flatAnd and flatOr append m to kids, splicing in its operands when m is
// the same operator (a parenthesised "(b and c)" inside "a and ..."): the
// meaning is the same and the canonical form shorter.
func flatAnd(kids []Matcher, m Matcher) []Matcher {
	if g, ok := m.(*andMatcher); ok {
		return append(kids, g.kids...)
	}
	return append(kids, m)
}

func flatOr(kids []Matcher, m Matcher) []Matcher {
	if g, ok := m.(*orMatcher); ok {
		return append(kids, g.kids...)
	}
	return append(kids, m)
}

// checkDepth refuses a matcher whose canonical form would nest deeper than
// MaxDepth, so that String() always parses back.
func (p *parser) checkDepth(t *token, depth int) error {
	if depth > MaxDepth {
		return p.errorf(t.pos, "expression nests deeper than %d levels", MaxDepth)
	}
	return nil
}

func (p *parser) enter(t *token) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errorf(t.pos, "expression nests deeper than %d levels", MaxDepth)
	}
	return nil
}

func (p *parser) parseUnary(after *token) (Matcher, error) {
	t := p.peek()
	if t == nil || t.kind != tNot {
		return p.parsePrimary(after)
	}
	p.i++
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	kid, err := p.parseUnary(t)
	if err != nil {
		return nil, err
	}
	not := &notMatcher{kid: kid, depth: 1 + depthOf(kid)}
	if err := p.checkDepth(t, not.depth); err != nil {
		return nil, err
	}
	return not, nil
}

func (p *parser) parsePrimary(after *token) (Matcher, error) {
	t := p.peek()
	if t == nil {
		switch {
		case after == nil: // cannot happen: parse rejects an empty expression
			return nil, p.errorf(len(p.expr), "empty target expression")
		case after.kind == tLParen:
			return nil, p.errorf(after.pos, "unbalanced parenthesis: this \"(\" is never closed")
		default:
			return nil, p.errorf(after.pos, "dangling operator: %q is not followed by a target", after.text)
		}
	}
	switch t.kind {
	case tTerm:
		p.i++
		return p.term(t)
	case tLParen:
		p.i++
		if err := p.enter(t); err != nil {
			return nil, err
		}
		defer func() { p.depth-- }()
		if n := p.peek(); n != nil && n.kind == tRParen {
			return nil, p.errorf(t.pos, "empty parentheses")
		}
		m, err := p.parseOr(t)
		if err != nil {
			return nil, err
		}
		switch n := p.peek(); {
		case n == nil:
			return nil, p.errorf(t.pos, "unbalanced parenthesis: this \"(\" is never closed")
		case n.kind != tRParen:
			return nil, p.errorf(n.pos, "missing \"and\" or \"or\" before %q", n.text)
		}
		p.i++
		return m, nil
	case tRParen:
		if after == nil {
			return nil, p.errorf(t.pos, "unbalanced parenthesis: this \")\" closes nothing")
		}
		return nil, p.errorf(after.pos, "dangling operator: %q is not followed by a target", after.text)
	default: // and, or
		switch {
		case after == nil:
			return nil, p.errorf(t.pos, "dangling operator: %q has no target before it", t.text)
		case after.kind == tLParen:
			return nil, p.errorf(t.pos, "dangling operator: %q right after \"(\" has no target before it", t.text)
		default:
			return nil, p.errorf(t.pos, "dangling operator: %q cannot follow %q", t.text, after.text)
		}
	}
}

// engines maps a compound prefix letter to its target type.
var engines = map[byte]Type{
	'G': Grain, 'P': GrainPCRE, 'I': Pillar, 'J': PillarPCRE,
	'L': List, 'E': PCRE, 'S': IPCIDR, 'N': Nodegroup,
}

func (p *parser) term(t *token) (Matcher, error) {
	text := t.text
	var (
		engine  byte
		delim   = ':'
		pattern = text
		off     = 0 // where the pattern starts in text
	)
	switch {
	case len(text) >= 2 && text[1] == '@' && 'A' <= text[0] && text[0] <= 'Z':
		engine, pattern, off = text[0], text[2:], 2
	case len(text) >= 3 && strings.IndexByte("GPIJ", text[0]) >= 0:
		// Salt's custom delimiter: G%@key%value.
		r, size := utf8.DecodeRuneInString(text[1:])
		if r != utf8.RuneError && r != '@' && 1+size < len(text) && text[1+size] == '@' {
			engine, delim, off = text[0], r, 2+size
			pattern = text[off:]
		}
	}
	if engine == 0 {
		return p.count(t, newGlobMatcher(text), 1)
	}
	typ, known := engines[engine]
	switch {
	case engine == 'R':
		return nil, p.errorf(t.pos, "range targeting (R@) is not supported")
	case !known:
		return nil, p.errorf(t.pos, "unknown target type %q (want G@, P@, I@, J@, L@, E@, S@ or N@, or no prefix for a glob)", text[:2])
	case pattern == "":
		return nil, p.errorf(t.pos, "%q is followed by nothing to match", text[:off])
	}
	pos := t.pos + off
	var (
		m   Matcher
		err error
	)
	switch typ {
	case Grain, GrainPCRE, Pillar, PillarPCRE:
		m, err = newDataMatcher(typ, delim, pattern, p.expr, pos)
	case List:
		m, err = newListMatcher(pattern, p.expr, pos)
	case PCRE:
		m, err = newPCREMatcher(pattern, p.expr, pos)
	case IPCIDR:
		m, err = newCIDRMatcher(pattern, p.expr, pos)
	case Nodegroup:
		var ng *nodegroupMatcher
		ng, err = p.c.nodegroup(pattern, p.expr, t.pos, p.stack)
		if err == nil {
			return p.count(t, ng, ng.terms)
		}
	}
	if err != nil {
		return nil, err
	}
	return p.count(t, m, 1)
}

// count adds n terms to the expression's size, refusing expressions that
// expand (through nodegroups used many times) beyond MaxTerms.
func (p *parser) count(t *token, m Matcher, n int) (Matcher, error) {
	p.terms += n
	if p.terms > MaxTerms {
		return nil, p.errorf(t.pos, "expression expands to more than %d terms", MaxTerms)
	}
	return m, nil
}

// nodegroup expands the nodegroup name, referred to at pos in expr. stack
// holds the nodegroups whose definitions are being compiled, to detect
// cycles.
func (c *compiler) nodegroup(name, expr string, pos int, stack []string) (*nodegroupMatcher, error) {
	if ng, ok := c.groups[name]; ok {
		return ng, nil
	}
	if i := slices.Index(stack, name); i >= 0 {
		cycle := strings.Join(append(slices.Clone(stack[i:]), name), " -> ")
		return nil, &ParseError{Expr: expr, Pos: pos, Msg: "nodegroup cycle: " + cycle, Err: ErrNodegroupCycle}
	}
	def, ok := c.opts.Nodegroups[name]
	if !ok {
		return nil, &ParseError{Expr: expr, Pos: pos, Msg: fmt.Sprintf("unknown nodegroup %q", name), Err: ErrUnknownNodegroup}
	}
	words, defExpr, err := nodegroupWords(def)
	if err != nil {
		return nil, &ParseError{Expr: expr, Pos: pos, Msg: fmt.Sprintf("nodegroup %q: %v", name, err)}
	}
	ng := &nodegroupMatcher{name: name}
	if ids, ok := idList(words); ok {
		ng.inner, ng.terms = ids, 1
	} else {
		p := &parser{c: c, expr: defExpr, toks: lex(words), stack: append(slices.Clone(stack), name)}
		inner, err := p.parse()
		if err != nil {
			return nil, nestedError(name, expr, pos, err)
		}
		ng.inner, ng.terms = inner, p.terms
	}
	c.groups[name] = ng
	return ng, nil
}

// nestedError reports an error in a nodegroup's definition at the place
// the nodegroup is used, keeping the inner error (and its cause) in the
// chain for errors.Is and errors.As.
func nestedError(name, expr string, pos int, err error) error {
	detail := err.Error()
	var pe *ParseError
	if errors.As(err, &pe) {
		detail = pe.Msg
		if !strings.HasPrefix(pe.Msg, "nodegroup ") {
			detail += fmt.Sprintf(" (at position %d of %q)", pe.Pos, pe.Expr)
		}
	}
	return &ParseError{Expr: expr, Pos: pos, Msg: fmt.Sprintf("nodegroup %q: %s", name, detail), Err: err}
}

// nodegroupWords splits a nodegroup definition into words. A string is
// split at whitespace; a list gives one word per element, so an element may
// contain spaces. defExpr is the text positions refer to.
func nodegroupWords(def any) (words []word, defExpr string, err error) {
	switch def := def.(type) {
	case string:
		words, defExpr = splitWords(def), def
	case []string:
		words, defExpr = listWords(def)
	case []any:
		elems := make([]string, len(def))
		for i, e := range def {
			if s, ok := e.(string); ok {
				elems[i] = s
			} else if s, ok := pyStr(e); ok {
				elems[i] = s
			} else {
				return nil, "", fmt.Errorf("element %d is a %T, not a string", i, e)
			}
		}
		words, defExpr = listWords(elems)
	default:
		return nil, "", fmt.Errorf("definition must be a string or a list, not %T", def)
	}
	if len(words) == 0 {
		return nil, "", errors.New("definition is empty")
	}
	return words, defExpr, nil
}

func listWords(elems []string) ([]word, string) {
	var (
		b     strings.Builder
		words []word
	)
	for i, e := range elems {
		if i > 0 {
			b.WriteByte(' ')
		}
		if t := strings.TrimFunc(e, unicode.IsSpace); t != "" {
			words = append(words, word{t, b.Len() + strings.Index(e, t)})
		}
		b.WriteString(e)
	}
	return words, b.String()
}

// idList reports whether a nodegroup's words are a plain list of minion
// ids, as Salt decides it: no operator, no parenthesis, no X@ prefix and no
// glob wildcard. Salt then targets them as L@id1,id2,...
func idList(words []word) (*listMatcher, bool) {
	m := &listMatcher{ids: map[string]struct{}{}}
	for _, w := range words {
		t := w.text
		switch {
		case t == "and" || t == "or" || t == "not",
			strings.HasPrefix(t, "(") || strings.HasSuffix(t, ")"),
			len(t) >= 2 && t[1] == '@' && 'A' <= t[0] && t[0] <= 'Z',
			strings.ContainsAny(t, "*?[@"):
			return nil, false
		}
		for _, id := range strings.Split(t, ",") {
			m.add(strings.TrimFunc(id, unicode.IsSpace))
		}
	}
	return m, len(m.order) > 0
}
