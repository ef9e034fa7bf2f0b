package master

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	binval "github.com/halite/halite/pkg/value"
	"io"
	"net"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/halite/halite/pkg/acl"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/keys"
	"github.com/halite/halite/pkg/targeting"
)

type ctxKey int

func (m *Master) startAPI(ctx context.Context, wg *sync.WaitGroup) error {
	for name, v := range m.cfg.API.AllowedUsers {
		a, err := aclFrom(v)
		if err != nil {
			return fmt.Errorf("api.allowed_users.%s: %w", name, err)
		}
		m.localUsers[name] = a
	}
	sock := m.SocketPath()
	if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale socket %s: %w", sock, err)
	}
	// Create the socket with 0600 from the start: no window in which
	// another user could connect. With api.allowed_users it is opened to
	// every local user, each then checked by its credentials.
	old := unix.Umask(0o177)
	ln, err := net.Listen("unix", sock)
	unix.Umask(old)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", sock, err)
	}
	if len(m.localUsers) > 0 {
		if err := os.Chmod(sock, 0o666); err != nil {
			_ = ln.Close()
			return err
		}
		// The data dir (0700) must let them reach the socket.
		if err := os.Chmod(m.cfg.DataDir, 0o711); err != nil {
			_ = ln.Close()
			return err
		}
	}
	m.apiL = append(m.apiL, ln)
	m.chat.ctx, m.chat.wg = ctx, wg
	if m.cfg.API.Listen != "" {
		cert, err := m.apiCert()
		if err != nil {
			_ = ln.Close()
			return err
		}
		tl, err := net.Listen("tcp", m.cfg.API.Listen)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("api listen %s: %w", m.cfg.API.Listen, err)
		}
		m.apiL = append(m.apiL, tls.NewListener(tl, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
		m.log.Info("API listening (TLS)", "addr", tl.Addr(), "fingerprint", derFingerprint(cert.Certificate[0]))
	}
	m.api = &http.Server{
		Handler:           m.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if tc, ok := c.(*tls.Conn); ok {
				c = tc.NetConn()
			}
			return context.WithValue(ctx, connKey, connInfoOf(c))
		},
		ErrorLog: m.log.Named("api").StandardLogger(nil),
	}
	for _, l := range m.apiL {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.api.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
				m.log.Error("api server", "error", err)
			}
		}()
	}
	return nil
}

// APIAddr is the TCP address the API listens on, if any.
func (m *Master) APIAddr() net.Addr {
	for _, l := range m.apiL {
		if _, ok := l.Addr().(*net.TCPAddr); ok {
			return l.Addr()
		}
	}
	return nil
}

// startMetrics serves /metrics, without a token, on metrics_listen (for
// a Prometheus that cannot hold the API token).
func (m *Master) startMetrics(wg *sync.WaitGroup) error {
	if m.cfg.MetricsListen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.cfg.MetricsListen)
	if err != nil {
		return fmt.Errorf("metrics_listen %s: %w", m.cfg.MetricsListen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.metricsHandler())
	m.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: m.log.Named("metrics").StandardLogger(nil)}
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := m.metricsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("metrics server", "error", err)
		}
	}()
	m.log.Info("metrics listening", "addr", ln.Addr())
	return nil
}

func (m *Master) stopAPI() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if m.metricsSrv != nil {
		_ = m.metricsSrv.Shutdown(ctx)
	}
	if err := m.api.Shutdown(ctx); err != nil {
		_ = m.api.Close()
	}
	_ = os.Remove(m.SocketPath())
}

// route is one API endpoint: the one list the server, the access checks
// and /v1/openapi.json are made from.
type route struct {
	method, path string
	// area is what an ACL must open (see acl.Areas); "run" is checked
	// per request against the target; "owner" is the operator's only
	// (All); "public" needs no more than being authenticated; "chat"
	// authenticates itself (signatures).
	area    string
	summary string
	handler http.HandlerFunc
	// noAudit: the handler writes its own record (run), or the call is
	// not an operator's act worth a row (a scrape).
	noAudit bool
}

