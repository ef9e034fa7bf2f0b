package master

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/jobstore"
)

// AddLog records an operator's note in the ops log, the audit log and
// the event bus (halite/ops/log).
func (m *Master) AddLog(ctx context.Context, who string, e jobstore.OpsEntry) (*jobstore.OpsEntry, error) {
	e.Author = who
	if err := m.store.AddOpsLog(ctx, &e); err != nil {
		return nil, err
	}
	a := &jobstore.AuditEntry{User: who, Action: "log", Target: e.Ticket, Outcome: e.Text}
	if len(e.JIDs) > 0 {
		a.JID = e.JIDs[0]
	}
	if err := m.store.AddAudit(ctx, a); err != nil {
		m.log.Error("audit", "error", err)
	}
	m.events.Publish("halite/ops/log", map[string]any{"id": e.ID, "author": who, "text": e.Text, "ticket": e.Ticket, "tags": e.Tags, "jids": e.JIDs})
	return &e, nil
}

func (m *Master) apiAddLog(w http.ResponseWriter, r *http.Request) {
	var e jobstore.OpsEntry
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&e); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad log entry: %w", err))
		return
	}
	out, err := m.AddLog(r.Context(), principalOf(r.Context()).who(), jobstore.OpsEntry{Text: e.Text, Ticket: e.Ticket, Tags: e.Tags, JIDs: e.JIDs})
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, out)
}

// ListLog reads the ops log: since a duration ago (empty: all), entries
// whose text, author, ticket or tags match grep (a regular expression),
// the newest limit of them.
func (m *Master) ListLog(ctx context.Context, since, grep string, limit int) ([]jobstore.OpsEntry, error) {
	var from time.Time
	if since != "" {
		d, err := config.ParseDuration(since)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("since %q: want a duration such as 24h or 7d", since)
		}
		from = time.Now().Add(-d)
	}
	var re *regexp.Regexp
	if grep != "" {
		var err error
		if re, err = regexp.Compile(grep); err != nil {
			return nil, fmt.Errorf("grep: %w", err)
		}
	}
	l, err := m.store.ListOpsLog(ctx, from, 0)
	if err != nil {
		return nil, err
	}
	out := l[:0:0]
	for _, e := range l {
		if re == nil || re.MatchString(e.Text) || re.MatchString(e.Author) || re.MatchString(e.Ticket) || re.MatchString(fmt.Sprint(e.Tags)) {
			out = append(out, e)
		}
	}
	if limit > 0 && len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

func (m *Master) apiListLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 0
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("invalid limit %q", l))
			return
		}
		limit = n
	}
	l, err := m.ListLog(r.Context(), q.Get("since"), q.Get("grep"), limit)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if l == nil {
		l = []jobstore.OpsEntry{}
	}
	writeJSON(w, l)
}
