package master

import (
	"context"
	"errors"

	"github.com/halite/halite/pkg/keys"
)

// AcceptKeys accepts one pending id, or every pending key with all. A
// minion waiting on an open connection gets its session at once, without
// reconnecting.
func (m *Master) AcceptKeys(ctx context.Context, id string, all bool) ([]keys.Entry, error) {
	var (
		entries []keys.Entry
		err     error
	)
	if all {
		entries, err = m.keys.AcceptAll(ctx)
	} else {
		if id == "" {
			return nil, errors.New("no minion id given")
		}
		var e keys.Entry
		e, err = m.keys.Accept(ctx, id)
		entries = []keys.Entry{e}
	}
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		m.admit(e)
	}
	return entries, nil
}

// admit lets the minion of a newly accepted key in: one waiting on an
// open connection gets its session at once, without reconnecting.
func (m *Master) admit(e keys.Entry) {
	m.mu.Lock()
	m.accepted[e.ID] = struct{}{}
	p := m.pending[e.ID]
	delete(m.pending, e.ID) // claimed: see handleAuth
	m.mu.Unlock()
	m.events.Publish("halite/key/"+e.ID+"/accept", map[string]any{"id": e.ID, "fingerprint": e.Fingerprint})
	m.log.Info("minion key accepted", "id", e.ID, "fingerprint", e.Fingerprint)
	if p == nil {
		return
	}
	p.mu.Lock()
	req := p.authReq
	p.mu.Unlock()
	if req == nil || !req.Public.Equal(e.Public) {
		_ = p.conn.Close() // it reconnects and is checked afresh
		return
	}
	if err := m.startSession(p, req); err != nil {
		m.log.Warn("could not start session for newly accepted minion; it will retry", "id", e.ID, "error", err)
	}
}

// claimPending takes p out of the connections waiting for acceptance, if
// it is still there: one of AcceptKeys and handleAuth answers it, not both.
func (m *Master) claimPending(id string, p *peer) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.pending[id] != p {
		return false
	}
	delete(m.pending, id)
	m.accepted[id] = struct{}{}
	return true
}

// RejectKey rejects id. If its key was accepted, its session ends and the
// publish key rotates so it can read nothing published afterwards.
func (m *Master) RejectKey(ctx context.Context, id string) ([]keys.Entry, error) {
	wasAccepted := m.isAccepted(id)
	e, err := m.keys.Reject(ctx, id)
	if err != nil {
		return nil, err
	}
	m.forget(id, "reject", wasAccepted)
	return []keys.Entry{e}, nil
}

// DeleteKey removes id from every key state, with the same rotation as
// RejectKey.
func (m *Master) DeleteKey(ctx context.Context, id string) ([]keys.Entry, error) {
	wasAccepted := m.isAccepted(id)
	entries, err := m.keys.Delete(ctx, id)
	if err != nil {
		return nil, err
	}
	m.forget(id, "delete", wasAccepted)
	return entries, nil
}

func (m *Master) isAccepted(id string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.accepted[id]
	return ok
}

func (m *Master) forget(id, action string, wasAccepted bool) {
	m.mu.Lock()
	delete(m.accepted, id)
	if p := m.pending[id]; p != nil {
		delete(m.pending, id)
		_ = p.conn.Close()
	}
	m.mu.Unlock()
	m.presence.forget(id)
	m.hostdata.Forget(id)
	if err := m.store.DeleteMine(context.Background(), id); err != nil {
		m.log.Error("dropping the mine data of a removed minion", "id", id, "error", err)
	}
	m.events.Publish("halite/key/"+id+"/"+action, map[string]any{"id": id})
	m.log.Info("minion key removed", "id", id, "action", action)
	if wasAccepted {
		if err := m.rotatePublishKey(action+" "+id, id); err != nil {
			m.log.Error("publish key rotation after key removal failed", "id", id, "error", err)
		}
	}
}
