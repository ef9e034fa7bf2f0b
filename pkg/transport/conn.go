// Package transport carries Halite's messages over the ZeroMQ wire protocol
// (ZMTP 3, go-zeromq/zmq4's codec) with the properties a fleet needs that the
// stock zmq4 sockets lack: the server side owns its accept loop, every
// connection has its own writer goroutine with a bounded queue and write
// deadlines (one stalled peer never delays the others), frame sizes are
// bounded before anything is allocated, and a peer's connection can be found
// and closed directly.
package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/go-zeromq/zmq4"
	"golang.org/x/sys/unix"
)

// Errors callers branch on.
var (
	// ErrSlowPeer: the peer's send queue was full; the connection is closed.
	ErrSlowPeer = errors.New("transport: peer too slow, send queue full")
	// ErrClosed: the connection or server is closed.
	ErrClosed = errors.New("transport: connection closed")
	// ErrPeerPanic: parsing the peer's bytes panicked (a bug in the codec
	// that hostile input found); the connection is closed, the process
	// lives on.
	ErrPeerPanic = errors.New("transport: internal error parsing peer bytes")
)

// contain turns a panic while parsing a peer's bytes into ErrPeerPanic in
// *err. It is the last line of defence: the known crashes are fixed at
// their root (parseMetadata, guardConn), but the codec is not ours.
func contain(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", ErrPeerPanic, r)
	}
}

// IsSlowPeer reports whether a connection ended because the peer stopped
// reading: its queue filled up or a write hit the deadline.
func IsSlowPeer(err error) bool {
	return errors.Is(err, ErrSlowPeer) || errors.Is(err, os.ErrDeadlineExceeded)
}

// Options tune a connection. The zero value is not useful; start from
// DefaultOptions.
type Options struct {
	// MaxMessage bounds one message (all its frames) in bytes.
	MaxMessage int64
	// MaxFrames bounds the frames of one message.
	MaxFrames int
	// QueueLen is the number of messages that may wait to be written.
	QueueLen int
	// WriteTimeout bounds one message write; a peer that does not read for
	// this long is disconnected.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds the ZMTP greeting and READY exchange.
	HandshakeTimeout time.Duration
	// MaxHandshakesPerSource bounds a server's connections in handshake
	// from one IP address; more are closed at once (0: no bound).
	MaxHandshakesPerSource int
}

// DefaultOptions returns options suitable for the master and minion.
func DefaultOptions() Options {
	return Options{
		MaxMessage:       16 << 20,
		MaxFrames:        4,
		QueueLen:         1024,
		WriteTimeout:     10 * time.Second,
		HandshakeTimeout: 5 * time.Second,

		MaxHandshakesPerSource: 256,
	}
}

// Conn is one ZMTP connection. Recv must be called from one goroutine;
// Send may be called from any and never blocks; SendWait blocks while the
// queue is full.
type Conn struct {
	nc     net.Conn
	guard  *guardConn
	peerID string // the peer's ZMTP identity
	opts   Options

	done      chan struct{}
	closeOnce sync.Once
	mu        sync.Mutex
	err       error
	onClose   []func()
	detached  bool

	// The send queue costs nothing while idle: a slice that grows only
	// under backlog (bounded by QueueLen), drained by a writer goroutine
	// that exists only while there is something to write. Thousands of
	// idle connections hold no buffers and no writer goroutines.
	qmu     sync.Mutex
	queue   []zmq4.Msg
	rest    net.Buffers // what a non-blocking write left, written first
	writing bool
	drained chan struct{} // closed (and replaced) each time the writer empties the queue
	writers sync.WaitGroup
}

// wrongPeer finds the peer's socket type in zmq4's handshake error (it
// has no error type of its own for it).
var wrongPeer = regexp.MustCompile(`peer="([A-Z]+)" not compatible`)

// WrongPeerError: the peer speaks ZMTP with a socket type ours cannot
// talk to — most often a port that belongs to the other channel.
type WrongPeerError struct {
	Peer, Want zmq4.SocketType
	err        error
}

func (e *WrongPeerError) Error() string {
	return fmt.Sprintf("the peer is a %s socket, which a %s cannot talk to", e.Peer, e.Want)
}

