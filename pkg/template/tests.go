package template

import (
	"errors"
	"fmt"
	"math"
)

// testFunc implements one test ("x is defined").
type testFunc func(r *renderer, in any, args []any, kw *pyDict) (bool, error)

var tests map[string]testFunc

func init() {
	cmp := func(op string) testFunc {
		return func(r *renderer, in any, args []any, kw *pyDict) (bool, error) {
			if len(args) != 1 {
				return false, errors.New("takes exactly one argument")
			}
			return compareOpValues(op, in, args[0])
		}
	}
	kind := func(f func(any) bool) testFunc {
		return func(r *renderer, in any, args []any, kw *pyDict) (bool, error) { return f(in), nil }
	}
	tests = map[string]testFunc{
		"defined": kind(func(v any) bool { _, u := v.(*undefined); return !u }),
		"undefined": kind(func(v any) bool {
			_, u := v.(*undefined)
			return u
		}),
		"none":    kind(func(v any) bool { return v == nil }),
		"string":  kind(func(v any) bool { _, ok := v.(string); return ok }),
		"mapping": kind(func(v any) bool { _, ok := v.(*pyDict); return ok }),
		"sequence": kind(func(v any) bool {
			switch v.(type) {
			case string, *pyList, pyTuple, *pyDict:
				return true
			}
			return false
		}),
		"iterable": kind(func(v any) bool {
			switch v.(type) {
			case string, *pyList, pyTuple, *pyDict, *loopObj:
				return true
			}
			return false
		}),
		"list": kind(func(v any) bool { _, ok := v.(*pyList); return ok }),
		"number": kind(func(v any) bool {
			_, _, _, ok := toNumber(v)
			return ok
		}),
		"integer": kind(func(v any) bool { _, ok := v.(int); return ok }),
		"float":   kind(func(v any) bool { _, ok := v.(float64); return ok }),
		"boolean": kind(func(v any) bool { _, ok := v.(bool); return ok }),
		"true":    kind(func(v any) bool { b, ok := v.(bool); return ok && b }),
		"false":   kind(func(v any) bool { b, ok := v.(bool); return ok && !b }),
		"callable": kind(func(v any) bool {
			_, ok := v.(callable)
			return ok
		}),
		"escaped": kind(func(v any) bool { return false }),
		"lower": kind(func(v any) bool {
			s, ok := v.(string)
			return ok && isCased(s, false)
		}),
		"upper": kind(func(v any) bool {
			s, ok := v.(string)
			return ok && isCased(s, true)
		}),
		"even":        parity(0),
		"odd":         parity(1),
		"divisibleby": divisibleBy,
		"sameas": func(r *renderer, in any, args []any, kw *pyDict) (bool, error) {
			if len(args) != 1 {
				return false, errors.New("takes exactly one argument")
			}
			return sameAs(in, args[0]), nil
		},
		"equalto": cmp("=="), "eq": cmp("=="), "==": cmp("=="),
		"ne": cmp("!="), "!=": cmp("!="),
		"lt": cmp("<"), "<": cmp("<"),
		"le": cmp("<="), "<=": cmp("<="),
		"gt": cmp(">"), ">": cmp(">"),
		"ge": cmp(">="), ">=": cmp(">="),
		"in": func(r *renderer, in any, args []any, kw *pyDict) (bool, error) {
			if len(args) != 1 {
				return false, errors.New("takes exactly one argument")
			}
			return contains(args[0], in)
		},
		"match": testMatch,
		"filter": func(r *renderer, in any, args []any, kw *pyDict) (bool, error) {
			s, ok := in.(string)
			_, found := filters[s]
			return ok && found, nil
		},
		"test": func(r *renderer, in any, args []any, kw *pyDict) (bool, error) {
			s, ok := in.(string)
			_, found := tests[s]
			return ok && found, nil
		},
	}
}

func parity(want int) testFunc {
	return func(r *renderer, in any, args []any, kw *pyDict) (bool, error) {
		n, ok := in.(int)
		if !ok {
			return false, fmt.Errorf("needs an integer, got %s", typeName(in))
		}
		return ((n%2)+2)%2 == want, nil
	}
}

func divisibleBy(r *renderer, in any, args []any, kw *pyDict) (bool, error) {
	if len(args) != 1 {
		return false, errors.New("takes exactly one argument")
	}
	_, ia, aInt, ok1 := toNumber(in)
	_, ib, bInt, ok2 := toNumber(args[0])
	if !ok1 || !ok2 {
		return false, errors.New("needs numbers")
	}
	if aInt && bInt {
		if ib == 0 {
			return false, errors.New("integer division or modulo by zero")
		}
		return ia%ib == 0, nil
	}
	fa, _, _, _ := toNumber(in)
	fb, _, _, _ := toNumber(args[0])
	if fb == 0 {
		return false, errors.New("float modulo")
	}
	return math.Mod(fa, fb) == 0, nil
}

