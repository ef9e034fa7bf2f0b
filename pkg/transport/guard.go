package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync/atomic"
)

// ZMTP 3 framing (RFC 23): a 64-byte greeting, then frames of
// [flags][size: 1 byte, or 8 bytes when flags&longFlag][body].
const (
	greetingLen = 64
	moreFlag    = 0x01
	longFlag    = 0x02
	commandFlag = 0x04
)

// ErrFrameTooLarge is reported when a peer announces a frame or message
// larger than the connection allows.
var ErrFrameTooLarge = errors.New("transport: frame too large")

// ErrMalformedFrame is reported for reserved flag bits or too many frames.
var ErrMalformedFrame = errors.New("transport: malformed frame")

// guardConn sits between the socket and zmq4's codec and follows the ZMTP
// byte stream as it is read. zmq4 allocates a buffer of whatever size a
// frame header announces before reading the body (conn.go, read), so one
// header claiming 2^62 bytes would exhaust memory or crash the process. The
// guard sees every size field before zmq4 does and fails the read instead.
type guardConn struct {
	net.Conn

	maxMsg    atomic.Int64 // bytes per message (all frames); changed after auth
	maxFrames int

	// parser state, owned by the single reading goroutine
	phase     int // 0 greeting, 1 flags, 2 size, 3 body
	need      uint64
	flags     byte
	sizeBuf   [8]byte
	sizeGot   int
	msgBytes  uint64
	msgFrames int
}

func newGuardConn(c net.Conn, maxMsg int64, maxFrames int) *guardConn {
	g := &guardConn{Conn: c, maxFrames: maxFrames, need: greetingLen}
	g.maxMsg.Store(maxMsg)
	return g
}

func (g *guardConn) Read(p []byte) (int, error) {
	n, err := g.Conn.Read(p)
	if n > 0 {
		if perr := g.scan(p[:n]); perr != nil {
			// Hand nothing of this chunk to the codec: the connection is dead.
			_ = g.Conn.Close()
			return 0, perr
		}
	}
	return n, err
}

func (g *guardConn) scan(b []byte) error {
	for len(b) > 0 {
		switch g.phase {
		case 0: // greeting
			k := min(uint64(len(b)), g.need)
			g.need -= k
			b = b[k:]
			if g.need == 0 {
				g.phase = 1
			}
		case 1: // flags
			g.flags = b[0]
			b = b[1:]
			if g.flags&^(moreFlag|longFlag|commandFlag) != 0 {
				return fmt.Errorf("%w: reserved flag bits 0x%02x", ErrMalformedFrame, g.flags)
			}
			g.msgFrames++
			if g.msgFrames > g.maxFrames {
				return fmt.Errorf("%w: more than %d frames in one message", ErrMalformedFrame, g.maxFrames)
			}
			g.sizeGot = 0
			g.phase = 2
		case 2: // size
			want := 1
			if g.flags&longFlag != 0 {
				want = 8
			}
			k := min(len(b), want-g.sizeGot)
			copy(g.sizeBuf[g.sizeGot:], b[:k])
			g.sizeGot += k
			b = b[k:]
			if g.sizeGot < want {
				continue
			}
			var size uint64
			if want == 1 {
				size = uint64(g.sizeBuf[0])
			} else {
				size = binary.BigEndian.Uint64(g.sizeBuf[:8])
			}
			limit := uint64(g.maxMsg.Load())
			if size > limit || g.msgBytes+size > limit {
				return fmt.Errorf("%w: %d bytes announced, limit %d", ErrFrameTooLarge, g.msgBytes+size, limit)
			}
			g.msgBytes += size
			g.need = size
			g.phase = 3
			if size == 0 {
				g.endFrame()
			}
		case 3: // body
			k := min(uint64(len(b)), g.need)
			g.need -= k
			b = b[k:]
			if g.need == 0 {
				g.endFrame()
			}
		}
	}
	return nil
}

func (g *guardConn) endFrame() {
	g.phase = 1
	if g.flags&moreFlag == 0 || g.flags&commandFlag != 0 {
		g.msgBytes = 0
		g.msgFrames = 0
	}
}
