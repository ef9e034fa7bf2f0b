package template

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// filterFunc implements one filter. in is the value left of the pipe.
type filterFunc func(r *renderer, in any, args []any, kw *pyDict) (any, error)

// filters is the filter table: Jinja's built-ins that Salt trees use plus
// Salt's own. Filled once in init and never changed (a package-level
// literal would form an initialisation cycle through map/select).
var filters map[string]filterFunc

func init() {
	filters = map[string]filterFunc{
		"default":    fDefault,
		"d":          fDefault,
		"join":       fJoin,
		"lower":      strFilter(strings.ToLower),
		"upper":      strFilter(strings.ToUpper),
		"capitalize": strFilter(capitalize),
		"title":      strFilter(title),
		"trim":       fTrim,
		"replace":    fReplace,
		"center":     fCenter,
		"int":        fInt,
		"float":      fFloat,
		"string": func(r *renderer, in any, args []any, kw *pyDict) (any, error) {
			if err := r.fits(in); err != nil {
				return nil, err
			}
			return pyStr(in), nil
		},
		"list":        fList,
		"length":      fLength,
		"count":       fLength,
		"first":       fFirst,
		"random":      fRandom,
		"last":        fLast,
		"reverse":     fReverse,
		"sort":        fSort,
		"dictsort":    fDictsort,
		"unique":      fUnique,
		"min":         fMinMax(-1),
		"max":         fMinMax(1),
		"sum":         fSum,
		"abs":         fAbs,
		"round":       fRound,
		"map":         fMap,
		"select":      fSelect(true, false),
		"reject":      fSelect(false, false),
		"selectattr":  fSelect(true, true),
		"rejectattr":  fSelect(false, true),
		"attr":        fAttr,
		"items":       fItems,
		"indent":      fIndent,
		"safe":        identity,
		"escape":      fEscape,
		"e":           fEscape,
		"forceescape": fEscape,
		"wordcount": func(r *renderer, in any, args []any, kw *pyDict) (any, error) {
			return len(strings.Fields(pyStr(in))), nil
		},
		"truncate":             fTruncate,
		"batch":                fBatch,
		"format":               fFormat,
		"urlencode":            fURLEncode,
		"pprint":               func(r *renderer, in any, args []any, kw *pyDict) (any, error) { return pyRepr(in), nil },
		"python":               func(r *renderer, in any, args []any, kw *pyDict) (any, error) { return pyRepr(in), nil },
		"tojson":               fToJSON,
		"json":                 fJSON,
		"yaml":                 fYAML,
		"yaml_encode":          fYAMLEncode,
		"yaml_dquote":          func(r *renderer, in any, args []any, kw *pyDict) (any, error) { return yamlDoubleQuote(pyStr(in)), nil },
		"yaml_squote":          func(r *renderer, in any, args []any, kw *pyDict) (any, error) { return yamlSingleQuote(pyStr(in)), nil },
		"load_yaml":            fLoad("yaml"),
		"load_json":            fLoad("json"),
		"load_text":            fLoad("text"),
		"traverse":             fTraverse,
		"sequence":             fSequence,
		"to_bool":              fToBool,
		"to_num":               fToNum,
		"skip":                 func(r *renderer, in any, args []any, kw *pyDict) (any, error) { return "", nil },
		"quote":                func(r *renderer, in any, args []any, kw *pyDict) (any, error) { return shellQuote(pyStr(in)), nil },
		"regex_escape":         func(r *renderer, in any, args []any, kw *pyDict) (any, error) { return pyReEscape(pyStr(in)), nil },
		"regex_replace":        fRegexReplace,
		"regex_search":         fRegexFind(false),
		"regex_match":          fRegexFind(true),
		"avg":                  fAvg,
		"union":                fSetOp("union"),
		"intersect":            fSetOp("intersect"),
		"difference":           fSetOp("difference"),
		"symmetric_difference": fSetOp("symmetric_difference"),
		"flatten":              fFlatten,
		"is_list": func(r *renderer, in any, args []any, kw *pyDict) (any, error) {
			_, ok := in.(*pyList)
			return ok, nil
		},
		"md5":           fHash(md5.New),
		"sha1":          fHash(sha1.New),
		"sha256":        fHash(sha256.New),
		"sha512":        fHash(sha512.New),
		"base64_encode": fBase64Encode,
		"base64_decode": fBase64Decode,
		"uuid":          fUUID,
		"path_join":     fPathJoin,
	}
}