func (e *WrongPeerError) Unwrap() error { return e.err }

// open runs the ZMTP handshake on nc and starts the connection's writer.
func open(nc net.Conn, typ zmq4.SocketType, identity string, server bool, opts Options) (*Conn, error) {
	g := newGuardConn(nc, opts.MaxMessage, opts.MaxFrames)
	if opts.HandshakeTimeout > 0 {
		_ = nc.SetDeadline(time.Now().Add(opts.HandshakeTimeout))
	}
	zc, err := handshake(g, typ, identity, server)
	if err != nil {
		_ = nc.Close()
		if m := wrongPeer.FindStringSubmatch(err.Error()); m != nil {
			err = &WrongPeerError{Peer: zmq4.SocketType(m[1]), Want: typ, err: err}
		}
		return nil, fmt.Errorf("zmtp handshake with %s: %w", nc.RemoteAddr(), err)
	}
	_ = nc.SetDeadline(time.Time{})
	c := &Conn{
		nc:      nc,
		guard:   g,
		peerID:  zc.Peer.Meta["Identity"],
		opts:    opts,
		done:    make(chan struct{}),
		drained: make(chan struct{}),
	}
	return c, nil
}

// handshake runs zmq4's ZMTP handshake, containing any panic.
func handshake(g *guardConn, typ zmq4.SocketType, identity string, server bool) (zc *zmq4.Conn, err error) {
	defer contain(&err)
	return zmq4.Open(g, nullSecurity{}, typ, zmq4.SocketIdentity(identity), server, nil)
}

// Dial connects to addr (host:port) and performs the ZMTP handshake as a
// socket of type typ announcing identity.
func Dial(ctx context.Context, addr string, typ zmq4.SocketType, identity string, opts Options) (*Conn, error) {
	return DialFrom(ctx, &net.Dialer{}, addr, typ, identity, opts)
}

// DialFrom is Dial through d (to choose the local address, say).
func DialFrom(ctx context.Context, d *net.Dialer, addr string, typ zmq4.SocketType, identity string, opts Options) (*Conn, error) {
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetKeepAlive(true)
		_ = tc.SetKeepAlivePeriod(15 * time.Second)
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	c, err := open(nc, typ, identity, false, opts)
	if !stop() && err == nil {
		_ = c.Close()
		return nil, ctx.Err()
	}
	return c, err
}

// enqueue adds msg to the send queue unless it is full. When no writer
// is active it first tries to write the message here, without waiting: a
// socket with room takes it in one writev, and no goroutine is started
// (a publish to thousands of idle minions is thousands of syscalls, not
// thousands of goroutines). What the socket does not take, and anything
// queued meanwhile, is left to a writer goroutine.
//
// On a closed connection it queues nothing and starts no writer: Close
// takes qmu after closing (see Close), so a writer is either started
// before Close waits for writers, or never.
func (c *Conn) enqueue(msg zmq4.Msg) (queued bool, drained <-chan struct{}) {
	c.qmu.Lock()
	if c.isClosed() {
		c.qmu.Unlock()
		return false, nil
	}
	if len(c.queue) >= c.opts.QueueLen {
		d := c.drained
		c.qmu.Unlock()
		return false, d
	}
	if c.writing {
		c.queue = append(c.queue, msg)
		c.qmu.Unlock()
		return true, nil
	}
	c.writing = true
	c.writers.Add(1)
	c.qmu.Unlock()

	rest := c.tryWrite(frames(nil, []zmq4.Msg{msg}))
	c.qmu.Lock()
	if len(rest) == 0 && len(c.queue) == 0 {
		c.writing = false
		c.qmu.Unlock()
		c.writers.Done()
		return true, nil
	}
	c.rest = rest
	c.qmu.Unlock()
	go c.drain()
	return true, nil
}

// tryWrite writes what the socket takes now, without waiting, and returns
// the rest (all of it on any error: the writer goroutine meets the error
// again and closes the connection there, not in a sender's call).
func (c *Conn) tryWrite(bufs net.Buffers) net.Buffers {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return bufs
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return bufs
	}
	var n int
	var werr error
	if err := raw.Write(func(fd uintptr) bool {
		n, werr = unix.Writev(int(fd), bufs)
		return true // never wait here
	}); err != nil || werr != nil || n <= 0 {
		return bufs
	}
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if n > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}

