package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/master"
)

const orchDeploy = `
db:
  salt.state:
    - tgt: 'db*'
    - highstate: True
{%- set webs = ['web0', 'web1', 'web2', 'web3', 'web4'] %}
{%- for i in range(0, webs | length, 2) %}
{%- set n = loop.index %}
web_{{ n }}:
  salt.state:
    - tgt: {{ webs[i:i+2] | join(',') }}
    - tgt_type: list
    - sls: roles.web
    - pillar: {{ pillar.get('web_pillar', {}) | json }}
    - fail_minions: {{ pillar.get('may_fail', []) | json }}
    - require:
      - salt: {{ 'db' if n == 1 else 'health_' ~ (n - 1) }}
health_{{ n }}:
  salt.function:
    - tgt: {{ webs[i:i+2] | join(',') }}
    - tgt_type: list
    - name: test.ping
    - fail_minions: {{ pillar.get('may_fail', []) | json }}
    - require:
      - salt: web_{{ n }}
{%- endfor %}
lb:
  salt.state:
    - tgt: 'lb*'
    - sls: roles.lb
    - require:
      - salt: health_3
`

func orchCluster(t *testing.T) (*cluster, string) {
	tree := t.TempDir()
	root := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(tree, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("orch/deploy.sls", orchDeploy)
	write("orch/runner.sls", "pause:\n  salt.runner:\n    - name: test.sleep\n    - s_time: 0.1\nlookup:\n  salt.runner:\n    - name: jobs.lookup_jid\n    - jid: '{{ pillar.get(\"jid\", \"\") }}'\n    - require:\n      - salt: pause\nnope:\n  salt.runner:\n    - name: manage.up\n")
	write("orch/none.sls", "nobody:\n  salt.function:\n    - tgt: 'nomatch*'\n    - name: test.ping\n    - expect_minions: True\n")
	write("roles/db.sls", "db ready:\n  file.managed:\n    - name: {{ grains.root }}/{{ grains.id }}\n    - contents: db\n")
	write("roles/web.sls", `web page:
  file.managed:
    - name: {{ grains.root }}/{{ grains.id }}
    - contents: web
{% if pillar.get('break') == grains.id %}
broken step:
  test.fail_without_changes:
    - comment: the deploy hook failed
{% endif %}
`)
	write("top.sls", "base:\n  'db*':\n    - roles.db\n")
	write("roles/lb.sls", `lb config:
  file.managed:
    - name: {{ grains.root }}/{{ grains.id }}
    - contents: |
{%- for id, a in salt['mine.get']('web*', 'addrs') | dictsort %}
        server {{ id }} {{ a.kwargs.ip }}
{%- endfor %}
`)
	c := newCluster(t, func(cfg *config.Master) { cfg.FileRoots = map[string][]string{"base": {tree}} })
	var ids []string
	for _, role := range []struct {
		prefix string
		n      int
	}{{"db", 2}, {"web", 5}, {"lb", 2}} {
		for i := range role.n {
			cfg := c.minionConfig(fmt.Sprintf("%s%d", role.prefix, i), map[string]any{"root": root})
			if role.prefix == "web" {
				cfg.MineFunctions = map[string]any{"addrs": map[string]any{"mine_function": "test.arg", "ip": fmt.Sprintf("10.0.1.%d", i+1)}}
			}
			c.acceptMinion(cfg)
			ids = append(ids, cfg.ID)
		}
	}
	c.waitConnected(9)
	waitFor(t, 20*time.Second, "the web minions' mine", func() bool {
		d, err := c.client.Mine(context.Background(), "web*", "addrs", "")
		return err == nil && len(d) == 5
	})
	return c, root
}

func orchestrate(t *testing.T, c *cluster, req master.OrchestrateRequest) *master.OrchestrateResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	res, err := c.client.Orchestrate(ctx, req)
	if err != nil {
		t.Fatalf("orchestrate: %v", err)
	}
	return res
}

func step(t *testing.T, res *master.OrchestrateResult, id string) map[string]any {
	t.Helper()
	for _, r := range res.Return {
		if r.ID == id {
			return map[string]any{"result": r.Result, "comment": r.Comment, "changes": r.Changes, "start": r.StartTime, "run": r.RunNum}
		}
	}
	t.Fatalf("no step %s in %v", id, res.Return)
	return nil
}

