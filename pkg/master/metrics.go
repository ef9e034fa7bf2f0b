package master

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// newMetrics builds the master's Prometheus registry: Go and process
// collectors, and what the hardening work counts — contained panics,
// connections turned away, refused returns, keys and replays. The counts
// live where they are made (transport, session); the registry reads them
// at scrape time.
func (m *Master) newMetrics() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	m.refusedReturns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "halite_returns_refused_total",
		Help: "Returns the master will never store, by reason (unexpected, undecodable, unstorable); the minion quarantines them.",
	}, []string{"reason"})
	for _, r := range []string{refusedUnexpected, refusedUndecodable, refusedUnstorable} {
		m.refusedReturns.WithLabelValues(r)
	}
	perPort := func(name, help string, ret, pub func() int64) {
		for port, f := range map[string]func() int64{"ret": ret, "publish": pub} {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: name, Help: help, ConstLabels: prometheus.Labels{"port": port},
			}, func() float64 { return float64(f()) }))
		}
	}
	perPort("halite_connection_panics_total",
		"Connections ended by a panic while parsing a peer's bytes (each is a bug found by hostile input; the process lives on).",
		func() int64 { return servers(m).retPanics() }, func() int64 { return servers(m).pubPanics() })
	perPort("halite_connections_turned_away_total",
		"Connections closed at accept: every handshake slot, or the source address's share, was taken.",
		func() int64 { return servers(m).retAway() }, func() int64 { return servers(m).pubAway() })
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.refusedReturns,
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "halite_keys_refused_total",
			Help: "New minion keys not recorded because max_pending_keys were pending.",
		}, func() float64 { return float64(m.pendingRefused.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "halite_auth_replays_total",
			Help: "Auth requests refused because their nonce was used before.",
		}, func() float64 { return float64(m.authReplays.Load()) }),
	)
	return reg
}

// serverStats reads the listeners' counters, zero before they exist.
type serverStats struct{ m *Master }

func servers(m *Master) serverStats { return serverStats{m} }

func (s serverStats) retPanics() int64 {
	if s.m.ret == nil {
		return 0
	}
	return s.m.ret.Panics()
}

func (s serverStats) pubPanics() int64 {
	if s.m.pub == nil {
		return 0
	}
	return s.m.pub.Panics()
}

func (s serverStats) retAway() int64 {
	if s.m.ret == nil {
		return 0
	}
	return s.m.ret.TurnedAway()
}

func (s serverStats) pubAway() int64 {
	if s.m.pub == nil {
		return 0
	}
	return s.m.pub.TurnedAway()
}

// metricsHandler serves the registry in the Prometheus text format.
func (m *Master) metricsHandler() http.Handler {
	return promhttp.HandlerFor(m.metrics, promhttp.HandlerOpts{})
}