// drain writes what tryWrite left and the queued messages until the queue
// is empty, then ends. Each round is one writev of everything queued.
func (c *Conn) drain() {
	defer c.writers.Done()
	var scratch net.Buffers
	for {
		c.qmu.Lock()
		bufs := c.rest
		c.rest = nil
		if len(c.queue) > 0 {
			scratch = frames(scratch[:0], c.queue)
			bufs = append(bufs, scratch...)
			clear(c.queue)
			c.queue = c.queue[:0]
			if cap(c.queue) > 64 {
				c.queue = nil // a backlog's slice is not kept while idle
			}
		}
		if len(bufs) == 0 || c.isClosed() {
			c.writing = false
			close(c.drained)
			c.drained = make(chan struct{})
			c.qmu.Unlock()
			return
		}
		c.qmu.Unlock()
		if c.opts.WriteTimeout > 0 {
			_ = c.nc.SetWriteDeadline(time.Now().Add(c.opts.WriteTimeout))
		}
		if _, err := bufs.WriteTo(c.nc); err != nil {
			c.closeWith(fmt.Errorf("write to %s: %w", c.nc.RemoteAddr(), err))
		}
	}
}

// frames appends msgs to bufs as ZMTP 3 message frames (RFC 23: a flags
// octet with MORE on all but the last frame and LONG above 255 bytes,
// the size in 1 or 8 octets, the body). The handshake is zmq4's; after
// it, only this writer writes to the socket.
func frames(bufs net.Buffers, msgs []zmq4.Msg) net.Buffers {
	n := 0
	for _, m := range msgs {
		n += len(m.Frames)
	}
	hdrs := make([]byte, 0, 9*n)
	for _, m := range msgs {
		for i, f := range m.Frames {
			var flags byte
			if i < len(m.Frames)-1 {
				flags |= zmtpMore
			}
			if m.Type == zmq4.CmdMsg {
				flags |= commandFlag
			}
			start := len(hdrs)
			if len(f) > 255 {
				hdrs = append(hdrs, flags|zmtpLong)
				hdrs = binary.BigEndian.AppendUint64(hdrs, uint64(len(f)))
			} else {
				hdrs = append(hdrs, flags, byte(len(f)))
			}
			bufs = append(bufs, hdrs[start:len(hdrs):len(hdrs)], f)
		}
	}
	return bufs
}

// ZMTP 3 frame flags.
const (
	zmtpMore = 0x01
	zmtpLong = 0x02
)

func (c *Conn) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Send queues a message for writing. It never blocks: when the queue is
// full the peer is too slow, the connection is closed and ErrSlowPeer
// returned, so one stalled reader cannot hold up anyone else.
func (c *Conn) Send(frames ...[]byte) error {
	if c.isClosed() {
		return c.Err()
	}
	if ok, _ := c.enqueue(zmq4.NewMsgFrom(frames...)); !ok {
		if c.isClosed() {
			return c.Err()
		}
		c.closeWith(ErrSlowPeer)
		return ErrSlowPeer
	}
	return nil
}

