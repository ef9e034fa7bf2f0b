package minion

import (
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/transport"
)

// link is the minion's connection to one master: its request channel and
// subscription, its session, and the publish keys that master gave it.
//
// With master_type str and a list of masters (DESIGN §10) the minion
// keeps a link to each: it answers jobs from whichever master published
// them, once per jid, and sends each return back on the link the job came
// on, or on any live link when that one is down; the masters share the
// store, so the return is stored once whichever takes it. With failover
// there is one link, moved along the list when its master stops
// answering.
type link struct {
	keyring *crypto.Keyring
	keyCh   chan struct{} // signalled when a new publish key arrives
	// master is the key of the master this link authenticated with.
	master atomic.Pointer[crypto.MasterPublic]
	// jobFloor is the master's clock (Unix nanos) when this link first
	// authenticated in this process: no job this master published before
	// that can be for this process, so an older one is a replay from
	// before a restart (see handleJob).
	jobFloor atomic.Int64

	mu   sync.Mutex
	host string
	sess *session // nil while not authenticated
}

func newLink(host string) *link {
	return &link{host: host, keyring: crypto.NewKeyring(publishKeyGrace), keyCh: make(chan struct{}, 1)}
}

func (l *link) addr(port int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return net.JoinHostPort(l.host, strconv.Itoa(port))
}

func (l *link) setHost(h string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.host = h
}

func (l *link) session() *session {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sess
}

func (l *link) signalKey() {
	select {
	case l.keyCh <- struct{}{}:
	default:
	}
}

// reauth drops the request channel so the link authenticates again (used
// when jobs arrive under an epoch it was never given).
func (l *link) reauth() {
	if s := l.session(); s != nil {
		_ = s.conn.Close()
	}
}

// pinnedOrZero is the master key jobs on this link must be signed with:
// the key of the master it authenticated with. Before that there is no
// publish key either, so nothing opens.
func (l *link) pinnedOrZero() crypto.MasterPublic {
	if p := l.master.Load(); p != nil {
		return *p
	}
	return crypto.MasterPublic{}
}

// session returns a live session, preferring the first master listed: for
// requests (pillar, files, mine) any master serves.
func (m *Minion) session() *session {
	for _, l := range m.links {
		if s := l.session(); s != nil {
			return s
		}
	}
	return nil
}

// sessionVia is the session of l if it is live, else any live session.
func (m *Minion) sessionVia(l *link) *session {
	if s := l.session(); s != nil {
		return s
	}
	return m.session()
}

// sessions returns every live session.
func (m *Minion) sessions() []*session {
	var out []*session
	for _, l := range m.links {
		if s := l.session(); s != nil {
			out = append(out, s)
		}
	}
	return out
}

// setSession records l's session (nil when it ends); Authenticated is
// closed while any link has one.
func (m *Minion) setSession(l *link, s *session) {
	l.mu.Lock()
	l.sess = s
	l.mu.Unlock()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.session() != nil {
		select {
		case <-m.authed:
		default:
			close(m.authed)
		}
		return
	}
	select {
	case <-m.authed:
		m.authed = make(chan struct{})
	default:
	}
}

// runLinks keeps the links to the masters up until ctx ends: with
// master_type str one request loop (and, with subscribe, one publish
// loop) per master; with failover one link that moves along the list.
func (m *Minion) runLinks(ctx context.Context, subscribe bool) {
	var wg sync.WaitGroup
	if m.cfg.MasterType == config.MasterTypeFailover {
		wg.Add(1)
		go func() { defer wg.Done(); m.failoverLoop(ctx, m.links[0], subscribe) }()
	} else {
		for _, l := range m.links {
			wg.Add(1)
			go func() { defer wg.Done(); m.requestLoop(ctx, l) }()
			if subscribe {
				wg.Add(1)
				go func() { defer wg.Done(); m.publishLoop(ctx, l) }()
			}
		}
	}
	wg.Wait()
}

// failoverLoop serves one master at a time, in the order listed: when the
// current one cannot be reached or stops answering, the next is tried. A
// minion never gives up: after the last master comes the first again.
func (m *Minion) failoverLoop(ctx context.Context, l *link, subscribe bool) {
	hosts := m.cfg.Master.List()
	b := transport.Backoff{Min: m.cfg.ReconnectMin.D(), Max: m.cfg.ReconnectMax.D()}
	log := m.log.Named("failover")
	for i := 0; ctx.Err() == nil; i = (i + 1) % len(hosts) {
		l.setHost(hosts[i])
		lctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		if subscribe {
			wg.Add(1)
			go func() { defer wg.Done(); m.publishLoop(lctx, l) }()
		}
		start := time.Now()
		err := m.connectAndServe(lctx, l, &b)
		cancel()
		wg.Wait()
		if ctx.Err() != nil {
			return
		}
		m.metrics.reconnected()
		next := hosts[(i+1)%len(hosts)]
		// A full round of masters that all failed at once waits before
		// the next round; a master that served for a while does not.
		delay := time.Duration(0)
		if (i+1)%len(hosts) == 0 && time.Since(start) < m.cfg.ReconnectMax.D() {
			delay = b.Next()
		}
		log.Warn("master lost; failing over", "master", hosts[i], "next", next, "error", err, "retry_in", delay)
		if delay > 0 && !waitOrDone(ctx, delay) {
			return
		}
	}
}

// Running is how many jobs are running now.
func (m *Minion) Running() int { return int(m.running.Load()) }
