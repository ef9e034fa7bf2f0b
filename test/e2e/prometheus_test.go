package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/halite/halite/pkg/master"
)

// A real Prometheus (Debian's package) scrapes the master's
// metrics_listen; its query API must return what the jobs did.
func TestPrometheusScrapesTheMaster(t *testing.T) {
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("Debian's prometheus is not installed (.ci/run installs it)")
	}
	metricsPort, promPort := freePort(t), freePort(t)
	e := newEnv(t, fmt.Sprintf("metrics_listen: 127.0.0.1:%d\n", metricsPort))
	start(t, "halite-minion", "swarm", "--count", "3", "--id-prefix", "p", "-c", e.minionConfig("swarm", "log_level: warn\n"))
	e.acceptAll(3)
	e.waitConnected(3)
	c := e.client()
	for range 4 {
		if err := c.Run(context.Background(), &master.RunRequest{Target: "*", Fun: "test.ping"}, func(master.RunEvent) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	yml := fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: halite\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n", metricsPort)
	if err := os.WriteFile(cfg, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	prom := exec.Command(bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort))
	log := &syncBuffer{}
	prom.Stdout, prom.Stderr = log, log
	if err := prom.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = prom.Process.Kill()
		_ = prom.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", tail(log.String(), 3000))
		}
	})

	query := func(q string) (float64, bool) {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/query?query=%s", promPort, url.QueryEscape(q)))
		if err != nil {
			return 0, false
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Result []struct {
					Value [2]any `json:"value"`
				} `json:"result"`
			} `json:"data"`
		}
		if json.NewDecoder(resp.Body).Decode(&r) != nil || len(r.Data.Result) != 1 {
			return 0, false
		}
		var v float64
		s, _ := r.Data.Result[0].Value[1].(string)
		_, err = fmt.Sscan(s, &v)
		return v, err == nil
	}
	want := map[string]float64{
		`halite_jobs_published_total{fun="test.ping"}`:         4,
		`halite_returns_total{fun="test.ping",outcome="ok"}`:   12,
		`halite_minions{state="accepted"}`:                     3,
		`halite_minions_connected`:                             3,
		`halite_return_latency_seconds_count{fun="test.ping"}`: 12,
		`up{job="halite"}`:                                     1,
	}
	deadline := time.Now().Add(60 * time.Second)
	for q, w := range want {
		for {
			v, ok := query(q)
			if ok && v == w {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("Prometheus: %s = %v (found %v), want %v", q, v, ok, w)
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
}
