package minion

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/transport"
	"github.com/halite/halite/pkg/version"
	"github.com/halite/halite/pkg/wire"
)

// errRejected: the master rejected or denied the key; retry slowly.
var errRejected = errors.New("key rejected by master")

// requestLoop keeps the request channel up: connect, authenticate, serve,
// and after any failure reconnect with jittered exponential backoff.
func (m *Minion) requestLoop(ctx context.Context, l *link) {
	b := transport.Backoff{Min: m.cfg.ReconnectMin.D(), Max: m.cfg.ReconnectMax.D()}
	log := m.log.Named("auth")
	for ctx.Err() == nil {
		err := m.connectAndServe(ctx, l, &b)
		if ctx.Err() != nil {
			return
		}
		delay := b.Next()
		if errors.Is(err, errRejected) {
			delay = max(delay, min(60*time.Second, 6*m.cfg.ReconnectMax.D()))
		}
		m.metrics.reconnected()
		log.Warn("request channel down; reconnecting", "master", l.addr(m.cfg.RetPort), "error", err, "retry_in", delay.Round(time.Millisecond))
		if !waitOrDone(ctx, delay) {
			return
		}
	}
}

func (m *Minion) connectAndServe(ctx context.Context, l *link, b *transport.Backoff) error {
	opts := transport.DefaultOptions()
	conn, err := transport.Dial(ctx, l.addr(m.cfg.RetPort), zmq4.Dealer, m.cfg.ID, opts)
	if err != nil {
		return portError(err, "ret_port", m.cfg.RetPort)
	}
	defer conn.Close()
	// Closing the connection is how a blocked Recv learns about ctx.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	req, eph, err := crypto.NewAuthRequest(m.key, m.cfg.ID, time.Now())
	if err != nil {
		return err
	}
	raw, err := req.Marshal()
	if err != nil {
		return err
	}
	if err := conn.Send([]byte(wire.KindAuth), raw); err != nil {
		return err
	}
	// Wait for the auth reply. A pending key gets a second reply on the same
	// connection when the operator accepts it.
	var keys *crypto.SessionKeys
	for keys == nil {
		frames, err := recvWithin(conn, m.authWait())
		if err != nil {
			return fmt.Errorf("waiting for auth reply: %w", err)
		}
		if len(frames) != 2 || string(frames[0]) != wire.KindAuth {
			return fmt.Errorf("unexpected message before auth reply")
		}
		reply, err := crypto.UnmarshalAuthReply(frames[1])
		if err != nil {
			return fmt.Errorf("auth reply: %w", err)
		}
		k, err := reply.Open(req, eph, m.trustMaster)
		if err != nil {
			m.log.Error("refusing master", "error", err)
			return fmt.Errorf("auth reply: %w", err)
		}
		m.setKeyState(string(reply.Status))
		switch reply.Status {
		case crypto.StatusAccepted:
			if err := m.pinMaster(reply.Master); err != nil {
				return err
			}
			master := reply.Master
			l.master.Store(&master)
			l.jobFloor.CompareAndSwap(0, reply.Timestamp)
			keys = k
		case crypto.StatusPending:
			m.log.Info("key pending acceptance on the master", "id", m.cfg.ID, "fingerprint", m.key.Public().Fingerprint())
		case crypto.StatusClockSkew:
			off := time.Until(time.Unix(0, reply.Timestamp)).Round(time.Second)
			m.log.Error("master refused authentication: this host's clock is off; fix its time (NTP)", "master_clock_ahead_by", off)
			return fmt.Errorf("clock off by %v from the master's", off)
		default:
			m.log.Error("master refused this minion's key", "status", reply.Status, "fingerprint", m.key.Public().Fingerprint())
			return errRejected
		}
	}
	b.Reset()
	if err := l.keyring.Set(keys.Publish); err != nil {
		return err
	}
	l.signalKey()
	s := &session{conn: conn, ch: crypto.NewChannel(keys.Request, m.cfg.ID, crypto.ToMaster)}
	m.setSession(l, s)
	defer m.setSession(l, nil)
	m.log.Info("authenticated with master", "master", l.addr(m.cfg.RetPort), "epoch", keys.Publish.Epoch)

	if err := s.send(wire.TypeGrains, wire.Grains{Grains: m.Grains(), Version: version.Version, Jobs: m.heldJobs(), Session: true, Start: !m.started.Load() && !m.deliverOnly, Heartbeat: int64(m.cfg.HeartbeatInterval.D()), Single: m.cfg.Transport == config.TransportSingle && !m.deliverOnly}); err != nil {
		return err
	}
	m.started.Store(true)
	if err := m.resend(s, time.Time{}); err != nil {
		return err
	}
	if m.deliverOnly {
		return m.serveSession(ctx, l, conn, s)
	}
	// The pillar is fetched on every new session (the master may have
	// changed it while we were away); its answer is read by serveSession.
	m.bg.Add(1)
	go func() {
		defer m.bg.Done()
		_, _ = m.fetchPillar(ctx, wire.PillarRequest{})
	}()
	return m.serveSession(ctx, l, conn, s)
}