func identity(r *renderer, in any, args []any, kw *pyDict) (any, error) { return in, nil }

func strFilter(f func(string) string) filterFunc {
	return func(r *renderer, in any, args []any, kw *pyDict) (any, error) {
		if len(args) > 0 || kw != nil {
			return nil, errors.New("takes no arguments")
		}
		return f(pyStr(in)), nil
	}
}

func fDefault(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "default_value", "boolean")
	if err != nil {
		return nil, err
	}
	def := or(a[0], "")
	if _, undef := in.(*undefined); undef {
		return def, nil
	}
	if truth(or(a[1], false)) && !truth(in) {
		return def, nil
	}
	return in, nil
}

// attrGetter returns a function reading a dotted attribute path
// ("a.b.0") from a value, as Jinja's make_attrgetter.
func attrGetter(r *renderer, attribute any, def any) (func(any) (any, error), error) {
	s, ok := attribute.(string)
	var parts []any
	if ok {
		for _, p := range strings.Split(s, ".") {
			if n, err := strconv.Atoi(p); err == nil {
				parts = append(parts, n)
			} else {
				parts = append(parts, p)
			}
		}
	} else if n, isInt := attribute.(int); isInt {
		parts = []any{n}
	} else {
		return nil, fmt.Errorf("attribute must be a string, not %s", typeName(attribute))
	}
	return func(v any) (any, error) {
		for _, p := range parts {
			next, found := lookupAny(v, p)
			if !found {
				if def != missing {
					return def, nil
				}
				return &undefined{name: pyRepr(v) + "[" + pyRepr(p) + "]"}, nil
			}
			v = next
		}
		return v, nil
	}, nil
}

// lookupAny is item-or-attribute lookup without error reporting.
func lookupAny(v any, key any) (any, bool) {
	switch o := v.(type) {
	case *pyDict:
		return o.get(key)
	case *namespace:
		return o.d.get(key)
	case *pyList:
		if i, ok := indexOf(key, len(o.items)); ok {
			return o.items[i], true
		}
	case pyTuple:
		if i, ok := indexOf(key, len(o)); ok {
			return o[i], true
		}
	case *module:
		if s, ok := key.(string); ok {
			x, found := o.vars[s]
			return x, found
		}
	}
	if s, ok := key.(string); ok {
		return method(v, s)
	}
	return nil, false
}

func strictValue(v any) error {
	if u, ok := v.(*undefined); ok {
		return fmt.Errorf("undefined: %s: %w", u.name, ErrUndefined)
	}
	return nil
}

func fJoin(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "d", "attribute")
	if err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	if a[1] != missing && a[1] != nil {
		get, err := attrGetter(r, a[1], missing)
		if err != nil {
			return nil, err
		}
		for i, it := range items {
			if items[i], err = get(it); err != nil {
				return nil, err
			}
			if err := strictValue(items[i]); err != nil {
				return nil, err
			}
		}
	}
	sep := pyStr(or(a[0], ""))
	parts := make([]string, len(items))
	total := 0
	for i, it := range items {
		parts[i] = pyStr(it)
		total += len(parts[i]) + len(sep)
	}
	if err := r.charge(total); err != nil {
		return nil, err
	}
	return strings.Join(parts, sep), nil
}

func fTrim(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "chars")
	if err != nil {
		return nil, err
	}
	return pyStrip(pyStr(in), or(a[0], nil), "strip")
}

func fReplace(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "old", "new", "count")
	if err != nil {
		return nil, err
	}
	if a[0] == missing || a[1] == missing {
		return nil, errors.New("needs old and new")
	}
	s, old, nw := pyStr(in), pyStr(a[0]), pyStr(a[1])
	n := -1
	if c, ok := or(a[2], nil).(int); ok {
		n = c
	}
	if err := chargeReplace(r, s, old, nw, n); err != nil {
		return nil, err
	}
	return strings.Replace(s, old, nw, n), nil
}

func fCenter(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "width")
	if err != nil {
		return nil, err
	}
	w, ok := or(a[0], 80).(int)
	if !ok || w > 1<<20 {
		return nil, errors.New("width must be a reasonable integer")
	}
	return pad(pyStr(in), w, " ", "center"), nil
}

