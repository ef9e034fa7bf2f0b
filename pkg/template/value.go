package template

import (
	"fmt"
	"github.com/halite/halite/pkg/value"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Values inside a render are Python-like:
//
//	nil        None
//	bool       bool
//	int        int (64-bit; overflow is an error, not a bigint)
//	float64    float
//	string     str
//	*pyList    list (mutable, shared by reference)
//	pyTuple    tuple
//	*pyDict    dict (insertion ordered)
//	*namespace, *macro, *module, callables, undefined

// pyList is a Python list.
type pyList struct{ items []any }

// pyTuple is a Python tuple.
type pyTuple []any

// pyDict is a Python dict: keys keep their insertion order. Keys are
// strings, ints, floats, bools or None.
type pyDict struct {
	keys []any
	m    map[any]any
}

func newDict(n int) *pyDict { return &pyDict{m: make(map[any]any, n)} }

// normKey makes equal Python keys equal Go map keys: 1.0 and 1 are one key.
func normKey(k any) (any, bool) {
	switch k := k.(type) {
	case string, int, bool, nil:
		return k, true
	case float64:
		if k == math.Trunc(k) && math.Abs(k) < 1<<62 {
			return int(k), true
		}
		return k, true
	}
	return nil, false
}

func (d *pyDict) get(k any) (any, bool) {
	nk, ok := normKey(k)
	if !ok {
		return nil, false
	}
	v, ok := d.m[nk]
	return v, ok
}

func (d *pyDict) set(k, v any) error {
	nk, ok := normKey(k)
	if !ok {
		return fmt.Errorf("unhashable type: '%s'", typeName(k))
	}
	if _, exists := d.m[nk]; !exists {
		d.keys = append(d.keys, k)
	}
	d.m[nk] = v
	return nil
}

func (d *pyDict) del(k any) (any, bool) {
	nk, ok := normKey(k)
	if !ok {
		return nil, false
	}
	v, ok := d.m[nk]
	if !ok {
		return nil, false
	}
	delete(d.m, nk)
	for i, kk := range d.keys {
		if n, _ := normKey(kk); n == nk {
			d.keys = append(d.keys[:i:i], d.keys[i+1:]...)
			break
		}
	}
	return v, true
}

func (d *pyDict) len() int { return len(d.keys) }

func (d *pyDict) copy() *pyDict {
	c := &pyDict{keys: append([]any(nil), d.keys...), m: make(map[any]any, len(d.m))}
	for k, v := range d.m {
		c.m[k] = v
	}
	return c
}

// value returns the value stored under a key from d.keys.
func (d *pyDict) value(k any) any {
	nk, _ := normKey(k)
	return d.m[nk]
}

// namespace is the object namespace() returns: attributes settable with
// {% set ns.attr = ... %} from inside loops.
type namespace struct{ d *pyDict }

// undefined is the value of a missing variable, key or attribute. Using it
// for anything but "is defined", "default" or a further lookup is an error
// that names it (Salt renders with StrictUndefined).
type undefined struct {
	// lenient marks Jinja's plain Undefined, which "x if cond" without an
	// else yields whatever the environment's undefined is: it prints as ""
	// and is false.
	lenient bool
	name    string // as the user would write it: pillar['missing']
	hint    string // optional explanation
	pos     srcPos
	file    string
}

// missingArg marks an argument not given, as opposed to None.
type missingArg struct{}

var missing = missingArg{}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case *pyList:
		return "list"
	case pyTuple:
		return "tuple"
	case *pyDict:
		return "dict"
	case *namespace:
		return "Namespace"
	case *macro:
		return "Macro"
	case *module:
		return "TemplateModule"
	case *loopObj:
		return "LoopContext"
	case *undefined:
		return "Undefined"
	case callable:
		return "function"
	}
	return fmt.Sprintf("%T", v)
}

