// Package events is the master's in-process event bus: job, return, auth
// and key events that `halite-master events` streams as JSON lines.
package events

import (
	"sync"
	"time"
)

// Event is one thing that happened, tagged Salt-style
// ("halite/job/<jid>/ret/<id>").
type Event struct {
	Tag  string         `json:"tag"`
	Time time.Time      `json:"time"`
	Data map[string]any `json:"data,omitempty"`
}

// Bus fans events out to subscribers. A subscriber that does not keep up
// loses events (counted) rather than slowing the master down.
type Bus struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
}

// Subscription receives events on C until Close.
type Subscription struct {
	C       <-chan Event
	c       chan Event
	bus     *Bus
	mu      sync.Mutex
	dropped int
	closed  bool
}

// New returns an empty bus.
func New() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Subscribe starts receiving events; buffer bounds what may queue.
func (b *Bus) Subscribe(buffer int) *Subscription {
	c := make(chan Event, buffer)
	s := &Subscription{C: c, c: c, bus: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Subscribed reports whether anyone listens, so hot paths can skip
// building an event nobody will read.
func (b *Bus) Subscribed() bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs) > 0
}

// Subscribers is how many listen now.
func (b *Bus) Subscribers() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.subs)
}

// Publish sends ev to every subscriber without blocking.
func (b *Bus) Publish(tag string, data map[string]any) {
	ev := Event{Tag: tag, Time: time.Now().UTC(), Data: data}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		select {
		case s.c <- ev:
		default:
			s.mu.Lock()
			s.dropped++
			s.mu.Unlock()
		}
	}
}

// Dropped is the number of events this subscriber missed.
func (s *Subscription) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// Close stops the subscription and closes C.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	if _, ok := s.bus.subs[s]; ok {
		delete(s.bus.subs, s)
		close(s.c)
	}
}