// fInt is Jinja's int filter: strings parse in the given base, then as a
// float; anything that does not convert gives the default (0).
func fInt(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "default", "base")
	if err != nil {
		return nil, err
	}
	def := or(a[0], 0)
	base, ok := or(a[1], 10).(int)
	if !ok {
		return nil, errors.New("base must be an integer")
	}
	switch v := in.(type) {
	case int:
		return v, nil
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) >= 1<<63 {
			return def, nil
		}
		return int(v), nil
	case string:
		s := strings.ReplaceAll(strings.TrimSpace(v), "_", "")
		b := base
		if b == 16 || b == 8 || b == 2 {
			low := strings.ToLower(strings.TrimLeft(s, "+-"))
			prefix := map[int]string{16: "0x", 8: "0o", 2: "0b"}[b]
			if strings.HasPrefix(low, prefix) {
				sign := s[:len(s)-len(strings.TrimLeft(s, "+-"))]
				s = sign + strings.TrimLeft(s, "+-")[2:]
			}
		}
		if n, err := strconv.ParseInt(s, b, 64); err == nil {
			return int(n), nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) && math.Abs(f) < 1<<63 {
			return int(f), nil
		}
	}
	return def, nil
}

func fFloat(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "default")
	if err != nil {
		return nil, err
	}
	def := or(a[0], 0.0)
	if f, _, _, ok := toNumber(in); ok {
		return f, nil
	}
	if s, ok := in.(string); ok {
		s = strings.TrimSpace(s)
		switch strings.ToLower(s) {
		case "inf", "+inf", "infinity":
			return math.Inf(1), nil
		case "-inf", "-infinity":
			return math.Inf(-1), nil
		case "nan":
			return math.NaN(), nil
		}
		if f, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64); err == nil {
			return f, nil
		}
	}
	return def, nil
}

func fList(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	return &pyList{items: items}, r.charge(16 * len(items))
}

func fLength(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	n, ok := pyLen(in)
	if !ok {
		return nil, fmt.Errorf("object of type '%s' has no len()", typeName(in))
	}
	return n, nil
}

func fFirst(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return &undefined{name: "(empty sequence|first)", hint: "no first item"}, nil
	}
	return items[0], nil
}

// fRandom is Jinja's random: one item of the sequence, chosen at random.
func fRandom(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return &undefined{name: "(empty sequence|random)", hint: "no item to choose"}, nil
	}
	return items[rand.IntN(len(items))], nil
}

func fLast(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return &undefined{name: "(empty sequence|last)", hint: "no last item"}, nil
	}
	return items[len(items)-1], nil
}

func fReverse(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	if s, ok := in.(string); ok {
		rs := []rune(s)
		for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
			rs[i], rs[j] = rs[j], rs[i]
		}
		return string(rs), nil
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	return &pyList{items: items}, nil
}

func fSort(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "reverse", "case_sensitive", "attribute")
	if err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	var key func(any) (any, error)
	if attr := or(a[2], nil); attr != nil {
		if key, err = attrGetter(r, attr, missing); err != nil {
			return nil, err
		}
	}
	sorted, err := sortValues(items, truth(or(a[0], false)), truth(or(a[1], false)), key)
	if err != nil {
		return nil, err
	}
	return &pyList{items: sorted}, nil
}

func fDictsort(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "case_sensitive", "by", "reverse")
	if err != nil {
		return nil, err
	}
	d, ok := in.(*pyDict)
	if !ok {
		return nil, fmt.Errorf("dictsort needs a dict, got %s", typeName(in))
	}
	pos := 0
	switch or(a[1], "key") {
	case "key":
	case "value":
		pos = 1
	default:
		return nil, errors.New("you can only sort by either 'key' or 'value'")
	}
	items := make([]any, len(d.keys))
	for i, k := range d.keys {
		items[i] = pyTuple{k, d.value(k)}
	}
	sorted, err := sortValues(items, truth(or(a[2], false)), truth(or(a[0], false)), func(v any) (any, error) {
		return v.(pyTuple)[pos], nil
	})
	if err != nil {
		return nil, err
	}
	return &pyList{items: sorted}, nil
}

// fUnique is Salt's unique: first occurrences, in order, case-sensitive.
func fUnique(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	return &pyList{items: uniqueValues(items)}, nil
}

func uniqueValues(items []any) []any {
	var out []any
	seen := map[any]bool{}
	for _, it := range items {
		if k, ok := normKey(it); ok {
			if seen[k] {
				continue
			}
			seen[k] = true
		} else if seqContains(out, it) {
			continue
		}
		out = append(out, it)
	}
	return out
}

