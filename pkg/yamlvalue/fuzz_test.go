package yamlvalue

import (
	"errors"
	"testing"
)

// FuzzValue checks that no input crashes Parse or Value, that every error
// is a positioned *Error, and that the result only holds plain types.
func FuzzValue(f *testing.F) {
	for _, s := range []string{
		"", "a: yes\nb: [1, 2.5, ~, 'off']\n", "base: &b {x: 1}\nd: {<<: *b, y: 2}\n",
		"a: 1\na: 2\n", "? [a]\n: 1\n", "a: *nope\n", "[[[[[[[[[[]]]]]]]]]]", "a:\n  - b: c\n d",
		billionLaughs(),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		n, err := Parse(src)
		if err != nil {
			var ye *Error
			if !errors.As(err, &ye) {
				t.Fatalf("Parse error %T %v is not *Error", err, err)
			}
			return
		}
		v, err := NewConverter().Value(n)
		if err != nil {
			var ye *Error
			if !errors.As(err, &ye) {
				t.Fatalf("Value error %T %v is not *Error", err, err)
			}
			return
		}
		checkPlain(t, v, 0)
	})
}

func checkPlain(t *testing.T, v any, depth int) {
	if depth > MaxDepth+1 {
		t.Fatalf("value nested deeper than MaxDepth")
	}
	switch v := v.(type) {
	case nil, bool, int, uint64, float64, string:
	case []any:
		for _, e := range v {
			checkPlain(t, e, depth+1)
		}
	case map[string]any:
		for _, e := range v {
			checkPlain(t, e, depth+1)
		}
	default:
		t.Fatalf("unexpected type %T", v)
	}
}
