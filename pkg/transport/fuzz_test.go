package transport

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"
)

// FuzzGuardScan feeds arbitrary byte streams, split at arbitrary points,
// through the frame guard: it must never panic, and whatever it accepts
// must respect the limits.
func FuzzGuardScan(f *testing.F) {
	greet := make([]byte, 64)
	f.Add(append(greet, 0, 3, 'a', 'b', 'c'), uint8(7))
	f.Add(append(greet, longFlag, 0x40, 0, 0, 0, 0, 0, 0, 0), uint8(3))
	f.Add(append(greet, bytes.Repeat([]byte{moreFlag, 0}, 10)...), uint8(1))
	f.Add(append(greet, binary.BigEndian.AppendUint64([]byte{longFlag}, 300)...), uint8(64))
	f.Fuzz(func(t *testing.T, stream []byte, split uint8) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		g := newGuardConn(a, 1024, 4)
		step := int(split)%97 + 1
		for off := 0; off < len(stream); off += step {
			end := min(off+step, len(stream))
			if err := g.scan(stream[off:end]); err != nil {
				return
			}
			if g.msgBytes > 1024 || g.msgFrames > 4 {
				t.Fatalf("guard accepted beyond limits: %d bytes, %d frames", g.msgBytes, g.msgFrames)
			}
		}
	})
}