func fMinMax(sign int) filterFunc {
	return func(r *renderer, in any, args []any, kw *pyDict) (any, error) {
		a, err := bind(args, kw, "case_sensitive", "attribute")
		if err != nil {
			return nil, err
		}
		items, err := iterate(in)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return &undefined{name: "(empty sequence)", hint: "no min/max of an empty sequence"}, nil
		}
		key := func(v any) (any, error) { return v, nil }
		if attr := or(a[1], nil); attr != nil {
			if key, err = attrGetter(r, attr, missing); err != nil {
				return nil, err
			}
		}
		cs := a[0] == missing || truth(a[0])
		best := items[0]
		bestKey, err := key(best)
		if err != nil {
			return nil, err
		}
		for _, it := range items[1:] {
			k, err := key(it)
			if err != nil {
				return nil, err
			}
			ka, kb := k, bestKey
			if !cs {
				if s, ok := ka.(string); ok {
					ka = strings.ToLower(s)
				}
				if s, ok := kb.(string); ok {
					kb = strings.ToLower(s)
				}
			}
			c, err := pyCompare(ka, kb)
			if err != nil {
				return nil, err
			}
			if c*sign > 0 {
				best, bestKey = it, k
			}
		}
		return best, nil
	}
}

func fSum(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "attribute", "start")
	if err != nil {
		return nil, err
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	var total any = or(a[1], 0)
	var get func(any) (any, error)
	if attr := or(a[0], nil); attr != nil {
		if get, err = attrGetter(r, attr, missing); err != nil {
			return nil, err
		}
	}
	for _, it := range items {
		if get != nil {
			if it, err = get(it); err != nil {
				return nil, err
			}
		}
		if total, err = r.arith("+", total, it); err != nil {
			return nil, err
		}
	}
	return total, nil
}

func fAbs(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	switch v := in.(type) {
	case int:
		if v < 0 {
			return negate(v)
		}
		return v, nil
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case float64:
		return math.Abs(v), nil
	}
	return nil, fmt.Errorf("bad operand type for abs(): '%s'", typeName(in))
}

func fRound(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "precision", "method")
	if err != nil {
		return nil, err
	}
	f, _, _, ok := toNumber(in)
	if !ok {
		return nil, fmt.Errorf("cannot round a %s", typeName(in))
	}
	prec, ok := or(a[0], 0).(int)
	if !ok || prec < -20 || prec > 20 {
		return nil, errors.New("precision must be a small integer")
	}
	p := math.Pow(10, float64(prec))
	switch or(a[1], "common") {
	case "common":
		if n, isInt := in.(int); isInt {
			// Python's round() on an int stays an int.
			if prec >= 0 {
				return n, nil
			}
			return int(math.RoundToEven(float64(n)*p) / p), nil
		}
		// Python's round() rounds half to even on the decimal value;
		// formatting with the precision does exactly that.
		if prec >= 0 {
			v, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', prec, 64), 64)
			return v, nil
		}
		return math.RoundToEven(f*p) / p, nil
	case "ceil":
		return math.Ceil(f*p) / p, nil
	case "floor":
		return math.Floor(f*p) / p, nil
	}
	return nil, errors.New("method must be common, ceil or floor")
}

// fMap is map(attribute='x', default=...) or map('filter', args...).
func fMap(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	out := &pyList{items: make([]any, 0, len(items))}
	if len(args) == 0 && kw != nil {
		attr, ok := kw.get("attribute")
		if !ok {
			return nil, errors.New("map needs a filter name or attribute=")
		}
		def, hasDef := kw.get("default")
		if !hasDef {
			def = missing
		}
		get, err := attrGetter(r, attr, def)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			v, err := get(it)
			if err != nil {
				return nil, err
			}
			out.items = append(out.items, v)
		}
		return out, nil
	}
	if len(args) == 0 {
		return nil, errors.New("map needs a filter name or attribute=")
	}
	name, ok := args[0].(string)
	if !ok {
		return nil, errors.New("filter name must be a string")
	}
	f, ok := filters[name]
	if !ok {
		return nil, fmt.Errorf("no filter named '%s'", name)
	}
	for _, it := range items {
		v, err := f(r, it, args[1:], kw)
		if err != nil {
			return nil, err
		}
		out.items = append(out.items, v)
	}
	return out, nil
}

