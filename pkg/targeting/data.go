package targeting

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// dataMatcher matches grains or pillar with Salt's subdict_match rules
// (salt/utils/data.py), which users rely on without knowing it:
//
//   - The expression "a:b:c" is split at every delimiter. Each split point
//     gives a key path (a, then a:b) and a value pattern (b:c, then c); the
//     target matches if any split matches. So "ip_interfaces:eth0:10.0.0.*"
//     walks ip_interfaces → eth0, and "G@ipv6:2001:db8::1" still finds the
//     value "2001:db8::1" under ipv6.
//   - A path component indexes a list when it is an integer (negative counts
//     from the end) and otherwise selects the first dict in the list that
//     has that key.
//   - When the path ends at a list, any element matching matches. When it
//     ends at a dict, the pattern matches if it is "*" or names a key of the
//     dict; a pattern starting with "*:" searches every value of the dict.
//     A key path of just "*" searches the whole data.
//   - Values compare by their string form as Python prints them (true is
//     "True", a null is "None", 2.0 is "2.0"), and case-insensitively: Salt
//     lowercases both the value and the pattern, for globs and for regular
//     expressions alike. Keys are case-sensitive.
//
// Deliberate differences from Salt: a regular expression is made
// case-insensitive with RE2's (?i) flag instead of by lowercasing the
// pattern text (which turns \W into \w and \D into \d); a custom delimiter
// (G%@a%b) is used at every level, where Salt falls back to ':' below the
// top; and a list element that is itself a list is not matched against its
// Python repr. An expression without the delimiter, or with an empty first
// key, is an error rather than a silent non-match, and so is one with more
// than maxStars "*" keys (their cost multiplies).
type dataMatcher struct {
	pillar bool
	regex  bool
	delim  rune
	expr   string // the text after the prefix, e.g. "os:Debian"

	comps  []string // expr split at delim
	starts []int    // byte offset in expr where comps[k] begins
	// stars counts the "*" components. Each one searches every value of a
	// dict, so several of them multiply: with two or more, Match memoizes
	// results per (dict, position), which keeps the cost polynomial.
	stars int
	// values[k] matches a scalar against the value pattern that starts at
	// comps[k]. Compiled on first use: of the many split points of a long
	// expression, usually one or two ever meet data.
	values []lazyValue
}

// maxStars bounds the "*" keys of one grain or pillar term: each searches a
// whole dict, so their cost multiplies, and no real target needs many.
const maxStars = 8

type stringMatcher interface{ MatchString(string) bool }

type lazyValue struct {
	once sync.Once
	m    stringMatcher // nil when the suffix is not a valid regexp
}

func newDataMatcher(t Type, delim rune, text, expr string, pos int) (*dataMatcher, error) {
	d := &dataMatcher{
		pillar: t == Pillar || t == PillarPCRE,
		regex:  t == GrainPCRE || t == PillarPCRE,
		delim:  delim,
		expr:   text,
	}
	what := "grain"
	if d.pillar {
		what = "pillar"
	}
	ds := string(delim)
	if !strings.Contains(text, ds) {
		return nil, &ParseError{Expr: expr, Pos: pos,
			Msg: fmt.Sprintf("%s target %q needs a key and a value separated by %q", what, text, ds)}
	}
	d.comps = strings.Split(text, ds)
	if d.comps[0] == "" {
		return nil, &ParseError{Expr: expr, Pos: pos, Msg: fmt.Sprintf("%s target %q has an empty key", what, text)}
	}
	d.starts = make([]int, len(d.comps))
	off := 0
	for k, c := range d.comps {
		d.starts[k] = off
		off += len(c) + len(ds)
	}
	for _, c := range d.comps {
		if c == "*" {
			d.stars++
		}
	}
	if d.stars > maxStars {
		return nil, &ParseError{Expr: expr, Pos: pos,
			Msg: fmt.Sprintf("%s target %q has %d \"*\" keys; at most %d are allowed", what, text, d.stars, maxStars)}
	}
	d.values = make([]lazyValue, len(d.comps))
	if d.regex {
		// The value after the first delimiter is what the user most likely
		// meant as the pattern: it must be a valid RE2 expression. The
		// patterns of deeper split points may fail to compile; they then
		// never match, as in Salt.
		if _, err := regexp.Compile(d.suffix(1)); err != nil {
			return nil, regexpError(err, d.suffix(1), expr, pos+d.starts[1])
		}
	}
	return d, nil
}

