// Package returner sends every stored return (and, opt-in, every event)
// on to other systems: a JSON-lines file, Elasticsearch's _bulk API,
// syslog.
//
// The job store is the queue. A Forwarder keeps a cursor per sink in the
// store and reads the returns after it, in the order they were stored, so
// a sink that is down (or a master that restarts) loses nothing: it
// resumes where it was once it is back, for as long as the returns are
// kept (keep_jobs). Nothing on the master's return path waits for a sink;
// it only nudges the Forwarder. Events are not stored, so they go through
// a bounded in-memory queue instead; what overflows it is counted.
package returner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/halite/halite/pkg/jobstore"
)

// Record is one thing sent: a return or an event, as a JSON object.
type Record struct {
	// ID is unique per record and stable across retries (a sink that
	// supports it uses it to make a resend harmless).
	ID   string
	Kind string // "return" or "event"
	Time time.Time
	Doc  map[string]any
}

// JSON is the record as one line.
func (r Record) JSON() []byte {
	b, err := json.Marshal(r.Doc)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"kind": r.Kind, "error": "unencodable record: " + err.Error()})
	}
	return b
}

// Sink delivers records. Send delivers all of them or returns an error
// (and is called again with the same records); it must be idempotent
// enough for that, or say in its doc what a resend does.
type Sink interface {
	Name() string
	Send(ctx context.Context, recs []Record) error
	Close() error
}

// Source is the part of the job store a Forwarder reads.
type Source interface {
	ReturnsAfter(ctx context.Context, seq int64, limit int) ([]jobstore.Fed, error)
	LastSeq(ctx context.Context) (int64, error)
	Cursor(ctx context.Context, name string) (int64, bool, error)
	SetCursor(ctx context.Context, name string, seq int64) error
}

// batchSize bounds the records in one Send.
const batchSize = 500

// eventQueue bounds the events waiting for a sink.
const eventQueue = 10000

// Backoff between failed sends.
const (
	minBackoff = 500 * time.Millisecond
	maxBackoff = 30 * time.Second
)

// Forwarder feeds one sink from the store (and the event bus, if asked).
type Forwarder struct {
	sink   Sink
	src    Source
	log    hclog.Logger
	events chan Record // nil unless the sink takes events
	nudge  chan struct{}
	gate   func() bool // nil: always deliver; see SetGate

	m *Metrics
}

// Metrics are the returners' counters, shared by every Forwarder.
type Metrics struct {
	Sent    *prometheus.CounterVec
	Errors  *prometheus.CounterVec
	Dropped *prometheus.CounterVec
	Pending *prometheus.GaugeVec
}

// NewMetrics registers the returner metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Sent:    prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halite_returner_sent_total", Help: "Records delivered to a returner, by sink and kind (return, event)."}, []string{"sink", "kind"}),
		Errors:  prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halite_returner_errors_total", Help: "Failed deliveries to a returner (each is retried), by sink."}, []string{"sink"}),
		Dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "halite_returner_dropped_total", Help: "Records a returner will never get, by sink and reason (event_queue_full, rejected by the sink)."}, []string{"sink", "reason"}),
		Pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "halite_returner_pending", Help: "Stored returns not yet delivered to a returner, by sink."}, []string{"sink"}),
	}
	reg.MustRegister(m.Sent, m.Errors, m.Dropped, m.Pending)
	return m
}

// NewForwarder prepares a Forwarder; withEvents also sends the events
// given to Event.
func NewForwarder(sink Sink, src Source, withEvents bool, m *Metrics, log hclog.Logger) *Forwarder {
	f := &Forwarder{sink: sink, src: src, log: log, nudge: make(chan struct{}, 1), m: m}
	if withEvents {
		f.events = make(chan Record, eventQueue)
	}
	return f
}

// SetGate makes the forwarder deliver returns only while gate is true
// (call it before Run): masters sharing a store forward its returns from
// one master at a time. Events, which are each master's own, go on.
func (f *Forwarder) SetGate(gate func() bool) { f.gate = gate }

// Nudge says new returns are stored. It never blocks.
func (f *Forwarder) Nudge() {
	select {
	case f.nudge <- struct{}{}:
	default:
	}
}

// WantsEvents reports whether the sink takes events.
func (f *Forwarder) WantsEvents() bool { return f.events != nil }

// Event queues an event for the sink without blocking; a full queue
// drops it, counted.
func (f *Forwarder) Event(tag string, t time.Time, data map[string]any) {
	if f.events == nil {
		return
	}
	rec := Record{ID: fmt.Sprintf("ev-%d-%s", t.UnixNano(), tag), Kind: "event", Time: t,
		Doc: map[string]any{"kind": "event", "tag": tag, "@timestamp": t.UTC().Format(time.RFC3339Nano), "data": data}}
	select {
	case f.events <- rec:
	default:
		f.m.Dropped.WithLabelValues(f.sink.Name(), "event_queue_full").Inc()
	}
}

// pollEvery is how often the store is read without a nudge.
const pollEvery = 2 * time.Second

