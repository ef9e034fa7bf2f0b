package cmd

import (
	"errors"
	"strings"
)

// ErrUnterminatedQuote is returned by SplitArgs for a line that ends inside
// quotes or right after a lone backslash.
var ErrUnterminatedQuote = errors.New("unterminated quote or trailing backslash")

// SplitArgs splits a command line into words the way a POSIX shell does,
// without expanding anything: blanks separate words, single quotes keep
// everything literally, double quotes keep everything but let a backslash
// escape $ ` " \ and newline, and a backslash outside quotes escapes the
// next character. It is what python_shell=False uses, so a command runs
// without a shell but is written as users write it for one.
func SplitArgs(line string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		escaped bool
		quote   byte // 0, '\'' or '"'
	)
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case escaped:
			escaped = false
			if ch != '\n' { // backslash-newline is a line continuation
				cur.WriteByte(ch)
				inWord = true
			}
		case quote == '\'':
			if ch == '\'' {
				quote = 0
			} else {
				cur.WriteByte(ch)
			}
		case quote == '"':
			switch ch {
			case '"':
				quote = 0
			case '\\':
				if i+1 < len(line) {
					next := line[i+1]
					switch next {
					case '$', '`', '"', '\\':
						cur.WriteByte(next)
						i++
						continue
					case '\n':
						i++
						continue
					}
				}
				cur.WriteByte(ch)
			default:
				cur.WriteByte(ch)
			}
		case ch == '\\':
			escaped = true
		case ch == '\'' || ch == '"':
			quote = ch
			inWord = true
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if escaped || quote != 0 {
		return nil, ErrUnterminatedQuote
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// QuoteArg quotes s for a POSIX shell so that SplitArgs (and sh) read it
// back as exactly one word.
func QuoteArg(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte("@%+=:,./_-", c) >= 0) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