// authWait is how long to wait for an auth reply: briefly for the first,
// long while pending acceptance (the master pushes the acceptance).
func (m *Minion) authWait() time.Duration {
	if m.KeyState() == string(crypto.StatusPending) {
		return 10 * time.Minute
	}
	return 30 * time.Second
}

func recvWithin(conn *transport.Conn, d time.Duration) ([][]byte, error) {
	t := time.AfterFunc(d, func() { _ = conn.Close() })
	defer t.Stop()
	return conn.Recv()
}

// serveSession reads the master's messages and sends heartbeats until the
// connection fails.
func (m *Minion) serveSession(ctx context.Context, l *link, conn *transport.Conn, s *session) error {
	msgs := make(chan wire.Message, 16)
	pubs := make(chan []byte, 16) // jobs, with transport: single
	readErr := make(chan error, 1)
	go func() {
		defer close(msgs)
		for {
			frames, err := conn.Recv()
			if err != nil {
				readErr <- err
				return
			}
			if len(frames) == 2 && string(frames[0]) == wire.KindPublished {
				select {
				case pubs <- frames[1]:
				case <-conn.Done():
					return
				}
				continue
			}
			if len(frames) != 2 || string(frames[0]) != wire.KindSealed {
				m.log.Warn("ignoring unexpected frame from master", "frames", len(frames))
				continue
			}
			plain, err := s.ch.Open(frames[1])
			if err != nil {
				m.log.Warn("refused message from master", "error", err)
				continue
			}
			msg, err := wire.Decode(plain)
			if err != nil {
				m.log.Warn("refused message from master", "error", err)
				continue
			}
			select {
			case msgs <- msg:
			case <-conn.Done():
				return
			}
		}
	}()
	hb := time.NewTicker(m.cfg.HeartbeatInterval.D())
	defer hb.Stop()
	// Reports `halite-minion exec` leaves in the spool go out within
	// spoolWatchEvery: a stat of the spool directory, read when it changed.
	watch := time.NewTicker(spoolWatchEvery)
	defer watch.Stop()
	spoolMtime := m.spool.mtime()
	// lastHeard is when the master last sent anything: any message shows
	// it alive, not only a heartbeat's answer.
	lastHeard := time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case env := <-pubs:
			lastHeard = time.Now()
			// On this one connection a rotated key always arrives before
			// the jobs sealed with it: nothing needs to wait for a key.
			if park, epoch := m.handlePublished(ctx, l, env); park {
				m.log.Named("publish").Warn("job under a publish key this minion was never given; re-authenticating", "epoch", epoch)
				l.reauth()
			}
		case msg, ok := <-msgs:
			if !ok {
				return <-readErr
			}
			lastHeard = time.Now()
			if err := m.handleMasterMessage(ctx, l, msg); err != nil {
				m.log.Warn("bad message from master", "type", msg.Type, "error", err)
			}
		case <-watch.C:
			if mt := m.spool.mtime(); !mt.Equal(spoolMtime) {
				spoolMtime = mt
				if err := m.spool.rescan(); err != nil {
					m.log.Error("rescan spool", "error", err)
				}
				if err := m.resend(s, neverSent); err != nil {
					return err
				}
			}
		case <-hb.C:
			every := m.cfg.HeartbeatInterval.D()
			alive := 3 * every
			if m.cfg.MasterType == config.MasterTypeFailover && m.cfg.MasterAliveInterval > 0 {
				alive = 3 * m.cfg.MasterAliveInterval.D()
			}
			if time.Since(lastHeard) > alive {
				_ = conn.Close()
				return errors.New("master stopped answering heartbeats")
			}
			// A busy minion needs no heartbeat: what it sent within the
			// interval showed it alive to the master, and what came back
			// showed the master alive to it. A fleet under load then
			// spends nothing on heartbeats.
			busy := time.Since(time.Unix(0, s.sentAt.Load())) < every && time.Since(lastHeard) < every
			if !busy {
				if err := s.send(wire.TypeHeartbeat, wire.Heartbeat{Time: wire.Now(), Version: version.Version, Running: int(m.running.Load()), Interval: int64(m.cfg.HeartbeatInterval.D())}); err != nil {
					return err
				}
			}
			// Reports `halite-minion exec` left in the spool go out with
			// the rest.
			if err := m.spool.rescan(); err != nil {
				m.log.Error("rescan spool", "error", err)
			}
			// A return the master took but never acknowledged (its store
			// failed, or it died between reading and committing) goes again.
			if err := m.resend(s, time.Now().Add(-2*m.cfg.HeartbeatInterval.D())); err != nil {
				return err
			}
		}
	}
}

