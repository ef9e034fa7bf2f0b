package master

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/halite/halite/pkg/hostdata"
	"github.com/halite/halite/pkg/jobstore"
	binval "github.com/halite/halite/pkg/value"
	"github.com/halite/halite/pkg/wire"
)

// Execs lists every named exec run the master knows, by minion then name.
func (m *Master) Execs() []hostdata.ExecStatus { return m.hostdata.Execs() }

func (m *Master) apiExecs(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, m.hostdata.Execs())
}

// restoreExecs rebuilds the exec table (and so the deadman clocks) from
// the stored exec runs of the last keep_jobs, so a master restart neither
// forgets a backup nor misses one that stopped reporting.
func (m *Master) restoreExecs(ctx context.Context) error {
	since := time.Now().Add(-m.cfg.KeepJobs.D())
	if m.cfg.KeepJobs.D() <= 0 {
		since = time.Now().Add(-30 * 24 * time.Hour)
	}
	rets, err := m.store.ReturnsOf(ctx, execFun, since)
	if err != nil {
		return fmt.Errorf("restore exec runs: %w", err)
	}
	for i := range rets {
		m.putStoredExec(&rets[i])
	}
	return nil
}

// putStoredExec takes a stored exec run into the host data (its report's
// value carries its name and deadman interval).
func (m *Master) putStoredExec(r *jobstore.Return) {
	v, _ := r.Return.(map[string]any)
	name, _ := v["name"].(string)
	if wire.CheckSourceName(name) != nil {
		return
	}
	src := &wire.Source{Kind: wire.SourceExec, Name: name}
	if f, ok := binval.Float(v["expect_every"]); ok && f > 0 {
		src.ExpectEvery = int64(f * float64(time.Second))
	}
	m.hostdata.PutExec(r.ID, execRun(src, r), r.Received)
}

// execFun is the job function exec runs are stored under.
const execFun = "exec.run"

// SearchRequest is what `jobs search` asks.
type SearchRequest = jobstore.SearchFilter

func (m *Master) apiSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := jobstore.SearchFilter{Text: q.Get("q"), Minion: q.Get("minion"), Fun: q.Get("fun")}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("invalid since %q: want RFC 3339", s))
			return
		}
		f.Since = t
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 10000 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("invalid limit %q", l))
			return
		}
		f.Limit = n
	}
	if err := m.batch.Flush(r.Context()); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	hits, err := m.store.Search(r.Context(), f)
	switch {
	case errors.Is(err, jobstore.ErrInvalid):
		writeError(w, http.StatusBadRequest, err)
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if hits == nil {
		hits = []jobstore.Hit{}
	}
	writeJSON(w, hits)
}

// Execs lists the named exec runs.
func (c *Client) Execs(ctx context.Context) ([]hostdata.ExecStatus, error) {
	var out []hostdata.ExecStatus
	return out, c.getJSON(ctx, "/v1/exec", &out)
}

// Search searches stored returns.
func (c *Client) Search(ctx context.Context, f jobstore.SearchFilter) ([]jobstore.Hit, error) {
	q := url.Values{"q": {f.Text}}
	if f.Minion != "" {
		q.Set("minion", f.Minion)
	}
	if f.Fun != "" {
		q.Set("fun", f.Fun)
	}
	if !f.Since.IsZero() {
		q.Set("since", f.Since.UTC().Format(time.RFC3339Nano))
	}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	var out []jobstore.Hit
	return out, c.getJSON(ctx, "/v1/search?"+q.Encode(), &out)
}
