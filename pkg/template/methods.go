package template

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// boundMethod is a Python method looked up on a value: d.get, s.split, ...
type boundMethod struct {
	recv any
	name string
}

var dictMethods = map[string]bool{
	"get": true, "items": true, "keys": true, "values": true, "update": true,
	"setdefault": true, "pop": true, "copy": true, "clear": true,
}

var listMethods = map[string]bool{
	"append": true, "extend": true, "insert": true, "pop": true, "remove": true,
	"index": true, "count": true, "sort": true, "reverse": true, "copy": true, "clear": true,
}

var strMethods = map[string]bool{
	"split": true, "rsplit": true, "join": true, "lower": true, "upper": true,
	"strip": true, "lstrip": true, "rstrip": true, "startswith": true, "endswith": true,
	"replace": true, "format": true, "splitlines": true, "capitalize": true, "title": true,
	"find": true, "rfind": true, "index": true, "count": true, "isdigit": true,
	"isalpha": true, "isalnum": true, "isspace": true, "islower": true, "isupper": true,
	"zfill": true, "ljust": true, "rjust": true, "center": true, "partition": true,
	"rpartition": true, "casefold": true, "swapcase": true,
}

// method returns the bound method name of v, if v's type has one.
func method(v any, name string) (any, bool) {
	var ok bool
	switch v.(type) {
	case *pyDict:
		ok = dictMethods[name]
	case *pyList:
		ok = listMethods[name]
	case pyTuple:
		ok = name == "index" || name == "count"
	case string:
		ok = strMethods[name]
	}
	if !ok {
		return nil, false
	}
	return boundMethod{recv: v, name: name}, true
}

func (m boundMethod) call(r *renderer, sc *scope, pos srcPos, args []any, kw *pyDict) (any, error) {
	var v any
	var err error
	switch recv := m.recv.(type) {
	case *pyDict:
		v, err = dictMethod(r, recv, m.name, args, kw)
	case *pyList:
		v, err = listMethod(r, recv, m.name, args, kw)
	case pyTuple:
		v, err = listMethod(r, &pyList{items: recv}, m.name, args, kw)
	case string:
		v, err = strMethod(r, recv, m.name, args, kw)
	case *loopObj:
		v, err = loopMethod(recv, m.name, args)
	default:
		err = fmt.Errorf("no method %s", m.name)
	}
	if err != nil {
		return nil, r.wrap(sc, pos, fmt.Errorf("%s.%s(): %w", typeName(m.recv), m.name, err))
	}
	if s, ok := v.(string); ok {
		if err := r.charge(len(s)); err != nil {
			return nil, r.wrap(sc, pos, err)
		}
	}
	return v, nil
}

// bind maps positional and keyword arguments onto parameter names.
// Unset parameters hold missing. Too many or unknown arguments are errors.
func bind(args []any, kw *pyDict, params ...string) ([]any, error) {
	out := make([]any, len(params))
	for i := range out {
		out[i] = missing
	}
	if len(args) > len(params) {
		return nil, fmt.Errorf("takes at most %d argument(s) (%d given)", len(params), len(args))
	}
	copy(out, args)
	if kw != nil {
		for _, k := range kw.keys {
			found := false
			for i, p := range params {
				if k == p {
					if out[i] != missing {
						return nil, fmt.Errorf("got multiple values for argument '%s'", p)
					}
					out[i] = kw.value(k)
					found = true
					break
				}
			}
			if !found {
				return nil, fmt.Errorf("got an unexpected keyword argument '%v'", k)
			}
		}
	}
	return out, nil
}

func or(v, def any) any {
	if v == missing {
		return def
	}
	return v
}