func (d *dataMatcher) suffix(k int) string { return d.expr[d.starts[k]:] }

func (d *dataMatcher) value(k int) stringMatcher {
	v := &d.values[k]
	v.once.Do(func() {
		if d.regex {
			// Check the pattern on its own first: wrapping can make an
			// invalid pattern valid ("a)(b" becomes "^(?i:a)(b)").
			if _, err := syntax.Parse(d.suffix(k), syntax.Perl); err != nil {
				return
			}
			if re, err := regexp.Compile(`^(?i:` + d.suffix(k) + `)`); err == nil {
				v.m = re
			}
			return
		}
		v.m = compileGlob(d.suffix(k), true)
	})
	return v.m
}

func (d *dataMatcher) Match(m *Minion) bool {
	data := m.Grains
	if d.pillar {
		data = m.Pillar
	}
	if data == nil {
		return false
	}
	var mm *memo
	if d.stars >= 2 {
		mm = &memo{}
	}
	return d.subdict(data, 0, mm)
}

// memo caches subdict and uncovered dictMatch results for one Match call.
// Both are pure functions of the dict and the pattern position.
type memo struct{ m map[memoKey]bool }

type memoKey struct {
	dict uintptr // the map's identity
	k    int
	sub  bool // subdict rather than dictMatch
}

func (mm *memo) get(dict any, k int, sub bool) (key memoKey, result, ok bool) {
	if mm == nil {
		return memoKey{}, false, false
	}
	key = memoKey{reflect.ValueOf(dict).Pointer(), k, sub}
	result, ok = mm.m[key]
	return key, result, ok
}

func (mm *memo) put(key memoKey, result bool) bool {
	if mm != nil {
		if mm.m == nil {
			mm.m = map[memoKey]bool{}
		}
		mm.m[key] = result
	}
	return result
}

func (d *dataMatcher) String() string {
	var b strings.Builder
	switch {
	case d.pillar && d.regex:
		b.WriteByte('J')
	case d.pillar:
		b.WriteByte('I')
	case d.regex:
		b.WriteByte('P')
	default:
		b.WriteByte('G')
	}
	if d.delim != ':' {
		b.WriteRune(d.delim)
	}
	b.WriteByte('@')
	b.WriteString(d.expr)
	return b.String()
}

// subdict reports whether the expression made of comps[k:] matches data
// (Salt's subdict_match).
func (d *dataMatcher) subdict(data any, k int, mm *memo) bool {
	n := len(d.comps)
	if n-k < 2 {
		return false
	}
	key, result, ok := mm.get(data, k, true)
	if ok {
		return result
	}
	return mm.put(key, d.walk(data, k, mm))
}

// walk does subdict's work.
func (d *dataMatcher) walk(data any, k int, mm *memo) bool {
	n := len(d.comps)
	// Salt tries the deepest split point first; the answer does not depend
	// on the order, and walking down once is cheaper than walking from the
	// top for every split point. node is data[comps[k]]...[comps[j-1]].
	node := data
	for j := k + 1; j < n; j++ {
		if j == k+1 && d.comps[k] == "*" {
			// The key "*" stands for the whole data: search all of it.
			if size, isMap := mapLen(data); isMap && size > 0 && d.dictMatch(data, k, false, mm) {
				return true
			}
		}
		next, ok := step(node, d.comps[j-1])
		if !ok {
			return false // deeper paths cannot exist either
		}
		node = next
		if j == k+1 && d.comps[k] == "*" {
			continue // the literal key "*" is only walked through, as in Salt
		}
		if d.nodeMatch(node, j, mm) {
			return true
		}
	}
	return false
}

