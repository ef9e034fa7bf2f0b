package master

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/fileserver"
	"github.com/halite/halite/pkg/gitfs"
)

// fileBackends builds the file server of fileserver_backend, in order:
// roots serves file_roots, gitfs every gitfs_remotes entry (their clones
// under data_dir/gitfs).
func fileBackends(cfg config.Master) (fileserver.Chain, []*gitfs.Repo, error) {
	var chain fileserver.Chain
	var repos []*gitfs.Repo
	for _, b := range cfg.FileserverBackend {
		switch b {
		case "roots":
			chain = append(chain, fileserver.New(cfg.FileRoots))
		case "gitfs":
			remotes, err := cfg.Gitfs()
			if err != nil {
				return nil, nil, err
			}
			for _, r := range remotes {
				repo, err := gitfs.Open(gitfs.Remote{URL: r.URL, Name: r.Name, Base: r.Base, Root: r.Root, Mountpoint: r.Mountpoint}, filepath.Join(cfg.DataDir, "gitfs"))
				if err != nil {
					return nil, nil, err
				}
				repos = append(repos, repo)
				chain = append(chain, repo)
			}
		}
	}
	return chain, repos, nil
}

// gitfsMetrics count updates per remote.
type gitfsMetrics struct {
	updates *prometheus.CounterVec
	last    *prometheus.GaugeVec
}

func newGitfsMetrics() *gitfsMetrics {
	return &gitfsMetrics{
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halite_gitfs_updates_total",
			Help: "Fetches of gitfs remotes by result (ok, failed); a failed one leaves the last good commits served.",
		}, []string{"remote", "result"}),
		last: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "halite_gitfs_last_success_timestamp_seconds",
			Help: "When each gitfs remote was last fetched successfully.",
		}, []string{"remote"}),
	}
}

// UpdateResult is one remote's fetch, as `fileserver update` shows it.
type UpdateResult struct {
	Remote  string            `json:"remote"`
	URL     string            `json:"url"`
	OK      bool              `json:"ok"`
	Error   string            `json:"error,omitempty"`
	Commits map[string]string `json:"commits"` // saltenv → commit served
}

// updateGitfs fetches every remote (one update at a time) and announces
// each result: halite/fileserver/update/<remote> with ok or the error.
func (m *Master) updateGitfs(ctx context.Context) []UpdateResult {
	m.gitfsMu.Lock()
	defer m.gitfsMu.Unlock()
	out := make([]UpdateResult, 0, len(m.gitfs))
	for _, r := range m.gitfs {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		commits, err := r.Update(ctx)
		cancel()
		res := UpdateResult{Remote: r.Name(), URL: r.URL(), OK: err == nil, Commits: r.Commits()}
		data := map[string]any{"remote": r.Name(), "ok": err == nil, "commits": res.Commits}
		if err != nil {
			res.Error = err.Error()
			data["error"] = res.Error
			m.gitfsMx.updates.WithLabelValues(r.Name(), "failed").Inc()
			m.log.Named("gitfs").Error("update failed; serving the last good commits", "remote", r.Name(), "error", err)
		} else {
			m.gitfsMx.updates.WithLabelValues(r.Name(), "ok").Inc()
			m.gitfsMx.last.WithLabelValues(r.Name()).SetToCurrentTime()
			m.log.Named("gitfs").Debug("updated", "remote", r.Name(), "commits", commits)
		}
		m.events.Publish("halite/fileserver/update/"+r.Name(), data)
		out = append(out, res)
	}
	return out
}

// runGitfs fetches the remotes every gitfs_update_interval until ctx ends.
func (m *Master) runGitfs(ctx context.Context) {
	every := m.cfg.GitfsUpdateInterval.D()
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			m.updateGitfs(ctx)
		}
	}
}

// startGitfs fetches once before the master serves (a remote that is
// down is reported and retried, not fatal) and starts the updater.
func (m *Master) startGitfs(ctx context.Context, wg *sync.WaitGroup) {
	if len(m.gitfs) == 0 {
		return
	}
	m.updateGitfs(ctx)
	wg.Add(1)
	go func() { defer wg.Done(); m.runGitfs(ctx) }()
}

// treeCommits is the commit each gitfs remote serves for saltenv, for a
// state run's record ("" entries left out).
func (m *Master) treeCommits(saltenv string) map[string]string {
	out := map[string]string{}
	for _, r := range m.gitfs {
		if c := r.Commit(saltenv); c != "" {
			out[r.Name()] = c
		}
	}
	return out
}

func (m *Master) apiFileserverUpdate(w http.ResponseWriter, r *http.Request) {
	if len(m.gitfs) == 0 {
		writeError(w, http.StatusBadRequest, fmt.Errorf("no gitfs remotes (fileserver_backend has no gitfs, or gitfs_remotes is empty)"))
		return
	}
	writeJSON(w, m.updateGitfs(r.Context()))
}
