package file

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// LineEdit describes a file.line edit. Match, Before and After are regular
// expressions (Go RE2 syntax; plain text matches as a substring) tested
// against each line.
type LineEdit struct {
	Content  string
	Match    string
	Mode     string // ensure, replace, delete, insert
	Location string // start or end (insert)
	Before   string
	After    string
	Indent   bool // give the new line the indentation of its neighbour
}

// ErrLineEdit is wrapped by every error EditLines returns.
var ErrLineEdit = errors.New("line edit")

func lineErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrLineEdit, fmt.Sprintf(format, a...))
}

// EditLines applies e to text (lines separated by "\n") and returns the new
// text. Applying it again to its own output changes nothing.
func EditLines(text string, e LineEdit) (string, error) {
	lines, nl := splitKeep([]byte(text))
	if len(lines) == 0 {
		nl = true
	}
	content := strings.TrimRight(e.Content, "\r\n")
	if strings.Contains(content, "\n") {
		return "", lineErr("content must be a single line")
	}
	matchExpr := e.Match
	if matchExpr == "" {
		matchExpr = regexp.QuoteMeta(strings.TrimSpace(content))
	}
	compile := func(what, expr string) (*regexp.Regexp, error) {
		if expr == "" {
			return nil, nil
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, lineErr("bad %s expression %q: %v", what, expr, err)
		}
		return re, nil
	}
	match, err := compile("match", matchExpr)
	if err != nil {
		return "", err
	}
	before, err := compile("before", e.Before)
	if err != nil {
		return "", err
	}
	after, err := compile("after", e.After)
	if err != nil {
		return "", err
	}
	same := func(line string) bool { return strings.TrimSpace(line) == strings.TrimSpace(content) }
	indentLike := func(ref string) string {
		if !e.Indent {
			return content
		}
		return leadingSpace(ref) + strings.TrimLeft(content, " \t")
	}

	var out []string
	switch e.Mode {
	case "delete":
		if strings.TrimSpace(matchExpr) == "" {
			return "", lineErr("delete mode needs match or content")
		}
		for _, l := range lines {
			if !match.MatchString(l) {
				out = append(out, l)
			}
		}
	case "replace":
		if content == "" {
			return "", lineErr("replace mode needs content")
		}
		for _, l := range lines {
			if match.MatchString(l) {
				l = indentLike(l)
			}
			out = append(out, l)
		}
	case "insert":
		if content == "" {
			return "", lineErr("insert mode needs content")
		}
		out, err = insertLine(lines, content, e.Location, before, after, same, indentLike)
		if err != nil {
			return "", err
		}
	case "ensure":
		if content == "" {
			return "", lineErr("ensure mode needs content")
		}
		out, err = ensureLine(lines, before, after, same, indentLike)
		if err != nil {
			return "", err
		}
	default:
		return "", lineErr("mode must be one of ensure, replace, delete, insert (got %q)", e.Mode)
	}
	if len(out) == 0 {
		return "", nil
	}
	return string(joinLines(out, nl)), nil
}

func leadingSpace(s string) string {
	return s[:len(s)-len(strings.TrimLeft(s, " \t"))]
}

// only finds the single line matching re; none or several is an error, as
// an edit placed relative to an ambiguous anchor would be a guess.
func only(lines []string, re *regexp.Regexp, what string) (int, error) {
	idx := -1
	for i, l := range lines {
		if re.MatchString(l) {
			if idx >= 0 {
				return 0, lineErr("Found more than expected occurrences in %q expression", what)
			}
			idx = i
		}
	}
	if idx < 0 {
		return 0, lineErr("Unable to find %q pattern in the file", what)
	}
	return idx, nil
}

func insertAt(lines []string, i int, l string) []string {
	out := make([]string, 0, len(lines)+1)
	out = append(out, lines[:i]...)
	out = append(out, l)
	return append(out, lines[i:]...)
}

