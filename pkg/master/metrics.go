package master

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/halite/halite/pkg/jobstore"
)

// newMetrics builds the master's Prometheus registry: Go and process
// collectors, and what the hardening work counts — contained panics,
// connections turned away, refused returns, keys and replays. The counts
// live where they are made (transport, session); the registry reads them
// at scrape time.
func (m *Master) newMetrics() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	m.mx = newMasterMetrics(reg, m.cfg.MetricsStateIDs)
	m.pillar.Observe(func(d time.Duration, err error) {
		result := "ok"
		if err != nil {
			result = "error"
		}
		m.mx.pillarCompile.WithLabelValues(result).Observe(d.Seconds())
	})
	reg.MustRegister(
		keyStates{m},
		minionUp{m},
		&m.maint,
		m.hostdata,
		&storeStats{m: m},
		m.reactor.count,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "halite_minions_connected",
			Help: "Minions with an authenticated session now.",
		}, func() float64 {
			m.mu.RLock()
			defer m.mu.RUnlock()
			return float64(len(m.sessions))
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "halite_publish_subscribers",
			Help: "Connections subscribed to the publish port (minions with transport: single have none).",
		}, func() float64 {
			if m.pub == nil {
				return 0
			}
			return float64(m.pub.NumSubscribers())
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "halite_event_subscribers",
			Help: "Listeners on the event bus (halite-master events, the API's SSE).",
		}, func() float64 { return float64(m.events.Subscribers()) }),
	)
	m.refusedReturns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "halite_returns_refused_total",
		Help: "Returns the master will never store, by reason (unexpected, undecodable, unstorable); the minion quarantines them.",
	}, []string{"reason"})
	for _, r := range []string{refusedUnexpected, refusedUndecodable, refusedUnstorable} {
		m.refusedReturns.WithLabelValues(r)
	}
	// The listeners exist only once Run has started them.
	// (A nil *Server in an interface is not a nil interface: check first.)
	listeners := map[string]func() connStats{
		"ret": func() connStats {
			if m.ret == nil {
				return nil
			}
			return m.ret
		},
		"publish": func() connStats {
			if m.pub == nil {
				return nil
			}
			return m.pub
		},
	}
	for port, l := range listeners {
		labels := prometheus.Labels{"port": port}
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "halite_connection_panics_total", ConstLabels: labels,
				Help: "Connections ended by a panic while parsing a peer's bytes (each is a bug found by hostile input; the process lives on).",
			}, func() float64 { return stat(l(), connStats.Panics) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "halite_connections_turned_away_total", ConstLabels: labels,
				Help: "Connections closed at accept: every handshake slot, or the source address's share, was taken.",
			}, func() float64 { return stat(l(), connStats.TurnedAway) }),
		)
	}
	reg.MustRegister(m.gitfsMx.updates, m.gitfsMx.last)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.refusedReturns,
	)
	return reg
}

// connStats is what a listener counts (transport.Server, Publisher).
type connStats interface {
	Panics() int64
	TurnedAway() int64
}

// stat reads one count of a listener, zero before it exists.
func stat(l connStats, f func(connStats) int64) float64 {
	if l == nil {
		return 0
	}
	return float64(f(l))
}

// metricsHandler serves the registry in the Prometheus text format.
func (m *Master) metricsHandler() http.Handler {
	return promhttp.HandlerFor(m.metrics, promhttp.HandlerOpts{})
}

// masterMetrics are the job, return and auth counters of DESIGN §8. The fun label
// takes the function names users run; funLabel bounds how many.
type masterMetrics struct {
	pillarCompile  *prometheus.HistogramVec
	stateResults   *prometheus.CounterVec
	stateIDs       bool // stateResults has a state label (metrics_state_ids)
	published      *prometheus.CounterVec
	publishedBytes prometheus.Counter
	returns        *prometheus.CounterVec
	latency        *prometheus.HistogramVec
	auth           *prometheus.CounterVec
	apiAuth        *prometheus.CounterVec

	mu     sync.RWMutex
	funs   map[string]struct{}
	states map[string]struct{}
}

