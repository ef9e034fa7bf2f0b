package modules

import (
	"errors"
	"fmt"
	"github.com/halite/halite/pkg/value"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"
)

// Arguments reach a function the way Salt delivers them: positional values
// in Call.Args and keyword values in Call.Kwargs, each already typed by the
// YAML parser of the CLI or the SLS file (30 is an int, true a bool), or by
// the CBOR decoder (int64, float64). The helpers below let every function
// read a parameter "by position or by name" like a Python signature does,
// with the same wording of errors everywhere.
//
// A parameter is addressed by its position (pos, counted from 0; -1 for a
// keyword-only parameter) and its name. Passing it both ways is an error,
// as it is in Python.

// ErrInvalidArgument is wrapped by every error the argument helpers return,
// so callers can tell a usage mistake from a failure of the work itself.
var ErrInvalidArgument = errors.New("invalid argument")

// Variadic, passed to Expect as the positional limit, accepts any number of
// positional arguments (Salt's *args).
const Variadic = -1

// ArgError is a problem with one argument (or with the argument list when
// Name is empty).
type ArgError struct {
	Name string
	Msg  string
}

func (e *ArgError) Error() string {
	if e.Name == "" {
		return e.Msg
	}
	return fmt.Sprintf("argument '%s': %s", e.Name, e.Msg)
}

// Unwrap lets errors.Is(err, ErrInvalidArgument) match.
func (e *ArgError) Unwrap() error { return ErrInvalidArgument }

func argErr(name, format string, a ...any) error {
	return &ArgError{Name: name, Msg: fmt.Sprintf(format, a...)}
}

// IsInternalKwarg reports whether a keyword argument is publication data
// that Salt adds to every call (__pub_jid, __pub_fun, __env__ ...). Such
// keys are never an error and never reach user-visible output.
func IsInternalKwarg(name string) bool { return strings.HasPrefix(name, "__") }

// Expect checks the shape of the call before any parameter is read: at most
// maxPos positional arguments (Variadic for no limit) and no keyword
// argument outside names. names lists every parameter that may be passed
// by keyword, including the positional ones.
func (c *Call) Expect(maxPos int, names ...string) error {
	if maxPos >= 0 && len(c.Args) > maxPos {
		plural := "s"
		if maxPos == 1 {
			plural = ""
		}
		return argErr("", "takes at most %d positional argument%s (%d given)", maxPos, plural, len(c.Args))
	}
	var unknown []string
	for k := range c.Kwargs {
		if IsInternalKwarg(k) {
			continue
		}
		known := false
		for _, n := range names {
			if k == n {
				known = true
				break
			}
		}
		if !known {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	if len(unknown) == 1 {
		return argErr("", "unexpected keyword argument '%s'", unknown[0])
	}
	return argErr("", "unexpected keyword arguments '%s'", strings.Join(unknown, "', '"))
}

// Value returns the raw value of a parameter and whether it was given. A
// YAML null counts as not given, so "name: ~" means "use the default".
func (c *Call) Value(pos int, name string) (any, bool, error) {
	var (
		v            any
		byPos, byKey bool
	)
	if pos >= 0 && pos < len(c.Args) {
		v, byPos = c.Args[pos], true
	}
	if name != "" {
		if kv, ok := c.Kwargs[name]; ok {
			if byPos {
				return nil, false, argErr(name, "given both by position and by keyword")
			}
			v, byKey = kv, true
		}
	}
	if !byPos && !byKey || v == nil {
		return nil, false, nil
	}
	return v, true, nil
}

// String returns a required string parameter. Scalars are accepted and
// turned into their text (the CLI parses `cmd.run 42` as an int).
func (c *Call) String(pos int, name string) (string, error) {
	v, ok, err := c.Value(pos, name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", argErr(name, "missing required argument")
	}
	return toString(name, v)
}

// OptString returns an optional string parameter, or def when absent.
func (c *Call) OptString(pos int, name, def string) (string, error) {
	v, ok, err := c.Value(pos, name)
	if err != nil || !ok {
		return def, err
	}
	return toString(name, v)
}

// Int returns a required integer parameter.
func (c *Call) Int(pos int, name string) (int, error) {
	v, ok, err := c.Value(pos, name)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, argErr(name, "missing required argument")
	}
	return toInt(name, v)
}

// OptInt returns an optional integer parameter, or def when absent.
func (c *Call) OptInt(pos int, name string, def int) (int, error) {
	v, ok, err := c.Value(pos, name)
	if err != nil || !ok {
		return def, err
	}
	return toInt(name, v)
}

// Float returns a required number.
func (c *Call) Float(pos int, name string) (float64, error) {
	v, ok, err := c.Value(pos, name)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, argErr(name, "missing required argument")
	}
	return toFloat(name, v)
}