// fSelect implements select, reject, selectattr and rejectattr.
func fSelect(keep, byAttr bool) filterFunc {
	return func(r *renderer, in any, args []any, kw *pyDict) (any, error) {
		items, err := iterate(in)
		if err != nil {
			return nil, err
		}
		get := func(v any) (any, error) { return v, nil }
		if byAttr {
			if len(args) == 0 {
				return nil, errors.New("needs an attribute name")
			}
			if get, err = attrGetter(r, args[0], missing); err != nil {
				return nil, err
			}
			args = args[1:]
		}
		var test testFunc
		if len(args) > 0 {
			name, ok := args[0].(string)
			if !ok {
				return nil, errors.New("test name must be a string")
			}
			if test, ok = tests[name]; !ok {
				return nil, fmt.Errorf("no test named '%s'", name)
			}
			args = args[1:]
		}
		out := &pyList{}
		for _, it := range items {
			v, err := get(it)
			if err != nil {
				return nil, err
			}
			var ok bool
			if test == nil {
				if err := strictValue(v); err != nil {
					return nil, err
				}
				ok = truth(v)
			} else if ok, err = test(r, v, args, kw); err != nil {
				return nil, err
			}
			if ok == keep {
				out.items = append(out.items, it)
			}
		}
		return out, nil
	}
}

func fAttr(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	if len(args) != 1 {
		return nil, errors.New("takes exactly one argument")
	}
	v, ok := lookupAny(in, args[0])
	if !ok {
		return &undefined{name: pyRepr(in) + "." + pyStr(args[0])}, nil
	}
	return v, nil
}

func fItems(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	d, ok := in.(*pyDict)
	if !ok {
		if in == nil {
			return &pyList{}, nil
		}
		return nil, fmt.Errorf("can only get item pairs from a mapping, not %s", typeName(in))
	}
	return dictMethod(r, d, "items", nil, nil)
}

// fIndent is Jinja 3's indent(width=4, first=False, blank=False); the
// Jinja 2 name indentfirst is accepted too.
func fIndent(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "width", "first", "blank", "indentfirst")
	if err != nil {
		return nil, err
	}
	var ind string
	switch w := or(a[0], 4).(type) {
	case string:
		ind = w
	case int:
		if w < 0 || w > 1<<16 {
			return nil, errors.New("width out of range")
		}
		ind = strings.Repeat(" ", w)
	default:
		return nil, errors.New("width must be an integer or a string")
	}
	s := pyStr(in) + "\n"
	lines := splitLines(s)
	if err := r.charge(len(s) + len(lines)*len(ind)); err != nil {
		return nil, err
	}
	var b strings.Builder
	if truth(or(a[2], false)) {
		b.WriteString(strings.Join(lines, "\n"+ind))
	} else if len(lines) > 0 {
		b.WriteString(lines[0])
		for _, l := range lines[1:] {
			b.WriteByte('\n')
			if l != "" {
				b.WriteString(ind)
			}
			b.WriteString(l)
		}
	}
	res := b.String()
	if truth(or(a[1], false)) || truth(or(a[3], false)) {
		res = ind + res
	}
	return res, nil
}

func fEscape(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	s := pyStr(in)
	s = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
	return s, nil
}

func fTruncate(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "length", "killwords", "end", "leeway")
	if err != nil {
		return nil, err
	}
	s := []rune(pyStr(in))
	length, ok := or(a[0], 255).(int)
	if !ok {
		return nil, errors.New("length must be an integer")
	}
	end := pyStr(or(a[2], "..."))
	leeway, ok := or(a[3], 5).(int)
	if !ok {
		return nil, errors.New("leeway must be an integer")
	}
	if len(s) <= length+leeway {
		return string(s), nil
	}
	cut := max(0, length-utf8.RuneCountInString(end))
	if truth(or(a[1], false)) {
		return string(s[:cut]) + end, nil
	}
	head := string(s[:cut])
	if i := strings.LastIndex(head, " "); i >= 0 {
		head = head[:i]
	}
	return head + end, nil
}

