package minion

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// The call socket's frames: any bytes from a local peer give an error or
// a request, never a panic or an allocation beyond the limit.
func FuzzReadFrame(f *testing.F) {
	var ok bytes.Buffer
	_ = writeFrame(&ok, CallRequest{Fun: "test.ping", Args: []any{1, "a"}, Kwargs: map[string]any{"k": true}})
	f.Add(ok.Bytes())
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add(binary.BigEndian.AppendUint32(nil, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		var req CallRequest
		if err := readFrame(bytes.NewReader(b), maxCallRequest, &req); err != nil {
			return
		}
		var again bytes.Buffer
		if err := writeFrame(&again, req); err != nil {
			t.Fatalf("a request read back does not write: %v", err)
		}
	})
}

// A frame over the limit is refused before its body is read.
func TestReadFrameLimit(t *testing.T) {
	b := binary.BigEndian.AppendUint32(nil, maxCallRequest+1)
	var req CallRequest
	if err := readFrame(bytes.NewReader(b), maxCallRequest, &req); err == nil {
		t.Fatal("an oversized frame was accepted")
	}
}
