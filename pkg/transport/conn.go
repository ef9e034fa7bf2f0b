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
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/go-zeromq/zmq4"
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
	nc    net.Conn
	guard *guardConn
	zc    *zmq4.Conn
	opts  Options

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
		zc:      zc,
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

// enqueue adds msg to the send queue unless it is full, starting a writer
// if none runs.
//
// On a closed connection it queues nothing and starts no writer: Close
// takes qmu after closing (see Close), so a writer is either started
// before Close waits for writers, or never.
func (c *Conn) enqueue(msg zmq4.Msg) (queued bool, drained <-chan struct{}) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.isClosed() {
		return false, nil
	}
	if len(c.queue) >= c.opts.QueueLen {
		return false, c.drained
	}
	c.queue = append(c.queue, msg)
	if !c.writing {
		c.writing = true
		c.writers.Add(1)
		go c.drain()
	}
	return true, nil
}

// drain writes queued messages until the queue is empty, then ends.
func (c *Conn) drain() {
	defer c.writers.Done()
	for {
		c.qmu.Lock()
		batch := c.queue
		c.queue = nil
		if len(batch) == 0 || c.isClosed() {
			c.writing = false
			close(c.drained)
			c.drained = make(chan struct{})
			c.qmu.Unlock()
			return
		}
		c.qmu.Unlock()
		for _, msg := range batch {
			if c.opts.WriteTimeout > 0 {
				_ = c.nc.SetWriteDeadline(time.Now().Add(c.opts.WriteTimeout))
			}
			if err := c.zc.SendMsg(msg); err != nil {
				c.closeWith(fmt.Errorf("write to %s: %w", c.nc.RemoteAddr(), err))
				break
			}
		}
	}
}

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

// Recv returns the next message. Commands (PING and the like) are
// handled by the codec and not returned.
func (c *Conn) Recv() ([][]byte, error) {
	for {
		msg, err := c.recvMsg()
		if err != nil {
			c.closeWith(fmt.Errorf("read from %s: %w", c.nc.RemoteAddr(), err))
			return nil, c.Err()
		}
		if len(msg.Frames) == 0 {
			continue // a command without body
		}
		return msg.Frames, nil
	}
}

func (c *Conn) recvMsg() (msg zmq4.Msg, err error) {
	defer contain(&err)
	return c.zc.RecvMsg()
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
func (c *Conn) PeerIdentity() string { return c.zc.Peer.Meta["Identity"] }

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
