package master

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// defaultHeartbeat is assumed for a minion that has not told its
// heartbeat interval yet (the minion's default).
const defaultHeartbeat = 15 * time.Second

// presence decides when a minion is down: its session ended and it has
// not come back within one heartbeat interval, or its session stayed
// silent for three. A minion restarting in a second is not down; a host
// that dies is, within the heartbeat bound. Down and back up are events
// (halite/minion/<id>/down, .../up) and halite_minion_up{minion}.
type presence struct {
	mu sync.Mutex
	m  map[string]*presenceState
}

type presenceState struct {
	up       bool
	declared bool      // declared down, not back yet
	downAt   time.Time // when to declare it down; zero while connected
}

func (p *presence) state(id string) *presenceState {
	if p.m == nil {
		p.m = map[string]*presenceState{}
	}
	st := p.m[id]
	if st == nil {
		st = &presenceState{}
		p.m[id] = st
	}
	return st
}

// connected records a new session; it reports whether the minion was
// declared down before (so it is back up).
func (p *presence) connected(id string) (back bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.state(id)
	back = st.declared
	st.declared = false
	st.downAt = time.Time{}
	st.up = true
	return back
}

// disconnected starts the down clock of a minion whose session ended.
func (p *presence) disconnected(id string, heartbeat time.Duration) {
	if heartbeat <= 0 {
		heartbeat = defaultHeartbeat
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.state(id)
	if st.up && st.downAt.IsZero() {
		st.downAt = time.Now().Add(max(heartbeat, time.Second))
	}
}

// due returns the minions whose down clock ran out at now and marks them
// down.
func (p *presence) due(now time.Time) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for id, st := range p.m {
		if st.up && !st.downAt.IsZero() && !now.Before(st.downAt) {
			st.up = false
			st.declared = true
			st.downAt = time.Time{}
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

func (p *presence) isUp(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.m[id]
	return st != nil && st.up
}

func (p *presence) forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
}

// watchFleet runs every second until ctx ends: it closes sessions silent
// for three heartbeats, declares minions down, and raises deadman events
// for named exec runs that did not report in time.
func (m *Master) watchFleet(ctx context.Context) {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			m.closeSilent(now)
			for _, id := range m.presence.due(now) {
				if m.maint.has(id) {
					// Expected in maintenance: no alert.
					m.log.Info("minion down (in maintenance)", "id", id)
					continue
				}
				m.log.Warn("minion down", "id", id)
				m.events.Publish("halite/minion/"+id+"/down", map[string]any{"id": id})
			}
			m.expireMaintenance(ctx, now)
			for _, st := range m.hostdata.CheckDeadman(now) {
				if m.maint.has(st.Minion) {
					continue
				}
				m.log.Warn("named run overdue (deadman)", "id", st.Minion, "name", st.Name, "last_run", st.Start)
				m.events.Publish("halite/deadman/"+st.Minion+"/"+st.Name, map[string]any{
					"id": st.Minion, "name": st.Name, "last_run": st.Start, "expect_every": st.ExpectEvery.String(), "due": st.Due,
				})
			}
		}
	}
}

// watchEvery is the resolution of the down and deadman clocks.
const watchEvery = time.Second

// minSilence is the least silence that closes a session, whatever the
// minion's heartbeat: under a herd of reconnections a busy master must
// not close sessions whose heartbeats merely wait in its queue (each
// close would bring another reconnection). A host that dies closes its
// TCP connection, or is found by this within the floor.
const minSilence = 30 * time.Second

// closeSilent closes the sessions that sent nothing for three heartbeat
// intervals (at least minSilence): the host is gone without closing its
// connection.
func (m *Master) closeSilent(now time.Time) {
	m.mu.RLock()
	var silent []*session
	for _, s := range m.sessions {
		hb := time.Duration(s.heartbeat.Load())
		if hb <= 0 {
			hb = defaultHeartbeat
		}
		if now.Sub(time.Unix(0, s.lastSeen.Load())) > max(3*hb, minSilence) {
			silent = append(silent, s)
		}
	}
	m.mu.RUnlock()
	for _, s := range silent {
		m.log.Warn("minion stopped heartbeating; closing its session", "id", s.id)
		_ = s.conn.Close()
	}
}

// minionUp exports halite_minion_up{minion} for every accepted minion.
type minionUp struct{ m *Master }

var minionUpDesc = prometheus.NewDesc("halite_minion_up", "1 while an accepted minion is connected; 0 once it is down (gone for a heartbeat interval, or silent for three).", []string{"minion"}, nil)

func (u minionUp) Describe(ch chan<- *prometheus.Desc) { ch <- minionUpDesc }

func (u minionUp) Collect(ch chan<- prometheus.Metric) {
	u.m.mu.RLock()
	ids := make([]string, 0, len(u.m.accepted))
	for id := range u.m.accepted {
		ids = append(ids, id)
	}
	u.m.mu.RUnlock()
	for _, id := range ids {
		v := 0.0
		if u.m.presence.isUp(id) {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(minionUpDesc, prometheus.GaugeValue, v, id)
	}
}
