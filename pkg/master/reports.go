package master

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/hostdata"
	"github.com/halite/halite/pkg/jobstore"
	binval "github.com/halite/halite/pkg/value"
	"github.com/halite/halite/pkg/wire"
)

// handleReport takes a return the minion produced on its own: a scheduled
// function, an exec run, a beacon (DESIGN §8) or a `halite-minion call`. It is stored as a job of
// its own, targeted at that minion alone, under a jid of the master's, and
// acknowledged by the minion's key once committed. A report sent again
// because its ack was lost is recognised and acknowledged without being
// stored twice.
func (m *Master) handleReport(_ context.Context, s *session, head *wire.ReturnHead) error {
	src := head.Source
	if err := checkReport(head); err != nil {
		return m.refuseReturn(s, head.JID, refusedUndecodable, err.Error())
	}
	if jid, ok := m.reported.get(s.id, head.JID); ok {
		m.log.Named("returns").Debug("report sent again; already stored", "id", s.id, "key", head.JID, "jid", jid)
		return s.send(wire.TypeReturnAck, wire.ReturnAck{JID: head.JID})
	}
	var value any
	if len(head.Return) > 0 {
		if err := codec.Unmarshal(head.Return, &value); err != nil {
			return m.refuseReturn(s, head.JID, refusedUndecodable, "the master cannot decode the report: "+err.Error())
		}
		value = binval.Restore(value)
	}
	jid := m.jids.next()
	now := time.Now().UTC()
	ret := jobstore.Return{
		JID: jid, ID: s.id, Fun: head.Fun, Return: m.scrubSecrets(s.id, value), Retcode: head.Retcode, Success: head.Success,
		Received: now, Duration: time.Duration(head.Duration),
		Job: &jobstore.Job{
			JID: jid, Fun: head.Fun, TargetType: "list", Target: s.id, User: src.Kind + ":" + src.Name,
			Created: reportTime(head.Started, now), Expected: []string{s.id},
			Meta: map[string]any{"source": src.Kind, "name": src.Name, "key": head.JID},
		},
	}
	key := head.JID
	err := m.batch.AddThen(ret, len(head.Return), func(err error) {
		if err != nil {
			return // not stored: the minion sends it again
		}
		m.reported.put(s.id, key, jid)
		m.nudgeReturners()
		_ = s.send(wire.TypeReturnAck, wire.ReturnAck{JID: key})
		m.applyReport(s.id, src, &ret, now)
		if m.peers != nil && (src.Kind == wire.SourceExec || src.Kind == wire.SourceSchedule) {
			m.reportOut.add(jid, s.id, m.peerToken)
		}
	})
	if err != nil {
		return fmt.Errorf("queue report: %w", err)
	}
	return nil
}

// applyReport updates the host data from a stored report and announces it.
func (m *Master) applyReport(id string, src *wire.Source, ret *jobstore.Return, now time.Time) {
	switch src.Kind {
	case wire.SourceSchedule:
		m.mx.stateRun(ret.Fun, ret.Return) // a scheduled highstate
		if ret.Success {
			m.hostdata.PutValue(id, ret.Fun, ret.Return)
		}
	case wire.SourceExec:
		run := execRun(src, ret)
		m.hostdata.PutExec(id, run, now)
		m.events.Publish("halite/exec/"+id+"/"+src.Name, map[string]any{
			"id": id, "name": src.Name, "jid": ret.JID, "exit_code": run.ExitCode, "duration": run.Duration.Seconds(),
		})
	case wire.SourceBeacon:
		m.applyBeacon(id, src.Name, ret.Return)
	case wire.SourceCall:
		m.mx.stateRun(ret.Fun, ret.Return) // salt-call state.apply
	}
	if m.events.Subscribed() {
		m.events.Publish("halite/job/"+ret.JID+"/ret/"+id, map[string]any{
			"jid": ret.JID, "id": id, "fun": ret.Fun, "retcode": ret.Retcode, "success": ret.Success, "source": src.Kind, "name": src.Name,
		})
	}
}

// applyBeacon takes what a beacon reported: counters into the host data,
// and an event when the beacon says something happened.
func (m *Master) applyBeacon(id, beacon string, v any) {
	data, _ := v.(map[string]any)
	if data == nil {
		return
	}
	if beacon == "login" {
		counts, _ := data["counts"].([]any)
		for _, c := range counts {
			row, _ := c.(map[string]any)
			service, _ := row["service"].(string)
			result, _ := row["result"].(string)
			n, ok := binval.Float(row["count"])
			if service == "" || (result != "failed" && result != "ok") || !ok {
				continue
			}
			m.hostdata.AddLogins(id, truncate(service, 64), result, n)
		}
	}
	if fire, _ := data["fire"].(bool); fire {
		m.events.Publish("halite/beacon/"+id+"/"+beacon, map[string]any{"id": id, "beacon": beacon, "data": data})
	}
}

