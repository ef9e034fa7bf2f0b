package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
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
//
// It also reads ahead: zmq4 reads a frame's 2-byte header and then its
// body, one syscall each. The guard reads what the socket holds into a
// pooled buffer and serves those small reads from it, so a message costs
// one syscall. The buffer is taken only once data is there and given back
// as soon as it is consumed: an idle connection holds none.
type guardConn struct {
	net.Conn
	raw      syscall.RawConn // nil: plain reads, no read-ahead
	ahead    *[]byte         // read-ahead buffer while it holds unread bytes
	from, to int             // unread bytes: (*ahead)[from:to]

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
	if sc, ok := c.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			g.raw = raw
		}
	}
	g.maxMsg.Store(maxMsg)
	return g
}

// aheadSize is the read-ahead buffer: a few small messages (a return, an
// ack) at once.
const aheadSize = 2048

var aheadBufs = sync.Pool{New: func() any { b := make([]byte, aheadSize); return &b }}

func (g *guardConn) Read(p []byte) (int, error) {
	if g.ahead != nil {
		n := copy(p, (*g.ahead)[g.from:g.to])
		g.from += n
		if g.from == g.to {
			aheadBufs.Put(g.ahead)
			g.ahead = nil
		}
		return n, nil
	}
	if g.raw == nil || len(p) >= aheadSize {
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
	var (
		buf  *[]byte
		n    int
		rerr error
	)
	err := g.raw.Read(func(fd uintptr) bool {
		buf = aheadBufs.Get().(*[]byte)
		n, rerr = syscall.Read(int(fd), *buf)
		if rerr == syscall.EAGAIN || rerr == syscall.EINTR {
			aheadBufs.Put(buf) // nothing yet: wait without a buffer
			buf = nil
			return rerr == syscall.EINTR
		}
		return true
	})
	switch {
	case err != nil: // deadline or closed
		return 0, err
	case buf == nil: // EINTR
		return 0, nil
	case rerr != nil:
		aheadBufs.Put(buf)
		return 0, &net.OpError{Op: "read", Net: "tcp", Addr: g.RemoteAddr(), Err: rerr}
	case n == 0:
		aheadBufs.Put(buf)
		return 0, io.EOF
	}
	if perr := g.scan((*buf)[:n]); perr != nil {
		aheadBufs.Put(buf)
		_ = g.Conn.Close()
		return 0, perr
	}
	k := copy(p, (*buf)[:n])
	if k < n {
		g.ahead, g.from, g.to = buf, k, n
	} else {
		aheadBufs.Put(buf)
	}
	return k, nil
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
