package transport

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/hashicorp/go-hclog"
)

// Publisher is the master's PUB side: every message goes to every
// subscriber through that subscriber's own bounded queue. A subscriber
// whose queue is full is disconnected and reported instead of stalling the
// rest (stock zmq4 PUB writes to each peer in turn and blocks on the first
// that stops reading; DESIGN §2a).
type Publisher struct {
	srv    *Server
	log    hclog.Logger
	onSlow func(identity string, addr net.Addr)

	mu   sync.RWMutex
	subs map[*Conn]struct{}

	pubMu   sync.Mutex // serializes Publish; guards scratch
	scratch []*Conn

	stop      chan struct{}
	sweepDone chan struct{}
}

// sweepEvery is how often subscribers that went away are looked for.
const sweepEvery = 10 * time.Second

// PublishStats reports what one Publish did.
type PublishStats struct {
	Queued  int // subscribers the message was queued for
	Dropped int // subscribers disconnected because their queue was full
}

// ListenPub starts a publisher on addr. onSlow (may be nil) is told about
// every subscriber dropped for being too slow.
func ListenPub(ctx context.Context, addr string, opts Options, log hclog.Logger, onSlow func(identity string, addr net.Addr)) (*Publisher, error) {
	p := &Publisher{log: log, onSlow: onSlow, subs: map[*Conn]struct{}{}, stop: make(chan struct{}), sweepDone: make(chan struct{})}
	// Subscribers send nothing but subscriptions: keep their bound small.
	subOpts := opts
	subOpts.MaxMessage = 4096
	srv, err := Listen(ctx, addr, zmq4.Pub, subOpts, log, p.serve)
	if err != nil {
		return nil, fmt.Errorf("publisher: %w", err)
	}
	p.srv = srv
	go p.sweep()
	return p, nil
}

// sweep closes subscribers whose peer has gone (EOF), so a fleet that
// reconnects while nothing is published does not pile up dead sockets.
func (p *Publisher) sweep() {
	defer close(p.sweepDone)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		for _, c := range p.subsSnapshot() {
			if c.peerGone() {
				c.closeWith(ErrClosed)
			}
		}
	}
}

func (p *Publisher) serve(ctx context.Context, c *Conn) {
	p.mu.Lock()
	p.subs[c] = struct{}{}
	p.mu.Unlock()
	// Halite minions subscribe to everything, so topic filtering is not
	// needed and nothing a subscriber sends is read (the sweeper discards
	// it). The connection is detached: no goroutine waits on it. It ends
	// when a write fails, the sweeper finds the peer gone, or on Close.
	c.OnClose(func() {
		p.mu.Lock()
		delete(p.subs, c)
		p.mu.Unlock()
		if err := c.Err(); IsSlowPeer(err) {
			p.log.Warn("subscriber too slow, disconnected", "identity", c.PeerIdentity(), "remote", c.RemoteAddr(), "error", err)
			if p.onSlow != nil {
				p.onSlow(c.PeerIdentity(), c.RemoteAddr())
			}
		}
	})
	c.Detach()
}

// Publish queues msg for every connected subscriber. The same bytes are
// shared by all queues: encrypt once, publish once.
func (p *Publisher) Publish(msg []byte) PublishStats {
	// Send outside the subscriber lock: a full queue closes that
	// connection, whose close hook takes the lock.
	p.pubMu.Lock()
	defer p.pubMu.Unlock()
	p.mu.RLock()
	p.scratch = p.scratch[:0]
	for c := range p.subs {
		p.scratch = append(p.scratch, c)
	}
	p.mu.RUnlock()
	var st PublishStats
	for _, c := range p.scratch {
		if err := c.Send(msg); err != nil {
			st.Dropped++ // reported by the connection's close hook
			continue
		}
		st.Queued++
	}
	clear(p.scratch) // do not keep closed connections alive
	return st
}

// NumSubscribers is the number of connected subscribers.
func (p *Publisher) NumSubscribers() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.subs)
}

// Panics is the publish server's count (see Server.Panics).
func (p *Publisher) Panics() int64 { return p.srv.Panics() }

// TurnedAway is the publish server's count (see Server.TurnedAway).
func (p *Publisher) TurnedAway() int64 { return p.srv.TurnedAway() }

// Addr is the listening address.
func (p *Publisher) Addr() net.Addr { return p.srv.Addr() }

// Close disconnects every subscriber and waits for their goroutines.
func (p *Publisher) Close() error {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.sweepDone
	return p.srv.Close()
}

func (p *Publisher) subsSnapshot() []*Conn {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]*Conn, 0, len(p.subs))
	for c := range p.subs {
		out = append(out, c)
	}
	return out
}
