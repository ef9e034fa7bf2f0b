package jobstore

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

func TestValueRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want any
	}{
		{"nil", nil, nil},
		{"string", "hello <b>&</b>", "hello <b>&</b>"},
		{"bool", true, true},
		{"int stays int", 3, int64(3)},
		{"int64 min", int64(math.MinInt64), int64(math.MinInt64)},
		{"int64 max", int64(math.MaxInt64), int64(math.MaxInt64)},
		{"uint64 beyond int64 becomes float", uint64(math.MaxUint64), float64(math.MaxUint64)},
		{"fractional float", 2.5, 2.5},
		{"integral float comes back int", 4.0, int64(4)},
		{"fib list", []any{0, 1, 1, 2, 3, 5, 8}, []any{int64(0), int64(1), int64(1), int64(2), int64(3), int64(5), int64(8)}},
		{"nested", map[string]any{"a": []any{map[string]any{"b": 1.5, "c": nil}}, "d": "x"},
			map[string]any{"a": []any{map[string]any{"b": 1.5, "c": nil}}, "d": "x"}},
		{"typed slice", []string{"a", "b"}, []any{"a", "b"}},
		{"bytes are base64", []byte("hi"), "aGk="},
		// What CBOR can carry and JSON cannot is rewritten, not lost.
		{"NaN", math.NaN(), "NaN"},
		{"infinities in a list", []any{math.Inf(1), math.Inf(-1), 1}, []any{"+Inf", "-Inf", int64(1)}},
		{"non-string keys", map[any]any{1: "one", "two": 2}, map[string]any{"1": "one", "two": int64(2)}},
		{"NaN deep in a map", map[string]any{"load": []any{math.NaN()}}, map[string]any{"load": []any{"NaN"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encodeValue(tt.in)
			if err != nil {
				t.Fatalf("encodeValue(%#v): %v", tt.in, err)
			}
			got, err := decodeValue(b)
			if err != nil {
				t.Fatalf("decodeValue(%s): %v", b, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("round trip of %#v via %s = %#v, want %#v", tt.in, b, got, tt.want)
			}
		})
	}
}

func TestEncodeValueRefuses(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["self"] = cyclic
	tests := []struct {
		name string
		in   any
	}{
		{"channel", make(chan int)},
		{"function", func() {}},
		{"complex", complex(1, 2)},
		{"channel inside a map with a NaN", map[string]any{"x": math.NaN(), "c": make(chan int)}},
		{"cycle", cyclic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := encodeValue(tt.in)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("encodeValue = %s, %v; want ErrInvalid", b, err)
			}
		})
	}
}

func TestDecodeValueRefuses(t *testing.T) {
	for _, in := range []string{``, `{`, `[1] 2`, `{"a":1}}`, `1e400`} {
		if v, err := decodeValue([]byte(in)); err == nil {
			t.Errorf("decodeValue(%q) = %#v, want an error", in, v)
		}
	}
	if v, err := decodeList([]byte(`{"a":1}`)); err == nil {
		t.Errorf("decodeList(object) = %#v, want an error", v)
	}
	if v, err := decodeMap([]byte(`[1]`)); err == nil {
		t.Errorf("decodeMap(list) = %#v, want an error", v)
	}
}