// SendWait queues a message, waiting while the queue is full: the
// back-pressure a client wants (a minion with many returns waits for its
// master instead of dropping the connection). It fails when ctx ends or
// the connection closes.
func (c *Conn) SendWait(ctx context.Context, frames ...[]byte) error {
	msg := zmq4.NewMsgFrom(frames...)
	for {
		if c.isClosed() {
			return c.Err()
		}
		ok, drained := c.enqueue(msg)
		if ok {
			return nil
		}
		if c.isClosed() {
			return c.Err()
		}
		select {
		case <-drained:
		case <-c.done:
			return c.Err()
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Recv returns the next message. Commands between messages are handled
// here (PING is answered with PONG) and not returned.
func (c *Conn) Recv() ([][]byte, error) {
	frames, err := c.readMsg()
	if err != nil {
		c.closeWith(fmt.Errorf("read from %s: %w", c.nc.RemoteAddr(), err))
		return nil, c.Err()
	}
	return frames, nil
}

// readMsg reads one ZMTP 3 message (RFC 23) through the guard, which has
// already checked every size and frame count it lets through: after the
// handshake zmq4 is out of the data path (its reader allocated a buffer
// and a copy per frame, and kept three maps per connection).
func (c *Conn) readMsg() ([][]byte, error) {
	var frames [][]byte
	for {
		var hdr [9]byte
		if _, err := io.ReadFull(c.guard, hdr[:2]); err != nil {
			return nil, err
		}
		flags := hdr[0]
		size := uint64(hdr[1])
		if flags&longFlag != 0 {
			if _, err := io.ReadFull(c.guard, hdr[2:9]); err != nil {
				return nil, err
			}
			size = binary.BigEndian.Uint64(hdr[1:9])
		}
		body := make([]byte, size)
		if _, err := io.ReadFull(c.guard, body); err != nil {
			return nil, err
		}
		if flags&commandFlag != 0 {
			if len(frames) > 0 {
				return nil, fmt.Errorf("%w: a command inside a message", ErrMalformedFrame)
			}
			c.command(body)
			continue
		}
		frames = append(frames, body)
		if flags&moreFlag == 0 {
			return frames, nil
		}
	}
}

// command handles a ZMTP command after the handshake: PING gets a PONG
// (through the writer, never interleaved with a message); anything else
// (SUBSCRIBE on a publisher, ERROR) needs nothing from a Halite peer.
func (c *Conn) command(body []byte) {
	if len(body) >= 5 && body[0] == 4 && string(body[1:5]) == "PING" {
		pong := zmq4.Msg{Frames: [][]byte{[]byte("\x04PONG")}, Type: zmq4.CmdMsg}
		c.enqueue(pong)
	}
}

// peerGone reports whether the peer has closed its end, with one
// non-blocking read (no waiting, unlike a read deadline). It is only for
// connections nobody reads from (subscribers): it consumes whatever the
// peer sent.
func (c *Conn) peerGone() bool {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return true
	}
	var buf [512]byte
	for {
		n := 0
		var rerr error
		err := raw.Read(func(fd uintptr) bool {
			n, rerr = syscall.Read(int(fd), buf[:])
			return true // never wait for data
		})
		switch {
		case err != nil:
			return true
		case rerr == syscall.EAGAIN || rerr == syscall.EINTR:
			return false
		case rerr != nil || n == 0:
			return true // error or EOF
		}
		// data: a subscription message; discard and look again
	}
}

// SetReadDeadline bounds the wait for the next message (the zero time
// removes the bound); a Recv past it fails and closes the connection.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// SetMaxMessage changes the read bound, e.g. raising it once a peer has
// authenticated.
func (c *Conn) SetMaxMessage(n int64) { c.guard.maxMsg.Store(n) }

// PeerIdentity is the identity the peer announced in its READY command.
// It is not authenticated and only useful in log lines.
func (c *Conn) PeerIdentity() string { return c.peerID }

// RemoteAddr is the peer's network address.
func (c *Conn) RemoteAddr() net.Addr { return c.nc.RemoteAddr() }

// Done is closed when the connection is closed.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err reports why the connection closed (ErrClosed after Close).
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close closes the connection and waits for its writer to end.
func (c *Conn) Close() error {
	c.closeWith(ErrClosed)
	// A Send racing with Close has either started its writer by now or
	// will see the connection closed (enqueue checks under qmu).
	c.qmu.Lock()
	c.qmu.Unlock()
	c.writers.Wait()
	return nil
}

func (c *Conn) closeWith(err error) {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.err = err
		hooks := c.onClose
		c.onClose = nil
		c.mu.Unlock()
		close(c.done)
		_ = c.nc.Close()
		for _, h := range hooks {
			h()
		}
	})
}

// OnClose registers f to run once the connection is closed (at once if it
// already is).
func (c *Conn) OnClose(f func()) {
	c.mu.Lock()
	if !c.isClosed() {
		c.onClose = append(c.onClose, f)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	f()
}

// Detach tells the server that the connection outlives its serve
// function: it stays open after serve returns and is closed by its peer,
// a failed write, Close, or the server's Close. A detached connection
// holds no goroutine of its own.
func (c *Conn) Detach() {
	c.mu.Lock()
	c.detached = true
	c.mu.Unlock()
}

func (c *Conn) isDetached() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.detached
}