// spoolWatchEvery is how often the spool directory is checked for
// reports other processes left there.
const spoolWatchEvery = 500 * time.Millisecond

// neverSent as resend's cutoff picks the returns no session was handed
// yet (their sent time is zero).
var neverSent = time.Time{}.Add(time.Nanosecond)

// resend sends the returns still unacknowledged that were last sent
// before cutoff (all of them for the zero time).
func (m *Minion) resend(s *session, cutoff time.Time) error {
	for _, r := range m.spool.due(cutoff) {
		if err := s.send(wire.TypeReturn, r); err != nil {
			return err
		}
		m.spool.markSent(r.JID, time.Now())
	}
	return nil
}

func (m *Minion) handleMasterMessage(ctx context.Context, l *link, msg wire.Message) error {
	switch msg.Type {
	case wire.TypeJob:
		// A private job: it came on this minion's own channel, sealed
		// under its request key, which only the master shares.
		var job wire.Job
		if err := msg.DecodeBody(&job); err != nil {
			return err
		}
		m.handleJob(ctx, l, &job)
		return nil
	case wire.TypeHeartbeatAck:
		return nil
	case wire.TypePublishKey:
		var k crypto.PublishKey
		if err := msg.DecodeBody(&k); err != nil {
			return err
		}
		if err := l.keyring.Set(k); err != nil {
			return err
		}
		l.signalKey()
		m.log.Info("publish key rotated by master", "epoch", k.Epoch)
		return nil
	case wire.TypeReturnAck:
		var a wire.ReturnAck
		if err := msg.DecodeBody(&a); err != nil {
			return err
		}
		if a.Refused != "" {
			m.spool.refused(a.JID, a.Refused)
			return nil
		}
		m.spool.acked(a.JID)
		return nil
	case wire.TypeReply:
		var r wire.Reply
		if err := msg.DecodeBody(&r); err != nil {
			return err
		}
		if !m.calls.deliver(r) {
			m.log.Debug("reply to a request nobody waits for", "req", r.ReqID)
		}
		return nil
	case wire.TypeRefresh:
		m.bg.Add(1)
		go func() {
			defer m.bg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
			defer cancel()
			_, _ = m.refreshPillar(ctx)
		}()
		return nil
	case wire.TypeError:
		var e wire.Error
		if err := msg.DecodeBody(&e); err != nil {
			return err
		}
		m.log.Warn("master reported an error", "error", e.Message)
		return nil
	}
	return fmt.Errorf("unknown message type %q", msg.Type)
}

func (m *Minion) setKeyState(s string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keyState = s
}

// portError says which port a minion reached when it dialled the master's
// other channel: swapped publish_port and ret_port are a common slip.
func portError(err error, key string, port int) error {
	var wp *transport.WrongPeerError
	if !errors.As(err, &wp) {
		return err
	}
	switch wp.Peer {
	case zmq4.Pub, zmq4.XPub:
		return fmt.Errorf("%s %d is the master's publish port; its ret_port expected (are publish_port and ret_port swapped?): %w", key, port, err)
	case zmq4.Router, zmq4.Dealer:
		return fmt.Errorf("%s %d is the master's ret_port (requests); its publish port expected (are publish_port and ret_port swapped?): %w", key, port, err)
	}
	return fmt.Errorf("%s %d: not a Halite master port: %w", key, port, err)
}
