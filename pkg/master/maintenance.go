package master

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/jobstore"
)

// maintenanceSet is the minions in maintenance, kept in memory for the
// checks on every job and every down event; the job store is its record.
type maintenanceSet struct {
	mu sync.RWMutex
	m  map[string]jobstore.Maintenance
}

func (s *maintenanceSet) has(id string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	_, ok := s.m[id]
	return ok
}

func (s *maintenanceSet) get(id string) (jobstore.Maintenance, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.m[id]
	return e, ok
}

func (s *maintenanceSet) set(l []jobstore.Maintenance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]jobstore.Maintenance{}
	}
	for _, e := range l {
		s.m[e.Minion] = e
	}
}

// replace makes l the whole set (a reload from the store).
func (s *maintenanceSet) replace(l []jobstore.Maintenance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m = make(map[string]jobstore.Maintenance, len(l))
	for _, e := range l {
		s.m[e.Minion] = e
	}
}

func (s *maintenanceSet) clear(ids []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		delete(s.m, id)
	}
}

// expired lists the entries whose until has passed.
func (s *maintenanceSet) expired(now time.Time) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []string
	for id, e := range s.m {
		if !e.Until.IsZero() && now.After(e.Until) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Describe and Collect make the set halite_minion_maintenance.
var maintenanceDesc = prometheus.NewDesc("halite_minion_maintenance", "1 for each minion in maintenance (its down and deadman alerts are held back).", []string{"minion"}, nil)

func (s *maintenanceSet) Describe(ch chan<- *prometheus.Desc) { ch <- maintenanceDesc }

func (s *maintenanceSet) Collect(ch chan<- prometheus.Metric) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for id := range s.m {
		ch <- prometheus.MustNewConstMetric(maintenanceDesc, prometheus.GaugeValue, 1, id)
	}
}

// withoutMaintenance splits ids into those to run on and those in
// maintenance.
func (m *Master) withoutMaintenance(ids []string) (run, inMaint []string) {
	m.maint.mu.RLock()
	defer m.maint.mu.RUnlock()
	if len(m.maint.m) == 0 {
		return ids, nil // the common case costs nothing per minion
	}
	run = ids[:0:0]
	for _, id := range ids {
		if _, ok := m.maint.m[id]; ok {
			inMaint = append(inMaint, id)
		} else {
			run = append(run, id)
		}
	}
	return run, inMaint
}

func (m *Master) loadMaintenance(ctx context.Context) error {
	l, err := m.store.ListMaintenance(ctx)
	if err != nil {
		return err
	}
	m.maint.replace(l)
	return nil
}

// MaintenanceRequest starts or stops maintenance on the minions a target
// matches (accepted minions, connected or not).
type MaintenanceRequest struct {
	Action     string `json:"action"` // start or stop
	Target     string `json:"tgt"`
	TargetType string `json:"tgt_type,omitempty"`
	Reason     string `json:"reason,omitempty"`
	// Until ends it by itself after this long ("2h", "1d"); empty: until
	// stopped.
	Until string `json:"until,omitempty"`
}

// MaintenanceResult names the minions the request changed.
type MaintenanceResult struct {
	Action  string   `json:"action"`
	Minions []string `json:"minions"`
}

// SetMaintenance applies a maintenance request for who; it is recorded,
// logged in the ops log and evented.
func (m *Master) SetMaintenance(ctx context.Context, who string, req MaintenanceRequest) (*MaintenanceResult, error) {
	if req.Target == "" {
		return nil, fmt.Errorf("no target given")
	}
	ids, _, err := m.matchTarget(ctx, &RunRequest{Target: req.Target, TargetType: req.TargetType})
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	res := &MaintenanceResult{Action: req.Action, Minions: []string{}}
	switch req.Action {
	case "start":
		if len(ids) == 0 {
			return nil, fmt.Errorf("target %q matches no accepted minion", req.Target)
		}
		var until time.Time
		if req.Until != "" {
			d, err := config.ParseDuration(req.Until)
			if err != nil || d <= 0 {
				return nil, fmt.Errorf("until %q: want a duration such as 2h or 1d", req.Until)
			}
			until = time.Now().Add(d).UTC()
		}
		now := time.Now().UTC()
		l := make([]jobstore.Maintenance, len(ids))
		for i, id := range ids {
			l[i] = jobstore.Maintenance{Minion: id, Reason: req.Reason, Author: who, Since: now, Until: until}
		}
		if err := m.store.SetMaintenance(ctx, l); err != nil {
			return nil, err
		}
		m.maint.set(l)
		res.Minions = ids
	case "stop":
		cleared, err := m.store.ClearMaintenance(ctx, ids)
		if err != nil {
			return nil, err
		}
		m.maint.clear(cleared)
		res.Minions = append(res.Minions, cleared...)
	default:
		return nil, fmt.Errorf("maintenance action %q: want start or stop", req.Action)
	}
	if len(res.Minions) > 0 {
		m.tellPeers(maintenanceChannel, req.Action)
		text := fmt.Sprintf("maintenance %s: %s", req.Action, strings.Join(res.Minions, ", "))
		if req.Reason != "" {
			text += " — " + req.Reason
		}
		if _, err := m.AddLog(ctx, who, jobstore.OpsEntry{Text: text, Tags: []string{"maintenance"}}); err != nil {
			return nil, err
		}
		m.events.Publish("halite/maintenance/"+req.Action, map[string]any{"minions": res.Minions, "reason": req.Reason, "by": who, "until": req.Until})
	}
	return res, nil
}

// expireMaintenance ends the maintenance windows whose time is up.
func (m *Master) expireMaintenance(ctx context.Context, now time.Time) {
	ids := m.maint.expired(now)
	if len(ids) == 0 {
		return
	}
	cleared, err := m.store.ClearMaintenance(ctx, ids)
	if err != nil {
		m.log.Error("ending maintenance", "error", err)
		return
	}
	m.maint.clear(cleared)
	if len(cleared) > 0 {
		m.tellPeers(maintenanceChannel, "stop")
		_, _ = m.AddLog(ctx, "halite", jobstore.OpsEntry{Text: "maintenance ended (its time was up): " + strings.Join(cleared, ", "), Tags: []string{"maintenance"}})
		m.events.Publish("halite/maintenance/stop", map[string]any{"minions": cleared, "by": "halite", "reason": "until reached"})
	}
}

func (m *Master) apiMaintenance(w http.ResponseWriter, r *http.Request) {
	var req MaintenanceRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad maintenance request: %w", err))
		return
	}
	res, err := m.SetMaintenance(r.Context(), principalOf(r.Context()).who(), req)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, res)
}

func (m *Master) apiListMaintenance(w http.ResponseWriter, r *http.Request) {
	l, err := m.store.ListMaintenance(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if l == nil {
		l = []jobstore.Maintenance{}
	}
	writeJSON(w, l)
}
