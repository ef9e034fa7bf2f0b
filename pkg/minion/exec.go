package minion

import (
	"context"
	"time"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/wire"
)

// ackGrace is how long a job may run before the minion sends a separate
// ack; faster jobs' returns are their own ack (DESIGN §4).
const ackGrace = 100 * time.Millisecond

func (m *Minion) startJob(ctx context.Context, job *wire.Job) {
	m.jobWG.Add(1)
	go func() {
		defer m.jobWG.Done()
		select {
		case m.jobs <- struct{}{}:
		case <-ctx.Done():
			return
		}
		defer func() { <-m.jobs }()
		m.running.Add(1)
		defer m.running.Add(-1)
		m.execute(ctx, job)
	}()
}

func (m *Minion) execute(ctx context.Context, job *wire.Job) {
	log := m.log.Named("exec")
	log.Debug("running job", "jid", job.JID, "fun", job.Fun)
	started := time.Now()
	done := make(chan modules.Result, 1)
	go func() { done <- modules.Run(ctx, m.env, job.Fun, job.Args, job.Kwargs) }()
	var res modules.Result
	select {
	case res = <-done:
	case <-time.After(ackGrace):
		if s := m.session(); s != nil {
			if err := s.send(wire.TypeAck, wire.Ack{JID: job.JID, Batch: job.Batch}); err != nil {
				log.Debug("could not ack job", "jid", job.JID, "error", err)
			}
		}
		res = <-done
	}
	ret := wire.Return{
		JID: job.JID, Fun: job.Fun, Return: res.Return, Retcode: res.Retcode, Success: res.Success,
		Started: started.UnixNano(), Duration: int64(time.Since(started)),
	}
	fitReturn(&ret, maxReturnBytes, log)
	if ctx.Err() != nil && !res.Success {
		// Cancelled by shutdown: the result is not what the function would
		// have returned; keep it anyway so the master learns what happened.
		log.Info("job interrupted by shutdown", "jid", job.JID)
	}
	m.deliverReturn(&ret)
}

// deliverReturn sends a return, keeping it until the master confirms it;
// without a connection it is written to the spool and sent on reconnect.
func (m *Minion) deliverReturn(r *wire.Return) {
	m.spool.add(r)
	s := m.session()
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