// fromGo converts a caller's Go value into a template value. Maps are
// ordered by sorted key so renders are deterministic.
func fromGo(v any, depth int) (any, error) {
	if depth > 64 {
		return nil, fmt.Errorf("value nests deeper than 64 levels")
	}
	switch v := v.(type) {
	case nil, bool, string, float64, *pyList, *pyDict, pyTuple:
		return v, nil
	case int:
		return v, nil
	case int8:
		return int(v), nil
	case int16:
		return int(v), nil
	case int32:
		return int(v), nil
	case int64:
		return int(v), nil
	case uint:
		return uintToValue(uint64(v)), nil
	case uint8:
		return int(v), nil
	case uint16:
		return int(v), nil
	case uint32:
		return int(v), nil
	case uint64:
		return uintToValue(v), nil
	case float32:
		return float64(v), nil
	case []byte:
		return string(v), nil
	case time.Time:
		return v.Format(time.RFC3339Nano), nil
	case time.Duration:
		return v.String(), nil
	case []any:
		l := &pyList{items: make([]any, len(v))}
		for i, x := range v {
			c, err := fromGo(x, depth+1)
			if err != nil {
				return nil, err
			}
			l.items[i] = c
		}
		return l, nil
	case []string:
		l := &pyList{items: make([]any, len(v))}
		for i, x := range v {
			l.items[i] = x
		}
		return l, nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := newDict(len(v))
		for _, k := range keys {
			c, err := fromGo(v[k], depth+1)
			if err != nil {
				return nil, err
			}
			d.keys = append(d.keys, k)
			d.m[k] = c
		}
		return d, nil
	case map[string]string:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		d := newDict(len(v))
		for _, k := range keys {
			d.keys = append(d.keys, k)
			d.m[k] = v[k]
		}
		return d, nil
	case fmt.Stringer:
		if rv := reflect.ValueOf(v); rv.Kind() != reflect.Map && rv.Kind() != reflect.Slice {
			return v.String(), nil
		}
	case error:
		return v.Error(), nil
	}
	return fromReflect(reflect.ValueOf(v), depth)
}

func uintToValue(u uint64) any {
	if u > math.MaxInt64 {
		return float64(u)
	}
	return int(u)
}

func fromReflect(rv reflect.Value, depth int) (any, error) {
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return fromGo(rv.Elem().Interface(), depth+1)
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return uintToValue(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return &pyList{}, nil
		}
		l := &pyList{items: make([]any, rv.Len())}
		for i := range l.items {
			c, err := fromGo(rv.Index(i).Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			l.items[i] = c
		}
		return l, nil
	case reflect.Map:
		type kv struct {
			k   any
			key string
			v   reflect.Value
		}
		var entries []kv
		iter := rv.MapRange()
		for iter.Next() {
			k, err := fromGo(iter.Key().Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			if _, ok := normKey(k); !ok {
				k = fmt.Sprint(iter.Key().Interface())
			}
			entries = append(entries, kv{k: k, key: pyStr(k), v: iter.Value()})
		}
		sort.Slice(entries, func(i, j int) bool { return entries[i].key < entries[j].key })
		d := newDict(len(entries))
		for _, e := range entries {
			c, err := fromGo(e.v.Interface(), depth+1)
			if err != nil {
				return nil, err
			}
			if err := d.set(e.k, c); err != nil {
				return nil, err
			}
		}
		return d, nil
	case reflect.Invalid:
		return nil, nil
	}
	return fmt.Sprint(rv.Interface()), nil
}

// toGo converts a template value into plain Go for a salt function:
// map[string]any, []any, string, int, float64, bool, nil.
func toGo(v any, depth int) (any, error) {
	if depth > 64 {
		return nil, fmt.Errorf("value nests deeper than 64 levels")
	}
	switch v := v.(type) {
	case nil, bool, int, float64, string:
		return v, nil
	case *pyList:
		return toGoSlice(v.items, depth)
	case pyTuple:
		return toGoSlice(v, depth)
	case *pyDict:
		return toGoMap(v, depth)
	case *namespace:
		return toGoMap(v.d, depth)
	case *undefined:
		return nil, undefinedError(v)
	case *module:
		return v.output, nil
	}
	return nil, fmt.Errorf("a %s cannot be passed to a salt function", typeName(v))
}

func toGoSlice(items []any, depth int) ([]any, error) {
	out := make([]any, len(items))
	for i, x := range items {
		c, err := toGo(x, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func toGoMap(d *pyDict, depth int) (map[string]any, error) {
	out := make(map[string]any, d.len())
	for _, k := range d.keys {
		c, err := toGo(d.value(k), depth+1)
		if err != nil {
			return nil, err
		}
		ks, ok := k.(string)
		if !ok {
			ks = pyStr(k)
		}
		out[ks] = c
	}
	return out, nil
}

// truth is Python's bool(v). Undefined values are handled by the caller.
func truth(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case int:
		return v != 0
	case float64:
		return v != 0
	case string:
		return v != ""
	case *pyList:
		return len(v.items) > 0
	case pyTuple:
		return len(v) > 0
	case *pyDict:
		return v.len() > 0
	}
	return true
}

// pyStr is Python's str(v).
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	writeRepr(&b, v, 0)
	return b.String()
}

// pyRepr is Python's repr(v).
func pyRepr(v any) string {
	var b strings.Builder
	writeRepr(&b, v, 0)
	return b.String()
}

func writeRepr(b *strings.Builder, v any, depth int) {
	if depth > 100 {
		b.WriteString("...")
		return
	}
	switch v := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if v {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int:
		b.WriteString(strconv.Itoa(v))
	case float64:
		b.WriteString(value.FormatFloat(v))
	case string:
		value.WriteQuoted(b, v)
	case *pyList:
		b.WriteByte('[')
		for i, x := range v.items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, x, depth+1)
		}
		b.WriteByte(']')
	case pyTuple:
		b.WriteByte('(')
		for i, x := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, x, depth+1)
		}
		if len(v) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
	case *pyDict:
		writeDictRepr(b, v, depth)
	case *namespace:
		b.WriteString("<Namespace ")
		writeDictRepr(b, v.d, depth)
		b.WriteString(">")
	case *macro:
		fmt.Fprintf(b, "<Macro '%s'>", v.def.name)
	case *module:
		b.WriteString(v.output)
	case *undefined:
		b.WriteString("Undefined")
	case *loopObj:
		fmt.Fprintf(b, "<LoopContext %d/%d>", v.index0+1, len(v.items))
	default:
		fmt.Fprintf(b, "<%s>", typeName(v))
	}
}

