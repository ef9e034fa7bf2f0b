package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/hashicorp/go-hclog"
)

// Server accepts ZMTP connections of one socket type and hands each to
// serve in its own goroutine. It owns those goroutines: Close ends them.
type Server struct {
	ln      net.Listener
	typ     zmq4.SocketType
	opts    Options
	log     hclog.Logger
	serve   func(ctx context.Context, c *Conn)
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	handshk chan struct{} // admission control for concurrent handshakes

	mu    sync.Mutex
	conns map[*Conn]struct{}

	panics       atomic.Int64
	panicSources map[string]struct{} // guarded by mu; sources already logged

	inHandshake map[string]int // guarded by mu: connections in handshake per source IP
	turnedAway  atomic.Int64   // connections closed at accept: no handshake slot
}

// TurnedAway is how many connections were closed at accept because every
// handshake slot, or every slot of their source address, was taken.
func (s *Server) TurnedAway() int64 { return s.turnedAway.Load() }

// maxPanicSources bounds the sources remembered for log-once.
const maxPanicSources = 1024

// Panics is how many connections ended in a contained panic (see
// ErrPeerPanic): each one is a bug found by a peer's bytes.
func (s *Server) Panics() int64 { return s.panics.Load() }

// notePanic counts a contained panic and logs it once per source address.
func (s *Server) notePanic(remote net.Addr, err any, stack []byte) {
	s.panics.Add(1)
	host := remote.String()
	if h, _, e := net.SplitHostPort(host); e == nil {
		host = h
	}
	s.mu.Lock()
	_, seen := s.panicSources[host]
	if !seen && len(s.panicSources) < maxPanicSources {
		s.panicSources[host] = struct{}{}
	}
	s.mu.Unlock()
	if !seen {
		s.log.Error("internal error on a connection; connection closed (logged once per source)", "remote", remote, "error", err, "stack", string(stack))
	}
}

// maxConcurrentHandshakes bounds the connections in handshake at once, so a
// reconnect storm queues in the kernel's backlog instead of in goroutines.
const maxConcurrentHandshakes = 512

// Listen starts a server on addr. serve runs once per connection that
// completes the handshake; when it returns the connection is closed.
func Listen(ctx context.Context, addr string, typ zmq4.SocketType, opts Options, log hclog.Logger, serve func(ctx context.Context, c *Conn)) (*Server, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s %s: %w", typ, addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Server{
		ln: ln, typ: typ, opts: opts, log: log, serve: serve,
		ctx: ctx, cancel: cancel,
		handshk: make(chan struct{}, maxConcurrentHandshakes),
		conns:   map[*Conn]struct{}{},

		panicSources: map[string]struct{}{},
		inHandshake:  map[string]int{},
	}
	s.wg.Add(1)
	go s.acceptLoop()
	context.AfterFunc(ctx, func() { _ = ln.Close() })
	return s, nil
}

// Addr is the listening address (useful with port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops accepting, closes every connection and waits for all of the
// server's goroutines to end.
func (s *Server) Close() error {
	s.cancel()
	_ = s.ln.Close()
	s.mu.Lock()
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close() // waits for its writer; runs its close hooks
	}
	s.wg.Wait()
	return nil
}

// NumConns is the number of open connections.
func (s *Server) NumConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	var delay time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and friends: back off instead of spinning.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("accept failed", "error", err, "retry_in", delay)
			select {
			case <-time.After(delay):
			case <-s.ctx.Done():
				return
			}
			continue
		}
		delay = 0
		// The accept loop never waits for a slot: a peer that cannot have
		// one now is closed at once and retries with backoff, so a flood
		// of slow handshakes (slowloris) never stops accepting, and one
		// source cannot take every slot from the others.
		host := sourceOf(nc.RemoteAddr())
		if !s.admit(host) {
			s.turnedAway.Add(1)
			_ = nc.Close()
			continue
		}
		s.wg.Add(1)
		go s.handle(nc, host)
	}
}

// admit takes a handshake slot for a connection from host, if one is free.
func (s *Server) admit(host string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if max := s.opts.MaxHandshakesPerSource; max > 0 && s.inHandshake[host] >= max {
		return false
	}
	select {
	case s.handshk <- struct{}{}:
	default:
		return false
	}
	s.inHandshake[host]++
	return true
}

// release gives back the slot admit took.
func (s *Server) release(host string) {
	<-s.handshk
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inHandshake[host]--; s.inHandshake[host] <= 0 {
		delete(s.inHandshake, host)
	}
}

// sourceOf is the IP address of a peer.
func sourceOf(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.IP.String()
	}
	return a.String()
}

func (s *Server) handle(nc net.Conn, host string) {
	defer s.wg.Done()
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetKeepAlive(true)
		_ = tc.SetKeepAlivePeriod(15 * time.Second)
	}
	stop := context.AfterFunc(s.ctx, func() { _ = nc.SetDeadline(time.Now()) })
	c, err := open(nc, s.typ, "", true, s.opts)
	stop()
	s.release(host)
	if err != nil {
		if errors.Is(err, ErrPeerPanic) {
			s.notePanic(nc.RemoteAddr(), err, nil)
		}
		s.log.Debug("handshake failed", "remote", nc.RemoteAddr(), "error", err)
		return
	}
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		_ = c.Close()
		return
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	c.OnClose(func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	})

	s.serveContained(c)
	if errors.Is(c.Err(), ErrPeerPanic) {
		s.notePanic(nc.RemoteAddr(), c.Err(), nil)
	}
}

// serveContained runs serve for c. No peer may take the process down:
// whatever escapes the codec or the serve function ends this connection
// only.
func (s *Server) serveContained(c *Conn) {
	defer func() {
		if r := recover(); r != nil {
			s.notePanic(c.RemoteAddr(), r, debug.Stack())
			_ = c.Close()
		}
	}()
	s.serve(s.ctx, c)
	if !c.isDetached() {
		_ = c.Close()
	}
}
