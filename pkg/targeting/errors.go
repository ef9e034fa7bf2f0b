package targeting

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseError is a malformed target expression. Its Error method shows the
// expression with a caret under the offending position, which is what an
// operator needs to fix a long compound target:
//
//	targeting: unclosed "(" at position 16
//	  G@os:Debian and (web* or db*
//	                  ^
type ParseError struct {
	Expr string // the expression (for an error inside a nodegroup, its definition)
	Pos  int    // byte offset into Expr; len(Expr) means "at the end"
	Msg  string
	// Err is the cause callers may test with errors.Is, such as
	// ErrUnknownNodegroup or ErrNodegroupCycle; often nil.
	Err error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("targeting: ")
	b.WriteString(e.Msg)
	pos := min(max(e.Pos, 0), len(e.Expr))
	if e.Expr == "" {
		return b.String()
	}
	// Show the expression on one line, control characters as spaces, and
	// count the caret's column in runes so it lands under the right
	// character whatever the encoding.
	line := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, e.Expr)
	// strings.Map turns each invalid byte into one U+FFFD, and
	// RuneCountInString counts each invalid byte as one rune: they agree.
	col := utf8.RuneCountInString(e.Expr[:pos])
	b.WriteString(" at position ")
	b.WriteString(strconv.Itoa(pos))
	b.WriteString(":\n  ")
	b.WriteString(line)
	b.WriteString("\n  ")
	b.WriteString(strings.Repeat(" ", col))
	b.WriteString("^")
	return b.String()
}

// Unwrap returns the cause, so errors.Is(err, ErrUnknownNodegroup) works.
func (e *ParseError) Unwrap() error { return e.Err }