func dictMethod(r *renderer, d *pyDict, name string, args []any, kw *pyDict) (any, error) {
	switch name {
	case "get":
		a, err := bind(args, nil, "key", "default")
		if err != nil {
			return nil, err
		}
		if a[0] == missing {
			return nil, errors.New("missing key")
		}
		if v, ok := d.get(a[0]); ok {
			return v, nil
		}
		return or(a[1], nil), nil
	case "items":
		out := &pyList{items: make([]any, len(d.keys))}
		for i, k := range d.keys {
			out.items[i] = pyTuple{k, d.value(k)}
		}
		return out, nil
	case "keys":
		return &pyList{items: append([]any(nil), d.keys...)}, nil
	case "values":
		out := &pyList{items: make([]any, len(d.keys))}
		for i, k := range d.keys {
			out.items[i] = d.value(k)
		}
		return out, nil
	case "update":
		if len(args) > 1 {
			return nil, errors.New("expected at most 1 argument")
		}
		if len(args) == 1 {
			switch o := args[0].(type) {
			case *pyDict:
				for _, k := range o.keys {
					_ = d.set(k, o.value(k))
				}
			case *pyList, pyTuple:
				items, _ := iterate(o)
				for _, it := range items {
					pair, err := iterate(it)
					if err != nil || len(pair) != 2 {
						return nil, errors.New("sequence elements must be key, value pairs")
					}
					if err := d.set(pair[0], pair[1]); err != nil {
						return nil, err
					}
				}
			default:
				return nil, fmt.Errorf("'%s' object is not a mapping", typeName(o))
			}
		}
		if kw != nil {
			for _, k := range kw.keys {
				_ = d.set(k, kw.value(k))
			}
		}
		return nil, r.charge(16 * d.len())
	case "setdefault":
		a, err := bind(args, nil, "key", "default")
		if err != nil {
			return nil, err
		}
		if v, ok := d.get(a[0]); ok {
			return v, nil
		}
		v := or(a[1], nil)
		return v, d.set(a[0], v)
	case "pop":
		a, err := bind(args, nil, "key", "default")
		if err != nil {
			return nil, err
		}
		if v, ok := d.del(a[0]); ok {
			return v, nil
		}
		if a[1] != missing {
			return a[1], nil
		}
		return nil, fmt.Errorf("key %s not found", pyRepr(a[0]))
	case "copy":
		return d.copy(), nil
	case "clear":
		d.keys, d.m = nil, map[any]any{}
		return nil, nil
	}
	return nil, fmt.Errorf("unknown method")
}

func listMethod(r *renderer, l *pyList, name string, args []any, kw *pyDict) (any, error) {
	switch name {
	case "append":
		if len(args) != 1 {
			return nil, errors.New("takes exactly one argument")
		}
		l.items = append(l.items, args[0])
		return nil, r.charge(16)
	case "extend":
		if len(args) != 1 {
			return nil, errors.New("takes exactly one argument")
		}
		items, err := iterate(args[0])
		if err != nil {
			return nil, err
		}
		l.items = append(l.items, items...)
		return nil, r.charge(16 * len(items))
	case "insert":
		if len(args) != 2 {
			return nil, errors.New("takes exactly 2 arguments")
		}
		i, ok := args[0].(int)
		if !ok {
			return nil, errors.New("index must be an integer")
		}
		n := len(l.items)
		if i < 0 {
			i = max(0, i+n)
		}
		i = min(i, n)
		l.items = append(l.items, nil)
		copy(l.items[i+1:], l.items[i:])
		l.items[i] = args[1]
		return nil, r.charge(16)
	case "pop":
		if len(l.items) == 0 {
			return nil, errors.New("pop from empty list")
		}
		i := len(l.items) - 1
		if len(args) > 0 {
			var ok bool
			if i, ok = indexOf(args[0], len(l.items)); !ok {
				return nil, errors.New("pop index out of range")
			}
		}
		v := l.items[i]
		l.items = append(l.items[:i], l.items[i+1:]...)
		return v, nil
	case "remove":
		if len(args) != 1 {
			return nil, errors.New("takes exactly one argument")
		}
		for i, it := range l.items {
			if pyEqual(it, args[0]) {
				l.items = append(l.items[:i], l.items[i+1:]...)
				return nil, nil
			}
		}
		return nil, errors.New("x not in list")
	case "index":
		if len(args) < 1 {
			return nil, errors.New("takes at least 1 argument")
		}
		for i, it := range l.items {
			if pyEqual(it, args[0]) {
				return i, nil
			}
		}
		return nil, fmt.Errorf("%s is not in list", pyRepr(args[0]))
	case "count":
		if len(args) != 1 {
			return nil, errors.New("takes exactly one argument")
		}
		n := 0
		for _, it := range l.items {
			if pyEqual(it, args[0]) {
				n++
			}
		}
		return n, nil
	case "sort":
		a, err := bind(nil, kw, "reverse", "key")
		if err != nil {
			return nil, err
		}
		if a[1] != missing {
			return nil, errors.New("key= is not supported; use the sort filter with attribute=")
		}
		sorted, err := sortValues(l.items, truth(or(a[0], false)), true, nil)
		if err != nil {
			return nil, err
		}
		l.items = sorted
		return nil, nil
	case "reverse":
		for i, j := 0, len(l.items)-1; i < j; i, j = i+1, j-1 {
			l.items[i], l.items[j] = l.items[j], l.items[i]
		}
		return nil, nil
	case "copy":
		return &pyList{items: append([]any(nil), l.items...)}, nil
	case "clear":
		l.items = nil
		return nil, nil
	}
	return nil, fmt.Errorf("unknown method")
}

