// Package args decodes the arguments of a state declaration. They arrive as
// the loosely typed values a YAML (or CBOR) decoder produces, and Salt users
// write them loosely too (a single string where a list is allowed, "yes" for
// true, 644 for a mode). Args accepts what Salt accepts and turns everything
// else into an error that names the argument, and it reports arguments the
// state does not know, so a typo ("sourec") fails loudly instead of being
// ignored.
package args

import (
	"errors"
	"fmt"
	"github.com/halite/halite/pkg/value"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Args reads one state's arguments. Each getter records the key as known;
// Err then reports every bad value and every key nobody asked for.
type Args struct {
	m    map[string]any
	seen map[string]bool
	errs []error
	warn func(string) // nil: unknown arguments are errors
}

// New wraps a state's argument map. m may be nil. Unknown arguments are
// errors.
func New(m map[string]any) *Args {
	return &Args{m: m, seen: map[string]bool{}}
}

// Lenient wraps a state's arguments the way Salt's format_call treats
// them: an argument the state does not know is a warning (passed to
// warn), not an error, so trees written for newer or older Salt, with
// arguments Halite does not have, still apply.
func Lenient(m map[string]any, warn func(string)) *Args {
	return &Args{m: m, seen: map[string]bool{}, warn: warn}
}

// Err returns the accumulated errors: bad values first, then unknown
// arguments (sorted, so messages are stable). Keys starting with "__" are
// the runner's own and never reported.
func (a *Args) Err() error {
	errs := append([]error(nil), a.errs...)
	var unknown []string
	for k := range a.m {
		if !a.seen[k] && !strings.HasPrefix(k, "__") {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		if a.warn != nil {
			a.warn(fmt.Sprintf("'%s' is an invalid keyword argument for this state; it was ignored", k))
			a.seen[k] = true // warned once
			continue
		}
		errs = append(errs, fmt.Errorf("unexpected argument %q", k))
	}
	return errors.Join(errs...)
}

// Ignore marks keys as known without reading them (accepted for Salt
// compatibility, no effect here).
func (a *Args) Ignore(keys ...string) {
	for _, k := range keys {
		a.seen[k] = true
	}
}

// Has reports whether key was given with a non-null value.
func (a *Args) Has(key string) bool {
	a.seen[key] = true
	v, ok := a.m[key]
	return ok && v != nil
}

// Raw returns the value as given; ok is false when absent or null.
func (a *Args) Raw(key string) (any, bool) {
	a.seen[key] = true
	v, ok := a.m[key]
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

func (a *Args) fail(key string, v any, want string) {
	a.errs = append(a.errs, fmt.Errorf("argument %q: want %s, got %s", key, want, describe(v)))
}

func describe(v any) string {
	s := fmt.Sprintf("%v", v)
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return fmt.Sprintf("%T %q", v, s)
}

// String returns a string argument, or def when absent. Numbers and booleans
// are accepted and formatted (YAML turns `version: 1.2` into a float).
func (a *Args) String(key, def string) string {
	v, ok := a.Raw(key)
	if !ok {
		return def
	}
	s, ok := Scalar(v)
	if !ok {
		a.fail(key, v, "a string")
		return def
	}
	return s
}

// OptString is String that also says whether the argument was given.
func (a *Args) OptString(key string) (string, bool) {
	if !a.Has(key) {
		return "", false
	}
	return a.String(key, ""), true
}

// Scalar formats a string, number or boolean as text; ok is false for
// anything else.
func Scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		if x {
			return "True", true
		}
		return "False", true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true
	case uint:
		return strconv.FormatUint(uint64(x), 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	}
	return "", false
}

// Bool returns a boolean argument, or def when absent. Salt's spellings of
// booleans in strings (true/false, yes/no, on/off, 1/0) are accepted.
func (a *Args) Bool(key string, def bool) bool {
	b := a.OptBool(key)
	if b == nil {
		return def
	}
	return *b
}

// OptBool returns nil when the argument is absent: Salt's tri-state
// arguments (service.running enable: None) need the difference.
func (a *Args) OptBool(key string) *bool {
	v, ok := a.Raw(key)
	if !ok {
		return nil
	}
	b, ok := ParseBool(v)
	if !ok {
		a.fail(key, v, "a boolean")
		return nil
	}
	return &b
}

// ParseBool interprets v as a boolean the way YAML and Salt users write one.
func ParseBool(v any) (bool, bool) { return value.Bool(v) }

// Int returns an integer argument, or def when absent.
func (a *Args) Int(key string, def int) int {
	n, ok := a.OptInt(key)
	if !ok {
		return def
	}
	return n
}

// OptInt returns an integer argument and whether it was given (and valid).
func (a *Args) OptInt(key string) (int, bool) {
	v, ok := a.Raw(key)
	if !ok {
		return 0, false
	}
	n, ok := toInt(v)
	if !ok {
		a.fail(key, v, "an integer")
		return 0, false
	}
	return n, true
}

func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		if x > math.MaxInt || x < math.MinInt {
			return 0, false
		}
		return int(x), true
	case int32:
		return int(x), true
	case uint64:
		if x > math.MaxInt {
			return 0, false
		}
		return int(x), true
	case uint32:
		return int(x), true
	case uint:
		if x > math.MaxInt {
			return 0, false
		}
		return int(x), true
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		return int(x), true
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(x))
		return n, err == nil
	}
	return 0, false
}