// nodeMatch matches the value pattern comps[j:] against the node a key path
// led to. It is called for every split point of one walk, so the dicts it
// meets are "covered": deeper split points of the same path are tried by
// the caller's loop and need not be tried again (see dictMatch).
func (d *dataMatcher) nodeMatch(node any, j int, mm *memo) bool {
	if n, isMap := mapLen(node); isMap {
		return n > 0 && d.dictMatch(node, j, true, mm) // Salt skips an empty dict
	}
	if isList(node) {
		found := false
		eachElem(node, func(e any) bool {
			if _, isMap := mapLen(e); isMap {
				found = d.dictMatch(e, j, false, mm)
			} else {
				found = d.scalarMatch(e, j)
			}
			return !found
		})
		return found
	}
	return d.scalarMatch(node, j)
}

// dictMatch is Salt's _dict_match: does the pattern comps[k:] match the
// dict m? covered says the caller already tries every deeper split point
// of the path that led to m, which makes the recursive subdict call
// redundant (it would walk the same nodes with the same patterns); skipping
// it keeps long expressions linear instead of exponential.
func (d *dataMatcher) dictMatch(m any, k int, covered bool, mm *memo) bool {
	if covered {
		return d.dictMatch1(m, k, true, mm)
	}
	key, result, ok := mm.get(m, k, false)
	if ok {
		return result
	}
	return mm.put(key, d.dictMatch1(m, k, false, mm))
}

func (d *dataMatcher) dictMatch1(m any, k int, covered bool, mm *memo) bool {
	n := len(d.comps)
	wildcard := n-k >= 2 && d.comps[k] == "*"
	if wildcard {
		k++
	}
	if n-k == 1 && d.comps[k] == "*" {
		return true // "key exists"
	}
	if _, ok := lookup(m, d.suffix(k)); ok {
		return true // the pattern names a key
	}
	if (!covered || wildcard) && d.subdict(m, k, mm) {
		return true
	}
	if !wildcard {
		return false
	}
	found := false
	eachValue(m, func(v any) bool {
		switch {
		case isMapValue(v):
			found = d.dictMatch(v, k, false, mm)
		case isList(v):
			eachElem(v, func(e any) bool {
				found = d.scalarMatch(e, k)
				return !found
			})
		default:
			found = d.scalarMatch(v, k)
		}
		return !found
	})
	return found
}

func (d *dataMatcher) scalarMatch(v any, k int) bool {
	s, ok := pyStr(v)
	if !ok {
		return false
	}
	vm := d.value(k)
	return vm != nil && vm.MatchString(s)
}

// pyStr formats a scalar the way Python's str() does, which is what Salt
// matches patterns against. It reports false for lists and maps.
func pyStr(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case nil:
		return "None", true
	case bool:
		if v {
			return "True", true
		}
		return "False", true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case float64:
		return pyFloat(v), true
	case float32:
		return pyFloat(float64(v)), true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10), true
	case reflect.String:
		return rv.String(), true
	case reflect.Bool:
		return pyStr(rv.Bool())
	case reflect.Float32, reflect.Float64:
		return pyFloat(rv.Float()), true
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct, reflect.Pointer, reflect.Interface, reflect.Func, reflect.Chan:
		return "", false
	}
	return fmt.Sprint(v), true
}

// pyFloat formats f like Python's repr(float): shortest round-trip digits,
// ".0" on integral values, exponent form below 1e-4 and from 1e16.
func pyFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return e // Go's 'e' form already matches Python's: 1e+16, 1.5e-05
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// step walks one path component down from node, like one iteration of
// Salt's traverse_dict_and_list.
func step(node any, comp string) (any, bool) {
	if _, isMap := mapLen(node); isMap {
		return lookup(node, comp)
	}
	if !isList(node) {
		return nil, false // a scalar has no children
	}
	if idx, err := strconv.Atoi(strings.TrimSpace(comp)); err == nil {
		return index(node, idx)
	}
	// Not an index: the first dict in the list that has the key.
	var (
		val   any
		found bool
	)
	eachElem(node, func(e any) bool {
		if _, isMap := mapLen(e); isMap {
			val, found = lookup(e, comp)
		}
		return !found
	})
	return val, found
}