func insertLine(lines []string, content, location string, before, after *regexp.Regexp,
	same func(string) bool, indentLike func(string) string) ([]string, error) {
	switch {
	case before == nil && after == nil:
		switch location {
		case "start":
			if len(lines) > 0 && same(lines[0]) {
				return lines, nil
			}
			return insertAt(lines, 0, content), nil
		case "end", "":
			if location == "" {
				return nil, lineErr(`On insert must be defined either "location" or "before/after" conditions.`)
			}
			if len(lines) > 0 && same(lines[len(lines)-1]) {
				return lines, nil
			}
			return append(append([]string(nil), lines...), content), nil
		default:
			return nil, lineErr("location must be start or end (got %q)", location)
		}
	case before != nil && after != nil:
		a, err := only(lines, after, "after")
		if err != nil {
			return nil, err
		}
		b, err := only(lines, before, "before")
		if err != nil {
			return nil, err
		}
		if b <= a {
			return nil, lineErr(`"before" line comes before the "after" line`)
		}
		for _, l := range lines[a+1 : b] {
			if same(l) {
				return lines, nil
			}
		}
		return insertAt(lines, a+1, indentLike(lines[a])), nil
	case after != nil:
		a, err := only(lines, after, "after")
		if err != nil {
			return nil, err
		}
		if a+1 < len(lines) && same(lines[a+1]) {
			return lines, nil
		}
		return insertAt(lines, a+1, indentLike(lines[a])), nil
	default:
		b, err := only(lines, before, "before")
		if err != nil {
			return nil, err
		}
		if b > 0 && same(lines[b-1]) {
			return lines, nil
		}
		return insertAt(lines, b, indentLike(lines[b])), nil
	}
}

func ensureLine(lines []string, before, after *regexp.Regexp,
	same func(string) bool, indentLike func(string) string) ([]string, error) {
	switch {
	case before != nil && after != nil:
		a, err := only(lines, after, "after")
		if err != nil {
			return nil, err
		}
		b, err := only(lines, before, "before")
		if err != nil {
			return nil, err
		}
		switch b - a {
		case 1:
			return insertAt(lines, b, indentLike(lines[a])), nil
		case 2:
			if same(lines[a+1]) {
				return lines, nil
			}
			out := append([]string(nil), lines...)
			out[a+1] = indentLike(lines[a+1])
			return out, nil
		default:
			if b <= a {
				return nil, lineErr(`"before" line comes before the "after" line`)
			}
			return nil, lineErr(`Found more than one line between boundaries "before" and "after".`)
		}
	case after != nil:
		a, err := only(lines, after, "after")
		if err != nil {
			return nil, err
		}
		if a+1 < len(lines) && same(lines[a+1]) {
			return lines, nil
		}
		return insertAt(lines, a+1, indentLike(lines[a])), nil
	case before != nil:
		b, err := only(lines, before, "before")
		if err != nil {
			return nil, err
		}
		if b > 0 && same(lines[b-1]) {
			return lines, nil
		}
		return insertAt(lines, b, indentLike(lines[b])), nil
	}
	return nil, lineErr("Wrong conditions? Unable to ensure line without knowing where to put it before and/or after.")
}

// ReplaceSpec describes a file.replace edit.
type ReplaceSpec struct {
	Pattern string
	// Repl uses Python's template syntax (\1, \g<name>), as Salt's does;
	// with BackslashLiteral backslashes are plain characters.
	Repl             string
	BackslashLiteral bool
	Count            int    // 0 = every match
	Flags            string // Go inline flags: "m", "im", "s", ...
	AppendIfNotFound bool
	PrependIfNot     bool
	NotFoundContent  *string // default: Repl
}

// ReplaceText applies s to text.
func ReplaceText(text string, s ReplaceSpec) (string, error) {
	expr := s.Pattern
	if s.Flags != "" {
		expr = "(?" + s.Flags + ")" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return "", fmt.Errorf("bad pattern %q: %w", s.Pattern, err)
	}
	tmpl := strings.ReplaceAll(s.Repl, "$", "$$")
	if !s.BackslashLiteral {
		if tmpl, err = PyReplToGo(s.Repl); err != nil {
			return "", err
		}
	}
	locs := re.FindAllStringSubmatchIndex(text, -1)
	if len(locs) == 0 {
		if !s.AppendIfNotFound && !s.PrependIfNot {
			return text, nil
		}
		content := s.Repl
		if s.NotFoundContent != nil {
			content = *s.NotFoundContent
		}
		content = strings.TrimRight(content, "\n")
		// Already there as whole lines (one or a block): nothing to add.
		padded := "\n" + text
		if !strings.HasSuffix(padded, "\n") {
			padded += "\n"
		}
		if strings.Contains(padded, "\n"+content+"\n") {
			return text, nil
		}
		if s.PrependIfNot {
			return content + "\n" + text, nil
		}
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		return text + content + "\n", nil
	}
	var b strings.Builder
	last := 0
	for i, loc := range locs {
		if s.Count > 0 && i >= s.Count {
			break
		}
		b.WriteString(text[last:loc[0]])
		b.Write(re.ExpandString(nil, tmpl, text, loc))
		last = loc[1]
	}
	b.WriteString(text[last:])
	return b.String(), nil
}