// sameAs is Python's "is": identity for containers, value for the
// singletons and small scalars people compare with it (none, true, false).
func sameAs(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool:
		bb, ok := b.(bool)
		return ok && a == bb
	case *pyList:
		l, ok := b.(*pyList)
		return ok && a == l
	case *pyDict:
		d, ok := b.(*pyDict)
		return ok && a == d
	case int, float64, string:
		return a == b
	}
	return false
}

// testMatch is Salt's match test: re.match(rgx, txt).
func testMatch(r *renderer, in any, args []any, kw *pyDict) (bool, error) {
	a, ic, ml, err := regexFlags(args, kw, "rgx")
	if err != nil {
		return false, err
	}
	re, err := compilePyRegex(`\A(?:`+pyStr(a[0])+`)`, ic, ml)
	if err != nil {
		return false, err
	}
	return re.MatchString(pyStr(in)), nil
}

// builtinFunc is a global function such as range or dict.
type builtinFunc struct {
	name string
	fn   func(r *renderer, args []any, kw *pyDict) (any, error)
}

func (b builtinFunc) call(r *renderer, sc *scope, pos srcPos, args []any, kw *pyDict) (any, error) {
	v, err := b.fn(r, args, kw)
	var raised *raisedError
	if errors.As(err, &raised) {
		return nil, r.errorf(sc, pos, ErrRaised, "%s", raised.msg)
	}
	if err != nil {
		return nil, r.wrap(sc, pos, fmt.Errorf("%s(): %w", b.name, err))
	}
	return v, nil
}

var builtinGlobals map[string]any

func init() {
	builtinGlobals = map[string]any{
		"range":     builtinFunc{"range", builtinRange},
		"dict":      builtinFunc{"dict", builtinDict},
		"odict":     builtinFunc{"odict", builtinDict},
		"namespace": builtinFunc{"namespace", builtinNamespace},
		"raise":     builtinFunc{"raise", builtinRaise},
		"joiner":    builtinFunc{"joiner", builtinJoiner},
	}
}

func builtinRange(r *renderer, args []any, kw *pyDict) (any, error) {
	if kw != nil {
		return nil, errors.New("takes no keyword arguments")
	}
	ints := make([]int, len(args))
	for i, a := range args {
		n, ok := a.(int)
		if !ok {
			if b, isBool := a.(bool); isBool {
				if b {
					n = 1
				}
			} else {
				return nil, fmt.Errorf("'%s' object cannot be interpreted as an integer", typeName(a))
			}
		}
		ints[i] = n
	}
	start, stop, step := 0, 0, 1
	switch len(ints) {
	case 1:
		stop = ints[0]
	case 2:
		start, stop = ints[0], ints[1]
	case 3:
		start, stop, step = ints[0], ints[1], ints[2]
	default:
		return nil, fmt.Errorf("expected 1 to 3 arguments, got %d", len(args))
	}
	if step == 0 {
		return nil, errors.New("arg 3 must not be zero")
	}
	var n int
	if step > 0 && stop > start {
		n = int((uint64(stop-start) + uint64(step) - 1) / uint64(step))
	} else if step < 0 && start > stop {
		n = int((uint64(start-stop) + uint64(-step) - 1) / uint64(-step))
	}
	if n > MaxRange || n < 0 {
		return nil, fmt.Errorf("range too big, at most %d items allowed: %w", MaxRange, ErrLimit)
	}
	if err := r.charge(16 * n); err != nil {
		return nil, err
	}
	out := &pyList{items: make([]any, n)}
	for i := 0; i < n; i++ {
		out.items[i] = start + i*step
	}
	return out, nil
}

func builtinDict(r *renderer, args []any, kw *pyDict) (any, error) {
	d := newDict(0)
	if len(args) > 1 {
		return nil, errors.New("expected at most 1 argument")
	}
	if _, err := dictMethod(r, d, "update", args, kw); err != nil {
		return nil, err
	}
	return d, nil
}

func builtinNamespace(r *renderer, args []any, kw *pyDict) (any, error) {
	d, err := builtinDict(r, args, kw)
	if err != nil {
		return nil, err
	}
	return &namespace{d: d.(*pyDict)}, nil
}

func builtinRaise(r *renderer, args []any, kw *pyDict) (any, error) {
	msg := "raise() called"
	if len(args) > 0 {
		msg = pyStr(args[0])
	}
	return nil, &raisedError{msg: msg}
}

// raisedError carries a raise() message without a "raise():" prefix.
type raisedError struct{ msg string }

func (e *raisedError) Error() string { return e.msg }
func (e *raisedError) Unwrap() error { return ErrRaised }

type joinerObj struct {
	sep  string
	used bool
}

func (j *joinerObj) call(r *renderer, sc *scope, pos srcPos, args []any, kw *pyDict) (any, error) {
	if !j.used {
		j.used = true
		return "", nil
	}
	return j.sep, nil
}

func builtinJoiner(r *renderer, args []any, kw *pyDict) (any, error) {
	a, err := bind(args, kw, "sep")
	if err != nil {
		return nil, err
	}
	return &joinerObj{sep: pyStr(or(a[0], ", "))}, nil
}
