package template

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// srcPos is a position in a template source: 1-based line and column, the
// column counted in characters (not bytes) so it matches what an editor shows.
type srcPos struct {
	Line int
	Col  int
}

type tokKind uint8

const (
	tkText tokKind = iota
	tkVarBegin
	tkVarEnd
	tkBlockBegin
	tkBlockEnd
	tkName
	tkString
	tkInt
	tkFloat
	tkOp
	tkEOF
)

func (k tokKind) String() string {
	switch k {
	case tkText:
		return "text"
	case tkVarBegin:
		return "'{{'"
	case tkVarEnd:
		return "'}}'"
	case tkBlockBegin:
		return "'{%'"
	case tkBlockEnd:
		return "'%}'"
	case tkName:
		return "name"
	case tkString:
		return "string"
	case tkInt:
		return "integer"
	case tkFloat:
		return "float"
	case tkOp:
		return "operator"
	default:
		return "end of template"
	}
}

type token struct {
	kind tokKind
	val  string // text, name, operator, or the decoded string literal
	pos  srcPos
}

// describe names the token the way an error message should show it.
func (t token) describe() string {
	switch t.kind {
	case tkName, tkOp, tkInt, tkFloat:
		return "'" + t.val + "'"
	case tkString:
		return "string literal"
	default:
		return t.kind.String()
	}
}

// lexer turns template source into tokens. Whitespace control ("{%-",
// "-%}") is applied here, and {% raw %} blocks become plain text, so the
// parser only ever sees text, tags and expression tokens.
type lexer struct {
	src    string
	lines  []int // byte offset of the start of each line
	toks   []token
	lstrip bool // the previous tag ended with '-': strip leading whitespace of the next text
}

// lex tokenizes src. The returned error is a *Error without File (the
// caller fills it in).
func lex(src string) ([]token, error) {
	lx := &lexer{src: src, lines: []int{0}}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			lx.lines = append(lx.lines, i+1)
		}
	}
	if err := lx.run(); err != nil {
		return nil, err
	}
	lx.toks = append(lx.toks, token{kind: tkEOF, pos: lx.pos(len(src))})
	return lx.toks, nil
}

func (lx *lexer) pos(off int) srcPos {
	line := sort.Search(len(lx.lines), func(i int) bool { return lx.lines[i] > off }) - 1
	col := utf8.RuneCountInString(lx.src[lx.lines[line]:off]) + 1
	return srcPos{Line: line + 1, Col: col}
}

func (lx *lexer) errorf(off int, format string, args ...any) error {
	return newError(lx.pos(off), ErrSyntax, format, args...)
}

// nextTag finds the next "{{", "{%" or "{#" at or after off.
func (lx *lexer) nextTag(off int) int {
	for {
		i := strings.IndexByte(lx.src[off:], '{')
		if i < 0 {
			return -1
		}
		j := off + i
		if j+1 < len(lx.src) {
			switch lx.src[j+1] {
			case '{', '%', '#':
				return j
			}
		}
		off = j + 1
	}
}

func (lx *lexer) emitText(text string, off int, rstrip bool) {
	if lx.lstrip {
		trimmed := strings.TrimLeftFunc(text, unicode.IsSpace)
		off += len(text) - len(trimmed)
		text = trimmed
		lx.lstrip = false
	}
	if rstrip {
		text = strings.TrimRightFunc(text, unicode.IsSpace)
	}
	if text != "" {
		lx.toks = append(lx.toks, token{kind: tkText, val: text, pos: lx.pos(off)})
	}
}