func files(t *testing.T, root string) []string {
	ents, _ := os.ReadDir(root)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

// Orchestrate acceptance 1, 2 and 4: db, then web in batches, a health
// check, then lb, in order; a failing web state stops the lb step and is
// named; --test publishes nothing that changes a minion.
func TestOrchestrateOrderFailureAndTest(t *testing.T) {
	c, root := orchCluster(t)

	dry := orchestrate(t, c, master.OrchestrateRequest{SLS: "orch.deploy", Test: true})
	if len(files(t, root)) != 0 || dry.Retcode != 0 {
		t.Fatalf("--test changed minions (%v) or failed: %+v", files(t, root), dry)
	}
	if s := step(t, dry, "web_1"); s["result"].(*bool) != nil || !strings.Contains(s["comment"].(string), "ran on") {
		t.Fatalf("--test web step: %+v", s)
	}
	if s := step(t, dry, "health_1"); !strings.Contains(s["comment"].(string), "would be executed") {
		t.Fatalf("--test function step: %+v", s)
	}

	res := orchestrate(t, c, master.OrchestrateRequest{SLS: "orch.deploy"})
	if res.Retcode != 0 {
		t.Fatalf("deploy failed: %+v", res.Return)
	}
	if got := strings.Join(files(t, root), " "); got != "db0 db1 lb0 lb1 web0 web1 web2 web3 web4" {
		t.Fatalf("files: %s", got)
	}
	order := []string{"db", "web_1", "health_1", "web_2", "health_2", "web_3", "health_3", "lb"}
	for i := 1; i < len(order); i++ {
		a, b := step(t, res, order[i-1]), step(t, res, order[i])
		if a["start"].(string) > b["start"].(string) || a["run"].(int) >= b["run"].(int) {
			t.Fatalf("%s started at %v, after %s at %v", order[i-1], a["start"], order[i], b["start"])
		}
	}
	// The lb config has every web server's address, from the mine.
	lbConf, _ := os.ReadFile(filepath.Join(root, "lb0"))
	for i := range 5 {
		if want := fmt.Sprintf("server web%d 10.0.1.%d", i, i+1); !strings.Contains(string(lbConf), want) {
			t.Fatalf("lb config lacks %q:\n%s", want, lbConf)
		}
	}
	// The steps are jobs of their own, marked as steps of this orchestration.
	jid := step(t, res, "web_2")["changes"].(map[string]any)["jid"].(string)
	rec, err := c.client.Job(context.Background(), jid)
	if err != nil || rec.Meta["orchestration"] != res.JID || len(rec.Expected) != 2 {
		t.Fatalf("web step job: %+v %v", rec, err)
	}
	if orch, err := c.client.Job(context.Background(), res.JID); err != nil || orch.Fun != "state.orchestrate" || len(orch.Results) != 1 {
		t.Fatalf("orchestration job: %+v %v", orch, err)
	}

	// One web minion's state fails: the web step fails naming it and
	// the state, lb does not run, exit code 1.
	bad := orchestrate(t, c, master.OrchestrateRequest{SLS: "orch.deploy", Pillar: map[string]any{"web_pillar": map[string]any{"break": "web2"}}})
	web := step(t, bad, "web_2")
	if bad.Retcode != 1 || *web["result"].(*bool) || !strings.Contains(web["comment"].(string), "web2 (state 'broken step' failed: the deploy hook failed)") {
		t.Fatalf("failing web step (retcode %d): %+v", bad.Retcode, web)
	}
	if lb := step(t, bad, "lb"); *lb["result"].(*bool) || !strings.Contains(lb["comment"].(string), "requisite") {
		t.Fatalf("lb ran after a failed web step: %+v", lb)
	}
}

// Orchestrate acceptance 3: a web minion offline at publish fails the
// step (exit code 2, as run's), unless fail_minions names it; a step with
// expect_minions that matches nobody fails.
func TestOrchestrateOfflineAndExpectMinions(t *testing.T) {
	c, _ := orchCluster(t)
	c.stopMinion("web4")
	waitFor(t, 20*time.Second, "web4 disconnected", func() bool {
		ms, _ := c.client.Minions(context.Background())
		for _, m := range ms {
			if m.ID == "web4" {
				return !m.Connected
			}
		}
		return false
	})
	res := orchestrate(t, c, master.OrchestrateRequest{SLS: "orch.deploy"})
	web := step(t, res, "web_3")
	if res.Retcode != 2 || *web["result"].(*bool) || !strings.Contains(web["comment"].(string), "web4 (offline)") {
		t.Fatalf("offline web4 (retcode %d): %+v", res.Retcode, web)
	}
	ok := orchestrate(t, c, master.OrchestrateRequest{SLS: "orch.deploy", Pillar: map[string]any{"may_fail": []any{"web4"}}})
	if s := step(t, ok, "web_3"); !*s["result"].(*bool) || ok.Retcode != 0 {
		t.Fatalf("fail_minions [web4]: %+v", s)
	}
	pinged := c.run(&master.RunRequest{Target: "db0", Fun: "test.ping"})
	rn := orchestrate(t, c, master.OrchestrateRequest{SLS: "orch.runner", Pillar: map[string]any{"jid": pinged.jid}})
	if s := step(t, rn, "lookup"); !*s["result"].(*bool) || s["changes"].(map[string]any)["return"].(map[string]any)["db0"] != true {
		t.Fatalf("jobs.lookup_jid: %+v", s)
	}
	if s := step(t, rn, "nope"); *s["result"].(*bool) || rn.Retcode != 1 {
		t.Fatalf("an unknown runner: %+v", s)
	}
	none := orchestrate(t, c, master.OrchestrateRequest{SLS: "orch.none"})
	if s := step(t, none, "nobody"); none.Retcode == 0 || *s["result"].(*bool) || !strings.Contains(s["comment"].(string), "expect_minions") {
		t.Fatalf("expect_minions: %d %+v", none.Retcode, s)
	}
}
