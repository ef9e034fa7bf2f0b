package master

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/keys"
	"github.com/halite/halite/pkg/transport"
	"github.com/halite/halite/pkg/wire"
)

const (
	// maxPreAuthMessage bounds what an unauthenticated peer may send; an
	// auth request is a few hundred bytes.
	maxPreAuthMessage = 64 << 10
	// maxAuthedMessage bounds one message from an authenticated minion.
	maxAuthedMessage = 16 << 20
	// maxRefusals is how many refused messages a connection may send
	// before it is closed.
	maxRefusals = 8
	// preAuthIdle is how long a connection may stay without sending a
	// valid auth request; a pending minion waits without limit.
	preAuthIdle = 10 * time.Second
)

// peer is one connection on the request channel, from accept to close.
type peer struct {
	conn *transport.Conn

	mu      sync.Mutex
	sess    *session
	authReq *crypto.AuthRequest // while pending acceptance
}

func (p *peer) session() *session {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sess
}

// session is an authenticated minion on its connection.
type session struct {
	id        string
	conn      *transport.Conn
	ch        *crypto.Channel
	connected time.Time
	lastSeen  atomic.Int64 // unix nanos
	version   atomic.Value // string
	heartbeat atomic.Int64 // the minion's heartbeat interval (ns), 0 until told
	// single: the minion has one connection (transport: single); its
	// jobs come on this one, not on the publish port.
	single atomic.Bool
}

func (s *session) send(typ string, body any) error {
	b, err := wire.Encode(typ, body)
	if err != nil {
		return err
	}
	return s.conn.Send([]byte(wire.KindSealed), s.ch.Seal(b))
}

// onWorker runs f on one of the master's few worker goroutines and waits
// for it. The work of a message (decoding nested returns, SQLite, pillar
// templates, crypto) needs deep stacks; done on the connection's own
// reader goroutine it would grow that stack for good, once per minion.
// Handing it over keeps thousands of readers at their minimum stack and
// the deep stacks to a handful of workers. Each reader still waits, so a
// minion's messages are handled in order.
func (m *Master) onWorker(f func() error) error {
	done := make(chan error, 1)
	select {
	case m.work <- func() { done <- f() }:
	case <-m.stopWork:
		return errors.New("master shutting down")
	}
	return <-done
}

// workers runs the worker goroutines until stop is closed.
func (m *Master) workers(n int) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case f := <-m.work:
					f()
				case <-m.stopWork:
					return
				}
			}
		}()
	}
	wg.Wait()
}