// The helpers below accept the shapes grains and pillar take after YAML or
// CBOR decoding without reflection, and any other map with string keys or
// slice through reflection.

func mapLen(v any) (int, bool) {
	switch v := v.(type) {
	case map[string]any:
		return len(v), true
	case map[any]any:
		return len(v), true
	case nil, string, []any, []string, bool, int, int64, float64:
		return 0, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Map && rv.Type().Key().Kind() == reflect.String {
		return rv.Len(), true
	}
	return 0, false
}

func isMapValue(v any) bool {
	_, ok := mapLen(v)
	return ok
}

func lookup(m any, key string) (any, bool) {
	switch m := m.(type) {
	case map[string]any:
		v, ok := m[key]
		return v, ok
	case map[any]any:
		v, ok := m[key]
		return v, ok
	}
	rv := reflect.ValueOf(m)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, false
	}
	v := rv.MapIndex(reflect.ValueOf(key).Convert(rv.Type().Key()))
	if !v.IsValid() {
		return nil, false
	}
	return v.Interface(), true
}

func eachValue(m any, fn func(any) bool) {
	switch m := m.(type) {
	case map[string]any:
		for _, v := range m {
			if !fn(v) {
				return
			}
		}
		return
	case map[any]any:
		for _, v := range m {
			if !fn(v) {
				return
			}
		}
		return
	}
	rv := reflect.ValueOf(m)
	if rv.Kind() != reflect.Map {
		return
	}
	it := rv.MapRange()
	for it.Next() {
		if !fn(it.Value().Interface()) {
			return
		}
	}
}

func isList(v any) bool {
	switch v.(type) {
	case []any, []string:
		return true
	case nil, string, map[string]any, map[any]any, bool, int, int64, float64:
		return false
	}
	k := reflect.ValueOf(v).Kind()
	return k == reflect.Slice && reflect.TypeOf(v).Elem().Kind() != reflect.Uint8 || k == reflect.Array
}

func eachElem(l any, fn func(any) bool) {
	switch l := l.(type) {
	case []any:
		for _, e := range l {
			if !fn(e) {
				return
			}
		}
		return
	case []string:
		for _, e := range l {
			if !fn(e) {
				return
			}
		}
		return
	}
	rv := reflect.ValueOf(l)
	for i := 0; i < rv.Len(); i++ {
		if !fn(rv.Index(i).Interface()) {
			return
		}
	}
}

func index(l any, i int) (any, bool) {
	n := 0
	switch l := l.(type) {
	case []any:
		n = len(l)
	case []string:
		n = len(l)
	default:
		n = reflect.ValueOf(l).Len()
	}
	if i < 0 {
		i += n // Python: -1 is the last element
	}
	if i < 0 || i >= n {
		return nil, false
	}
	switch l := l.(type) {
	case []any:
		return l[i], true
	case []string:
		return l[i], true
	}
	return reflect.ValueOf(l).Index(i).Interface(), true
}

// regexpError turns an RE2 compile error into a ParseError whose caret
// points at the offending part of the pattern, and explains the most common
// surprise for Salt users: RE2 is not PCRE.
func regexpError(err error, pattern, expr string, pos int) *ParseError {
	msg := err.Error()
	var serr *syntax.Error
	if errors.As(err, &serr) {
		msg = "invalid regular expression: " + serr.Code.String()
		if serr.Expr != "" {
			msg += ": `" + serr.Expr + "`"
			if i := strings.Index(pattern, serr.Expr); i >= 0 && serr.Expr != pattern {
				pos += i
			}
		}
		switch serr.Code {
		case syntax.ErrInvalidPerlOp, syntax.ErrInvalidEscape, syntax.ErrInvalidRepeatOp, syntax.ErrInvalidNamedCapture:
			msg += " (patterns use Go's RE2 syntax: no lookaround, backreferences or possessive quantifiers)"
		}
	}
	if !utf8.ValidString(pattern) {
		msg = "invalid regular expression: not valid UTF-8"
	}
	return &ParseError{Expr: expr, Pos: pos, Msg: msg}
}
