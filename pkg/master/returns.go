package master

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/jobstore"
	binval "github.com/halite/halite/pkg/value"
	"github.com/halite/halite/pkg/wire"
)

// handleReturn takes one return from a minion. The order of the checks is
// the contract of DESIGN §4 and §8d:
//   - a return whose envelope does not decode is a protocol error (counted
//     as a refusal of the connection);
//   - a return whose value does not decode, or that comes from a minion
//     outside the job's expected set, is refused by jid: the minion keeps
//     it in quarantine and logs why; the connection stays up;
//   - anything else is stored, and acknowledged only once its transaction
//     has committed, so a master killed at any instant loses nothing the
//     minion has forgotten.
func (m *Master) handleReturn(ctx context.Context, s *session, msg wire.Message) error {
	var head wire.ReturnHead
	if err := msg.DecodeBody(&head); err != nil {
		return err
	}
	if head.JID == "" {
		return errors.New("return without jid")
	}
	if head.Source != nil {
		return m.handleReport(ctx, s, &head)
	}
	if !m.isExpected(ctx, head.JID, s.id) {
		m.log.Named("returns").Warn("refused a return from a minion the job did not target", "jid", head.JID, "id", s.id)
		return m.refuseReturn(s, head.JID, refusedUnexpected, "this minion is not targeted by the job")
	}
	var value any
	if len(head.Return) > 0 {
		if err := codec.Unmarshal(head.Return, &value); err != nil {
			m.log.Named("returns").Error("refused a return the master cannot decode", "jid", head.JID, "id", s.id, "error", err)
			return m.refuseReturn(s, head.JID, refusedUndecodable, "the master cannot decode the return: "+err.Error())
		}
		value = binval.Restore(value) // CBOR byte strings: output that is not UTF-8
	}
	ret := jobstore.Return{
		JID: head.JID, ID: s.id, Fun: head.Fun, Return: m.scrubSecrets(s.id, value), Retcode: head.Retcode, Success: head.Success,
		Received: time.Now().UTC(), Duration: time.Duration(head.Duration), PillarHash: checkedHash(head.PillarHash),
	}
	err := m.batch.AddThen(ret, len(head.Return), func(err error) {
		switch {
		case err == nil:
			_ = s.send(wire.TypeReturnAck, wire.ReturnAck{JID: ret.JID})
			m.nudgeReturners()
			if m.peers != nil && !m.isLive(ret.JID) {
				// Perhaps another master's job (its minion's link to it
				// is down): its caller hears of it from the store.
				m.peerOut.add(ret.JID, ret.ID)
			}
		case errors.Is(err, jobstore.ErrInvalid):
			_ = m.refuseReturn(s, ret.JID, refusedUnstorable, "the master cannot store the return: "+err.Error())
		default:
			// Not stored, not refused: the minion keeps it and sends it
			// again (it resends unacknowledged returns periodically).
		}
	})
	if err != nil {
		return fmt.Errorf("queue return: %w", err)
	}
	if !m.returned.add(s.id, ret.JID) {
		// Sent again before its ack arrived: stored again (the same row),
		// acknowledged again, but counted and announced only the first time.
		return nil
	}
	m.mx.returned(ret.Fun, ret.Success, jobstore.JIDTime(ret.JID))
	m.mx.stateRun(ret.Fun, ret.Return)
	m.deliver(ret.JID, minionEvent{id: s.id, ret: &ret})
	if m.events.Subscribed() { // the return path runs once per minion per job
		m.events.Publish("halite/job/"+ret.JID+"/ret/"+s.id, map[string]any{"jid": ret.JID, "id": s.id, "fun": ret.Fun, "retcode": ret.Retcode, "success": ret.Success})
	}
	return nil
}

// Why a return is refused (the reason label of
// halite_returns_refused_total).
const (
	refusedUnexpected  = "unexpected"  // the minion is not in the job's expected set
	refusedUndecodable = "undecodable" // its value breaks the decoder's budgets
	refusedUnstorable  = "unstorable"  // the store refuses it for good
)

// refuseReturn tells the minion its return for jid will never be stored,
// counts it and says so on the event bus.
func (m *Master) refuseReturn(s *session, jid, kind, reason string) error {
	m.refusedReturns.WithLabelValues(kind).Inc()
	m.events.Publish("halite/job/"+jid+"/refused/"+s.id, map[string]any{"jid": jid, "id": s.id, "reason": reason})
	return s.send(wire.TypeReturnAck, wire.ReturnAck{JID: jid, Refused: reason})
}

// isLive reports whether a caller of this master waits for job jid.
func (m *Master) isLive(jid string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.live[jid]
	return ok
}

// isExpected reports whether id is in the expected set of job jid.
func (m *Master) isExpected(ctx context.Context, jid, id string) bool {
	set, ok := m.expected.get(jid)
	if !ok {
		// A job older than the cache: ask the store, once per job.
		set = map[string]struct{}{}
		if rec, err := m.store.GetJob(ctx, jid); err == nil {
			set = toSet(rec.Expected)
		} else if !errors.Is(err, jobstore.ErrNotFound) {
			m.log.Named("returns").Error("look up a job's expected minions", "jid", jid, "error", err)
			return true // the store is sick: keep the return rather than refuse it
		}
		m.expected.put(jid, set)
	}
	_, ok = set[id]
	return ok
}

// maxExpectedSets bounds the jobs whose expected sets are kept in memory;
// returns for older jobs cost one store lookup per job.
const maxExpectedSets = 4096

// expectedSets remembers the expected minions of recent jobs, oldest out
// first.
type expectedSets struct {
	mu    sync.Mutex
	sets  map[string]map[string]struct{}
	order []string
}

func (e *expectedSets) put(jid string, set map[string]struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sets == nil {
		e.sets = map[string]map[string]struct{}{}
	}
	if _, ok := e.sets[jid]; !ok {
		e.order = append(e.order, jid)
	}
	e.sets[jid] = set
	for len(e.order) > maxExpectedSets {
		delete(e.sets, e.order[0])
		e.order = e.order[1:]
	}
}

func (e *expectedSets) get(jid string) (map[string]struct{}, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	set, ok := e.sets[jid]
	return set, ok
}

// checkedHash keeps a pillar hash that looks like one ("sha256:" and 64
// hex digits); anything else a minion sends is dropped, not stored.
func checkedHash(h string) string {
	hex, ok := strings.CutPrefix(h, "sha256:")
	if !ok || len(hex) != 64 {
		return ""
	}
	for _, c := range hex {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ""
		}
	}
	return h
}