func strArg(v any, what string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s must be str, not %s", what, typeName(v))
	}
	return s, nil
}

func strMethod(r *renderer, s string, name string, args []any, kw *pyDict) (any, error) {
	switch name {
	case "split", "rsplit":
		a, err := bind(args, kw, "sep", "maxsplit")
		if err != nil {
			return nil, err
		}
		n := -1
		if a[1] != missing {
			m, ok := a[1].(int)
			if !ok {
				return nil, errors.New("maxsplit must be an integer")
			}
			n = m
		}
		var parts []string
		if sep := or(a[0], nil); sep == nil {
			parts = splitWhitespace(s, n, name == "rsplit")
		} else {
			sepS, err := strArg(sep, "separator")
			if err != nil {
				return nil, err
			}
			if sepS == "" {
				return nil, errors.New("empty separator")
			}
			if n < 0 {
				parts = strings.Split(s, sepS)
			} else if name == "split" {
				parts = strings.SplitN(s, sepS, n+1)
			} else {
				parts = rsplitN(s, sepS, n)
			}
		}
		return stringList(parts), r.charge(len(s) + 16*len(parts))
	case "join":
		if len(args) != 1 {
			return nil, errors.New("takes exactly one argument")
		}
		items, err := iterate(args[0])
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(items))
		for i, it := range items {
			p, ok := it.(string)
			if !ok {
				return nil, fmt.Errorf("sequence item %d: expected str instance, %s found", i, typeName(it))
			}
			parts[i] = p
		}
		res := strings.Join(parts, s)
		return res, r.charge(len(res))
	case "lower":
		return strings.ToLower(s), nil
	case "upper":
		return strings.ToUpper(s), nil
	case "casefold":
		return strings.ToLower(s), nil
	case "swapcase":
		return strings.Map(func(c rune) rune {
			if unicode.IsUpper(c) {
				return unicode.ToLower(c)
			}
			return unicode.ToUpper(c)
		}, s), nil
	case "strip", "lstrip", "rstrip":
		a, err := bind(args, nil, "chars")
		if err != nil {
			return nil, err
		}
		return pyStrip(s, or(a[0], nil), name)
	case "startswith", "endswith":
		if len(args) < 1 {
			return nil, errors.New("takes at least 1 argument")
		}
		var cands []any
		if t, ok := args[0].(pyTuple); ok {
			cands = t
		} else {
			cands = []any{args[0]}
		}
		for _, c := range cands {
			p, err := strArg(c, name+" argument")
			if err != nil {
				return nil, err
			}
			if (name == "startswith" && strings.HasPrefix(s, p)) || (name == "endswith" && strings.HasSuffix(s, p)) {
				return true, nil
			}
		}
		return false, nil
	case "replace":
		a, err := bind(args, nil, "old", "new", "count")
		if err != nil {
			return nil, err
		}
		old, err := strArg(a[0], "old")
		if err != nil {
			return nil, err
		}
		nw, err := strArg(a[1], "new")
		if err != nil {
			return nil, err
		}
		n := -1
		if a[2] != missing {
			if c, ok := a[2].(int); ok {
				n = c
			}
		}
		if err := chargeReplace(r, s, old, nw, n); err != nil {
			return nil, err
		}
		return strings.Replace(s, old, nw, n), nil
	case "format":
		res, err := strFormat(s, args, kw)
		if err != nil {
			return nil, err
		}
		return res, r.charge(len(res))
	case "splitlines":
		return stringList(splitLines(s)), nil
	case "capitalize":
		return capitalize(s), nil
	case "title":
		return title(s), nil
	case "find", "rfind", "index":
		if len(args) < 1 {
			return nil, errors.New("takes at least 1 argument")
		}
		sub, err := strArg(args[0], "substring")
		if err != nil {
			return nil, err
		}
		var i int
		if name == "rfind" {
			i = strings.LastIndex(s, sub)
		} else {
			i = strings.Index(s, sub)
		}
		if i >= 0 {
			i = utf8.RuneCountInString(s[:i])
		} else if name == "index" {
			return nil, errors.New("substring not found")
		}
		return i, nil
	case "count":
		if len(args) < 1 {
			return nil, errors.New("takes at least 1 argument")
		}
		sub, err := strArg(args[0], "substring")
		if err != nil {
			return nil, err
		}
		if sub == "" {
			return utf8.RuneCountInString(s) + 1, nil
		}
		return strings.Count(s, sub), nil
	case "isdigit", "isalpha", "isalnum", "isspace":
		if s == "" {
			return false, nil
		}
		for _, c := range s {
			ok := false
			switch name {
			case "isdigit":
				ok = unicode.IsDigit(c)
			case "isalpha":
				ok = unicode.IsLetter(c)
			case "isalnum":
				ok = unicode.IsLetter(c) || unicode.IsDigit(c)
			case "isspace":
				ok = unicode.IsSpace(c)
			}
			if !ok {
				return false, nil
			}
		}
		return true, nil
	case "islower", "isupper":
		cased := false
		for _, c := range s {
			if unicode.IsUpper(c) {
				if name == "islower" {
					return false, nil
				}
				cased = true
			} else if unicode.IsLower(c) {
				if name == "isupper" {
					return false, nil
				}
				cased = true
			}
		}
		return cased, nil
	case "zfill", "ljust", "rjust", "center":
		if len(args) < 1 {
			return nil, errors.New("takes at least 1 argument")
		}
		w, ok := args[0].(int)
		if !ok {
			return nil, errors.New("width must be an integer")
		}
		if w > 1<<20 {
			return nil, fmt.Errorf("width %d too large: %w", w, ErrLimit)
		}
		fill := " "
		if len(args) > 1 {
			f, err := strArg(args[1], "fill character")
			if err != nil {
				return nil, err
			}
			fill = f
		}
		return pad(s, w, fill, name), nil
	case "partition", "rpartition":
		if len(args) != 1 {
			return nil, errors.New("takes exactly one argument")
		}
		sep, err := strArg(args[0], "separator")
		if err != nil {
			return nil, err
		}
		if sep == "" {
			return nil, errors.New("empty separator")
		}
		var i int
		if name == "partition" {
			i = strings.Index(s, sep)
			if i < 0 {
				return pyTuple{s, "", ""}, nil
			}
		} else {
			i = strings.LastIndex(s, sep)
			if i < 0 {
				return pyTuple{"", "", s}, nil
			}
		}
		return pyTuple{s[:i], sep, s[i+len(sep):]}, nil
	}
	return nil, fmt.Errorf("unknown method")
}

