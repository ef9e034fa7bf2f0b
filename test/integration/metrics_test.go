package integration

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/master"
)

// The master's /metrics counts jobs and every targeted minion's outcome
// by function, the latency of returns, and the fleet by key state.
func TestMetricsCountJobsAndOutcomes(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("mx", 3, nil)
	c.run(&master.RunRequest{Target: "*", Fun: "test.ping"})
	c.run(&master.RunRequest{Target: "*", Fun: "test.ping"})
	c.run(&master.RunRequest{Target: "mx[01]", Fun: "cmd.run", Args: []any{"exit 3"}})
	c.stopMinion("mx2")
	waitFor(t, 10e9, "mx2 gone", func() bool {
		ms, _ := c.client.Minions(t.Context())
		for _, m := range ms {
			if m.ID == "mx2" {
				return !m.Connected
			}
		}
		return false
	})
	c.run(&master.RunRequest{Target: "*", Fun: "test.ping"})
	m := scrape(t, c)
	for _, want := range []string{
		`halite_jobs_published_total{fun="test.ping"} 3`,
		`halite_jobs_published_total{fun="cmd.run"} 1`,
		`halite_returns_total{fun="test.ping",outcome="ok"} 8`,
		`halite_returns_total{fun="test.ping",outcome="offline"} 1`,
		`halite_returns_total{fun="cmd.run",outcome="failed"} 2`,
		`halite_return_latency_seconds_count{fun="test.ping"} 8`,
		`halite_minions{state="accepted"} 3`,
		`halite_minions_connected 2`,
		`halite_auth_attempts_total{result="pending"} 3`,
		`go_goroutines`,
		`process_resident_memory_bytes`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("halite lines:\n%s", grepLines(m, "halite_"))
	}
}

// A minion with metrics_listen serves its own jobs, job seconds, spool
// depth and reconnects.
func TestMinionMetrics(t *testing.T) {
	c := newCluster(t, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cfg := c.minionConfig("mm", nil)
	cfg.MetricsListen = addr
	c.acceptMinion(cfg)
	c.run(&master.RunRequest{Target: "mm", Fun: "test.ping"})
	c.run(&master.RunRequest{Target: "mm", Fun: "cmd.run", Args: []any{"exit 3"}})
	var body string
	waitFor(t, 10e9, "minion metrics", func() bool {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		// The last return leaves the spool once the master has committed it.
		return strings.Contains(body, `halite_minion_jobs_total{result="failed"} 1`) &&
			strings.Contains(body, `halite_minion_spool_returns 0`)
	})
	for _, want := range []string{
		`halite_minion_jobs_total{result="ok"} 1`,
		`halite_minion_job_seconds_count 2`,
		`halite_minion_spool_returns 0`,
		`halite_minion_reconnects_total 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("minion /metrics lacks %s", want)
		}
	}
}
