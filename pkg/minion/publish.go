package minion

import (
	"context"
	"errors"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/targeting"
	"github.com/halite/halite/pkg/transport"
	"github.com/halite/halite/pkg/wire"
)

// parkFor is how long a job under a not-yet-known publish epoch waits for
// the key push that is usually a few milliseconds behind it.
const parkFor = 3 * time.Second

type parked struct {
	env   []byte
	at    time.Time
	epoch uint32
}

// publishLoop keeps the subscription to the master up and handles every
// published job.
func (m *Minion) publishLoop(ctx context.Context, l *link) {
	b := transport.Backoff{Min: m.cfg.ReconnectMin.D(), Max: m.cfg.ReconnectMax.D()}
	for ctx.Err() == nil {
		err := m.subscribe(ctx, l, &b)
		if ctx.Err() != nil {
			return
		}
		delay := b.Next()
		m.log.Named("publish").Warn("subscription down; reconnecting", "error", err, "retry_in", delay.Round(time.Millisecond))
		if !waitOrDone(ctx, delay) {
			return
		}
	}
}

func (m *Minion) subscribe(ctx context.Context, l *link, b *transport.Backoff) error {
	opts := transport.DefaultOptions()
	conn, err := transport.Dial(ctx, l.addr(m.cfg.PublishPort), zmq4.Sub, m.cfg.ID, opts)
	if err != nil {
		return portError(err, "publish_port", m.cfg.PublishPort)
	}
	defer conn.Close()
	// Subscribe to everything (ZMTP 3.0 subscription message), so stock
	// ZeroMQ publishers work too.
	if err := conn.Send([]byte{1}); err != nil {
		return err
	}
	b.Reset()
	in := make(chan []byte, 64)
	go func() {
		defer close(in)
		for {
			frames, err := conn.Recv()
			if err != nil {
				return
			}
			if len(frames) != 1 {
				continue
			}
			select {
			case in <- frames[0]:
			case <-conn.Done():
				return
			}
		}
	}()
	var waiting []parked
	var warned uint32 // the last epoch warned about: once per epoch, not per job
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case env, ok := <-in:
			if !ok {
				return conn.Err()
			}
			if park, epoch := m.handlePublished(ctx, l, env); park {
				waiting = append(waiting, parked{env: env, at: time.Now(), epoch: epoch})
			}
		case <-l.keyCh:
			retry := waiting
			waiting = nil
			for _, p := range retry {
				if park, _ := m.handlePublished(ctx, l, p.env); park {
					waiting = append(waiting, p)
				}
			}
		case <-tick.C:
			kept := waiting[:0]
			expired := false
			var epoch uint32
			for _, p := range waiting {
				if time.Since(p.at) < parkFor {
					kept = append(kept, p)
				} else {
					expired, epoch = true, max(epoch, p.epoch)
				}
			}
			waiting = kept
			if expired && !l.keyring.Current().IsZero() {
				if epoch != warned {
					m.log.Warn("jobs arrived under a publish key this minion was never given; re-authenticating", "epoch", epoch)
					warned = epoch
				} else {
					m.log.Debug("more jobs under a publish key this minion was never given", "epoch", epoch)
				}
				l.reauth()
			}
		}
	}
}

// handlePublished verifies and dispatches one published envelope. It
// reports true when the envelope should wait for a newer publish key.
func (m *Minion) handlePublished(ctx context.Context, l *link, env []byte) (park bool, epoch uint32) {
	log := m.log.Named("publish")
	payload, epoch, err := crypto.OpenPublished(l.keyring.Lookup, l.pinnedOrZero(), env)
	if err != nil {
		if errors.Is(err, crypto.ErrUnknownEpoch) {
			// A job can overtake the key it needs: the first key travels in
			// the auth reply and rotations on the request channel. Park it.
			if cur := l.keyring.Current(); cur.IsZero() || epoch > cur.Epoch {
				return true, epoch
			}
		}
		log.Warn("refused published job", "error", err, "epoch", epoch)
		return false, epoch
	}
	var job wire.Job
	if err := codec.Unmarshal(payload, &job); err != nil {
		log.Warn("refused published job: malformed", "error", err)
		return false, epoch
	}
	m.handleJob(ctx, l, &job)
	return false, epoch
}

// handleJob runs a job that arrived, published or private, unless it is
// outside the clock skew, not for this minion, or already seen.
func (m *Minion) handleJob(ctx context.Context, l *link, job *wire.Job) {
	log := m.log.Named("publish")
	skew := m.cfg.ClockSkew.D()
	if age := time.Since(time.Unix(0, job.Time)); age > skew || age < -skew {
		log.Warn("refused published job outside the allowed clock skew", "jid", job.JID, "age", age.Round(time.Millisecond))
		return
	}
	if !m.targets(job) {
		log.Trace("job does not target this minion", "jid", job.JID)
		return
	}
	// The seen set is in memory; across a restart, the floor refuses a
	// job recorded off the wire earlier: this process could not have
	// been sent a job published before it first authenticated (the
	// master counted it offline then), so such a job is a replay. No
	// disk write per job.
	if job.Time < l.jobFloor.Load() {
		log.Warn("refused replayed job: published before this minion started", "jid", job.JID)
		return
	}
	if !m.seen.add(job.JID, job.Batch, time.Now()) {
		log.Warn("refused replayed job", "jid", job.JID)
		return
	}
	m.startJob(ctx, l, job)
}

func (m *Minion) targets(job *wire.Job) bool {
	matcher, err := m.matcher(job)
	if err != nil {
		m.log.Warn("job with an invalid target", "jid", job.JID, "type", job.TargetType, "error", err)
		return false
	}
	mn := &targeting.Minion{ID: m.cfg.ID, Grains: m.Grains()}
	if targeting.NeedsPillar(matcher) {
		mn.Pillar = m.Pillar()
	}
	return matcher.Match(mn)
}

// matcherCacheSize bounds the compiled targets a minion keeps: the same
// few targets recur job after job, and compiling is the costly part of
// deciding.
const matcherCacheSize = 64

// matcher compiles the job's target, reusing a recent compile when the
// job carries no nodegroups (which could differ between jobs).
func (m *Minion) matcher(job *wire.Job) (targeting.Matcher, error) {
	key := job.TargetType + "\x00" + job.Target
	cacheable := len(job.Nodegroups) == 0
	if cacheable {
		m.matchersMu.Lock()
		mt, ok := m.matchers[key]
		m.matchersMu.Unlock()
		if ok {
			return mt, nil
		}
	}
	typ, err := targeting.ParseType(job.TargetType)
	if err != nil {
		return nil, err
	}
	mt, err := targeting.Compile(typ, job.Target, targeting.Options{Nodegroups: job.Nodegroups})
	if err != nil {
		return nil, err
	}
	if cacheable {
		m.matchersMu.Lock()
		if len(m.matchers) >= matcherCacheSize {
			clear(m.matchers)
		}
		m.matchers[key] = mt
		m.matchersMu.Unlock()
	}
	return mt, nil
}
