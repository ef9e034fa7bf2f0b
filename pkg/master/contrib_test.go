package master

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/halite/halite/pkg/config"
)

// exportedNames is every metric name the master's registry can export.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	dir := t.TempDir()
	cfg := config.DefaultMaster()
	cfg.PKIDir, cfg.DataDir = filepath.Join(dir, "pki"), filepath.Join(dir, "data")
	cfg.Returners = []config.Returner{{Type: "jsonl", Path: filepath.Join(dir, "r.jsonl")}}
	m, err := New(context.Background(), cfg, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	defer m.store.Close()
	ch := make(chan *prometheus.Desc, 1000)
	go func() { m.metrics.Describe(ch); close(ch) }()
	re := regexp.MustCompile(`fqName: "([^"]+)"`)
	names := map[string]bool{"up": true} // Prometheus's own per-target series
	for d := range ch {
		if mm := re.FindStringSubmatch(d.String()); mm != nil {
			names[mm[1]] = true
		}
	}
	return names
}

var metricRef = regexp.MustCompile(`\b((?:halite|process|go)_[a-z0-9_]+|up)\b`)

// usedNames are the metric names referred to in PromQL expressions.
func usedNames(exprs []string, exported map[string]bool) map[string]bool {
	used := map[string]bool{}
	for _, e := range exprs {
		for _, m := range metricRef.FindAllString(e, -1) {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if base, ok := strings.CutSuffix(m, suffix); ok && exported[base] {
					m = base
				}
			}
			used[m] = true
		}
	}
	return used
}

// The Grafana dashboard and the alert rules in contrib/ use only metrics
// the master exports; the rules pass promtool's check and unit tests.
func TestContribUsesExportedMetrics(t *testing.T) {
	exported := exportedNames(t)
	var exprs []string

	b, err := os.ReadFile("../../contrib/grafana/halite.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		Panels []struct {
			Title      string `json:"title"`
			Type       string `json:"type"`
			Datasource any    `json:"datasource"`
			Targets    []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if dash.Title == "" || len(dash.Panels) < 10 {
		t.Fatalf("dashboard: title %q, %d panels", dash.Title, len(dash.Panels))
	}
	for _, p := range dash.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || len(p.Targets) == 0 {
			t.Errorf("panel %q has no datasource or no query", p.Title)
		}
		for _, tg := range p.Targets {
			if strings.TrimSpace(tg.Expr) == "" {
				t.Errorf("panel %q has an empty query", p.Title)
			}
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		exprs = append(exprs, v.Definition)
	}

	b, err = os.ReadFile("../../contrib/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
				Expr  string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatal(err)
	}
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			alerts[r.Alert] = true
			exprs = append(exprs, r.Expr)
		}
	}
	for _, want := range []string{"HaliteMinionDown", "HaliteExecOverdue", "HaliteStatesFailing", "HaliteFailedLoginBurst"} {
		if !alerts[want] {
			t.Errorf("alerts.yml lacks %s", want)
		}
	}

	var unknown []string
	for name := range usedNames(exprs, exported) {
		if !exported[name] {
			unknown = append(unknown, name)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("contrib/ uses metrics the master does not export: %v", unknown)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool (Debian's prometheus package) is not installed")
	}
	for _, args := range [][]string{{"check", "rules", "alerts.yml"}, {"test", "rules", "alerts_test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../../contrib/prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
}