func chargeReplace(r *renderer, s, old, nw string, n int) error {
	if len(nw) <= len(old) {
		return nil
	}
	c := strings.Count(s, old)
	if old == "" {
		c = utf8.RuneCountInString(s) + 1
	}
	if n >= 0 && n < c {
		c = n
	}
	return r.charge(len(s) + c*(len(nw)-len(old)))
}

func stringList(parts []string) *pyList {
	l := &pyList{items: make([]any, len(parts))}
	for i, p := range parts {
		l.items[i] = p
	}
	return l
}

// splitWhitespace is Python's str.split() with no separator.
func splitWhitespace(s string, n int, fromRight bool) []string {
	if !fromRight {
		var out []string
		rest := strings.TrimLeftFunc(s, unicode.IsSpace)
		for rest != "" {
			if n >= 0 && len(out) == n {
				out = append(out, strings.TrimRightFunc(rest, unicode.IsSpace))
				break
			}
			i := strings.IndexFunc(rest, unicode.IsSpace)
			if i < 0 {
				out = append(out, rest)
				break
			}
			out = append(out, rest[:i])
			rest = strings.TrimLeftFunc(rest[i:], unicode.IsSpace)
		}
		return out
	}
	var out []string
	rest := strings.TrimRightFunc(s, unicode.IsSpace)
	for rest != "" {
		if n >= 0 && len(out) == n {
			out = append(out, strings.TrimLeftFunc(rest, unicode.IsSpace))
			break
		}
		i := strings.LastIndexFunc(rest, unicode.IsSpace)
		if i < 0 {
			out = append(out, rest)
			break
		}
		_, size := utf8.DecodeRuneInString(rest[i:])
		out = append(out, rest[i+size:])
		rest = strings.TrimRightFunc(rest[:i], unicode.IsSpace)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

func rsplitN(s, sep string, n int) []string {
	var out []string
	for len(out) < n {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			break
		}
		out = append(out, s[i+len(sep):])
		s = s[:i]
	}
	out = append(out, s)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// splitLines is Python's str.splitlines() for the common line endings.
func splitLines(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	return out
}

func pyStrip(s string, chars any, which string) (any, error) {
	var f func(rune) bool
	if chars == nil {
		f = unicode.IsSpace
	} else {
		cs, err := strArg(chars, "chars")
		if err != nil {
			return nil, err
		}
		f = func(r rune) bool { return strings.ContainsRune(cs, r) }
	}
	switch which {
	case "lstrip":
		return strings.TrimLeftFunc(s, f), nil
	case "rstrip":
		return strings.TrimRightFunc(s, f), nil
	}
	return strings.TrimFunc(s, f), nil
}

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if size == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + strings.ToLower(s[size:])
}

// title is Python's str.title(): a letter after a non-letter is upper case.
func title(s string) string {
	var b strings.Builder
	prevLetter := false
	for _, c := range s {
		if unicode.IsLetter(c) {
			if prevLetter {
				b.WriteRune(unicode.ToLower(c))
			} else {
				b.WriteRune(unicode.ToUpper(c))
			}
			prevLetter = true
		} else {
			b.WriteRune(c)
			prevLetter = false
		}
	}
	return b.String()
}

func pad(s string, w int, fill string, how string) string {
	n := utf8.RuneCountInString(s)
	if n >= w {
		return s
	}
	if fill == "" {
		fill = " "
	}
	gap := w - n
	switch how {
	case "zfill":
		sign := ""
		if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
			sign, s = s[:1], s[1:]
		}
		return sign + strings.Repeat("0", gap) + s
	case "ljust":
		return s + strings.Repeat(fill, gap)
	case "rjust":
		return strings.Repeat(fill, gap) + s
	}
	left := gap / 2
	if gap%2 == 1 && w%2 == 1 {
		left++
	}
	return strings.Repeat(fill, left) + s + strings.Repeat(fill, gap-left)
}

