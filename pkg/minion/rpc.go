package minion

import (
	"context"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/wire"
)

// ErrNotFound is a master's "no such file" answer; it matches
// fs.ErrNotExist, as state modules expect of a missing salt:// file.
var ErrNotFound = fmt.Errorf("not found on the master: %w", fs.ErrNotExist)

// requestTimeout bounds one request to the master.
const requestTimeout = 60 * time.Second

// calls matches the master's replies to the requests waiting for them.
type calls struct {
	mu      sync.Mutex
	next    uint64
	pending map[uint64]chan wire.Reply
}

func (c *calls) add() (uint64, chan wire.Reply) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = map[uint64]chan wire.Reply{}
	}
	c.next++
	ch := make(chan wire.Reply, 1)
	c.pending[c.next] = ch
	return c.next, ch
}

func (c *calls) remove(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, id)
}

func (c *calls) deliver(r wire.Reply) bool {
	c.mu.Lock()
	ch := c.pending[r.ReqID]
	delete(c.pending, r.ReqID)
	c.mu.Unlock()
	if ch == nil {
		return false
	}
	ch <- r
	return true
}

// request sends a request built by mk (given its id) and decodes the
// master's reply into out. It waits for a session if there is none yet.
func (m *Minion) request(ctx context.Context, typ string, mk func(id uint64) any, out any) error {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	select {
	case <-m.Authenticated():
	case <-ctx.Done():
		return fmt.Errorf("%s: not connected to the master: %w", typ, ctx.Err())
	}
	s := m.session()
	if s == nil {
		return fmt.Errorf("%s: not connected to the master", typ)
	}
	id, ch := m.calls.add()
	defer m.calls.remove(id)
	if err := s.send(typ, mk(id)); err != nil {
		return fmt.Errorf("%s: %w", typ, err)
	}
	select {
	case r := <-ch:
		if r.Error != "" {
			if r.NotFound {
				return fmt.Errorf("%s: %s: %w", typ, r.Error, ErrNotFound)
			}
			return fmt.Errorf("%s: master: %s", typ, r.Error)
		}
		if out == nil {
			return nil
		}
		return codec.Unmarshal(r.Body, out)
	case <-ctx.Done():
		return fmt.Errorf("%s: no answer from the master: %w", typ, ctx.Err())
	}
}
