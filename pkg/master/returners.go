package master

import (
	"context"
	"fmt"
	"sync"

	"github.com/halite/halite/pkg/returner"
)

// newForwarders builds one Forwarder per configured returner.
func (m *Master) newForwarders() error {
	if len(m.cfg.Returners) == 0 {
		return nil
	}
	metrics := returner.NewMetrics(m.metrics)
	seen := map[string]bool{}
	for i, c := range m.cfg.Returners {
		sink, err := returner.New(c)
		if err != nil {
			return fmt.Errorf("returners[%d]: %w", i, err)
		}
		if seen[sink.Name()] {
			return fmt.Errorf("returners[%d]: a second returner named %q (set name: to tell them apart)", i, sink.Name())
		}
		seen[sink.Name()] = true
		m.forwarders = append(m.forwarders, returner.NewForwarder(sink, m.store, c.Events, metrics, m.log.Named("returner")))
	}
	return nil
}

// nudgeReturners tells the returners that returns were committed.
func (m *Master) nudgeReturners() {
	for _, f := range m.forwarders {
		f.Nudge()
	}
}

// runReturners runs every forwarder, and hands events to those that take
// them, until ctx ends.
func (m *Master) runReturners(ctx context.Context) {
	var wg sync.WaitGroup
	var withEvents []*returner.Forwarder
	for _, f := range m.forwarders {
		wg.Add(1)
		go func() { defer wg.Done(); f.Run(ctx) }()
		if f.WantsEvents() {
			withEvents = append(withEvents, f)
		}
	}
	if len(withEvents) > 0 {
		sub := m.events.Subscribe(4096)
		defer sub.Close()
		for done := false; !done; {
			select {
			case <-ctx.Done():
				done = true
			case ev, ok := <-sub.C:
				if !ok {
					done = true
					break
				}
				for _, f := range withEvents {
					f.Event(ev.Tag, ev.Time, ev.Data)
				}
			}
		}
	}
	wg.Wait()
}
