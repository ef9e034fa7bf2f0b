package codec

import (
	"errors"
	"runtime"
	"testing"
)

// elementBomb is what F8 sent: arrays of one-byte items, each array within
// MaxElements, 16 M items in all.
func elementBomb(arrays, each int) []byte {
	head := func(major byte, n int) []byte {
		return []byte{major<<5 | 26, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	b := head(4, arrays)
	inner := append(head(4, each), make([]byte, each)...) // each item: 0x00, the integer 0
	for range arrays {
		b = append(b, inner...)
	}
	return b
}

func TestElementBombRefusedBeforeDecoding(t *testing.T) {
	bomb := elementBomb(120, MaxElements) // 15.7 M items in 15.7 MB
	if len(bomb) > MaxMessageSize {
		t.Fatalf("bomb of %d bytes is over the size limit; it must pass that one", len(bomb))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var v any
	err := Unmarshal(bomb, &v)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrTooManyItems) {
		t.Fatalf("got %v, want ErrTooManyItems", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", grew)
	}
}

func TestItemsWithinBudgetDecode(t *testing.T) {
	var v []any
	if err := Unmarshal(elementBomb(3, MaxElements), &v); err != nil {
		t.Fatal(err)
	}
	if len(v) != 3 || len(v[2].([]any)) != MaxElements {
		t.Fatalf("decoded %d arrays", len(v))
	}
}

func TestLooseKeepsInvalidUTF8(t *testing.T) {
	b, err := Marshal("caf\xe9")
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := Unmarshal(b, &s); err == nil {
		t.Fatal("strict decoder took invalid UTF-8")
	}
	if err := UnmarshalLoose(b, &s); err != nil || s != "caf\xe9" {
		t.Fatalf("loose: %q, %v", s, err)
	}
}

// FuzzCheckItems: the pre-scan never panics and never refuses what the
// decoder would accept within the budget.
func FuzzCheckItems(f *testing.F) {
	f.Add([]byte{0x82, 0x01, 0x02})
	f.Add(elementBomb(2, 10))
	f.Add([]byte{0xbf, 0x61, 0x61, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		if err := checkItems(b, 64); err != nil {
			return
		}
		var v any
		_ = decMode.Unmarshal(b, &v)
	})
}