// OptFloat returns an optional number, or def when absent.
func (c *Call) OptFloat(pos int, name string, def float64) (float64, error) {
	v, ok, err := c.Value(pos, name)
	if err != nil || !ok {
		return def, err
	}
	return toFloat(name, v)
}

// OptBool returns an optional boolean, or def when absent. Besides YAML
// booleans it accepts the words Salt's is_true accepts (yes/no, on/off,
// 1/0, true/false in any case).
func (c *Call) OptBool(pos int, name string, def bool) (bool, error) {
	v, ok, err := c.Value(pos, name)
	if err != nil || !ok {
		return def, err
	}
	return toBool(name, v)
}

// OptStrings returns an optional list of strings, or nil when absent. A
// YAML list is taken as is; a string is split on commas, as Salt does for
// list parameters given on the command line ("pkgs=vim,curl").
func (c *Call) OptStrings(pos int, name string) ([]string, error) {
	v, ok, err := c.Value(pos, name)
	if err != nil || !ok {
		return nil, err
	}
	switch t := v.(type) {
	case string:
		var out []string
		for _, s := range strings.Split(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	case []string:
		return append([]string(nil), t...), nil
	case []any:
		out := make([]string, 0, len(t))
		for i, e := range t {
			s, err := toString(fmt.Sprintf("%s[%d]", name, i), e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, argErr(name, "want a list of strings, got %s", describe(v))
}

// OptInts returns an optional list of integers (a single integer is a
// list of one), or nil when absent.
func (c *Call) OptInts(pos int, name string) ([]int, error) {
	v, ok, err := c.Value(pos, name)
	if err != nil || !ok {
		return nil, err
	}
	items, isList := v.([]any)
	if !isList {
		if s, isStr := v.(string); isStr && strings.Contains(s, ",") {
			for _, f := range strings.Split(s, ",") {
				items = append(items, f)
			}
		} else {
			items = []any{v}
		}
	}
	out := make([]int, 0, len(items))
	for i, e := range items {
		n, err := toInt(fmt.Sprintf("%s[%d]", name, i), e)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// OptMap returns an optional mapping, or nil when absent or falsy (as in
// Salt, merge=” or env=None is no mapping, not an error). A list of
// one-key mappings (the way SLS files often spell "env") is flattened
// into one mapping.
func (c *Call) OptMap(pos int, name string) (map[string]any, error) {
	v, ok, err := c.Value(pos, name)
	if err != nil || !ok {
		return nil, err
	}
	if !value.Truthy(v) {
		return nil, nil // Salt's `if merge:`: None, "", False, {} mean none
	}
	switch t := v.(type) {
	case map[string]any:
		return t, nil
	case map[string]string:
		out := make(map[string]any, len(t))
		for k, v := range t {
			out[k] = v
		}
		return out, nil
	case []any:
		out := map[string]any{}
		for i, e := range t {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, argErr(name, "item %d: want a mapping, got %s", i, describe(e))
			}
			for k, v := range m {
				out[k] = v
			}
		}
		return out, nil
	}
	return nil, argErr(name, "want a mapping, got %s", describe(v))
}

// Rest returns the positional arguments from index from on (Salt's *args).
func (c *Call) Rest(from int) []any {
	if from >= len(c.Args) {
		return nil
	}
	return c.Args[from:]
}

// RestStrings is Rest with every value turned into a string.
func (c *Call) RestStrings(from int) ([]string, error) {
	rest := c.Rest(from)
	out := make([]string, 0, len(rest))
	for i, v := range rest {
		s, err := toString(fmt.Sprintf("args[%d]", from+i), v)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// UserKwargs returns the keyword arguments without Salt's internal ones
// (see IsInternalKwarg); never nil.
func (c *Call) UserKwargs() map[string]any {
	out := make(map[string]any, len(c.Kwargs))
	for k, v := range c.Kwargs {
		if !IsInternalKwarg(k) {
			out[k] = v
		}
	}
	return out
}

// KwargNames returns the names of the keyword arguments given, sorted; a
// function taking **kwargs passes them to Expect.
func (c *Call) KwargNames() []string {
	names := make([]string, 0, len(c.Kwargs))
	for k := range c.Kwargs {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Log returns the minion's logger, or a logger that discards everything
// when the call has none (tests, local calls without logging).
func (c *Call) Log() hclog.Logger {
	if c.Env != nil && c.Env.Logger != nil {
		return c.Env.Logger
	}
	return hclog.NewNullLogger()
}

// describe names a value's YAML type for error messages.
func describe(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case string:
		if len(t) > 40 {
			t = t[:40] + "..."
		}
		return fmt.Sprintf("string %q", t)
	case bool:
		return fmt.Sprintf("bool %v", t)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return fmt.Sprintf("integer %v", t)
	case float32, float64:
		return fmt.Sprintf("number %v", t)
	case []any, []string:
		return "a list"
	case map[string]any, map[string]string:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

func toString(name string, v any) (string, error) {
	switch t := v.(type) {
	case string:
		return t, nil
	case []byte:
		return string(t), nil
	case bool:
		return strconv.FormatBool(t), nil
	case int:
		return strconv.Itoa(t), nil
	case int64:
		return strconv.FormatInt(t, 10), nil
	case int32:
		return strconv.FormatInt(int64(t), 10), nil
	case uint64:
		return strconv.FormatUint(t, 10), nil
	case uint:
		return strconv.FormatUint(uint64(t), 10), nil
	case uint32:
		return strconv.FormatUint(uint64(t), 10), nil
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(t), 'g', -1, 32), nil
	}
	return "", argErr(name, "want a string, got %s", describe(v))
}

func toInt(name string, v any) (int, error) {
	switch t := v.(type) {
	case int:
		return t, nil
	case int8:
		return int(t), nil
	case int16:
		return int(t), nil
	case int32:
		return int(t), nil
	case int64:
		if t > math.MaxInt || t < math.MinInt {
			break
		}
		return int(t), nil
	case uint8:
		return int(t), nil
	case uint16:
		return int(t), nil
	case uint32:
		return int(t), nil
	case uint:
		if uint64(t) > math.MaxInt {
			break
		}
		return int(t), nil
	case uint64:
		if t > math.MaxInt {
			break
		}
		return int(t), nil
	case float64:
		if t != math.Trunc(t) || math.Abs(t) > 1<<53 { // beyond 2^53 a float is not an exact integer
			break
		}
		return int(t), nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil {
			break
		}
		return n, nil
	}
	return 0, argErr(name, "want an integer, got %s", describe(v))
}

func toFloat(name string, v any) (float64, error) {
	switch t := v.(type) {
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			break
		}
		return t, nil
	case float32:
		return toFloat(name, float64(t))
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			break
		}
		return f, nil
	case bool:
	default:
		if n, err := toInt(name, v); err == nil {
			return float64(n), nil
		}
	}
	return 0, argErr(name, "want a number, got %s", describe(v))
}

func toBool(name string, v any) (bool, error) {
	if b, ok := value.Bool(v); ok {
		return b, nil
	}
	return false, argErr(name, "want true or false, got %s", describe(v))
}