// maxFunLabels bounds the distinct fun label values; further functions
// share fun="other" (a typo'd function name must not mint a series each).
const maxFunLabels = 256

// Return outcomes (halite_returns_total's outcome label).
const (
	outcomeOK       = "ok"
	outcomeFailed   = "failed"
	outcomeOffline  = "offline"
	outcomeNoAck    = "no_ack"
	outcomeTimedOut = "timed_out"
	outcomeLost     = "lost"
)

func newMasterMetrics(reg *prometheus.Registry, stateIDs bool) *masterMetrics {
	stateLabels := []string{"outcome"}
	if stateIDs {
		stateLabels = append(stateLabels, "state")
	}
	jm := &masterMetrics{
		pillarCompile: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "halite_pillar_compile_seconds",
			Help:    "Time to compile one minion's pillar (cache misses only), by result (ok, error).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"result"}),
		stateResults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halite_state_results_total",
			Help: "Results of states in returned state runs, by outcome (changed, unchanged, failed); dry runs (test=True) are not counted. With metrics_state_ids, also by state ID.",
		}, stateLabels),
		stateIDs: stateIDs,
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halite_jobs_published_total", Help: "Jobs published, by function.",
		}, []string{"fun"}),
		publishedBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "halite_published_bytes_total", Help: "Bytes of job envelopes queued to subscribers.",
		}),
		returns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halite_returns_total",
			Help: "Targeted minions' outcomes, by function: ok, failed (returned), offline, no_ack, timed_out, lost (did not).",
		}, []string{"fun", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "halite_return_latency_seconds",
			Help:    "Time from a job's creation to each minion's return, by function.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
		}, []string{"fun"}),
		auth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halite_auth_attempts_total",
			Help: "Authentication attempts, by result: accepted, pending, rejected, denied; invalid, clock_skew; replay (nonce used before); refused (over max_pending_keys).",
		}, []string{"result"}),
		apiAuth: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halite_api_requests_total",
			Help: "API requests by authentication result: ok, failed (missing, unknown, expired or revoked token; a local user not allowed), forbidden (outside the caller's ACL), rate_limited (too many failures from the address).",
		}, []string{"result"}),
		funs: map[string]struct{}{},
	}
	for _, r := range []string{"ok", "failed", "forbidden", "rate_limited"} {
		jm.apiAuth.WithLabelValues(r)
	}
	reg.MustRegister(jm.published, jm.publishedBytes, jm.returns, jm.latency, jm.auth, jm.apiAuth, jm.pillarCompile, jm.stateResults)
	if !stateIDs {
		for _, o := range []string{"changed", "unchanged", "failed"} {
			jm.stateResults.WithLabelValues(o)
		}
	}
	return jm
}

// funLabel is fun, or "other" once maxFunLabels names are in use.
// It runs once per return: the common case, a known name, takes only the
// read lock.
func (jm *masterMetrics) funLabel(fun string) string {
	jm.mu.RLock()
	_, known := jm.funs[fun]
	jm.mu.RUnlock()
	if known {
		return fun
	}
	jm.mu.Lock()
	defer jm.mu.Unlock()
	if _, ok := jm.funs[fun]; ok {
		return fun
	}
	if len(jm.funs) >= maxFunLabels {
		return "other"
	}
	jm.funs[fun] = struct{}{}
	return fun
}

// returned counts a return and its latency from the job's creation.
func (jm *masterMetrics) returned(fun string, success bool, created time.Time) {
	f := jm.funLabel(fun)
	outcome := outcomeOK
	if !success {
		outcome = outcomeFailed
	}
	jm.returns.WithLabelValues(f, outcome).Inc()
	if !created.IsZero() {
		jm.latency.WithLabelValues(f).Observe(time.Since(created).Seconds())
	}
}

// ended counts minions that ended a job without returning.
func (jm *masterMetrics) ended(fun, outcome string, n int) {
	if n > 0 {
		jm.returns.WithLabelValues(jm.funLabel(fun), outcome).Add(float64(n))
	}
}

// keyStates exports halite_minions{state}: the key registry read at
// scrape time.
type keyStates struct{ m *Master }