func writeDictRepr(b *strings.Builder, d *pyDict, depth int) {
	b.WriteByte('{')
	for i, k := range d.keys {
		if i > 0 {
			b.WriteString(", ")
		}
		writeRepr(b, k, depth+1)
		b.WriteString(": ")
		writeRepr(b, d.value(k), depth+1)
	}
	b.WriteByte('}')
}

// formatFloat is Python's repr(float): shortest round-trip digits, with
// ".0" on integral values and exponent form outside [1e-4, 1e16).
// toFloat returns v as a float for arithmetic (bools are ints in Python).
func toNumber(v any) (f float64, i int, isInt, ok bool) {
	switch v := v.(type) {
	case int:
		return float64(v), v, true, true
	case bool:
		if v {
			return 1, 1, true, true
		}
		return 0, 0, true, true
	case float64:
		return v, 0, false, true
	}
	return 0, 0, false, false
}

// pyEqual is Python's ==.
func pyEqual(a, b any) bool {
	if fa, ia, aInt, ok := toNumber(a); ok {
		if fb, ib, bInt, ok := toNumber(b); ok {
			if aInt && bInt {
				return ia == ib
			}
			return fa == fb
		}
		return false
	}
	switch a := a.(type) {
	case nil:
		return b == nil
	case string:
		s, ok := b.(string)
		return ok && a == s
	case *pyList:
		l, ok := b.(*pyList)
		return ok && (a == l || seqEqual(a.items, l.items))
	case pyTuple:
		t, ok := b.(pyTuple)
		return ok && seqEqual(a, t)
	case *pyDict:
		d, ok := b.(*pyDict)
		if !ok {
			return false
		}
		if a == d {
			return true
		}
		if a.len() != d.len() {
			return false
		}
		for _, k := range a.keys {
			v, ok := d.get(k)
			if !ok || !pyEqual(a.value(k), v) {
				return false
			}
		}
		return true
	case *namespace:
		n, ok := b.(*namespace)
		return ok && a == n
	case *macro:
		m, ok := b.(*macro)
		return ok && a == m
	}
	return false
}

