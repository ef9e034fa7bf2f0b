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
	defer func() {
		p.mu.Lock()
		delete(p.subs, c)
		p.mu.Unlock()
	}()
	// Halite minions subscribe to everything, so topic filtering is not
	// needed and nothing a subscriber sends is read: its subscription
	// message waits harmlessly in the kernel buffer. A closed or dead
	// subscriber is noticed by the next write, which ends the connection.
	// Parking on Done instead of sitting in a read keeps this goroutine's
	// stack at its minimum: a few KiB per connected minion.
	<-c.Done()
	if err := c.Err(); IsSlowPeer(err) {
		p.log.Warn("subscriber too slow, disconnected", "identity", c.PeerIdentity(), "remote", c.RemoteAddr(), "error", err)
		if p.onSlow != nil {
			p.onSlow(c.PeerIdentity(), c.RemoteAddr())
		}
	}
}

// Publish queues msg for every connected subscriber. The same bytes are
// shared by all queues: encrypt once, publish once.
func (p *Publisher) Publish(msg []byte) PublishStats {
	var st PublishStats
	p.mu.RLock()
	defer p.mu.RUnlock()
	for c := range p.subs {
		if err := c.Send(msg); err != nil {
			st.Dropped++ // reported by serve when the connection ends
			continue
		}
		st.Queued++
	}
	return st
}

// NumSubscribers is the number of connected subscribers.
func (p *Publisher) NumSubscribers() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.subs)
}

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
