package master

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	binval "github.com/halite/halite/pkg/value"
	"io"
	"net"
	"net/http"
	"os"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/keys"
	"github.com/halite/halite/pkg/targeting"
)

type ctxKey int

const callerKey ctxKey = 0

// callerOf names who is on the other end of an API connection: the Unix
// user of the socket peer (SO_PEERCRED), or "token@addr" on TCP.
func callerOf(c net.Conn) string {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return "token@" + c.RemoteAddr().String()
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return "unknown"
	}
	var cred *unix.Ucred
	_ = raw.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil || cred == nil {
		return "unknown"
	}
	if u, err := user.LookupId(strconv.Itoa(int(cred.Uid))); err == nil {
		return u.Username
	}
	return "uid:" + strconv.Itoa(int(cred.Uid))
}

func (m *Master) startAPI(ctx context.Context, wg *sync.WaitGroup) error {
	sock := m.SocketPath()
	if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove stale socket %s: %w", sock, err)
	}
	// Create the socket with 0600 from the start: no window in which
	// another user could connect.
	old := unix.Umask(0o177)
	ln, err := net.Listen("unix", sock)
	unix.Umask(old)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", sock, err)
	}
	m.apiL = append(m.apiL, ln)
	if m.cfg.API.Listen != "" {
		tl, err := net.Listen("tcp", m.cfg.API.Listen)
		if err != nil {
			_ = ln.Close()
			return fmt.Errorf("api listen %s: %w", m.cfg.API.Listen, err)
		}
		m.apiL = append(m.apiL, tl)
	}
	m.api = &http.Server{
		Handler:           m.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, callerKey, callerOf(c))
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

func (m *Master) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/keys", m.apiListKeys)
	mux.HandleFunc("POST /v1/keys/{action}", m.apiKeyAction)
	mux.HandleFunc("GET /v1/fingerprint", m.apiFingerprint)
	mux.HandleFunc("POST /v1/run", m.apiRun)
	mux.HandleFunc("GET /v1/jobs", m.apiListJobs)
	mux.HandleFunc("GET /v1/jobs/{jid}", m.apiGetJob)
	mux.HandleFunc("GET /v1/minions", m.apiMinions)
	mux.HandleFunc("GET /v1/events", m.apiEvents)
	mux.HandleFunc("GET /v1/audit", m.apiAudit)
	mux.HandleFunc("GET /v1/pillar/{id}", m.apiPillar)
	mux.HandleFunc("GET /v1/exec", m.apiExecs)
	mux.HandleFunc("GET /v1/reactor/explain", m.apiExplainEvent)
	mux.HandleFunc("GET /v1/search", m.apiSearch)
	mux.Handle("GET /metrics", m.metricsHandler())
	return m.authenticate(mux)
}

// authenticate requires the bearer token on TCP; the Unix socket is
// protected by its file mode. Every call is recorded in the audit log.
func (m *Master) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller, _ := r.Context().Value(callerKey).(string)
		if strings.HasPrefix(caller, "token@") {
			got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(got), []byte(m.cfg.API.Token)) != 1 {
				m.audit(r, caller, "denied: bad token")
				writeError(w, http.StatusUnauthorized, errors.New("missing or wrong API token"))
				return
			}
		}
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		// run writes its own, richer record; a scrape every 15 s is not
		// an operator's act worth a row each.
		if r.URL.Path != "/v1/run" && r.URL.Path != "/metrics" {
			m.audit(r, caller, strconv.Itoa(rec.status))
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

func (m *Master) audit(r *http.Request, caller, outcome string) {
	e := &jobstore.AuditEntry{Time: time.Now().UTC(), User: caller, Action: r.Method + " " + r.URL.Path, Target: r.URL.RawQuery, Outcome: outcome}
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
	req.User, _ = r.Context().Value(callerKey).(string)
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	flusher, _ := w.(http.Flusher)
	started := false
	emit := func(ev RunEvent) error {
		started = true
		if err := enc.Encode(ev); err != nil {
			return err
		}
		if flusher != nil {
			flusher.Flush()
		}
		return nil
	}
	if err := m.RunJob(r.Context(), &req, emit); err != nil {
		if !started {
			writeError(w, http.StatusBadRequest, err)
		} else {
			_ = enc.Encode(map[string]string{"type": "error", "error": err.Error()})
		}
		m.audit(r, req.User, "error: "+err.Error())
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
		}
		mi.OS = m.grains[e.ID].os
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