func (m *Master) apiRoutes() []route {
	metrics := m.metricsHandler()
	return []route{
		{method: "GET", path: "/v1/keys", area: "keys", summary: "List minion keys by state", handler: m.apiListKeys},
		{method: "POST", path: "/v1/keys/{action}", area: "keys", summary: "Accept, reject or delete keys (action: accept, reject, delete)", handler: m.apiKeyAction},
		{method: "GET", path: "/v1/fingerprint", area: "keys", summary: "The master's key fingerprint", handler: m.apiFingerprint},
		{method: "POST", path: "/v1/run", area: "run", summary: "Run a function on a target; streams NDJSON events (start, return, state, done)", handler: m.apiRun, noAudit: true},
		{method: "POST", path: "/v1/orchestrate", area: "owner", summary: "Run an orchestrate SLS on the master ({sls, test, pillar, saltenv}); answers with each step's result", handler: m.apiOrchestrate},
		{method: "GET", path: "/v1/jobs", area: "jobs", summary: "List jobs (fun, target, limit)", handler: m.apiListJobs},
		{method: "GET", path: "/v1/jobs/{jid}", area: "jobs", summary: "A job and every minion's result", handler: m.apiGetJob},
		{method: "GET", path: "/v1/search", area: "jobs", summary: "Full-text search of job output", handler: m.apiSearch},
		{method: "GET", path: "/v1/jobs/diff", area: "jobs", summary: "What changed in the gitfs trees between two state runs (a, b: jids)", handler: m.apiJobsDiff},
		{method: "POST", path: "/v1/fileserver/update", area: "owner", summary: "Fetch the gitfs remotes now (a push webhook can call it); answers each remote's result and commits", handler: m.apiFileserverUpdate},
		{method: "GET", path: "/v1/mine", area: "minions", summary: "Mine data of the minions a target matches (tgt, tgt_type, fun)", handler: m.apiMine},
		{method: "GET", path: "/v1/minions", area: "minions", summary: "Minions with key state, connection, maintenance", handler: m.apiMinions},
		{method: "GET", path: "/v1/events", area: "events", summary: "The event bus (JSON lines, or SSE with Accept: text/event-stream; tag=GLOB)", handler: m.apiEvents},
		{method: "GET", path: "/v1/reactor/explain", area: "events", summary: "Which reactor rules an event tag would fire", handler: m.apiExplainEvent},
		{method: "GET", path: "/v1/audit", area: "audit", summary: "The audit log, newest first", handler: m.apiAudit},
		{method: "GET", path: "/v1/pillar/{id}", area: "pillar", summary: "A minion's compiled pillar (secrets redacted unless reveal=1)", handler: m.apiPillar},
		{method: "GET", path: "/v1/exec", area: "exec", summary: "Named runs reported by halite-minion exec", handler: m.apiExecs},
		{method: "GET", path: "/v1/log", area: "log", summary: "The ops log (since=DURATION, grep=REGEXP, limit=N)", handler: m.apiListLog},
		{method: "POST", path: "/v1/log", area: "log", summary: "Add a note to the ops log ({text, ticket, tags, jids})", handler: m.apiAddLog},
		{method: "GET", path: "/v1/maintenance", area: "maintenance", summary: "The minions in maintenance", handler: m.apiListMaintenance},
		{method: "POST", path: "/v1/maintenance", area: "maintenance", summary: "Start or stop maintenance ({action, tgt, tgt_type, reason, until})", handler: m.apiMaintenance},
		{method: "GET", path: "/v1/tokens", area: "owner", summary: "List API tokens (never their secrets)", handler: m.apiListTokens},
		{method: "POST", path: "/v1/tokens", area: "owner", summary: "Create an API token; the answer holds its secret, once", handler: m.apiCreateToken},
		{method: "DELETE", path: "/v1/tokens/{name}", area: "owner", summary: "Revoke an API token at once", handler: m.apiRevokeToken},
		{method: "POST", path: "/v1/chat/slack", area: "chat", summary: "Slack slash command (form POST signed with the signing secret)", handler: m.apiChat("slack"), noAudit: true},
		{method: "POST", path: "/v1/chat/mattermost", area: "chat", summary: "Mattermost slash command (form POST with the command's token)", handler: m.apiChat("mattermost"), noAudit: true},
		{method: "GET", path: "/v1/openapi.json", area: "public", summary: "This API, described as OpenAPI 3", handler: m.apiOpenAPI, noAudit: true},
		{method: "GET", path: "/metrics", area: "metrics", summary: "Prometheus metrics", handler: metrics.ServeHTTP, noAudit: true},
	}
}

