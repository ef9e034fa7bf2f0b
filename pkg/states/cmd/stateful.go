package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Stateful is what a stateful command reported about itself (Salt's
// "stateful" protocol, see the package doc).
type Stateful struct {
	Changed bool
	// Comment is the command's own comment, if it gave one.
	Comment    string
	HasComment bool
	// Data are the other keys it reported; they become the state's changes
	// when Changed is true.
	Data map[string]any
	// Stdout is the output without the final key=value line ("" for JSON
	// output, which is all protocol).
	Stdout string
}

// ParseStateful interprets a stateful command's stdout: either a JSON
// object, or a last non-empty line of key=value pairs (shell quoting
// allowed). Empty output means "no changes".
func ParseStateful(stdout string) (Stateful, error) {
	var st Stateful
	out := strings.TrimSpace(stdout)
	if out == "" {
		return st, nil
	}
	data := map[string]any{}
	if dec := json.NewDecoder(strings.NewReader(out)); json.Valid([]byte(out)) {
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return st, fmt.Errorf("decode stateful JSON: %w", err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return st, errors.New("script JSON output must be a JSON object (e.g., {})!")
		}
		data = m
	} else {
		line := out
		if i := strings.LastIndexByte(out, '\n'); i >= 0 {
			line = out[i+1:]
			st.Stdout = out[:i]
		}
		words, err := ShellSplit(line)
		if err != nil {
			return st, fmt.Errorf("Failed parsing script output! Stdout must be JSON or a line of name=value pairs. (%v)", err)
		}
		for _, w := range words {
			k, v, ok := strings.Cut(w, "=")
			if !ok || k == "" {
				return st, errors.New("Failed parsing script output! Stdout must be JSON or a line of name=value pairs.")
			}
			data[k] = v
		}
	}
	if c, ok := data["changed"]; ok {
		b, err := parseChanged(c)
		if err != nil {
			return st, err
		}
		st.Changed = b
		delete(data, "changed")
	}
	if c, ok := data["comment"]; ok {
		st.Comment, st.HasComment = fmt.Sprint(c), true
		delete(data, "comment")
	}
	st.Data = data
	return st, nil
}

func parseChanged(v any) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	switch strings.ToLower(fmt.Sprint(v)) {
	case "true", "yes", "1":
		return true, nil
	case "false", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("Failed parsing boolean value: %v", v)
}

// ShellSplit splits s into words the way a POSIX shell (and Python's shlex)
// does for simple input: blanks separate words, single quotes are literal,
// double quotes allow backslash escapes of \ " $ and `, a backslash outside
// quotes escapes the next character.
func ShellSplit(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; ; i++ {
				if i >= len(s) {
					return nil, errors.New("unterminated double quote")
				}
				if s[i] == '"' {
					break
				}
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\\\"$`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
		case c == '\\':
			inWord = true
			if i+1 >= len(s) {
				return nil, errors.New("trailing backslash")
			}
			i++
			cur.WriteByte(s[i])
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
