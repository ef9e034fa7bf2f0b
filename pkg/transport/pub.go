package transport

import (
	"context"
	"fmt"
	"net"
	"sync"

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
}

// PublishStats reports what one Publish did.
type PublishStats struct {
	Queued  int // subscribers the message was queued for
	Dropped int // subscribers disconnected because their queue was full
}

// ListenPub starts a publisher on addr. onSlow (may be nil) is told about
// every subscriber dropped for being too slow.
func ListenPub(ctx context.Context, addr string, opts Options, log hclog.Logger, onSlow func(identity string, addr net.Addr)) (*Publisher, error) {
	p := &Publisher{log: log, onSlow: onSlow, subs: map[*Conn]struct{}{}}
	// Subscribers send nothing but subscriptions: keep their bound small.
	subOpts := opts
	subOpts.MaxMessage = 4096
	srv, err := Listen(ctx, addr, zmq4.Pub, subOpts, log, p.serve)
	if err != nil {
		return nil, fmt.Errorf("publisher: %w", err)
	}
	p.srv = srv
	return p, nil
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
	// Halite minions subscribe to everything; topic filtering is not
	// needed, so subscription messages are read and discarded. Reading
	// also notices the peer closing.
	for {
		if _, err := c.Recv(); err != nil {
			break
		}
	}
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
func (p *Publisher) Close() error { return p.srv.Close() }