func (lx *lexer) run() error {
	off := 0
	for off < len(lx.src) {
		start := lx.nextTag(off)
		if start < 0 {
			lx.emitText(lx.src[off:], off, false)
			return nil
		}
		inner := start + 2
		minus := inner < len(lx.src) && lx.src[inner] == '-'
		lx.emitText(lx.src[off:start], off, minus)
		if minus || (inner < len(lx.src) && lx.src[inner] == '+' && lx.src[start+1] == '%') {
			inner++
		}
		var err error
		switch lx.src[start+1] {
		case '#':
			off, err = lx.comment(start, inner)
		case '%':
			if end, ok, rerr := lx.raw(start, inner); rerr != nil {
				return rerr
			} else if ok {
				off = end
				continue
			}
			off, err = lx.tag(start, inner, tkBlockBegin)
		default:
			off, err = lx.tag(start, inner, tkVarBegin)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (lx *lexer) comment(start, inner int) (int, error) {
	i := strings.Index(lx.src[inner:], "#}")
	if i < 0 {
		return 0, lx.errorf(start, "unclosed comment: missing '#}'")
	}
	end := inner + i
	lx.lstrip = end > inner && lx.src[end-1] == '-'
	return end + 2, nil
}

// raw recognises "{% raw %}...{% endraw %}" starting at start and emits its
// body as text. ok is false when the tag is not a raw tag.
func (lx *lexer) raw(start, inner int) (end int, ok bool, err error) {
	i := skipSpace(lx.src, inner)
	if !strings.HasPrefix(lx.src[i:], "raw") {
		return 0, false, nil
	}
	i += 3
	j := skipSpace(lx.src, i)
	trimBody := false
	if strings.HasPrefix(lx.src[j:], "-%}") {
		trimBody = true
		j += 3
	} else if strings.HasPrefix(lx.src[j:], "%}") {
		j += 2
	} else {
		return 0, false, nil // "rawfoo" or similar: an ordinary tag
	}
	body := j
	for k := body; ; {
		t := strings.Index(lx.src[k:], "{%")
		if t < 0 {
			return 0, false, lx.errorf(start, "missing {%% endraw %%} for {%% raw %%}")
		}
		t += k
		p := t + 2
		stripBefore := p < len(lx.src) && lx.src[p] == '-'
		if stripBefore {
			p++
		}
		p = skipSpace(lx.src, p)
		if !strings.HasPrefix(lx.src[p:], "endraw") {
			k = t + 2
			continue
		}
		p = skipSpace(lx.src, p+6)
		stripAfter := strings.HasPrefix(lx.src[p:], "-%}")
		switch {
		case stripAfter:
			p += 3
		case strings.HasPrefix(lx.src[p:], "%}"):
			p += 2
		default:
			return 0, false, lx.errorf(t, "malformed {%% endraw %%} tag")
		}
		text := lx.src[body:t]
		off := body
		if trimBody {
			trimmed := strings.TrimLeftFunc(text, unicode.IsSpace)
			off += len(text) - len(trimmed)
			text = trimmed
		}
		if stripBefore {
			text = strings.TrimRightFunc(text, unicode.IsSpace)
		}
		if text != "" {
			lx.toks = append(lx.toks, token{kind: tkText, val: text, pos: lx.pos(off)})
		}
		lx.lstrip = stripAfter
		return p, true, nil
	}
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// tag lexes the expression tokens of a {{ }} or {% %} tag. The closing
// delimiter is only recognised when brackets are balanced, as in Jinja, so
// "{{ {'a': {'b': 1}} }}" works.
func (lx *lexer) tag(start, i int, begin tokKind) (int, error) {
	lx.toks = append(lx.toks, token{kind: begin, pos: lx.pos(start)})
	closer, endKind := "}}", tkVarEnd
	if begin == tkBlockBegin {
		closer, endKind = "%}", tkBlockEnd
	}
	var stack []byte
	src := lx.src
	for {
		i = skipSpace(src, i)
		if i >= len(src) {
			return 0, lx.errorf(start, "unclosed tag: missing '%s'", closer)
		}
		if len(stack) == 0 {
			rest := src[i:]
			switch {
			case strings.HasPrefix(rest, closer):
				lx.toks = append(lx.toks, token{kind: endKind, pos: lx.pos(i)})
				return i + 2, nil
			case rest[0] == '-' && strings.HasPrefix(rest[1:], closer):
				lx.toks = append(lx.toks, token{kind: endKind, pos: lx.pos(i)})
				lx.lstrip = true
				return i + 3, nil
			case begin == tkBlockBegin && rest[0] == '+' && strings.HasPrefix(rest[1:], closer):
				lx.toks = append(lx.toks, token{kind: endKind, pos: lx.pos(i)})
				return i + 3, nil
			}
		}
		c := src[i]
		switch {
		case c == '\'' || c == '"':
			s, n, err := lx.stringLit(i)
			if err != nil {
				return 0, err
			}
			lx.toks = append(lx.toks, token{kind: tkString, val: s, pos: lx.pos(i)})
			i = n
		case c >= '0' && c <= '9':
			n, kind := lexNumber(src, i, lx.afterDot())
			lx.toks = append(lx.toks, token{kind: kind, val: src[i:n], pos: lx.pos(i)})
			i = n
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= utf8.RuneSelf:
			n := i
			for n < len(src) {
				r, size := utf8.DecodeRuneInString(src[n:])
				if r == '_' || unicode.IsLetter(r) || (n > i && unicode.IsDigit(r)) {
					n += size
					continue
				}
				break
			}
			if n == i {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return 0, lx.errorf(i, "unexpected character %q", r)
			}
			lx.toks = append(lx.toks, token{kind: tkName, val: src[i:n], pos: lx.pos(i)})
			i = n
		default:
			op := lexOp(src[i:])
			if op == "" {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return 0, lx.errorf(i, "unexpected character %q", r)
			}
			switch op {
			case "(", "[", "{":
				stack = append(stack, op[0])
			case ")", "]", "}":
				want := map[string]byte{")": '(', "]": '[', "}": '{'}[op]
				if len(stack) == 0 || stack[len(stack)-1] != want {
					return 0, lx.errorf(i, "unexpected '%s'", op)
				}
				stack = stack[:len(stack)-1]
			}
			lx.toks = append(lx.toks, token{kind: tkOp, val: op, pos: lx.pos(i)})
			i += len(op)
		}
	}
}

func (lx *lexer) afterDot() bool {
	n := len(lx.toks)
	return n > 0 && lx.toks[n-1].kind == tkOp && lx.toks[n-1].val == "."
}

var ops2 = [...]string{"//", "**", "==", "!=", "<=", ">="}

func lexOp(s string) string {
	for _, op := range ops2 {
		if strings.HasPrefix(s, op) {
			return op
		}
	}
	switch s[0] {
	case '+', '-', '*', '/', '%', '~', '<', '>', '=', '(', ')', '[', ']', '{', '}', ',', '.', ':', '|', ';':
		return s[:1]
	}
	return ""
}

// lexNumber scans an integer or float literal (Python syntax with
// underscores). After a '.', only an integer is taken so that "foo.0.1"
// means foo[0][1] as in Jinja.
func lexNumber(s string, i int, intOnly bool) (int, tokKind) {
	digits := func(j int) int {
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '_' && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9') {
			j++
		}
		return j
	}
	j := digits(i)
	if intOnly {
		return j, tkInt
	}
	kind := tkInt
	if j+1 < len(s) && s[j] == '.' && s[j+1] >= '0' && s[j+1] <= '9' {
		j = digits(j + 1)
		kind = tkFloat
	}
	if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
		k := j + 1
		if k < len(s) && (s[k] == '+' || s[k] == '-') {
			k++
		}
		if k < len(s) && s[k] >= '0' && s[k] <= '9' {
			j = digits(k)
			kind = tkFloat
		}
	}
	return j, kind
}

// stringLit decodes a Python string literal starting at the quote at i.
// Unknown escapes keep their backslash, as in Python ('\d' stays "\d"),
// which matters for regular expressions written in templates.
func (lx *lexer) stringLit(i int) (string, int, error) {
	src := lx.src
	q := src[i]
	var b strings.Builder
	j := i + 1
	for {
		if j >= len(src) {
			return "", 0, lx.errorf(i, "unterminated string literal")
		}
		c := src[j]
		if c == q {
			return b.String(), j + 1, nil
		}
		if c != '\\' {
			b.WriteByte(c)
			j++
			continue
		}
		if j+1 >= len(src) {
			return "", 0, lx.errorf(i, "unterminated string literal")
		}
		e := src[j+1]
		j += 2
		switch e {
		case '\n':
		case '\\', '\'', '"':
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'a':
			b.WriteByte('\a')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'v':
			b.WriteByte('\v')
		case 'x', 'u', 'U':
			n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
			if j+n > len(src) {
				return "", 0, lx.errorf(j-2, "truncated \\%c escape", e)
			}
			var r rune
			for _, h := range []byte(src[j : j+n]) {
				d := hexVal(h)
				if d < 0 {
					return "", 0, lx.errorf(j-2, "truncated \\%c escape", e)
				}
				r = r<<4 | rune(d)
			}
			if !utf8.ValidRune(r) {
				return "", 0, lx.errorf(j-2, "invalid character escape")
			}
			b.WriteRune(r)
			j += n
		case '0', '1', '2', '3', '4', '5', '6', '7':
			r := rune(e - '0')
			for k := 0; k < 2 && j < len(src) && src[j] >= '0' && src[j] <= '7'; k++ {
				r = r*8 + rune(src[j]-'0')
				j++
			}
			b.WriteRune(r)
		default:
			b.WriteByte('\\')
			b.WriteByte(e)
		}
	}
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
