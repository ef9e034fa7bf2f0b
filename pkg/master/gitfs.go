package master

import (
	"context"
	"fmt"
	"net/http"
	"os"
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
				repo, err := gitfs.Open(remoteOf(r), filepath.Join(cfg.DataDir, "gitfs"))
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

// gitPillar is one git_pillar entry: its clone, and the directory link
// the pillar compiler reads (the base branch's tree, exported).
type gitPillar struct {
	repo *gitfs.Repo
	dir  string // exports: dir/<commit>
	link string // dir/current → the served export
}

// gitPillars opens git_pillar and returns the pillar roots with each
// entry's tree added to saltenv base, after pillar_roots.
func gitPillars(cfg config.Master) ([]gitPillar, map[string][]string, error) {
	roots := map[string][]string{}
	for env, dirs := range cfg.PillarRoots {
		roots[env] = append([]string(nil), dirs...)
	}
	remotes, err := cfg.GitPillars()
	if err != nil {
		return nil, nil, err
	}
	var out []gitPillar
	for _, r := range remotes {
		// The export holds the whole tree; root is a directory in it.
		// The export holds the whole tree; root is a directory in it.
		gr := remoteOf(r)
		gr.Root, gr.Mountpoint = "", ""
		repo, err := gitfs.Open(gr, filepath.Join(cfg.DataDir, "git_pillar", "clones"))
		if err != nil {
			return nil, nil, err
		}
		dir := filepath.Join(cfg.DataDir, "git_pillar", repo.Name())
		gp := gitPillar{repo: repo, dir: dir, link: filepath.Join(dir, "current")}
		out = append(out, gp)
		roots["base"] = append(roots["base"], filepath.Join(gp.link, filepath.FromSlash(r.Root)))
	}
	return out, roots, nil
}

func remoteOf(r config.GitfsRemote) gitfs.Remote {
	return gitfs.Remote{URL: r.URL, Name: r.Name, Base: r.Base, Root: r.Root, Mountpoint: r.Mountpoint,
		User: r.User, Password: r.Password, PrivKey: r.PrivKey, Passphrase: r.Passphrase}
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
	out := make([]UpdateResult, 0, len(m.gitfs)+len(m.gitPillar))
	type job struct {
		r      *gitfs.Repo
		pillar *gitPillar
	}
	var jobs []job
	for _, r := range m.gitfs {
		jobs = append(jobs, job{r: r})
	}
	for i := range m.gitPillar {
		jobs = append(jobs, job{r: m.gitPillar[i].repo, pillar: &m.gitPillar[i]})
	}
	for _, j := range jobs {
		r := j.r
		ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		commits, err := r.Update(ctx)
		cancel()
		if err == nil && j.pillar != nil {
			// The pillar compiler reads the exported tree; a new export
			// is seen by its change check and pushed to minions.
			if err = os.MkdirAll(j.pillar.dir, 0o700); err == nil {
				_, err = r.Export("base", j.pillar.dir, j.pillar.link)
			}
		}
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
	if len(m.gitfs)+len(m.gitPillar) == 0 {
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

// filesAt is the file server as of git revision rev (apply --rev): the
// gitfs remotes read at rev; "" is the file server as it is.
func (m *Master) filesAt(rev string) fileserver.Backend {
	if rev == "" {
		return m.files
	}
	if len(m.gitfs) == 0 {
		return noRevs{}
	}
	chain := make(fileserver.Chain, 0, len(m.gitfs))
	for _, r := range m.gitfs {
		chain = append(chain, revView{r, rev})
	}
	return chain
}

// revView is a gitfs remote read at one revision.
type revView struct {
	r   *gitfs.Repo
	rev string
}

func (v revView) Stat(env, rel string) (fileserver.File, error) { return v.r.StatAt(env, rel, v.rev) }
func (v revView) Read(env, rel string) (fileserver.File, []byte, error) {
	return v.r.ReadAt(env, rel, v.rev)
}
func (v revView) List(env, prefix string) ([]fileserver.File, error) {
	return v.r.ListAt(env, prefix, v.rev)
}

// noRevs answers a revision asked of a master without gitfs.
type noRevs struct{}

var errNoRevs = fmt.Errorf("a revision needs gitfs (fileserver_backend: [gitfs] and gitfs_remotes): %w", fileserver.ErrNoSaltenv)

func (noRevs) Stat(string, string) (fileserver.File, error) { return fileserver.File{}, errNoRevs }
func (noRevs) Read(string, string) (fileserver.File, []byte, error) {
	return fileserver.File{}, nil, errNoRevs
}
func (noRevs) List(string, string) ([]fileserver.File, error) { return nil, errNoRevs }

// treeSHAs is what a state run's job records: the commit of each gitfs
// remote it reads (at rev when given, else the one served for saltenv).
func (m *Master) treeSHAs(saltenv, rev string) map[string]any {
	out := map[string]any{}
	for _, r := range m.gitfs {
		c := r.Commit(saltenv)
		if rev != "" {
			c = r.Resolve(rev)
		}
		if c != "" {
			out[r.Name()] = c
		}
	}
	return out
}

// TreeDiff is what changed in each gitfs remote between two jobs' trees.
type TreeDiff struct {
	Remote string   `json:"remote"`
	From   string   `json:"from"`
	To     string   `json:"to"`
	Files  []string `json:"files"`
	Error  string   `json:"error,omitempty"`
}

func (m *Master) apiJobsDiff(w http.ResponseWriter, r *http.Request) {
	a, b := r.URL.Query().Get("a"), r.URL.Query().Get("b")
	shas := make([]map[string]any, 2)
	for i, jid := range []string{a, b} {
		rec, err := m.store.GetJob(r.Context(), jid)
		if err != nil {
			writeError(w, http.StatusNotFound, fmt.Errorf("job %q: %w", jid, err))
			return
		}
		shas[i], _ = rec.Meta["tree_sha"].(map[string]any)
		if len(shas[i]) == 0 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("job %s recorded no tree commit (not a state run from gitfs)", jid))
			return
		}
	}
	var out []TreeDiff
	for _, repo := range m.gitfs {
		from, _ := shas[0][repo.Name()].(string)
		to, _ := shas[1][repo.Name()].(string)
		if from == "" || to == "" {
			continue
		}
		d := TreeDiff{Remote: repo.Name(), From: from, To: to, Files: []string{}}
		if files, err := repo.Changed(from, to); err != nil {
			d.Error = err.Error()
		} else {
			d.Files = files
		}
		out = append(out, d)
	}
	writeJSON(w, out)
}

func (m *Master) apiFileserverUpdate(w http.ResponseWriter, r *http.Request) {
	if len(m.gitfs)+len(m.gitPillar) == 0 {
		writeError(w, http.StatusBadRequest, fmt.Errorf("no gitfs remotes (fileserver_backend has no gitfs, or gitfs_remotes is empty)"))
		return
	}
	writeJSON(w, m.updateGitfs(r.Context()))
}