// PyReplToGo converts a Python re.sub replacement template (\1, \g<1>,
// \g<name>, \n, \\) into a Go regexp.Expand template.
func PyReplToGo(repl string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(repl); i++ {
		c := repl[i]
		if c == '$' {
			b.WriteString("$$")
			continue
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(repl) {
			return "", errors.New("bad escape (end of pattern) in replacement")
		}
		i++
		c = repl[i]
		switch {
		case c >= '0' && c <= '9':
			j := i + 1
			if j < len(repl) && repl[j] >= '0' && repl[j] <= '9' {
				j++
			}
			fmt.Fprintf(&b, "${%s}", repl[i:j])
			i = j - 1
		case c == 'g':
			if i+1 >= len(repl) || repl[i+1] != '<' {
				return "", errors.New(`missing "<" after \g in replacement`)
			}
			end := strings.IndexByte(repl[i+2:], '>')
			if end < 0 {
				return "", errors.New(`missing ">" after \g< in replacement`)
			}
			grp := repl[i+2 : i+2+end]
			if !validGroupName(grp) {
				return "", fmt.Errorf("bad group name %q in replacement", grp)
			}
			fmt.Fprintf(&b, "${%s}", grp)
			i += 2 + end
		case c == 'n':
			b.WriteByte('\n')
		case c == 't':
			b.WriteByte('\t')
		case c == 'r':
			b.WriteByte('\r')
		case c == 'f':
			b.WriteByte('\f')
		case c == 'v':
			b.WriteByte('\v')
		case c == 'a':
			b.WriteByte('\a')
		case c == '\\':
			b.WriteByte('\\')
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			return "", fmt.Errorf(`bad escape \%c in replacement`, c)
		default:
			b.WriteByte('\\')
			if c == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(c)
			}
		}
	}
	return b.String(), nil
}

func validGroupName(s string) bool {
	if s == "" {
		return false
	}
	if _, err := strconv.Atoi(s); err == nil {
		return true
	}
	for i, r := range s {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}

// pyFlags converts Salt's flags argument (a list of names or Python's
// integer bitmask) to Go inline flags.
func pyFlags(v any) (string, error) {
	if v == nil {
		return "m", nil
	}
	var names []string
	switch x := v.(type) {
	case []any:
		for _, it := range x {
			s, ok := it.(string)
			if !ok {
				return "", fmt.Errorf("flag %v is not a name", it)
			}
			names = append(names, s)
		}
	case string:
		names = strings.Split(x, ",")
	default:
		n, err := strconv.Atoi(fmt.Sprint(v))
		if err != nil {
			return "", fmt.Errorf("want a list of flag names or an integer, got %v", v)
		}
		bits := map[int]string{2: "IGNORECASE", 8: "MULTILINE", 16: "DOTALL", 32: "UNICODE", 256: "ASCII"}
		for bit, name := range bits {
			if n&bit != 0 {
				names = append(names, name)
				n &^= bit
			}
		}
		if n != 0 {
			return "", fmt.Errorf("unsupported flag bits %d", n)
		}
	}
	var f strings.Builder
	for _, name := range names {
		switch strings.ToUpper(strings.TrimSpace(strings.TrimPrefix(name, "re."))) {
		case "I", "IGNORECASE":
			f.WriteString("i")
		case "M", "MULTILINE":
			f.WriteString("m")
		case "S", "DOTALL":
			f.WriteString("s")
		case "U", "UNICODE", "ASCII", "A", "":
			// Go regexps are UTF-8 aware already.
		default:
			return "", fmt.Errorf("unsupported flag %q (supported: IGNORECASE, MULTILINE, DOTALL)", name)
		}
	}
	return f.String(), nil
}
