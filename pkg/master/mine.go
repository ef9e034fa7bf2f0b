package master

import (
	"context"
	"fmt"
	"net/http"
	"sort"

	"github.com/halite/halite/pkg/acl"
	"github.com/halite/halite/pkg/targeting"
	"github.com/halite/halite/pkg/wire"
)

// handleMine stores a minion's mine data.
func (m *Master) handleMine(ctx context.Context, s *session, msg wire.Message) error {
	var u wire.MineUpdate
	if err := msg.DecodeBody(&u); err != nil {
		return err
	}
	err := m.store.PutMine(ctx, s.id, u.Data, u.Clear, u.Delete)
	if err == nil {
		m.events.Publish("halite/minion/"+s.id+"/mine", map[string]any{"id": s.id, "functions": len(u.Data), "deleted": u.Delete})
	}
	return s.reply(u.ReqID, nil, err)
}

// handleMineGet answers a minion's mine.get, within mine_acl.
func (m *Master) handleMineGet(ctx context.Context, s *session, msg wire.Message) error {
	var req wire.MineGetRequest
	if err := msg.DecodeBody(&req); err != nil {
		return err
	}
	data, err := m.MineGet(ctx, s.id, req.Target, req.TargetType, req.Fun)
	if err != nil {
		return s.reply(req.ReqID, nil, err)
	}
	return s.reply(req.ReqID, wire.MineData{Data: data}, nil)
}

// mineAllowed decides whether minion asker may read fun (mine_acl); ""
// is the operator or an orchestration, always allowed.
func (m *Master) mineAllowed(ctx context.Context, asker, fun string) (bool, error) {
	if asker == "" || m.cfg.MineACL == nil {
		return true, nil
	}
	rules := make([]string, 0, len(m.cfg.MineACL))
	for t := range m.cfg.MineACL {
		rules = append(rules, t)
	}
	sort.Strings(rules)
	for _, t := range rules {
		ok := false
		for _, g := range m.cfg.MineACL[t] {
			ok = ok || targeting.CompilePattern(g).Match(fun)
		}
		if !ok {
			continue
		}
		ids, _, err := m.matchTarget(ctx, &RunRequest{Target: t, TargetType: "compound"})
		if err != nil {
			return false, fmt.Errorf("mine_acl %q: %w", t, err)
		}
		for _, id := range ids {
			if id == asker {
				return true, nil
			}
		}
	}
	return false, nil
}

// MineGet returns fun's mine data of the minions target matches, as
// asker (a minion id, or "" for the operator) may see it.
func (m *Master) MineGet(ctx context.Context, asker, target, tgtType, fun string) (map[string]any, error) {
	if fun == "" || target == "" {
		return nil, fmt.Errorf("mine.get needs a target and a function")
	}
	ok, err := m.mineAllowed(ctx, asker, fun)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("%w: mine_acl does not let %s read %s", acl.ErrForbidden, asker, fun)
	}
	ids, _, err := m.matchTarget(ctx, &RunRequest{Target: target, TargetType: tgtType})
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	return m.store.GetMine(ctx, fun, ids)
}

func (m *Master) apiMine(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	data, err := m.MineGet(r.Context(), "", q.Get("tgt"), q.Get("tgt_type"), q.Get("fun"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, data)
}
