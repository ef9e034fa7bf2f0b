package minion

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/wire"
)

// ackGrace is how long a job may run before the minion sends a separate
// ack; faster jobs' returns are their own ack (DESIGN §4).
const ackGrace = 100 * time.Millisecond

// maxQueued bounds the jobs waiting for a slot beyond max_jobs; past it a
// job is answered at once with an error instead of queueing without end.
const maxQueued = 1024

// activeJobs is the set of jids a minion is running or waiting to run.
type activeJobs struct {
	mu sync.Mutex
	m  map[string]struct{}
}

func (a *activeJobs) add(jid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[string]struct{}{}
	}
	a.m[jid] = struct{}{}
}

func (a *activeJobs) remove(jid string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.m, jid)
}

func (a *activeJobs) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.m))
	for jid := range a.m {
		out = append(out, jid)
	}
	return out
}

// heldJobs lists the jobs this minion runs, waits to run, or holds a
// return for: what it tells the master when a session starts.
func (m *Minion) heldJobs() []string {
	jobs := m.active.list()
	for _, r := range m.spool.pending() {
		jobs = append(jobs, r.JID)
	}
	return jobs
}

func (m *Minion) startJob(ctx context.Context, l *link, job *wire.Job) {
	m.jobWG.Add(1)
	m.active.add(job.JID)
	go func() {
		defer m.jobWG.Done()
		defer m.active.remove(job.JID) // after the return is in the spool
		acked := false
		select {
		case m.jobs <- struct{}{}:
		default:
			// Every slot is busy. Acknowledge at once, so the master
			// knows the job is here and will run (not "no-ack": a rerun
			// would run it twice), then wait for a slot.
			if n := m.queued.Add(1); n > maxQueued {
				m.queued.Add(-1)
				m.deliverReturnVia(l, failedReturn(job, fmt.Sprintf("minion busy: %d jobs running and %d waiting", cap(m.jobs), maxQueued)))
				return
			}
			m.ack(l, job)
			acked = true
			select {
			case m.jobs <- struct{}{}:
				m.queued.Add(-1)
			case <-ctx.Done():
				m.queued.Add(-1)
				m.deliverReturnVia(l, failedReturn(job, "the minion shut down before the job could start"))
				return
			}
		}
		defer func() { <-m.jobs }()
		m.running.Add(1)
		defer m.running.Add(-1)
		m.execute(ctx, l, job, acked)
	}()
}

// ack tells the master that published the job that it is here.
func (m *Minion) ack(l *link, job *wire.Job) {
	if s := l.session(); s != nil {
		if err := s.send(wire.TypeAck, wire.Ack{JID: job.JID, Batch: job.Batch}); err != nil {
			m.log.Named("exec").Debug("could not ack job", "jid", job.JID, "error", err)
		}
	}
}

// failedReturn is the return of a job that did not run.
func failedReturn(job *wire.Job, msg string) *wire.Return {
	return &wire.Return{JID: job.JID, Fun: job.Fun, Return: "ERROR: " + msg, Retcode: 1, Started: time.Now().UnixNano()}
}

func (m *Minion) execute(ctx context.Context, l *link, job *wire.Job, acked bool) {
	log := m.log.Named("exec")
	log.Debug("running job", "jid", job.JID, "fun", job.Fun)
	started := time.Now()
	kwargs := job.Kwargs
	if rev, ok := kwargs["rev"].(string); ok && strings.HasPrefix(job.Fun, "state.") {
		// apply --rev: the run reads its tree at that git revision.
		ctx = withRev(ctx, rev)
		kwargs = maps.Clone(kwargs)
		delete(kwargs, "rev")
	}
	done := make(chan modules.Result, 1)
	go func() { done <- modules.Run(ctx, m.env, job.Fun, job.Args, kwargs) }()
	var res modules.Result
	if acked {
		res = <-done
	} else {
		select {
		case res = <-done:
		case <-time.After(ackGrace):
			m.ack(l, job)
			res = <-done
		}
	}
	ret := wire.Return{
		JID: job.JID, Fun: job.Fun, Return: res.Return, Retcode: res.Retcode, Success: res.Success,
		Started: started.UnixNano(), Duration: int64(time.Since(started)),
	}
	if strings.HasPrefix(job.Fun, "state.") {
		ret.PillarHash = m.pillarHash()
	}
	fitReturn(&ret, maxReturnBytes, log)
	m.metrics.ran(ret.Success, time.Since(started))
	if ctx.Err() != nil && !res.Success {
		// Cancelled by shutdown: the result is not what the function would
		// have returned; keep it anyway so the master learns what happened.
		log.Info("job interrupted by shutdown", "jid", job.JID)
	}
	m.deliverReturnVia(l, &ret)
}

// deliverReturn sends a return to any master; see deliverReturnVia.
func (m *Minion) deliverReturn(r *wire.Return) { m.deliverReturnVia(nil, r) }

// deliverReturnVia sends a return to the master on l (the one that
// published the job), or to any master when l is down, keeping it until a
// master confirms it; without a connection it is written to the spool and
// sent on reconnect.
func (m *Minion) deliverReturnVia(l *link, r *wire.Return) {
	m.spool.add(r)
	s := m.sessionVia(l)
	if s == nil {
		if err := m.spool.persist(r.JID); err != nil {
			m.log.Error("spool return", "jid", r.JID, "error", err)
		}
		return
	}
	if err := s.send(wire.TypeReturn, r); err != nil {
		if err := m.spool.persist(r.JID); err != nil {
			m.log.Error("spool return", "jid", r.JID, "error", err)
		}
		return
	}
	m.spool.markSent(r.JID, time.Now())
}
