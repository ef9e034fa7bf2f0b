package master

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/halite/halite/pkg/pillar"
	"github.com/halite/halite/pkg/wire"
)

// pillarFor compiles (or takes from the cache) the pillar of minion id.
//
// The grains it compiles with are the minion's own claims; with
// pillar_trust_grains off, only its id (which its key proves) is used.
func (m *Master) pillarFor(ctx context.Context, id string) (map[string]any, error) {
	return m.compilePillar(ctx, id, false)
}

// compilePillar is pillarFor; current checks the pillar tree now (a state
// run) rather than trusting a check up to a second old.
func (m *Master) compilePillar(ctx context.Context, id string, current bool) (map[string]any, error) {
	grains := map[string]any{"id": id}
	if m.cfg.PillarTrustGrains {
		grains = m.grainsOf(id)
	}
	if current {
		return m.pillar.GetCurrent(ctx, id, grains)
	}
	return m.pillar.Get(ctx, id, grains)
}

// handlePillar answers a minion's pillar request. The pillar travels only
// here, sealed to that one minion; a compile error goes back as an error,
// never as an empty pillar that would make states remove things.
func (m *Master) handlePillar(ctx context.Context, s *session, msg wire.Message) error {
	var req wire.PillarRequest
	if err := msg.DecodeBody(&req); err != nil {
		return err
	}
	if req.Fresh {
		m.pillar.Invalidate(s.id)
	}
	p, err := m.compilePillar(ctx, s.id, req.Current)
	if err != nil {
		m.log.Named("pillar").Error("pillar compile failed", "id", s.id, "error", err)
		return s.reply(req.ReqID, nil, fmt.Errorf("pillar for %s: %w", s.id, err))
	}
	// A minion can only ever return secrets it was sent: remember them
	// now, so scrubbing a return costs no pillar lookup.
	secrets := m.redactor.Secrets(p)
	m.mu.Lock()
	if len(secrets) > 0 {
		m.secrets[s.id] = secrets
	} else {
		delete(m.secrets, s.id)
	}
	m.mu.Unlock()
	return s.reply(req.ReqID, wire.PillarData{Pillar: p}, nil)
}

// scrubSecrets removes the secret pillar values sent to minion id from a
// return before it is stored or shown.
func (m *Master) scrubSecrets(id string, v any) any {
	m.mu.RLock()
	secrets := m.secrets[id]
	m.mu.RUnlock()
	if len(secrets) == 0 {
		return v
	}
	return pillar.Scrub(v, secrets)
}

// PillarShow is the answer of GET /v1/pillar/{id}.
type PillarShow struct {
	ID       string         `json:"id"`
	Pillar   map[string]any `json:"pillar"`
	Revealed bool           `json:"revealed"`
}

func (m *Master) apiPillar(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !m.isAccepted(id) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no accepted minion %q", id))
		return
	}
	reveal, _ := strconv.ParseBool(r.URL.Query().Get("reveal"))
	p, err := m.pillarFor(r.Context(), id)
	if err != nil {
		code := http.StatusUnprocessableEntity
		if errors.Is(err, context.Canceled) {
			code = http.StatusServiceUnavailable
		}
		writeError(w, code, err)
		return
	}
	out := PillarShow{ID: id, Pillar: p, Revealed: reveal}
	if !reveal {
		out.Pillar, _ = m.redactor.Redact(p).(map[string]any)
	}
	writeJSON(w, out)
}

// signalPillarChange tells every connected minion that the pillar tree
// changed; each fetches its pillar again (compiled afresh, since the tree
// sum moved).
func (m *Master) signalPillarChange() {
	m.mu.RLock()
	sessions := make([]*session, 0, len(m.sessions))
	for _, s := range m.sessions {
		sessions = append(sessions, s)
	}
	m.mu.RUnlock()
	m.log.Named("pillar").Info("pillar tree changed; telling minions to refresh", "minions", len(sessions))
	for _, s := range sessions {
		if err := s.send(wire.TypeRefresh, wire.Refresh{What: "pillar"}); err != nil {
			m.log.Named("pillar").Debug("could not signal pillar refresh", "id", s.id, "error", err)
		}
	}
	m.events.Publish("halite/pillar/refresh", map[string]any{"minions": len(sessions)})
}
