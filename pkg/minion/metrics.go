package minion

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// minionMetrics is the minion's own small set (DESIGN §8), served on
// metrics_listen when configured.
type minionMetrics struct {
	reg        *prometheus.Registry
	jobs       *prometheus.CounterVec
	jobSeconds prometheus.Histogram
	reconnects prometheus.Counter
}

func newMinionMetrics(m *Minion) *minionMetrics {
	mm := &minionMetrics{
		reg: prometheus.NewRegistry(),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halite_minion_jobs_total", Help: "Jobs this minion ran, by result (ok, failed).",
		}, []string{"result"}),
		jobSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "halite_minion_job_seconds", Help: "How long jobs ran.",
			Buckets: []float64{.001, .01, .1, .5, 1, 5, 30, 120, 600, 3600},
		}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "halite_minion_reconnects_total", Help: "Times the request channel to the master went down and was dialled again.",
		}),
	}
	mm.jobs.WithLabelValues("ok")
	mm.jobs.WithLabelValues("failed")
	mm.reg.MustRegister(mm.jobs, mm.jobSeconds, mm.reconnects,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "halite_minion_spool_returns", Help: "Returns held until the master acknowledges them.",
		}, func() float64 { return float64(len(m.spool.pending())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "halite_minion_jobs_running", Help: "Jobs running now.",
		}, func() float64 { return float64(m.running.Load()) }),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return mm
}

// ran counts one finished job (mm may be nil: metrics off).
func (mm *minionMetrics) ran(success bool, d time.Duration) {
	if mm == nil {
		return
	}
	result := "ok"
	if !success {
		result = "failed"
	}
	mm.jobs.WithLabelValues(result).Inc()
	mm.jobSeconds.Observe(d.Seconds())
}

// reconnected counts a reconnect (mm may be nil: metrics off).
func (mm *minionMetrics) reconnected() {
	if mm != nil {
		mm.reconnects.Inc()
	}
}

// serveMetrics serves /metrics on addr until ctx ends; done is closed when
// the server has stopped.
func (m *Minion) serveMetrics(ctx context.Context, addr string) (done <-chan struct{}, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics_listen %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.metrics.reg, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("metrics server", "error", err)
		}
	}()
	context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	m.log.Info("metrics listening", "addr", ln.Addr())
	return stopped, nil
}
