package minion

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/schedule"
	"github.com/halite/halite/pkg/wire"
)

// NewReportKey names a return the minion produces on its own (schedule,
// exec, beacon) until the master acknowledges it; the master files it
// under a jid of its own. Keys sort after jids in the spool and are
// unique per host.
func NewReportKey() string {
	return fmt.Sprintf("r%d-%08x", time.Now().UnixNano(), rand.Uint32())
}

// report delivers a minion-originated return like a job's: sent at once
// when connected, spooled otherwise, resent until acknowledged.
func (m *Minion) report(src wire.Source, fun string, res modules.Result, started time.Time) {
	ret := wire.Return{
		JID: NewReportKey(), Fun: fun, Return: res.Return, Retcode: res.Retcode, Success: res.Success,
		Started: started.UnixNano(), Duration: int64(time.Since(started)), Source: &src,
	}
	fitReturn(&ret, maxReturnBytes, m.log)
	m.deliverReturn(&ret)
}

// scheduleTick is the resolution of the schedule.
const scheduleTick = time.Second

// runSchedule runs the minion's schedule (config plus the pillar's
// `schedule` key) until ctx ends. A run still going when its next turn
// comes is not started twice.
func (m *Minion) runSchedule(ctx context.Context) {
	log := m.log.Named("schedule")
	var lastErr string
	entries := func() []schedule.Entry {
		raw := map[string]any{}
		for k, v := range m.cfg.Schedule {
			raw[k] = v
		}
		if p, _ := m.pillar.current(); p != nil {
			if ps, ok := p["schedule"].(map[string]any); ok {
				for k, v := range ps {
					raw[k] = v
				}
			}
		}
		es, err := schedule.Parse(raw)
		if err != nil && err.Error() != lastErr {
			log.Error("schedule entries skipped", "error", err)
		}
		if err != nil {
			lastErr = err.Error()
		} else {
			lastErr = ""
		}
		return es
	}
	var mu sync.Mutex
	running := map[string]bool{}
	fire := func(e schedule.Entry) {
		mu.Lock()
		busy := running[e.Name]
		running[e.Name] = true
		mu.Unlock()
		if busy {
			log.Warn("scheduled function still running; skipping this turn", "name", e.Name)
			return
		}
		m.jobWG.Add(1)
		go func() {
			defer m.jobWG.Done()
			defer func() {
				mu.Lock()
				delete(running, e.Name)
				mu.Unlock()
			}()
			started := time.Now()
			res := modules.Run(ctx, m.env, e.Function, e.Args, e.Kwargs)
			if ctx.Err() != nil {
				return // cut short by shutdown: not a result worth keeping
			}
			m.report(wire.Source{Kind: wire.SourceSchedule, Name: e.Name}, e.Function, res, started)
		}()
	}
	schedule.Run(ctx, scheduleTick, entries, fire)
}
