package digest

import (
	"encoding/hex"
	"testing"
)

func TestNamesAndLengths(t *testing.T) {
	for _, n := range Names {
		h, err := New(n)
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte("x"))
		if got := ForHexLen(len(hex.EncodeToString(h.Sum(nil)))); got != n {
			t.Errorf("%s: hex length names %q", n, got)
		}
	}
	if _, err := New("crc32"); err == nil {
		t.Error("crc32 accepted")
	}
}
