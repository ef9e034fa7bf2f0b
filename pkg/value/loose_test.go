package value

import (
	"encoding/json"
	"math"
	"testing"
)

func TestLooseCoercions(t *testing.T) {
	type row struct {
		v              any
		truthy, isTrue bool
		b, bOK         bool
		i              int64
		iOK            bool
	}
	for _, r := range []row{
		{nil, false, false, false, false, 0, false},
		{true, true, true, true, true, 0, false},
		{false, false, false, false, true, 0, false},
		{1, true, true, true, true, 1, true},
		{int64(1), true, true, true, true, 1, true},
		{uint64(1), true, true, true, true, 1, true},
		{1.0, true, true, true, true, 1, true},
		{json.Number("1"), true, true, true, true, 1, true},
		{0, false, false, false, true, 0, true},
		{int64(0), false, false, false, true, 0, true},
		{2, true, true, false, false, 2, true},
		{-1, true, false, false, false, -1, true},
		{0.5, true, true, false, false, 0, false},
		{"1", true, true, true, true, 1, true},
		{"0", true, false, false, true, 0, true},
		{"True", true, true, true, true, 0, false},
		{"yes", true, true, true, true, 0, false},
		{"On", true, true, true, true, 0, false},
		{"y", true, true, true, true, 0, false},
		{"false", true, false, false, true, 0, false},
		{"no", true, false, false, true, 0, false},
		{"", false, false, false, true, 0, false},
		{"2", true, true, false, false, 2, true},
		{"maybe", true, false, false, false, 0, false},
		{[]any{}, false, false, false, false, 0, false},
		{[]any{0}, true, false, false, false, 0, false},
		{map[string]any{}, false, false, false, false, 0, false},
		{math.NaN(), true, false, false, false, 0, false},
	} {
		if got := Truthy(r.v); got != r.truthy {
			t.Errorf("Truthy(%#v) = %v", r.v, got)
		}
		if got := IsTrue(r.v); got != r.isTrue {
			t.Errorf("IsTrue(%#v) = %v", r.v, got)
		}
		if b, ok := Bool(r.v); b != r.b || ok != r.bOK {
			t.Errorf("Bool(%#v) = %v, %v", r.v, b, ok)
		}
		if i, ok := Int(r.v); ok != r.iOK || (ok && i != r.i) {
			t.Errorf("Int(%#v) = %v, %v", r.v, i, ok)
		}
	}
}

func TestReprAndNumbers(t *testing.T) {
	for v, want := range map[string]any{
		"None":                  nil,
		"True":                  true,
		"'it'":                  "it",
		`"it's"`:                "it's",
		"'a\\nb'":               "a\nb",
		"[1, 2.5, 'x', None]":   []any{1, 2.5, "x", nil},
		"{'a': 1, 'b': [True]}": map[string]any{"b": []any{true}, "a": int64(1)},
		"1.0":                   1.0,
		"1e+20":                 1e20,
		"18446744073709551615":  uint64(math.MaxUint64),
	} {
		if got := Repr(want); got != v {
			t.Errorf("Repr(%#v) = %s, want %s", want, got, v)
		}
	}
	n := Numbers(map[string]any{"a": json.Number("3"), "b": []any{json.Number("1.5")}}).(map[string]any)
	if n["a"] != int64(3) || n["b"].([]any)[0] != 1.5 {
		t.Errorf("Numbers: %#v", n)
	}
}
