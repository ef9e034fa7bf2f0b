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
	// MaxItems bounds the data items of one message in all: a 16 MiB
	// message of one-byte items would otherwise decode into hundreds of
	// MiB of interface values (measured: 49 → 460 MB of master RSS per
	// such return). Map pairs count twice.
	MaxItems = 1 << 19
)

// ErrTooManyItems is returned for input holding more than MaxItems items.
var ErrTooManyItems = errors.New("codec: too many data items")

// ErrTooLarge is returned for input longer than MaxMessageSize.
var ErrTooLarge = errors.New("codec: message too large")

var (
	encMode   cbor.EncMode
	decMode   cbor.DecMode
	looseMode cbor.DecMode // decMode that lets text strings carry any bytes
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
	opts := cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		MaxNestedLevels:   MaxDepth,
		MaxArrayElements:  MaxElements,
		MaxMapPairs:       MaxElements,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsAllowed,
		IntDec:            cbor.IntDecConvertSignedOrFail,
		DefaultMapType:    reflect.TypeOf(map[string]any(nil)),
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
	}
	decMode, err = opts.DecMode()
	if err != nil {
		panic(fmt.Sprintf("codec: decoder options: %v", err))
	}
	opts.UTF8 = cbor.UTF8DecodeInvalid
	looseMode, err = opts.DecMode()
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
func Unmarshal(data []byte, v any) error { return unmarshal(decMode, data, v) }

// UnmarshalLoose is Unmarshal for a process's own data only (a minion
// preparing its return): text strings may hold bytes that are not UTF-8
// (see package value), and the size is not limited — the data is in
// memory already, and the caller fits it to a budget afterwards.
func UnmarshalLoose(data []byte, v any) error { return unmarshal(looseMode, data, v) }

func unmarshal(dm cbor.DecMode, data []byte, v any) error {
	if len(data) > MaxMessageSize && dm != looseMode {
		return ErrTooLarge
	}
	if err := checkItems(data, MaxItems); err != nil {
		return fmt.Errorf("codec: decode %T: %w", v, err)
	}
	if err := dm.Unmarshal(data, v); err != nil {
		return fmt.Errorf("codec: decode %T: %w", v, err)
	}
	return nil
}

// checkItems walks the item heads of data (RFC 8949 §3) without decoding
// anything and fails when it holds more than max items. Malformed input is
// left for the decoder to report; the walk only stops early.
func checkItems(data []byte, max int) error {
	pending := 1 // items still to read, including nested ones announced so far
	for n := 0; pending > 0; n++ {
		if n > max {
			return fmt.Errorf("%w: more than %d", ErrTooManyItems, max)
		}
		if len(data) == 0 {
			return nil
		}
		major, ai := data[0]>>5, data[0]&0x1f
		data = data[1:]
		pending--
		var arg uint64
		switch {
		case ai < 24:
			arg = uint64(ai)
		case ai <= 27:
			k := 1 << (ai - 24)
			if len(data) < k {
				return nil
			}
			for _, c := range data[:k] {
				arg = arg<<8 | uint64(c)
			}
			data = data[k:]
		default:
			return nil // reserved or indefinite length: the decoder refuses it
		}
		// Every item takes at least one byte, so a count beyond what is
		// left cannot be honest; it also keeps pending from overflowing.
		switch major {
		case 2, 3: // byte and text strings
			if arg > uint64(len(data)) {
				return nil
			}
			data = data[arg:]
		case 4:
			if arg > uint64(len(data)) {
				return nil
			}
			pending += int(arg)
		case 5:
			if arg > uint64(len(data)) {
				return nil
			}
			pending += 2 * int(arg)
		case 6:
			pending++
		}
	}
	return nil
}