// Run delivers until ctx ends. A sink new to this store starts at the
// newest return: it gets what happens from now on, not the whole history.
func (f *Forwarder) Run(ctx context.Context) {
	name := f.sink.Name()
	defer f.sink.Close()
	cursor, ok, err := f.src.Cursor(ctx, name)
	for err != nil {
		f.log.Error("read returner cursor", "sink", name, "error", err)
		if !sleep(ctx, maxBackoff) {
			return
		}
		cursor, ok, err = f.src.Cursor(ctx, name)
	}
	if !ok {
		if cursor, err = f.src.LastSeq(ctx); err == nil {
			err = f.src.SetCursor(ctx, name, cursor)
		}
		if err != nil {
			f.log.Error("start returner cursor", "sink", name, "error", err)
			return
		}
	}
	backoff := time.Duration(0)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	var lastErr atomic.Value
	gated := false
	for {
		if backoff > 0 && !sleep(ctx, backoff) {
			return
		}
		if f.gate != nil && !f.gate() {
			// Another master forwards the shared store's returns.
			gated = true
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			case rec := <-f.events:
				if err := f.sendEvents(ctx, rec); err != nil {
					f.m.Errors.WithLabelValues(name).Inc()
					f.log.Error("returner could not deliver events", "sink", name, "error", err)
				}
			}
			continue
		}
		if gated {
			// Taking over: the other master moved the shared cursor.
			gated = false
			if c, ok, err := f.src.Cursor(ctx, name); err == nil && ok {
				cursor = c
			}
		}
		progressed, err := f.deliver(ctx, &cursor)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			f.m.Errors.WithLabelValues(name).Inc()
			if prev, _ := lastErr.Load().(string); prev != err.Error() {
				f.log.Error("returner delivery failed; retrying", "sink", name, "error", err)
				lastErr.Store(err.Error())
			}
			backoff = min(max(2*backoff, minBackoff), maxBackoff)
			continue
		}
		if backoff > 0 {
			f.log.Info("returner delivering again", "sink", name)
			lastErr.Store("")
		}
		backoff = 0
		if progressed {
			continue // there may be more
		}
		select {
		case <-ctx.Done():
			return
		case <-f.nudge:
		case <-tick.C:
		case rec := <-f.events:
			if err := f.sendEvents(ctx, rec); err != nil {
				f.m.Errors.WithLabelValues(name).Inc()
				f.log.Error("returner could not deliver events", "sink", name, "error", err)
			}
		}
	}
}

// deliver sends the next batch of returns (and waiting events) and moves
// the cursor; progressed is false when there was nothing to send.
func (f *Forwarder) deliver(ctx context.Context, cursor *int64) (progressed bool, err error) {
	name := f.sink.Name()
	fed, err := f.src.ReturnsAfter(ctx, *cursor, batchSize)
	if err != nil {
		return false, err
	}
	if last, err := f.src.LastSeq(ctx); err == nil {
		pending := float64(last - *cursor)
		f.m.Pending.WithLabelValues(name).Set(max(pending, 0))
	}
	if len(fed) == 0 {
		return false, nil
	}
	recs := make([]Record, len(fed))
	for i, r := range fed {
		recs[i] = returnRecord(r)
	}
	if err := f.sink.Send(ctx, recs); err != nil {
		var rej *RejectedError
		if !errors.As(err, &rej) {
			return false, err
		}
		// The sink took the batch but refuses some records for good (a
		// mapping error): they are counted and skipped, not retried.
		f.m.Dropped.WithLabelValues(name, "rejected").Add(float64(rej.N))
		f.log.Error("returner rejected records; skipping them", "sink", name, "count", rej.N, "first", rej.First)
	}
	next := fed[len(fed)-1].Seq
	// Delivered: record it even if the master is stopping meanwhile, or
	// the batch goes again after the restart.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := f.src.SetCursor(sctx, name, next); err != nil {
		// Delivered but not recorded: a restart sends them again.
		f.log.Error("save returner cursor", "sink", name, "error", err)
	}
	*cursor = next
	f.m.Sent.WithLabelValues(name, "return").Add(float64(len(recs)))
	return true, nil
}

// sendEvents sends first and whatever else is queued, once (events are
// not kept: a failed send is counted as dropped).
func (f *Forwarder) sendEvents(ctx context.Context, first Record) error {
	recs := []Record{first}
	for len(recs) < batchSize {
		select {
		case r := <-f.events:
			recs = append(recs, r)
			continue
		default:
		}
		break
	}
	err := f.sink.Send(ctx, recs)
	var rej *RejectedError
	switch {
	case err == nil:
		f.m.Sent.WithLabelValues(f.sink.Name(), "event").Add(float64(len(recs)))
	case errors.As(err, &rej):
		f.m.Sent.WithLabelValues(f.sink.Name(), "event").Add(float64(len(recs) - rej.N))
		f.m.Dropped.WithLabelValues(f.sink.Name(), "rejected").Add(float64(rej.N))
		return nil
	default:
		f.m.Dropped.WithLabelValues(f.sink.Name(), "event_send_failed").Add(float64(len(recs)))
	}
	return err
}

// returnRecord is the document of a stored return.
func returnRecord(r jobstore.Fed) Record {
	doc := map[string]any{
		"kind":        "return",
		"@timestamp":  r.Received.UTC().Format(time.RFC3339Nano),
		"jid":         r.JID,
		"minion":      r.ID,
		"fun":         r.Fun,
		"return":      r.Return.Return,
		"retcode":     r.Retcode,
		"success":     r.Success,
		"duration_ms": float64(r.Duration) / float64(time.Millisecond),
	}
	if r.Target != "" {
		doc["tgt"], doc["tgt_type"] = r.Target, r.TargetType
	}
	if r.User != "" {
		doc["user"] = r.User
	}
	return Record{ID: r.JID + "." + r.ID, Kind: "return", Time: r.Received, Doc: doc}
}

// RejectedError is a Send that delivered all records but N, which the
// sink refuses for good.
type RejectedError struct {
	N     int
	First string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%d records rejected; first: %s", e.N, e.First)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
