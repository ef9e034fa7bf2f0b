// Package value holds what Halite's loosely typed data (returns, grains,
// pillar) needs beyond what CBOR and JSON give for free: a representation
// for bytes that are not text, and a budget that every return fits.
//
// Commands print whatever bytes they like (Latin-1, binary files, random
// garbage). CBOR text strings must be UTF-8, so a minion sends such output
// as a CBOR byte string instead (Sanitize); the master keeps it as Bytes
// and stores it in JSON as {"$bytes": "<base64>"} so the exact bytes
// survive storage and `--out json`, while text output shows the bytes
// decoded with U+FFFD for what is not UTF-8, as Salt does.
package value

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// BytesKey is the one key of the JSON object that carries Bytes.
const BytesKey = "$bytes"

// Bytes is output that is not valid UTF-8, kept byte for byte.
type Bytes []byte

// String is the bytes decoded as UTF-8, with U+FFFD for invalid sequences.
func (b Bytes) String() string { return strings.ToValidUTF8(string(b), "\uFFFD") }

// MarshalJSON writes {"$bytes": "<base64>"}.
func (b Bytes) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{BytesKey: base64.StdEncoding.EncodeToString(b)})
}

// MarshalYAML writes the lossy text form: YAML output is for reading.
func (b Bytes) MarshalYAML() (any, error) { return b.String(), nil }

// Sanitize prepares v for the wire: every string that is not valid UTF-8
// becomes Bytes (a CBOR byte string); map keys, which must stay strings,
// get U+FFFD for invalid bytes. v is rebuilt only where something changes.
func Sanitize(v any) any {
	switch x := v.(type) {
	case string:
		if !utf8.ValidString(x) {
			return Bytes(x)
		}
	case []any:
		for i, e := range x {
			x[i] = Sanitize(e)
		}
	case map[string]any:
		for k, e := range x {
			if !utf8.ValidString(k) {
				delete(x, k)
				k = strings.ToValidUTF8(k, "\uFFFD")
			}
			x[k] = Sanitize(e)
		}
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Sanitize(e)
		}
		return out
	case map[string]string:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[strings.ToValidUTF8(k, "\uFFFD")] = Sanitize(e)
		}
		return out
	}
	return v
}

// Restore turns what carries bytes back into Bytes: []byte from CBOR, and
// {"$bytes": "<base64>"} objects from JSON. It works in place on maps and
// lists and returns the (possibly replaced) value.
func Restore(v any) any {
	switch x := v.(type) {
	case []byte:
		return Bytes(x)
	case []any:
		for i, e := range x {
			x[i] = Restore(e)
		}
	case map[string]any:
		if len(x) == 1 {
			if s, ok := x[BytesKey].(string); ok {
				if b, err := base64.StdEncoding.DecodeString(s); err == nil {
					return Bytes(b)
				}
			}
		}
		for k, e := range x {
			x[k] = Restore(e)
		}
	}
	return v
}

// AsBytes reports whether v carries Bytes, as Bytes or as the JSON object
// form.
func AsBytes(v any) (Bytes, bool) {
	switch x := v.(type) {
	case Bytes:
		return x, true
	case []byte:
		return Bytes(x), true
	case map[string]any:
		if len(x) == 1 {
			if s, ok := x[BytesKey].(string); ok {
				if b, err := base64.StdEncoding.DecodeString(s); err == nil {
					return Bytes(b), true
				}
			}
		}
	}
	return nil, false
}

// TruncatedNote ends a string cut to fit a return's budget.
const TruncatedNote = "\n[truncated by halite: %d bytes omitted]"

// Truncate returns a copy of v in which every string and Bytes longer
// than max is cut to max bytes (at a UTF-8 boundary for strings) and ends
// with TruncatedNote, and how many were cut. v itself is not changed.
func Truncate(v any, max int) (any, int) {
	switch x := v.(type) {
	case string:
		if len(x) <= max {
			return x, 0
		}
		cut := max
		for cut > 0 && !utf8.RuneStart(x[cut]) {
			cut--
		}
		return x[:cut] + fmt.Sprintf(TruncatedNote, len(x)-cut), 1
	case Bytes:
		if len(x) <= max {
			return x, 0
		}
		return append(Bytes(x[:max:max]), fmt.Sprintf(TruncatedNote, len(x)-max)...), 1
	case []any:
		out, n := make([]any, len(x)), 0
		for i, e := range x {
			var k int
			out[i], k = Truncate(e, max)
			n += k
		}
		return out, n
	case map[string]any:
		out, n := make(map[string]any, len(x)), 0
		for key, e := range x {
			var k int
			out[key], k = Truncate(e, max)
			n += k
		}
		return out, n
	}
	return v, 0
}