func loopMethod(l *loopObj, name string, args []any) (any, error) {
	switch name {
	case "cycle":
		if len(args) == 0 {
			return nil, errors.New("no items for cycling given")
		}
		return args[l.index0%len(args)], nil
	case "changed":
		val := pyTuple(args)
		if l.hasLast && pyEqual(l.changed, val) {
			return false, nil
		}
		l.changed, l.hasLast = val, true
		return true, nil
	}
	return nil, fmt.Errorf("unknown method")
}

// sortValues sorts items (stable) the way Jinja's sort filter does: with
// caseInsensitive, strings compare lower-cased.
func sortValues(items []any, reverse, caseSensitive bool, key func(any) (any, error)) ([]any, error) {
	type kv struct {
		k any
		v any
	}
	ks := make([]kv, len(items))
	for i, it := range items {
		k := it
		if key != nil {
			var err error
			if k, err = key(it); err != nil {
				return nil, err
			}
		}
		if s, ok := k.(string); ok && !caseSensitive {
			k = strings.ToLower(s)
		}
		ks[i] = kv{k, it}
	}
	var sortErr error
	sort.SliceStable(ks, func(i, j int) bool {
		c, err := pyCompare(ks[i].k, ks[j].k)
		if err != nil && sortErr == nil {
			sortErr = err
		}
		if reverse {
			return c > 0
		}
		return c < 0
	})
	if sortErr != nil {
		return nil, sortErr
	}
	out := make([]any, len(ks))
	for i, e := range ks {
		out[i] = e.v
	}
	return out, nil
}
