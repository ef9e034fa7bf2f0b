package template

import (
	"errors"
	"fmt"
	"github.com/halite/halite/pkg/value"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxWidth bounds field widths in format strings.
const maxWidth = 1 << 16

// percentFormat is Python's "format % args".
func percentFormat(format string, arg any) (string, error) {
	var positional []any
	mapping, isMap := arg.(*pyDict)
	if t, ok := arg.(pyTuple); ok {
		positional = t
	} else {
		positional = []any{arg}
	}
	next := 0
	usedMapping := false
	take := func() (any, error) {
		if next >= len(positional) {
			return nil, errors.New("not enough arguments for format string")
		}
		v := positional[next]
		next++
		return v, nil
	}
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return "", errors.New("incomplete format")
		}
		var val any
		hasVal := false
		if format[i] == '(' {
			end := strings.IndexByte(format[i:], ')')
			if end < 0 {
				return "", errors.New("incomplete format key")
			}
			if !isMap {
				return "", errors.New("format requires a mapping")
			}
			key := format[i+1 : i+end]
			v, ok := mapping.get(key)
			if !ok {
				return "", fmt.Errorf("key %s not found", pyRepr(key))
			}
			val, hasVal, usedMapping = v, true, true
			i += end + 1
		}
		flags := ""
		for i < len(format) && strings.IndexByte("-+ 0#", format[i]) >= 0 {
			flags += string(format[i])
			i++
		}
		width, prec := -1, -1
		num := func() (int, error) {
			if i < len(format) && format[i] == '*' {
				i++
				v, err := take()
				if err != nil {
					return 0, err
				}
				n, ok := v.(int)
				if !ok {
					return 0, errors.New("* wants int")
				}
				return n, nil
			}
			start := i
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				i++
			}
			if start == i {
				return -1, nil
			}
			return strconv.Atoi(format[start:i])
		}
		var err error
		if width, err = num(); err != nil {
			return "", err
		}
		if i < len(format) && format[i] == '.' {
			i++
			if prec, err = num(); err != nil {
				return "", err
			}
			if prec < 0 {
				prec = 0
			}
		}
		if width > maxWidth || prec > maxWidth {
			return "", fmt.Errorf("format width too large: %w", ErrLimit)
		}
		for i < len(format) && strings.IndexByte("hlL", format[i]) >= 0 {
			i++
		}
		if i >= len(format) {
			return "", errors.New("incomplete format")
		}
		conv := format[i]
		if conv == '%' {
			b.WriteByte('%')
			continue
		}
		if !hasVal {
			if val, err = take(); err != nil {
				return "", err
			}
		}
		s, err := formatPercentValue(conv, flags, width, prec, val)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	if !usedMapping && !isMap && next < len(positional) {
		return "", errors.New("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

func formatPercentValue(conv byte, flags string, width, prec int, val any) (string, error) {
	verb := "%" + flags
	if width >= 0 {
		verb += strconv.Itoa(width)
	}
	if prec >= 0 {
		verb += "." + strconv.Itoa(prec)
	}
	switch conv {
	case 's', 'r', 'a':
		s := pyStr(val)
		if conv != 's' {
			s = pyRepr(val)
		}
		if prec >= 0 {
			if rs := []rune(s); len(rs) > prec {
				s = string(rs[:prec])
			}
		}
		if gap := width - utf8.RuneCountInString(s); gap > 0 {
			if strings.Contains(flags, "-") {
				return s + strings.Repeat(" ", gap), nil
			}
			return strings.Repeat(" ", gap) + s, nil
		}
		return s, nil
	case 'd', 'i', 'u', 'x', 'X', 'o':
		n, err := intOf(val, string(conv))
		if err != nil {
			return "", err
		}
		v := map[byte]string{'d': "d", 'i': "d", 'u': "d", 'x': "x", 'X': "X", 'o': "o"}[conv]
		s := fmt.Sprintf(verb+v, n)
		if conv == 'o' && strings.Contains(flags, "#") {
			s = strings.Replace(s, "0", "0o", 1)
		}
		return s, nil
	case 'e', 'E', 'f', 'F', 'g', 'G':
		f, _, _, ok := toNumber(val)
		if !ok {
			return "", fmt.Errorf("must be real number, not %s", typeName(val))
		}
		if prec < 0 {
			verb += ".6"
		}
		return fmt.Sprintf(verb+string(conv), f), nil
	case 'c':
		switch v := val.(type) {
		case int:
			if v < 0 || v > utf8.MaxRune {
				return "", errors.New("%c arg not in range")
			}
			return string(rune(v)), nil
		case string:
			if utf8.RuneCountInString(v) == 1 {
				return v, nil
			}
		}
		return "", errors.New("%c requires int or char")
	}
	return "", fmt.Errorf("unsupported format character '%c'", conv)
}

func intOf(val any, conv string) (int, error) {
	switch v := val.(type) {
	case int:
		return v, nil
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, errors.New("cannot convert float to integer")
		}
		return int(v), nil
	}
	return 0, fmt.Errorf("%%%s format: a number is required, not %s", conv, typeName(val))
}

// strFormat is Python's str.format for the forms templates use:
// {} {0} {name} {0.attr} {name[key]} with !r/!s and a format spec.
func strFormat(format string, args []any, kw *pyDict) (string, error) {
	var b strings.Builder
	auto := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '}' {
			if i+1 < len(format) && format[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return "", errors.New("single '}' encountered in format string")
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(format) && format[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		end := strings.IndexByte(format[i:], '}')
		if end < 0 {
			return "", errors.New("single '{' encountered in format string")
		}
		field := format[i+1 : i+end]
		i += end
		if strings.Contains(field, "{") {
			return "", errors.New("nested replacement fields are not supported")
		}
		spec := ""
		if k := strings.IndexByte(field, ':'); k >= 0 {
			field, spec = field[:k], field[k+1:]
		}
		conv := byte(0)
		if k := strings.IndexByte(field, '!'); k >= 0 {
			if k+2 != len(field) {
				return "", errors.New("expected ':' after conversion specifier")
			}
			conv = field[k+1]
			field = field[:k]
		}
		// Split the argument name from .attr and [key] accessors.
		nameEnd := strings.IndexAny(field, ".[")
		if nameEnd < 0 {
			nameEnd = len(field)
		}
		name, rest := field[:nameEnd], field[nameEnd:]
		var v any
		switch {
		case name == "":
			if auto >= len(args) {
				return "", fmt.Errorf("replacement index %d out of range", auto)
			}
			v = args[auto]
			auto++
		case name[0] >= '0' && name[0] <= '9':
			n, err := strconv.Atoi(name)
			if err != nil || n >= len(args) {
				return "", fmt.Errorf("replacement index %s out of range", name)
			}
			v = args[n]
		default:
			var ok bool
			if kw != nil {
				v, ok = kw.get(name)
			}
			if !ok {
				return "", fmt.Errorf("key %s not found", pyRepr(name))
			}
		}
		for rest != "" {
			var key any
			if rest[0] == '.' {
				k := strings.IndexAny(rest[1:], ".[")
				if k < 0 {
					k = len(rest) - 1
				}
				key, rest = rest[1:1+k], rest[1+k:]
			} else {
				k := strings.IndexByte(rest, ']')
				if k < 0 {
					return "", errors.New("missing ']' in format string")
				}
				ks := rest[1:k]
				if n, err := strconv.Atoi(ks); err == nil {
					key = n
				} else {
					key = ks
				}
				rest = rest[k+1:]
			}
			next, ok := lookupAny(v, key)
			if !ok {
				return "", fmt.Errorf("%s has no item or attribute %s", typeName(v), pyRepr(key))
			}
			v = next
		}
		switch conv {
		case 0:
		case 'r', 'a':
			v = pyRepr(v)
		case 's':
			v = pyStr(v)
		default:
			return "", fmt.Errorf("unknown conversion specifier %c", conv)
		}
		s, err := formatSpec(v, spec)
		if err != nil {
			return "", err
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

type fmtSpec struct {
	fill     rune
	align    byte // < > ^ = or 0
	sign     byte
	alt      bool
	zero     bool
	width    int
	grouping byte
	prec     int
	typ      byte
}

func parseSpec(spec string) (fmtSpec, error) {
	s := fmtSpec{fill: ' ', prec: -1}
	rs := []rune(spec)
	i := 0
	isAlign := func(r rune) bool { return r == '<' || r == '>' || r == '^' || r == '=' }
	if len(rs) >= 2 && isAlign(rs[1]) {
		s.fill, s.align = rs[0], byte(rs[1])
		i = 2
	} else if len(rs) >= 1 && isAlign(rs[0]) {
		s.align = byte(rs[0])
		i = 1
	}
	if i < len(rs) && (rs[i] == '+' || rs[i] == '-' || rs[i] == ' ') {
		s.sign = byte(rs[i])
		i++
	}
	if i < len(rs) && rs[i] == '#' {
		s.alt = true
		i++
	}
	if i < len(rs) && rs[i] == '0' {
		s.zero = true
		i++
	}
	start := i
	for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
		i++
	}
	if i > start {
		s.width, _ = strconv.Atoi(string(rs[start:i]))
	}
	if i < len(rs) && (rs[i] == ',' || rs[i] == '_') {
		s.grouping = byte(rs[i])
		i++
	}
	if i < len(rs) && rs[i] == '.' {
		i++
		start = i
		for i < len(rs) && rs[i] >= '0' && rs[i] <= '9' {
			i++
		}
		if i == start {
			return s, errors.New("format specifier missing precision")
		}
		s.prec, _ = strconv.Atoi(string(rs[start:i]))
	}
	if i < len(rs) {
		s.typ = byte(rs[i])
		i++
	}
	if i != len(rs) {
		return s, fmt.Errorf("invalid format specifier %q", spec)
	}
	if s.width > maxWidth || s.prec > maxWidth {
		return s, fmt.Errorf("format width too large: %w", ErrLimit)
	}
	return s, nil
}

func formatSpec(v any, spec string) (string, error) {
	if spec == "" {
		return pyStr(v), nil
	}
	s, err := parseSpec(spec)
	if err != nil {
		return "", err
	}
	var body string
	numeric := false
	neg := false
	switch x := v.(type) {
	case int, bool:
		n, _ := intOf(x, "d")
		numeric = true
		switch s.typ {
		case 0, 'd', 'n':
			body = strconv.Itoa(absInt(n))
		case 'x':
			body = strconv.FormatUint(uint64(absInt(n)), 16)
		case 'X':
			body = strings.ToUpper(strconv.FormatUint(uint64(absInt(n)), 16))
		case 'o':
			body = strconv.FormatUint(uint64(absInt(n)), 8)
		case 'b':
			body = strconv.FormatUint(uint64(absInt(n)), 2)
		case 'c':
			return string(rune(n)), nil
		case 'e', 'E', 'f', 'F', 'g', 'G', '%':
			return formatSpec(float64(n), spec)
		case 's':
			return "", fmt.Errorf("unknown format code 's' for object of type 'int'")
		default:
			return "", fmt.Errorf("unknown format code '%c' for int", s.typ)
		}
		neg = n < 0
		if s.alt {
			body = map[byte]string{'x': "0x", 'X': "0X", 'o': "0o", 'b': "0b"}[s.typ] + body
		}
		if s.grouping != 0 && (s.typ == 0 || s.typ == 'd') {
			body = groupDigits(body, s.grouping)
		}
	case float64:
		numeric = true
		neg = x < 0 || (x == 0 && math.Signbit(x))
		f := math.Abs(x)
		prec := s.prec
		switch s.typ {
		case 'f', 'F':
			if prec < 0 {
				prec = 6
			}
			body = strconv.FormatFloat(f, 'f', prec, 64)
		case 'e', 'E':
			if prec < 0 {
				prec = 6
			}
			body = strconv.FormatFloat(f, byte(s.typ), prec, 64)
		case 'g', 'G':
			if prec < 0 {
				prec = 6
			}
			body = fmt.Sprintf("%."+strconv.Itoa(max(prec, 1))+string(s.typ), f)
		case '%':
			if prec < 0 {
				prec = 6
			}
			body = strconv.FormatFloat(f*100, 'f', prec, 64) + "%"
		case 0:
			if prec >= 0 {
				body = fmt.Sprintf("%."+strconv.Itoa(max(prec, 1))+"g", f)
			} else {
				body = value.FormatFloat(f)
			}
		default:
			return "", fmt.Errorf("unknown format code '%c' for float", s.typ)
		}
		if s.grouping != 0 {
			intPart, frac, _ := strings.Cut(body, ".")
			body = groupDigits(intPart, s.grouping)
			if frac != "" {
				body += "." + frac
			}
		}
	default:
		str := pyStr(v)
		if s.typ != 0 && s.typ != 's' {
			return "", fmt.Errorf("unknown format code '%c' for object of type '%s'", s.typ, typeName(v))
		}
		if s.prec >= 0 {
			rs := []rune(str)
			if len(rs) > s.prec {
				str = string(rs[:s.prec])
			}
		}
		body = str
	}
	signStr := ""
	if numeric {
		switch {
		case neg:
			signStr = "-"
		case s.sign == '+':
			signStr = "+"
		case s.sign == ' ':
			signStr = " "
		}
	}
	align := s.align
	fill := s.fill
	if s.zero && align == 0 {
		fill, align = '0', '='
	}
	if align == 0 {
		if numeric {
			align = '>'
		} else {
			align = '<'
		}
	}
	n := utf8.RuneCountInString(signStr + body)
	gap := s.width - n
	if gap <= 0 {
		return signStr + body, nil
	}
	padding := strings.Repeat(string(fill), gap)
	switch align {
	case '<':
		return signStr + body + padding, nil
	case '>':
		return padding + signStr + body, nil
	case '=':
		return signStr + padding + body, nil
	}
	left := gap / 2
	return strings.Repeat(string(fill), left) + signStr + body + strings.Repeat(string(fill), gap-left), nil
}

func absInt(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func groupDigits(s string, sep byte) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(sep)
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}