func (m *Master) routes() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range m.apiRoutes() {
		mux.Handle(rt.method+" "+rt.path, m.guard(rt))
	}
	return mux
}

// guard authenticates a request, checks the route's area against the
// caller's ACL, and audits the call.
func (m *Master) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ci, _ := r.Context().Value(connKey).(connInfo)
		if rt.area == "chat" {
			rt.handler(w, r)
			return
		}
		src := ci.remote
		if ci.unix {
			src = "unix"
		}
		if !ci.unix && m.apiAuthFail.blocked(sourceIP(src), time.Now()) {
			m.mx.apiAuth.WithLabelValues("rate_limited").Inc()
			writeError(w, http.StatusTooManyRequests, errors.New("too many failed authentications from this address; try again later"))
			return
		}
		p, err := m.principalFor(r, ci)
		var ea errAuth
		if errors.As(err, &ea) {
			m.authFailed(r, ci, ea.reason)
			writeError(w, http.StatusUnauthorized, errors.New("missing, unknown, expired or revoked API token"))
			return
		}
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		m.mx.apiAuth.WithLabelValues("ok").Inc()
		allowed := rt.area == "public" || p.ACL.HasArea(rt.area) || (rt.area == "owner" && p.ACL.All)
		if rt.area == "owner" && !p.ACL.All {
			allowed = false
		}
		if !allowed {
			m.mx.apiAuth.WithLabelValues("forbidden").Inc()
			m.auditAs(r, p.who(), "403: area "+rt.area+" not allowed")
			writeError(w, http.StatusForbidden, fmt.Errorf("%s may not use %s %s (area %s)", p.Name, rt.method, rt.path, rt.area))
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), principalKey, p))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		rt.handler(rec, r)
		if !rt.noAudit {
			m.auditAs(r, p.who(), strconv.Itoa(rec.status))
		}
	})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }
func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (m *Master) auditAs(r *http.Request, who, outcome string) {
	e := &jobstore.AuditEntry{Time: time.Now().UTC(), User: who, Action: r.Method + " " + r.URL.Path, Target: r.URL.RawQuery, Outcome: outcome}
	if err := m.store.AddAudit(context.WithoutCancel(r.Context()), e); err != nil {
		m.log.Error("audit", "error", err)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// APIError is the body of every error answer.
type APIError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(APIError{Error: err.Error()})
}

func (m *Master) apiListKeys(w http.ResponseWriter, r *http.Request) {
	entries, err := m.keys.List(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, keyList(entries))
}

// KeyInfo is one key as the API shows it.
type KeyInfo struct {
	ID          string `json:"id"`
	State       string `json:"state"`
	Fingerprint string `json:"fingerprint"`
}

func keyList(entries []keys.Entry) []KeyInfo {
	out := make([]KeyInfo, 0, len(entries))
	for _, e := range entries {
		out = append(out, KeyInfo{ID: e.ID, State: string(e.State), Fingerprint: e.Fingerprint})
	}
	return out
}

// KeyActionRequest is the body of POST /v1/keys/{accept,reject,delete}.
type KeyActionRequest struct {
	ID  string `json:"id"`
	All bool   `json:"all,omitempty"`
}

func (m *Master) apiKeyAction(w http.ResponseWriter, r *http.Request) {
	var req KeyActionRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad request body: %w", err))
		return
	}
	var (
		entries []keys.Entry
		err     error
	)
	switch action := r.PathValue("action"); action {
	case "accept":
		entries, err = m.AcceptKeys(r.Context(), req.ID, req.All)
	case "reject":
		entries, err = m.RejectKey(r.Context(), req.ID)
	case "delete":
		entries, err = m.DeleteKey(r.Context(), req.ID)
	default:
		writeError(w, http.StatusNotFound, fmt.Errorf("unknown key action %q", action))
		return
	}
	switch {
	case errors.Is(err, keys.ErrNotFound):
		writeError(w, http.StatusNotFound, err)
	case err != nil:
		writeError(w, http.StatusBadRequest, err)
	default:
		writeJSON(w, keyList(entries))
	}
}

