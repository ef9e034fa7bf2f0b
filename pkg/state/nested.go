package state

import (
	"fmt"
	"github.com/halite/halite/pkg/value"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Salt's terminal colours (salt.utils.color with salt.textformat: every
// sequence starts with a reset).
type palette struct {
	green, red, lightRed, cyan, lightYellow, endc string
}

func colors(on bool) palette {
	if !on {
		return palette{}
	}
	return palette{
		green:       "\x1b[0;32m",
		red:         "\x1b[0;31m",
		lightRed:    "\x1b[0;1;31m",
		cyan:        "\x1b[0;36m",
		lightYellow: "\x1b[0;1;33m",
		endc:        "\x1b[0;0m",
	}
}

// nested is a port of Salt's nested outputter, which the highstate
// outputter uses for changes.
type nested struct{ c palette }

func (n nested) line(indent int, color, msg, prefix, suffix string) string {
	return strings.Repeat(" ", indent) + color + prefix + msg + n.c.endc + suffix
}

func (n nested) display(v any, indent int, prefix string, out []string) []string {
	switch v := v.(type) {
	case nil:
		return append(out, n.line(indent, n.c.lightYellow, "None", prefix, ""))
	case bool:
		return append(out, n.line(indent, n.c.lightYellow, pyBool(v), prefix, ""))
	case string:
		for i, l := range splitLines(v) {
			p := prefix
			if i > 0 {
				p = strings.Repeat(" ", len(prefix))
			}
			out = append(out, n.line(indent, n.c.green, stripEsc(l), p, ""))
		}
		return out
	case []byte:
		return n.display(string(v), indent, prefix, out)
	}
	if s, ok := pyNumber(v); ok {
		return append(out, n.line(indent, n.c.lightYellow, s, prefix, ""))
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		for i := 0; i < rv.Len(); i++ {
			item := rv.Index(i).Interface()
			switch kindOf(item) {
			case reflect.Map:
				out = append(out, n.line(indent, n.c.green, "|_", "", ""))
				out = n.display(item, indent+2, "", out)
			case reflect.Slice, reflect.Array:
				out = append(out, n.line(indent, n.c.green, "|_", "", ""))
				out = n.display(item, indent+2, "- ", out)
			default:
				out = n.display(item, indent, "- ", out)
			}
		}
		return out
	case reflect.Map:
		if indent != 0 {
			out = append(out, n.line(indent, n.c.cyan, "----------", "", ""))
		}
		for _, k := range sortedKeys(rv) {
			out = append(out, n.line(indent, n.c.cyan, k.text, prefix, ":"))
			out = n.display(rv.MapIndex(k.key).Interface(), indent+4, "", out)
		}
		return out
	case reflect.Pointer:
		if rv.IsNil() {
			return n.display(nil, indent, prefix, out)
		}
		return n.display(rv.Elem().Interface(), indent, prefix, out)
	}
	return n.display(fmt.Sprint(v), indent, prefix, out)
}

func kindOf(v any) reflect.Kind {
	if v == nil {
		return reflect.Invalid
	}
	switch v.(type) {
	case string, []byte:
		return reflect.String
	}
	return reflect.ValueOf(v).Kind()
}

type mapKey struct {
	key  reflect.Value
	text string
}

func sortedKeys(m reflect.Value) []mapKey {
	keys := make([]mapKey, 0, m.Len())
	for _, k := range m.MapKeys() {
		keys = append(keys, mapKey{key: k, text: fmt.Sprint(k.Interface())})
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].text < keys[j].text })
	return keys
}

// splitLines is Python's str.splitlines: no empty last line, and "" has
// no lines at all.
func splitLines(s string) []string {
	var out []string
	start := 0
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch rs[i] {
		case '\n', '\v', '\f', '\x1c', '\x1d', '\x1e', '\u0085', '\u2028', '\u2029':
			out = append(out, string(rs[start:i]))
			start = i + 1
		case '\r':
			out = append(out, string(rs[start:i]))
			if i+1 < len(rs) && rs[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(rs) {
		out = append(out, string(rs[start:]))
	}
	return out
}

// stripEsc neutralises terminal escapes in data (Salt's strip_colors).
func stripEsc(s string) string { return strings.ReplaceAll(s, "\x1b", "?") }

// rstrip is Python's str.rstrip().
func rstrip(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// pyResult prints a state result as Salt does: True, False or None.
func pyResult(b *bool) string {
	if b == nil {
		return "None"
	}
	return pyBool(*b)
}

// pyNumber formats numbers as Python's repr would.
func pyNumber(v any) (string, bool) {
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v), true
	case int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, uintptr:
		return fmt.Sprint(v), true
	case float64:
		return pyFloat(v), true
	case float32:
		return pyFloat(float64(v)), true
	}
	return "", false
}

// pyFloat is Python's repr(float): the shortest text that reads back the
// same value, always with a point or an exponent.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// Log10 can be off by one near powers of ten; confirm with the
	// shortest 'e' form.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	if i := strings.IndexByte(e, 'e'); i >= 0 {
		if n, err := strconv.Atoi(e[i+1:]); err == nil {
			exp = n
		}
	}
	if exp < -4 || exp >= 16 {
		return e
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// pyRepr renders plain data like Python's repr, for messages that quote
// the user's input.
func pyRepr(v any) string { return value.Repr(v) }