var minionsDesc = prometheus.NewDesc("halite_minions", "Minion keys, by state (accepted, pending, rejected, denied).", []string{"state"}, nil)

func (k keyStates) Describe(ch chan<- *prometheus.Desc) { ch <- minionsDesc }

func (k keyStates) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	entries, err := k.m.keys.List(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(minionsDesc, err)
		return
	}
	counts := map[string]int{"accepted": 0, "pending": 0, "rejected": 0, "denied": 0}
	for _, e := range entries {
		counts[string(e.State)]++
	}
	for st, n := range counts {
		ch <- prometheus.MustNewConstMetric(minionsDesc, prometheus.GaugeValue, float64(n), st)
	}
}

// storeStats exports the job store's size and rows. Counting rows scans
// an index, so a scrape reuses a count younger than storeStatsTTL.
type storeStats struct {
	m *Master

	mu   sync.Mutex
	at   time.Time
	last jobstore.Stats
	err  error
}

const storeStatsTTL = 15 * time.Second

var (
	storeBytesDesc   = prometheus.NewDesc("halite_jobstore_size_bytes", "Size of the job store's database file.", nil, nil)
	storeJobsDesc    = prometheus.NewDesc("halite_jobstore_jobs", "Jobs in the job store.", nil, nil)
	storeReturnsDesc = prometheus.NewDesc("halite_jobstore_returns", "Returns in the job store.", nil, nil)
)

func (s *storeStats) Describe(ch chan<- *prometheus.Desc) {
	ch <- storeBytesDesc
	ch <- storeJobsDesc
	ch <- storeReturnsDesc
}

func (s *storeStats) Collect(ch chan<- prometheus.Metric) {
	s.mu.Lock()
	if time.Since(s.at) > storeStatsTTL {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.last, s.err = s.m.store.Stats(ctx)
		cancel()
		s.at = time.Now()
	}
	st, err := s.last, s.err
	s.mu.Unlock()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(storeBytesDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(storeBytesDesc, prometheus.GaugeValue, float64(st.Bytes))
	ch <- prometheus.MustNewConstMetric(storeJobsDesc, prometheus.GaugeValue, float64(st.Jobs))
	ch <- prometheus.MustNewConstMetric(storeReturnsDesc, prometheus.GaugeValue, float64(st.Returns))
}

// maxStateIDs bounds the state label of halite_state_results_total when
// metrics_state_ids is on.
const maxStateIDs = 1000

// stateRun counts the outcomes of a state run's return: a map of
// Salt-style keys (mod_|-id_|-name_|-fun) to results. Anything else
// (a function's return, a list of render errors) counts nothing.
func (jm *masterMetrics) stateRun(fun string, v any) {
	if !strings.HasPrefix(fun, "state.") {
		return
	}
	states, ok := v.(map[string]any)
	if !ok {
		return
	}
	for key, r := range states {
		res, ok := r.(map[string]any)
		if !ok || !strings.Contains(key, "_|-") {
			continue
		}
		var outcome string
		switch res["result"] {
		case false:
			outcome = "failed"
		case true:
			outcome = "unchanged"
			if ch, ok := res["changes"].(map[string]any); ok && len(ch) > 0 {
				outcome = "changed"
			}
		default:
			continue // a dry run: nothing happened
		}
		if !jm.stateIDs {
			jm.stateResults.WithLabelValues(outcome).Inc()
			continue
		}
		id := key
		if parts := strings.SplitN(key, "_|-", 3); len(parts) >= 2 {
			id = parts[1]
		}
		jm.stateResults.WithLabelValues(outcome, jm.stateLabel(id)).Inc()
	}
}

// stateLabel is id, or "other" past maxStateIDs distinct ids.
func (jm *masterMetrics) stateLabel(id string) string {
	jm.mu.Lock()
	defer jm.mu.Unlock()
	if jm.states == nil {
		jm.states = map[string]struct{}{}
	}
	if _, ok := jm.states[id]; ok {
		return id
	}
	if len(jm.states) >= maxStateIDs {
		return "other"
	}
	jm.states[id] = struct{}{}
	return id
}