func (m *Master) apiFingerprint(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	if id == "" {
		writeJSON(w, []KeyInfo{{ID: "master", State: "local", Fingerprint: m.Fingerprint()}})
		return
	}
	entries, err := m.keys.Get(r.Context(), id)
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, keys.ErrNotFound) {
			code = http.StatusNotFound
		}
		writeError(w, code, err)
		return
	}
	writeJSON(w, keyList(entries))
}

func (m *Master) apiRun(w http.ResponseWriter, r *http.Request) {
	var req RunRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad run request: %w", err))
		return
	}
	req.Args, _ = binval.Numbers(req.Args).([]any)
	if req.Kwargs != nil {
		req.Kwargs = binval.Numbers(req.Kwargs).(map[string]any)
	}
	p := principalOf(r.Context())
	req.User = p.who()
	if !p.ACL.All {
		req.Authorize = m.authorizer(r.Context(), p, &req)
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	st := newStream(w)
	defer st.close()
	started := false
	emit := func(ev RunEvent) error {
		st.mu.Lock()
		defer st.mu.Unlock()
		started = true
		if err := enc.Encode(ev); err != nil {
			return err
		}
		// Returns arriving together go out in one write; anything else
		// (start, batch, done) at once.
		st.flushLocked(ev.Type != "return" && ev.Type != "state")
		return nil
	}
	if err := m.RunJob(r.Context(), &req, emit); err != nil {
		st.mu.Lock()
		defer st.mu.Unlock()
		code := http.StatusBadRequest
		if errors.Is(err, acl.ErrForbidden) {
			code = http.StatusForbidden
		}
		if !started {
			writeError(w, code, err)
		} else {
			_ = enc.Encode(map[string]string{"type": "error", "error": err.Error()})
		}
		if code == http.StatusForbidden {
			m.mx.apiAuth.WithLabelValues("forbidden").Inc()
			e := &jobstore.AuditEntry{User: req.User, Action: "run", Target: req.Target, Fun: req.Fun, Args: req.Args, Kwargs: req.Kwargs, Outcome: "403: " + err.Error()}
			if aerr := m.store.AddAudit(context.WithoutCancel(r.Context()), e); aerr != nil {
				m.log.Error("audit", "error", aerr)
			}
			return
		}
		m.auditAs(r, req.User, "error: "+err.Error())
	}
}

func (m *Master) apiListJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := jobstore.JobFilter{Fun: q.Get("fun"), Target: q.Get("target"), Limit: 50}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("invalid limit %q", l))
			return
		}
		f.Limit = n
	}
	jobs, err := m.store.ListJobs(r.Context(), f)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if jobs == nil {
		jobs = []jobstore.JobSummary{}
	}
	writeJSON(w, jobs)
}

func (m *Master) apiGetJob(w http.ResponseWriter, r *http.Request) {
	if err := m.batch.Flush(r.Context()); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	rec, err := m.store.GetJob(r.Context(), r.PathValue("jid"))
	if errors.Is(err, jobstore.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no job %q", r.PathValue("jid")))
		return
	}
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, rec)
}