func fBatch(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "linecount", "fill_with")
	if err != nil {
		return nil, err
	}
	n, ok := a[0].(int)
	if !ok || n <= 0 {
		return nil, errors.New("linecount must be a positive integer")
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	out := &pyList{}
	for i := 0; i < len(items); i += n {
		chunk := append([]any(nil), items[i:min(i+n, len(items))]...)
		if fill := a[1]; fill != missing && len(chunk) < n {
			if n > MaxRange {
				return nil, fmt.Errorf("linecount too large: %w", ErrLimit)
			}
			for len(chunk) < n {
				chunk = append(chunk, fill)
			}
		}
		out.items = append(out.items, &pyList{items: chunk})
	}
	return out, nil
}

func fFormat(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	var arg any
	switch {
	case kw != nil && len(args) > 0:
		return nil, errors.New("can't handle positional and keyword arguments at the same time")
	case kw != nil:
		arg = kw
	case len(args) == 1:
		arg = args[0]
		if _, isTuple := arg.(pyTuple); isTuple {
			arg = pyTuple{arg}
		}
	default:
		arg = pyTuple(args)
	}
	res, err := percentFormat(pyStr(in), arg)
	if err != nil {
		return nil, err
	}
	return res, r.charge(len(res))
}

func fURLEncode(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	switch v := in.(type) {
	case *pyDict:
		parts := make([]string, 0, v.len())
		for _, k := range v.keys {
			parts = append(parts, urlQuote(pyStr(k), "")+"="+urlQuote(pyStr(v.value(k)), ""))
		}
		return strings.Join(parts, "&"), nil
	case string:
		return urlQuote(v, "/"), nil
	}
	return urlQuote(pyStr(in), "/"), nil
}