func seqEqual(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !pyEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// pyCompare orders a and b as Python's < does: -1, 0, 1, or an error for
// types that do not order.
func pyCompare(a, b any) (int, error) {
	if fa, ia, aInt, ok := toNumber(a); ok {
		if fb, ib, bInt, ok := toNumber(b); ok {
			if aInt && bInt {
				return cmpInt(ia, ib), nil
			}
			switch {
			case fa < fb:
				return -1, nil
			case fa > fb:
				return 1, nil
			}
			return 0, nil
		}
	}
	switch a := a.(type) {
	case string:
		if s, ok := b.(string); ok {
			return strings.Compare(a, s), nil
		}
	case *pyList:
		if l, ok := b.(*pyList); ok {
			return seqCompare(a.items, l.items)
		}
	case pyTuple:
		if t, ok := b.(pyTuple); ok {
			return seqCompare(a, t)
		}
	}
	return 0, fmt.Errorf("'<' not supported between instances of '%s' and '%s'", typeName(a), typeName(b))
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func seqCompare(a, b []any) (int, error) {
	for i := 0; i < len(a) && i < len(b); i++ {
		if pyEqual(a[i], b[i]) {
			continue
		}
		return pyCompare(a[i], b[i])
	}
	return cmpInt(len(a), len(b)), nil
}

// pyLen is Python's len(v).
func pyLen(v any) (int, bool) {
	switch v := v.(type) {
	case string:
		return utf8.RuneCountInString(v), true
	case *pyList:
		return len(v.items), true
	case pyTuple:
		return len(v), true
	case *pyDict:
		return v.len(), true
	case *namespace:
		return v.d.len(), true
	}
	return 0, false
}

// iterate returns the items a for loop over v visits: list and tuple
// items, dict keys, string characters.
func iterate(v any) ([]any, error) {
	switch v := v.(type) {
	case *pyList:
		return append([]any(nil), v.items...), nil
	case pyTuple:
		return append([]any(nil), v...), nil
	case *pyDict:
		return append([]any(nil), v.keys...), nil
	case string:
		out := make([]any, 0, len(v))
		for _, r := range v {
			out = append(out, string(r))
		}
		return out, nil
	case *loopObj:
		return append([]any(nil), v.items...), nil
	}
	return nil, fmt.Errorf("'%s' object is not iterable", typeName(v))
}

// contains is Python's "x in container".
func contains(container, x any) (bool, error) {
	switch c := container.(type) {
	case string:
		s, ok := x.(string)
		if !ok {
			return false, fmt.Errorf("'in <string>' requires string as left operand, not %s", typeName(x))
		}
		return strings.Contains(c, s), nil
	case *pyList:
		return seqContains(c.items, x), nil
	case pyTuple:
		return seqContains(c, x), nil
	case *pyDict:
		_, ok := c.get(x)
		return ok, nil
	case *namespace:
		_, ok := c.d.get(x)
		return ok, nil
	case saltObj:
		s, ok := x.(string)
		if !ok {
			return false, nil
		}
		_, ok = c.funcs[s]
		return ok, nil
	}
	return false, fmt.Errorf("argument of type '%s' is not iterable", typeName(container))
}

func seqContains(items []any, x any) bool {
	for _, it := range items {
		if pyEqual(it, x) {
			return true
		}
	}
	return false
}

// syncBack makes the template value orig reflect changes a Go function
// made to goVal, the plain copy it was given. Existing keys keep their
// place; new keys follow in sorted order; nested dicts and lists are
// updated in place so other references to them see the change.
func syncBack(orig, goVal any, depth int) error {
	if depth > 64 {
		return nil
	}
	switch o := orig.(type) {
	case *pyDict:
		m, ok := goVal.(map[string]any)
		if !ok {
			return nil
		}
		for _, k := range append([]any(nil), o.keys...) {
			ks, isStr := k.(string)
			if !isStr {
				ks = pyStr(k)
			}
			if _, still := m[ks]; !still {
				o.del(k)
			}
		}
		for _, ks := range sortedMapKeys(m) {
			gv := m[ks]
			if cur, ok := o.get(ks); ok {
				switch cur.(type) {
				case *pyDict, *pyList:
					if sameShape(cur, gv) {
						if err := syncBack(cur, gv, depth+1); err != nil {
							return err
						}
						continue
					}
				default:
					if plain, err := toGo(cur, depth+1); err == nil && goEqual(plain, gv) {
						continue
					}
				}
			}
			v, err := fromGo(gv, depth+1)
			if err != nil {
				return err
			}
			if err := o.set(ks, v); err != nil {
				return err
			}
		}
	case *pyList:
		l, ok := goVal.([]any)
		if !ok {
			return nil
		}
		if len(l) == len(o.items) {
			for i := range l {
				if sameShape(o.items[i], l[i]) {
					if err := syncBack(o.items[i], l[i], depth+1); err != nil {
						return err
					}
					continue
				}
				if plain, err := toGo(o.items[i], depth+1); err == nil && goEqual(plain, l[i]) {
					continue
				}
				v, err := fromGo(l[i], depth+1)
				if err != nil {
					return err
				}
				o.items[i] = v
			}
			return nil
		}
		items := make([]any, len(l))
		for i, x := range l {
			v, err := fromGo(x, depth+1)
			if err != nil {
				return err
			}
			items[i] = v
		}
		o.items = items
	}
	return nil
}

func sameShape(v any, g any) bool {
	switch v.(type) {
	case *pyDict:
		_, ok := g.(map[string]any)
		return ok
	case *pyList:
		_, ok := g.([]any)
		return ok
	}
	return false
}

// goEqual compares two plain Go values from toGo (scalars only; anything
// else counts as changed).
func goEqual(a, b any) bool {
	switch a.(type) {
	case nil, bool, int, float64, string:
		return a == b
	}
	return false
}