// servePeer runs for each connection on the request channel.
func (m *Master) servePeer(ctx context.Context, c *transport.Conn) {
	p := &peer{conn: c}
	log := m.log.Named("auth")
	refusals := 0
	refuse := func(msg string, args ...any) {
		refusals++
		m.refusalLog.warn(log, msg, append(args, "remote", c.RemoteAddr(), "announced_id", truncate(c.PeerIdentity(), 64))...)
		if refusals >= maxRefusals {
			m.refusalLog.warn(log, "closing connection after repeated refusals", "remote", c.RemoteAddr())
			_ = c.Close()
		}
	}
	// Until it authenticates, a connection must speak up or go.
	_ = c.SetReadDeadline(time.Now().Add(preAuthIdle))
	defer m.dropPeer(p)
	// A bug in one handler must not take the master (and every other
	// minion's session) down: log it loudly and drop this connection.
	defer func() {
		if r := recover(); r != nil {
			log.Error("internal error while serving a minion; connection closed", "remote", c.RemoteAddr(), "panic", r, "stack", string(debug.Stack()))
		}
	}()
	for {
		frames, err := c.Recv()
		if err != nil {
			return
		}
		if len(frames) != 2 {
			refuse("refused message with wrong frame count", "frames", len(frames))
			continue
		}
		kind, body := string(frames[0]), frames[1]
		sess := p.session()
		switch {
		case sess == nil && kind == wire.KindAuth:
			if err := m.onWorker(func() error { return m.handleAuth(ctx, p, body) }); err != nil {
				refuse("auth refused", "error", err)
			}
		case sess == nil:
			refuse("unauthenticated peer asked for something other than auth", "kind", truncate(kind, 32))
		case kind == wire.KindSealed:
			// Alive as of now, however long the workers take to get to
			// the message (a herd of reconnecting minions queues them).
			sess.lastSeen.Store(time.Now().UnixNano())
			if err := m.onWorker(func() error { return m.handleSealed(ctx, sess, body) }); err != nil {
				refuse("message from minion refused", "id", sess.id, "error", err)
			}
		default:
			refuse("authenticated minion sent an unknown frame kind", "id", sess.id, "kind", truncate(kind, 32))
		}
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func (m *Master) handleAuth(ctx context.Context, p *peer, body []byte) error {
	req, err := crypto.UnmarshalAuthRequest(body)
	if err != nil {
		m.mx.auth.WithLabelValues("invalid").Inc()
		m.events.Publish("halite/auth/invalid", map[string]any{"remote": p.conn.RemoteAddr().String(), "error": err.Error()})
		return fmt.Errorf("decode auth request: %w", err)
	}
	if err := req.Verify(time.Now(), m.cfg.ClockSkew.D()); err != nil {
		result := "invalid"
		if errors.Is(err, crypto.ErrClockSkew) {
			result = "clock_skew"
		}
		m.mx.auth.WithLabelValues(result).Inc()
		m.events.Publish("halite/auth/"+req.ID, map[string]any{"id": req.ID, "result": result, "error": err.Error()})
		// A minion whose clock is off must learn why it is refused (else
		// it retries forever in silence): answer, if the request is
		// really signed by its key.
		if errors.Is(err, crypto.ErrClockSkew) && req.Verify(time.Unix(0, req.Timestamp), m.cfg.ClockSkew.D()) == nil {
			if rerr := m.replyStatus(p, req, crypto.StatusClockSkew); rerr != nil {
				return rerr
			}
		}
		return fmt.Errorf("auth request from %q: %w", req.ID, err)
	}
	state, err := m.keys.Check(ctx, req.ID, req.Public)
	if errors.Is(err, keys.ErrTooManyPending) {
		m.mx.auth.WithLabelValues("refused").Inc()
		m.events.Publish("halite/key/"+req.ID+"/refused", map[string]any{"id": req.ID, "reason": "too many pending keys", "max_pending_keys": m.cfg.MaxPendingKeys})
		return fmt.Errorf("new key of %q not recorded: %w", req.ID, err)
	}
	if err != nil {
		return fmt.Errorf("check key of %q: %w", req.ID, err)
	}
	if state == keys.StateAccepted && !m.nonces.add(req.Nonce, time.Now()) {
		m.mx.auth.WithLabelValues("replay").Inc()
		m.events.Publish("halite/auth/"+req.ID, map[string]any{"id": req.ID, "result": "replay"})
		return fmt.Errorf("auth request from %q: replayed (nonce already used)", req.ID)
	}
	m.mx.auth.WithLabelValues(string(state)).Inc()
	m.events.Publish("halite/auth/"+req.ID, map[string]any{"id": req.ID, "result": string(state), "fingerprint": req.Public.Fingerprint()})
	log := m.log.Named("auth")
	switch state {
	case keys.StateAccepted:
		m.mu.Lock()
		m.accepted[req.ID] = struct{}{}
		m.mu.Unlock()
		return m.startSession(p, req)
	case keys.StatePending:
		log.Info("minion key pending acceptance", "id", req.ID, "fingerprint", req.Public.Fingerprint())
		p.mu.Lock()
		p.authReq = req
		p.mu.Unlock()
		m.mu.Lock()
		m.pending[req.ID] = p
		m.mu.Unlock()
		_ = p.conn.SetReadDeadline(time.Time{}) // waits for the operator
		if err := m.replyStatus(p, req, crypto.StatusPending); err != nil {
			return err
		}
		// The operator may have accepted the key between the check above
		// and the registration: AcceptKeys then found no waiting
		// connection to answer. Look once more; whoever takes p out of
		// m.pending starts the session.
		if st, err := m.keys.Check(ctx, req.ID, req.Public); err == nil && st == keys.StateAccepted && m.claimPending(req.ID, p) {
			return m.startSession(p, req)
		}
		return nil
	case keys.StateDenied:
		log.Error("DENIED: minion presented a key different from its accepted key; possible impersonation",
			"id", req.ID, "fingerprint", req.Public.Fingerprint(), "remote", p.conn.RemoteAddr())
		m.events.Publish("halite/key/"+req.ID+"/denied", map[string]any{"id": req.ID, "fingerprint": req.Public.Fingerprint(), "remote": p.conn.RemoteAddr().String()})
		return m.replyStatus(p, req, crypto.StatusDenied)
	default:
		log.Warn("minion key rejected", "id", req.ID, "fingerprint", req.Public.Fingerprint())
		return m.replyStatus(p, req, crypto.StatusRejected)
	}
}

func (m *Master) replyStatus(p *peer, req *crypto.AuthRequest, status crypto.AuthStatus) error {
	reply, err := crypto.SealAuthReply(m.key, req, status, nil, time.Now())
	if err != nil {
		return err
	}
	b, err := reply.Marshal()
	if err != nil {
		return err
	}
	return p.conn.Send([]byte(wire.KindAuth), b)
}

// startSession answers an accepted minion with its session keys and binds
// the connection to it. Any older session of the same id is closed.
func (m *Master) startSession(p *peer, req *crypto.AuthRequest) error {
	reqKey, err := crypto.NewRequestKey()
	if err != nil {
		return err
	}
	m.pubMu.Lock()
	pubKey := m.keyring.Current()
	m.pubMu.Unlock()
	reply, err := crypto.SealAuthReply(m.key, req, crypto.StatusAccepted, &crypto.SessionKeys{Publish: pubKey, Request: reqKey}, time.Now())
	if err != nil {
		return err
	}
	b, err := reply.Marshal()
	if err != nil {
		return err
	}
	s := &session{
		id:        req.ID,
		conn:      p.conn,
		ch:        crypto.NewChannel(reqKey, req.ID, crypto.ToMinion),
		connected: time.Now(),
	}
	s.lastSeen.Store(time.Now().UnixNano())
	s.version.Store("")
	p.mu.Lock()
	p.sess = s
	p.authReq = nil
	p.mu.Unlock()
	m.mu.Lock()
	old := m.sessions[req.ID]
	m.sessions[req.ID] = s
	if m.pending[req.ID] == p {
		delete(m.pending, req.ID)
	}
	m.mu.Unlock()
	if old != nil && old.conn != p.conn {
		m.log.Info("minion reconnected; closing its previous connection", "id", req.ID)
		_ = old.conn.Close()
	}
	p.conn.SetMaxMessage(maxAuthedMessage)
	_ = p.conn.SetReadDeadline(time.Time{})
	if err := p.conn.Send([]byte(wire.KindAuth), b); err != nil {
		return err
	}
	m.log.Named("auth").Info("minion authenticated", "id", req.ID, "remote", p.conn.RemoteAddr())
	m.events.Publish("halite/minion/"+req.ID+"/connect", map[string]any{"id": req.ID, "remote": p.conn.RemoteAddr().String()})
	if m.presence.connected(req.ID) {
		m.events.Publish("halite/minion/"+req.ID+"/up", map[string]any{"id": req.ID})
	}
	return nil
}

// dropPeer forgets a closed connection.
func (m *Master) dropPeer(p *peer) {
	s := p.session()
	m.mu.Lock()
	defer m.mu.Unlock()
	if s != nil && m.sessions[s.id] == s {
		delete(m.sessions, s.id)
		m.lastSeen[s.id] = time.Unix(0, s.lastSeen.Load()).UTC()
		m.log.Info("minion disconnected", "id", s.id, "error", p.conn.Err())
		m.events.Publish("halite/minion/"+s.id+"/disconnect", map[string]any{"id": s.id})
		m.presence.disconnected(s.id, time.Duration(s.heartbeat.Load()))
	}
	for id, q := range m.pending {
		if q == p {
			delete(m.pending, id)
		}
	}
}

func (m *Master) handleSealed(ctx context.Context, s *session, body []byte) error {
	plain, err := s.ch.Open(body)
	if err != nil {
		return fmt.Errorf("open sealed message: %w", err)
	}
	msg, err := wire.Decode(plain)
	if err != nil {
		return err
	}
	limit, ok := wire.MaxBody[msg.Type]
	if !ok {
		return fmt.Errorf("message type %q is not allowed", truncate(msg.Type, 32))
	}
	if len(msg.Body) > limit {
		return fmt.Errorf("%s body of %d bytes exceeds %d", msg.Type, len(msg.Body), limit)
	}
	s.lastSeen.Store(time.Now().UnixNano())
	switch msg.Type {
	case wire.TypeHeartbeat:
		var hb wire.Heartbeat
		if err := msg.DecodeBody(&hb); err != nil {
			return err
		}
		if hb.Version != "" {
			s.version.Store(hb.Version)
		}
		if hb.Interval > 0 {
			s.heartbeat.Store(hb.Interval)
		}
		return s.send(wire.TypeHeartbeatAck, wire.Heartbeat{Time: wire.Now()})
	case wire.TypeGrains:
		var g wire.Grains
		if err := msg.DecodeBody(&g); err != nil {
			return err
		}
		if g.Version != "" {
			s.version.Store(g.Version)
		}
		if g.Grains == nil {
			g.Grains = map[string]any{}
		}
		c, err := encodeGrains(g.Grains)
		if err != nil {
			return err
		}
		m.mu.Lock()
		m.grains[s.id] = c
		m.mu.Unlock()
		m.pillar.Invalidate(s.id)
		if err := m.store.PutGrains(ctx, s.id, g.Grains); err != nil {
			m.log.Error("store grains", "id", s.id, "error", err)
		}
		if g.Session {
			s.single.Store(g.Single)
			m.detectLost(ctx, s, g.Jobs)
		}
		if g.Heartbeat > 0 {
			s.heartbeat.Store(g.Heartbeat)
		}
		if g.Start {
			m.events.Publish("halite/minion/"+s.id+"/start", map[string]any{"id": s.id, "version": g.Version})
		}
		return nil
	case wire.TypeAck:
		var a wire.Ack
		if err := msg.DecodeBody(&a); err != nil {
			return err
		}
		m.deliver(a.JID, minionEvent{id: s.id, acked: true})
		return nil
	case wire.TypeReturn:
		return m.handleReturn(ctx, s, msg)
	case wire.TypeFileList:
		return m.handleFileList(s, msg)
	case wire.TypeFileGet:
		return m.handleFileGet(s, msg)
	case wire.TypePillar:
		return m.handlePillar(ctx, s, msg)
	case wire.TypeMine:
		return m.handleMine(ctx, s, msg)
	case wire.TypeMineGet:
		return m.handleMineGet(ctx, s, msg)
	}
	return nil
}

// rotateLocked installs a new publish key; m.pubMu must be held (or the
// master not yet running).
func (m *Master) rotateLocked(reason string) error {
	k, err := crypto.NewPublishKey(m.epoch + 1)
	if err != nil {
		return fmt.Errorf("new publish key: %w", err)
	}
	if err := m.keyring.Set(k); err != nil {
		return err
	}
	m.epoch++
	m.rotation = time.Now()
	m.log.Info("publish key rotated", "epoch", m.epoch, "reason", reason)
	return nil
}

// rotatePublishKey replaces the publish key and pushes the new one to every
// connected minion except `without`, whose session is closed first, so a
// removed minion can read nothing published afterwards.
func (m *Master) rotatePublishKey(reason, without string) error {
	m.pubMu.Lock()
	defer m.pubMu.Unlock()
	m.mu.Lock()
	if s := m.sessions[without]; s != nil {
		delete(m.sessions, without)
		_ = s.conn.Close()
	}
	sessions := make([]*session, 0, len(m.sessions))
	for _, s := range m.sessions {
		sessions = append(sessions, s)
	}
	m.mu.Unlock()
	if err := m.rotateLocked(reason); err != nil {
		return err
	}
	k := m.keyring.Current()
	for _, s := range sessions {
		if err := s.send(wire.TypePublishKey, k); err != nil {
			m.log.Warn("could not push new publish key; minion will re-authenticate", "id", s.id, "error", err)
		}
	}
	m.events.Publish("halite/key/rotate", map[string]any{"epoch": k.Epoch, "reason": reason, "pushed": len(sessions)})
	return nil
}