// urlQuote is Python's urllib.parse.quote with the given safe characters.
func urlQuote(s, safe string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-~", c) >= 0 || strings.IndexByte(safe, c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func fToJSON(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "indent")
	if err != nil {
		return nil, err
	}
	if err := r.fits(in); err != nil {
		return nil, err
	}
	s, err := jsonDump(in, true, or(a[0], nil))
	if err != nil {
		return nil, err
	}
	s = strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`, "'", `\u0027`).Replace(s)
	return s, r.charge(len(s))
}

func fJSON(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "sort_keys", "indent")
	if err != nil {
		return nil, err
	}
	if err := r.fits(in); err != nil {
		return nil, err
	}
	s, err := jsonDump(in, truth(or(a[0], true)), or(a[1], nil))
	if err != nil {
		return nil, err
	}
	return strings.TrimSpace(s), r.charge(len(s))
}

func fYAML(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "flow_style")
	if err != nil {
		return nil, err
	}
	if err := r.fits(in); err != nil {
		return nil, err
	}
	s, err := yamlDump(in, truth(or(a[0], true)))
	if err != nil {
		return nil, err
	}
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, "\n...")
	return s, r.charge(len(s))
}

func fYAMLEncode(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	switch v := in.(type) {
	case string:
		return yamlDoubleQuote(v), nil
	case nil, bool, int, float64:
		return yamlScalarRepr(v), nil
	}
	return nil, fmt.Errorf("yaml_encode only works with scalar data, not %s", typeName(in))
}

func fLoad(format string) filterFunc {
	return func(r *renderer, in any, args []any, kw *pyDict) (any, error) {
		return loadData(format, pyStr(in))
	}
}

func fTraverse(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "key", "default", "delimiter")
	if err != nil {
		return nil, err
	}
	if a[0] == missing {
		return nil, errors.New("needs a key")
	}
	return traverseValue(in, pyStr(a[0]), pyStr(or(a[2], ":")), or(a[1], nil)), nil
}

// traverseValue is Salt's traverse_dict_and_list on template values.
func traverseValue(data any, key, delim string, def any) any {
	ptr := data
	for _, part := range strings.Split(key, delim) {
		switch p := ptr.(type) {
		case *pyList:
			idx, err := strconv.Atoi(part)
			matched := false
			for _, it := range p.items {
				if d, ok := it.(*pyDict); ok {
					var v any
					var found bool
					if err == nil {
						v, found = d.get(idx)
					} else {
						v, found = d.get(part)
					}
					if found {
						ptr, matched = v, true
						break
					}
				}
			}
			if matched {
				continue
			}
			if err != nil {
				return def
			}
			i, ok := indexOf(idx, len(p.items))
			if !ok {
				return def
			}
			ptr = p.items[i]
		case *pyDict:
			if v, ok := p.get(part); ok {
				ptr = v
				continue
			}
			if n, err := strconv.Atoi(part); err == nil {
				if v, ok := p.get(n); ok {
					ptr = v
					continue
				}
			}
			return def
		default:
			return def
		}
	}
	return ptr
}

func fSequence(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	switch in.(type) {
	case *pyList, pyTuple, *pyDict:
		return in, nil
	}
	return &pyList{items: []any{in}}, nil
}

func fToBool(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	switch v := in.(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(v) {
		case "yes", "1", "true":
			return true, nil
		}
		return false, nil
	case int:
		return v > 0, nil
	case *pyList, *pyDict:
		n, _ := pyLen(v)
		return n > 0, nil
	}
	return false, nil
}

func fToNum(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	s, ok := in.(string)
	if !ok {
		return in, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return f, nil
	}
	return in, nil
}

// shellQuote is Python's shlex.quote.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, c := range s {
		if !(c < utf8.RuneSelf && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("@%+=:,./-_", c))) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

// pyReEscape is Python 3.7+'s re.escape.
func pyReEscape(s string) string {
	var b strings.Builder
	for _, c := range s {
		if strings.ContainsRune("()[]{}?*+-|^$\\.&~# \t\n\r\v\f", c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// compilePyRegex compiles a Python regular expression with Go's RE2.
// Python-only constructs (lookaround, backreferences) fail with a clear
// error instead of matching differently.
func compilePyRegex(pattern string, ignorecase, multiline bool) (*regexp.Regexp, error) {
	flags := ""
	if ignorecase {
		flags += "i"
	}
	if multiline {
		flags += "m"
	}
	if flags != "" {
		pattern = "(?" + flags + ")" + pattern
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("regular expression %q: %v", pattern, err)
	}
	return re, nil
}

func regexFlags(args []any, kw *pyDict, names ...string) ([]any, bool, bool, error) {
	a, err := bind(args, kw, append(names, "ignorecase", "multiline")...)
	if err != nil {
		return nil, false, false, err
	}
	n := len(names)
	for i := 0; i < n; i++ {
		if a[i] == missing {
			return nil, false, false, fmt.Errorf("needs %s", strings.Join(names, " and "))
		}
	}
	return a[:n], truth(or(a[n], false)), truth(or(a[n+1], false)), nil
}

func fRegexReplace(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, ic, ml, err := regexFlags(args, kw, "rgx", "val")
	if err != nil {
		return nil, err
	}
	re, err := compilePyRegex(pyStr(a[0]), ic, ml)
	if err != nil {
		return nil, err
	}
	repl, err := pyReplacement(pyStr(a[1]))
	if err != nil {
		return nil, err
	}
	s := pyStr(in)
	res := re.ReplaceAllString(s, repl)
	return res, r.charge(len(res))
}

// pyReplacement converts a Python re.sub replacement (\1, \g<name>) to
// Go's syntax (${1}, ${name}), escaping literal dollars.
func pyReplacement(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$':
			b.WriteString("$$")
		case c == '\\' && i+1 < len(s):
			n := s[i+1]
			switch {
			case n >= '0' && n <= '9':
				j := i + 1
				for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				b.WriteString("${" + s[i+1:j] + "}")
				i = j - 1
			case n == 'g' && i+2 < len(s) && s[i+2] == '<':
				end := strings.IndexByte(s[i+3:], '>')
				if end < 0 {
					return "", errors.New("missing '>' in \\g<...> group reference")
				}
				b.WriteString("${" + s[i+3:i+3+end] + "}")
				i += 3 + end
			case n == 'n':
				b.WriteByte('\n')
				i++
			case n == 't':
				b.WriteByte('\t')
				i++
			case n == '\\':
				b.WriteByte('\\')
				i++
			default:
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

func fRegexFind(anchored bool) filterFunc {
	return func(r *renderer, in any, args []any, kw *pyDict) (any, error) {
		a, ic, ml, err := regexFlags(args, kw, "rgx")
		if err != nil {
			return nil, err
		}
		pattern := pyStr(a[0])
		if anchored {
			pattern = `\A(?:` + pattern + `)`
		}
		re, err := compilePyRegex(pattern, ic, ml)
		if err != nil {
			return nil, err
		}
		s := pyStr(in)
		m := re.FindStringSubmatchIndex(s)
		if m == nil {
			return nil, nil
		}
		groups := make(pyTuple, 0, len(m)/2-1)
		for i := 2; i < len(m); i += 2 {
			if m[i] < 0 {
				groups = append(groups, nil)
			} else {
				groups = append(groups, s[m[i]:m[i+1]])
			}
		}
		return groups, nil
	}
}

func fAvg(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	if f, _, _, ok := toNumber(in); ok {
		return f, nil
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, errors.New("division by zero")
	}
	var sum float64
	for _, it := range items {
		f, _, _, ok := toNumber(it)
		if !ok {
			return nil, fmt.Errorf("cannot average a %s", typeName(it))
		}
		sum += f
	}
	return sum / float64(len(items)), nil
}

func fSetOp(op string) filterFunc {
	return func(r *renderer, in any, args []any, kw *pyDict) (any, error) {
		if len(args) != 1 {
			return nil, errors.New("takes exactly one argument")
		}
		a, err := iterate(in)
		if err != nil {
			return nil, err
		}
		b, err := iterate(args[0])
		if err != nil {
			return nil, err
		}
		var out []any
		switch op {
		case "union":
			out = uniqueValues(append(append([]any(nil), a...), b...))
		case "intersect":
			for _, x := range a {
				if seqContains(b, x) {
					out = append(out, x)
				}
			}
			out = uniqueValues(out)
		case "difference":
			for _, x := range a {
				if !seqContains(b, x) {
					out = append(out, x)
				}
			}
			out = uniqueValues(out)
		case "symmetric_difference":
			for _, x := range uniqueValues(append(append([]any(nil), a...), b...)) {
				if !(seqContains(a, x) && seqContains(b, x)) {
					out = append(out, x)
				}
			}
		}
		return &pyList{items: out}, nil
	}
}

// fFlatten is Salt's flatten(levels=None, preserve_nulls=False).
func fFlatten(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "levels", "preserve_nulls")
	if err != nil {
		return nil, err
	}
	levels := -1
	if l, ok := or(a[0], nil).(int); ok {
		levels = l
	}
	keepNil := truth(or(a[1], false))
	var flat func(items []any, level int) []any
	flat = func(items []any, level int) []any {
		var out []any
		for _, it := range items {
			if it == nil && !keepNil {
				continue
			}
			if l, ok := it.(*pyList); ok && level != 0 {
				out = append(out, flat(l.items, level-1)...)
				continue
			}
			out = append(out, it)
		}
		return out
	}
	items, err := iterate(in)
	if err != nil {
		return nil, err
	}
	return &pyList{items: flat(items, levels)}, nil
}

func fHash(newHash func() hash.Hash) filterFunc {
	return func(r *renderer, in any, args []any, kw *pyDict) (any, error) {
		h := newHash()
		h.Write([]byte(pyStr(in)))
		return hex.EncodeToString(h.Sum(nil)), nil
	}
}

func fBase64Encode(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	return base64.StdEncoding.EncodeToString([]byte(pyStr(in))), nil
}

func fBase64Decode(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	b, err := base64.StdEncoding.DecodeString(pyStr(in))
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// fUUID is Salt's uuid filter: a name-based (SHA-1, version 5) UUID in
// Salt's fixed namespace, so the same input gives the same UUID as Salt.
func fUUID(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	ns := [16]byte{0x91, 0x63, 0x3e, 0xbf, 0x1c, 0x86, 0x5e, 0x33, 0x93, 0x5a, 0x28, 0x06, 0x1f, 0x4b, 0x48, 0x0e}
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(pyStr(in)))
	sum := h.Sum(nil)
	u := sum[:16]
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	x := hex.EncodeToString(u)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:], nil
}

// fPathJoin is os.path.join on POSIX: a later absolute part restarts.
func fPathJoin(r *renderer, in any, args []any, kw *pyDict) (any, error) {
	p := pyStr(in)
	for _, a := range args {
		s := pyStr(a)
		switch {
		case strings.HasPrefix(s, "/"):
			p = s
		case p == "" || strings.HasSuffix(p, "/"):
			p += s
		default:
			p += "/" + s
		}
	}
	return p, nil
}

// isCased backs the upper and lower tests: s has cased letters, all of
// them upper (or lower) case.
func isCased(s string, upper bool) bool {
	cased := false
	for _, c := range s {
		if unicode.IsUpper(c) {
			if !upper {
				return false
			}
			cased = true
		} else if unicode.IsLower(c) {
			if upper {
				return false
			}
			cased = true
		}
	}
	return cased
}
