package value

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Salt's loose value model. Values reach Halite from YAML (int, uint64,
// float64), CBOR (int64, uint64, float64), JSON (json.Number) and the
// command line; Salt users write flags as True, "true", yes, 1. Every
// package decides truthiness, booleans, integers and numbers here, the
// same way, so that `test=1` means a dry run whichever way the 1 arrived.

// Truthy is Python's truth test: None, False, zero, "" and empty
// collections are false; everything else is true.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case json.Number:
		f, err := x.Float64()
		return err != nil || f != 0
	}
	if f, ok := Float(v); ok {
		return f != 0
	}
	return true
}

// IsTrue reads a flag the way Salt users set one (salt.utils.data.is_true,
// and YAML 1.1's words): true, a number above zero, or one of the strings
// true, yes, on, y and a positive number, in any case. Anything else,
// including a missing flag, is false.
func IsTrue(v any) bool {
	if b, ok := Bool(v); ok {
		return b
	}
	if f, ok := Float(v); ok {
		return f > 0
	}
	if s, ok := v.(string); ok {
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			return f > 0
		}
	}
	return false
}

// Bool coerces v to a boolean the way Salt's arguments accept one: a
// bool; the strings true/false, yes/no, on/off, y/n, 1/0 (any case) and
// ""; an integer 0 or 1 of any type. ok is false for anything else.
func Bool(v any) (b, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "yes", "on", "y", "1":
			return true, true
		case "false", "no", "off", "n", "0", "":
			return false, true
		}
		return false, false
	}
	if n, ok := Int(v); ok && (n == 0 || n == 1) {
		return n == 1, true
	}
	return false, false
}

// Int coerces v to an integer: any Go integer type, a float without a
// fractional part, a json.Number or a string holding a decimal integer.
func Int(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return int64(x), x <= math.MaxInt64
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case float32:
		f := float64(x)
		return int64(f), f == math.Trunc(f) && math.Abs(f) < 1<<63
	case float64:
		return int64(x), x == math.Trunc(x) && math.Abs(x) < 1<<63
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// Float coerces a number of any Go numeric type (or json.Number) to
// float64; strings are not numbers here.
func Float(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float32:
		return float64(x), true
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// Number coerces v to a float the way configuration values are written: a
// number of any Go type, or a string holding one ("0.5", " 42 ").
func Number(v any) (float64, bool) {
	if s, ok := v.(string); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		return f, err == nil
	}
	return Float(v)
}

// Numbers turns json.Number (from a decoder with UseNumber) into int64,
// or float64 when it is not an integer, throughout v; other values are
// kept. Maps and lists are copied, not changed in place.
func Numbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = Numbers(x[i])
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = Numbers(e)
		}
		return out
	}
	return v
}

// Repr renders plain data as Python's repr does (None, True, 'text',
// [1, 2], {'a': 1} with keys sorted), for messages that quote a user's
// input as Salt would.
func Repr(v any) string {
	var b strings.Builder
	writeRepr(&b, v, 0)
	return b.String()
}

func writeRepr(b *strings.Builder, v any, depth int) {
	if depth > 64 {
		b.WriteString("...")
		return
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case string:
		WriteQuoted(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e, depth+1)
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			WriteQuoted(b, k)
			b.WriteString(": ")
			writeRepr(b, x[k], depth+1)
		}
		b.WriteByte('}')
	case float32:
		b.WriteString(FormatFloat(float64(x)))
	case float64:
		b.WriteString(FormatFloat(x))
	default:
		if n, ok := Int(v); ok {
			b.WriteString(strconv.FormatInt(n, 10))
			return
		}
		fmt.Fprint(b, v)
	}
}

// FormatFloat writes a float as Python's repr does: 1.0, 0.5, 1e+16,
// inf, nan.
func FormatFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-4 || abs >= 1e16) {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		// Go writes 1e+06 with at least two exponent digits, as Python does.
		return s
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// WriteQuoted writes s quoted as Python's repr does: single quotes unless
// s holds one and no double quote, escapes for what is not printable.
func WriteQuoted(b *strings.Builder, s string) {
	q := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		q = '"'
	}
	b.WriteByte(q)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\ufffd`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(q):
			b.WriteByte('\\')
			b.WriteByte(q)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(b, `\x%02x`, r)
		case r < 0x80 || IsPrintable(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(b, `\x%02x`, r)
		case r < 0x10000:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			fmt.Fprintf(b, `\U%08x`, r)
		}
	}
	b.WriteByte(q)
}

// IsPrintable is Python's str.isprintable for one rune.
func IsPrintable(r rune) bool {
	return strconv.IsPrint(r) && r != 0xa0 && r != 0xad
}