// MinionInfo is one line of `halite-master minions`.
type MinionInfo struct {
	ID        string     `json:"id"`
	KeyState  string     `json:"key_state"`
	Connected bool       `json:"connected"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	Version   string     `json:"version,omitempty"`
	OS        string     `json:"os,omitempty"`
	// Maintenance is set while the minion is in maintenance.
	Maintenance *jobstore.Maintenance `json:"maintenance,omitempty"`
}

// Minions lists every known minion with its key state and connection.
func (m *Master) Minions(ctx context.Context) ([]MinionInfo, error) {
	entries, err := m.keys.List(ctx)
	if err != nil {
		return nil, err
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]MinionInfo, 0, len(entries))
	for _, e := range entries {
		mi := MinionInfo{ID: e.ID, KeyState: string(e.State)}
		if s, ok := m.sessions[e.ID]; ok && e.State == keys.StateAccepted {
			mi.Connected = true
			t := time.Unix(0, s.lastSeen.Load()).UTC()
			mi.LastSeen = &t
			mi.Version, _ = s.version.Load().(string)
		} else if t, ok := m.lastSeen[e.ID]; ok && e.State == keys.StateAccepted {
			mi.LastSeen = &t // gone since then
		}
		mi.OS = m.grains[e.ID].os
		if mt, ok := m.maint.get(e.ID); ok {
			mi.Maintenance = &mt
		}
		out = append(out, mi)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func (m *Master) apiMinions(w http.ResponseWriter, r *http.Request) {
	list, err := m.Minions(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, list)
}

// apiEvents streams the event bus: JSON lines, or Server-Sent Events when
// the client accepts text/event-stream; ?tag=GLOB keeps matching tags.
func (m *Master) apiEvents(w http.ResponseWriter, r *http.Request) {
	var match func(string) bool
	if t := r.URL.Query().Get("tag"); t != "" {
		p := targeting.CompilePattern(t)
		match = p.Match
	}
	sse := strings.Contains(r.Header.Get("Accept"), "text/event-stream")
	sub := m.events.Subscribe(1024)
	defer sub.Close()
	if sse {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-cache")
	} else {
		w.Header().Set("Content-Type", "application/x-ndjson")
	}
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	flush()
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keepalive.C:
			if sse {
				if _, err := io.WriteString(w, ": keepalive\n\n"); err != nil {
					return
				}
				flush()
			}
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			if match != nil && !match(ev.Tag) {
				continue
			}
			b, err := json.Marshal(ev)
			if err != nil {
				continue
			}
			if sse {
				_, err = fmt.Fprintf(w, "data: %s\n\n", b)
			} else {
				_, err = fmt.Fprintf(w, "%s\n", b)
			}
			if err != nil {
				return
			}
			flush()
		}
	}
}

func (m *Master) apiAudit(w http.ResponseWriter, r *http.Request) {
	limit := 100
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("invalid limit %q", l))
			return
		}
		limit = n
	}
	list, err := m.store.ListAudit(r.Context(), limit)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if list == nil {
		list = []jobstore.AuditEntry{}
	}
	writeJSON(w, list)
}

// streamDelay is how long a streamed return may wait for others to share
// its write: a caller sees it that much later at most, and a fleet's
// returns cost a few writes instead of one each.
const streamDelay = 5 * time.Millisecond

// stream coalesces a streaming response's flushes. Writes to the
// response go under mu; close stops the timer before the handler returns.
type stream struct {
	mu      sync.Mutex
	flusher http.Flusher
	timer   *time.Timer
	pending bool
	armed   bool
	closed  bool
}

func newStream(w http.ResponseWriter) *stream {
	f, _ := w.(http.Flusher)
	return &stream{flusher: f}
}

// flushLocked flushes now, or within streamDelay.
func (s *stream) flushLocked(now bool) {
	if s.flusher == nil || s.closed {
		return
	}
	s.pending = true
	if now {
		s.flusher.Flush()
		s.pending = false
		return
	}
	if s.armed {
		return
	}
	s.armed = true
	if s.timer == nil {
		s.timer = time.AfterFunc(streamDelay, s.tick)
	} else {
		s.timer.Reset(streamDelay)
	}
}

func (s *stream) tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.armed = false
	if s.pending && !s.closed {
		s.flusher.Flush()
		s.pending = false
	}
}

func (s *stream) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.timer != nil {
		s.timer.Stop()
	}
}
