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
