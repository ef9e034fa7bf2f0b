// Package codec is the one place where Halite turns typed messages into bytes
// and back. It uses CBOR (RFC 8949) with a decoder that is bounded in size,
// nesting depth and collection length, so that no frame from the network can
// make a process allocate without limit or recurse without end.
package codec

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/fxamacker/cbor/v2"
)

// Limits applied to every decode. They are generous for real traffic (a
// state run's return is a few hundred KiB) and small enough that a hostile
// peer cannot exhaust memory.
const (
	// MaxMessageSize is the largest encoded message accepted anywhere.
	MaxMessageSize = 16 << 20
	// MaxDepth is the deepest nesting of arrays and maps accepted.
	MaxDepth = 32
	// MaxElements is the longest array and the largest map accepted.
	MaxElements = 1 << 17
)

// ErrTooLarge is returned for input longer than MaxMessageSize.
var ErrTooLarge = errors.New("codec: message too large")

var (
	encMode cbor.EncMode
	decMode cbor.DecMode
)

func init() {
	var err error
	encMode, err = cbor.EncOptions{
		Sort: cbor.SortCoreDeterministic, // signatures cover encoded bytes: make them canonical
		Time: cbor.TimeRFC3339Nano,
	}.EncMode()
	if err != nil {
		panic(fmt.Sprintf("codec: encoder options: %v", err))
	}
	decMode, err = cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   MaxDepth,
		MaxArrayElements:  MaxElements,
		MaxMapPairs:       MaxElements,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsAllowed,
		IntDec:            cbor.IntDecConvertSignedOrFail,
		DefaultMapType:    reflect.TypeOf(map[string]any(nil)),
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}.DecMode()
	if err != nil {
		panic(fmt.Sprintf("codec: decoder options: %v", err))
	}
}

// Marshal encodes v deterministically.
func Marshal(v any) ([]byte, error) {
	b, err := encMode.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("codec: encode %T: %w", v, err)
	}
	return b, nil
}

// Unmarshal decodes data into v, refusing input that breaks the limits,
// carries unknown fields for a struct, or has trailing bytes.
func Unmarshal(data []byte, v any) error {
	if len(data) > MaxMessageSize {
		return ErrTooLarge
	}
	if err := decMode.Unmarshal(data, v); err != nil {
		return fmt.Errorf("codec: decode %T: %w", v, err)
	}
	return nil
}
