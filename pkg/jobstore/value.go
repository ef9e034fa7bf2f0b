package jobstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
)

// maxValueDepth bounds the nesting the encoder's fallback walks, so a value
// that refers to itself fails cleanly instead of exhausting the stack. The
// network codec already refuses anything deeper than 32.
const maxValueDepth = 100

// encodeValue turns a JSON-like value into JSON text for storage.
//
// Values from minions are decoded from CBOR and may hold what JSON cannot
// express: NaN and infinite floats, maps with non-string keys. Rather than
// lose a whole return (or a whole batch) for one such number, the fallback
// path rewrites them: non-finite floats become the strings "NaN", "+Inf"
// and "-Inf", map keys become their fmt.Sprint form. Values JSON cannot
// represent at all (channels, functions, complex numbers) are an error.
func encodeValue(v any) ([]byte, error) {
	b, err := marshalJSON(v)
	if err == nil {
		return b, nil
	}
	var ute *json.UnsupportedTypeError
	var uve *json.UnsupportedValueError
	if !errors.As(err, &ute) && !errors.As(err, &uve) {
		return nil, fmt.Errorf("%w: encode value: %v", ErrInvalid, err)
	}
	clean, serr := sanitize(reflect.ValueOf(v), 0)
	if serr != nil {
		return nil, fmt.Errorf("%w: encode value: %v", ErrInvalid, serr)
	}
	b, err = marshalJSON(clean)
	if err != nil {
		return nil, fmt.Errorf("%w: encode value: %v", ErrInvalid, err)
	}
	return b, nil
}

func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // values are stored, not embedded in HTML
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// sanitize rebuilds v with the substitutions encodeValue documents. Structs
// and other values it does not understand are returned unchanged for
// encoding/json to judge.
func sanitize(v reflect.Value, depth int) (any, error) {
	if depth > maxValueDepth {
		return nil, fmt.Errorf("nested deeper than %d levels (a cycle?)", maxValueDepth)
	}
	if !v.IsValid() {
		return nil, nil
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return sanitize(v.Elem(), depth+1)
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		switch {
		case math.IsNaN(f):
			return "NaN", nil
		case math.IsInf(f, 1):
			return "+Inf", nil
		case math.IsInf(f, -1):
			return "-Inf", nil
		}
		return f, nil
	case reflect.Map:
		if v.IsNil() {
			return nil, nil
		}
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			val, err := sanitize(iter.Value(), depth+1)
			if err != nil {
				return nil, err
			}
			k := iter.Key()
			var key string
			if k.Kind() == reflect.String {
				key = k.String()
			} else {
				key = fmt.Sprint(k.Interface())
			}
			out[key] = val
		}
		return out, nil
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil, nil
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Interface(), nil // []byte: JSON base64
		}
		out := make([]any, v.Len())
		for i := range out {
			e, err := sanitize(v.Index(i), depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		return nil, fmt.Errorf("unsupported type %s", v.Type())
	}
	return v.Interface(), nil
}

// decodeValue parses JSON text written by encodeValue. Numbers come back as
// int64 when integral and in range, float64 otherwise.
func decodeValue(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decode stored value: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("decode stored value: trailing data")
	}
	return convertNumbers(v)
}

// convertNumbers replaces every json.Number in v, in place where v is a map
// or a slice.
func convertNumbers(v any) (any, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil {
			return nil, fmt.Errorf("decode stored value: number %s: %w", x, err)
		}
		return f, nil
	case map[string]any:
		for k, e := range x {
			c, err := convertNumbers(e)
			if err != nil {
				return nil, err
			}
			x[k] = c
		}
	case []any:
		for i, e := range x {
			c, err := convertNumbers(e)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
	}
	return v, nil
}

// decodeMap decodes a stored JSON object (or null).
func decodeMap(b []byte) (map[string]any, error) {
	v, err := decodeValue(b)
	if err != nil {
		return nil, err
	}
	switch m := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return m, nil
	}
	return nil, fmt.Errorf("decode stored value: got %T, want an object", v)
}

// decodeList decodes a stored JSON array (or null).
func decodeList(b []byte) ([]any, error) {
	v, err := decodeValue(b)
	if err != nil {
		return nil, err
	}
	switch l := v.(type) {
	case nil:
		return nil, nil
	case []any:
		return l, nil
	}
	return nil, fmt.Errorf("decode stored value: got %T, want a list", v)
}