// Strings returns a list-of-strings argument. A single string is a list of
// one, as in Salt (`unless: test -f /x` or a list of commands). Present is
// false when the argument is absent or null.
func (a *Args) Strings(key string) (list []string, present bool) {
	v, ok := a.Raw(key)
	if !ok {
		return nil, false
	}
	if s, ok := Scalar(v); ok {
		return []string{s}, true
	}
	items, ok := v.([]any)
	if !ok {
		if ss, ok := v.([]string); ok {
			return ss, true
		}
		a.fail(key, v, "a string or a list of strings")
		return nil, true
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		s, ok := Scalar(it)
		if !ok {
			a.fail(fmt.Sprintf("%s[%d]", key, i), it, "a string")
			continue
		}
		out = append(out, s)
	}
	return out, true
}

// List returns a list argument as given (a single non-list value becomes a
// list of one).
func (a *Args) List(key string) ([]any, bool) {
	v, ok := a.Raw(key)
	if !ok {
		return nil, false
	}
	if l, ok := v.([]any); ok {
		return l, true
	}
	return []any{v}, true
}

// Map returns a mapping argument. Salt users often write mappings as a list
// of one-key mappings (`env: [{A: 1}, {B: 2}]`); both forms are accepted and
// merged in order.
func (a *Args) Map(key string) (map[string]any, bool) {
	v, ok := a.Raw(key)
	if !ok {
		return nil, false
	}
	m, err := ToMap(v)
	if err != nil {
		a.fail(key, v, "a mapping or a list of mappings")
		return nil, true
	}
	return m, true
}

// ToMap converts a mapping, or a list of mappings, to one map.
func ToMap(v any) (map[string]any, error) {
	switch x := v.(type) {
	case map[string]any:
		return x, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			ks, ok := Scalar(k)
			if !ok {
				return nil, fmt.Errorf("non-scalar key %v", k)
			}
			out[ks] = val
		}
		return out, nil
	case []any:
		out := map[string]any{}
		for _, it := range x {
			m, err := ToMap(it)
			if err != nil {
				return nil, err
			}
			for k, val := range m {
				out[k] = val
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("not a mapping: %T", v)
}

// Fail records a custom validation error for key.
func (a *Args) Fail(key, msg string) {
	a.errs = append(a.errs, fmt.Errorf("argument %q: %s", key, msg))
}