// execRun reads an exec report's value (see the minion's exec command).
func execRun(src *wire.Source, ret *jobstore.Return) hostdata.ExecRun {
	run := hostdata.ExecRun{Name: src.Name, Duration: ret.Duration, ExitCode: ret.Retcode, ExpectEvery: time.Duration(src.ExpectEvery), JID: ret.JID}
	v, _ := ret.Return.(map[string]any)
	if s, ok := v["start"].(string); ok {
		run.Start, _ = time.Parse(time.RFC3339Nano, s)
	}
	if run.Start.IsZero() {
		run.Start = ret.Received
	}
	if n, ok := binval.Float(v["output_bytes"]); ok {
		run.OutputBytes = int64(n)
	}
	if sizes, ok := v["sizes"].(map[string]any); ok {
		run.Sizes = map[string]int64{}
		for p, n := range sizes {
			if f, ok := binval.Float(n); ok && len(run.Sizes) < 64 {
				run.Sizes[truncate(p, 256)] = int64(f)
			}
		}
	}
	return run
}

// reportTime is the report's start as told by the minion, unless it is
// absurd (more than a day off the master's clock).
func reportTime(started int64, now time.Time) time.Time {
	t := time.Unix(0, started).UTC()
	if started <= 0 || t.Sub(now).Abs() > 24*time.Hour {
		return now
	}
	return t
}

// checkReport validates the parts of a report the master files it under.
func checkReport(h *wire.ReturnHead) error {
	switch h.Source.Kind {
	case wire.SourceSchedule, wire.SourceExec, wire.SourceBeacon, wire.SourceCall:
	default:
		return fmt.Errorf("unknown report kind %q", truncate(h.Source.Kind, 32))
	}
	if err := wire.CheckSourceName(h.Source.Name); err != nil {
		return err
	}
	if h.Fun == "" || len(h.Fun) > 128 || !utf8.ValidString(h.Fun) {
		return fmt.Errorf("report function %q is not a function name", truncate(h.Fun, 64))
	}
	if h.Source.ExpectEvery < 0 {
		return fmt.Errorf("negative expect_every")
	}
	return nil
}

// maxRecent bounds each recentKeys.
const maxRecent = 1 << 16

// recentKeys remembers the keys of recently stored reports per minion
// (with the jid each was stored under), oldest forgotten first past
// maxRecent, so a report resent after a lost ack is not stored twice.
// Past the bound, or after a master restart, a resend is stored again: a
// duplicate, never a loss.
type recentKeys struct {
	mu    sync.Mutex
	m     map[string]string
	order []string
}

func (r *recentKeys) get(id, key string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.m[id+"\x00"+key]
	return v, ok
}

// put records the pair; false when it was already there.
func (r *recentKeys) put(id, key, v string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = map[string]string{}
	}
	k := id + "\x00" + key
	if _, ok := r.m[k]; ok {
		return false
	}
	r.m[k] = v
	r.order = append(r.order, k)
	if len(r.order) > maxRecent {
		delete(r.m, r.order[0])
		r.order[0] = ""
		r.order = r.order[1:]
	}
	return true
}

// recentReturns remembers which (minion, jid) returns arrived lately, so
// one sent again before its ack came back is counted and announced once.
// It holds 64-bit hashes in a ring: ~1.5 MB for the last 65,536 returns,
// whatever the ids. A hash collision would at worst leave one return out
// of a metric and an event; the return itself is stored and acknowledged
// all the same.
type recentReturns struct {
	mu   sync.Mutex
	set  map[uint64]struct{}
	ring []uint64
	next int
}

// add records the pair; false when it was seen already.
func (r *recentReturns) add(id, jid string) bool {
	h := fnv.New64a()
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write([]byte(jid))
	k := h.Sum64()
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[k]; ok {
		return false
	}
	if r.set == nil {
		r.set = make(map[uint64]struct{})
		r.ring = make([]uint64, maxRecent)
	}
	if old := r.ring[r.next]; old != 0 {
		delete(r.set, old)
	}
	r.ring[r.next] = k
	r.next = (r.next + 1) % len(r.ring)
	r.set[k] = struct{}{}
	return true
}
