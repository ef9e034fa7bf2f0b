package integration

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/wire"
)

// stateCluster starts a master serving tree and n minions, each with its
// own root grain under a temp dir.
func stateCluster(t *testing.T, tree string, n int) (*cluster, []string) {
	t.Helper()
	abs, err := filepath.Abs(tree)
	if err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, func(cfg *config.Master) { cfg.FileRoots = map[string][]string{"base": {abs}} })
	var roots []string
	c.acceptedMinions("st", n, func(i int) map[string]any {
		root := filepath.Join(c.dir, "roots", "st"+string(rune('0'+i)))
		roots = append(roots, root)
		return map[string]any{"root": root}
	})
	return c, roots
}

// stateResults decodes a state run's return.
func stateResults(t *testing.T, ev master.RunEvent) map[string]*state.StateReturn {
	t.Helper()
	b, err := json.Marshal(ev.Return)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]*state.StateReturn
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("not a state return: %v\n%s", err, b)
	}
	return out
}

func changed(rets map[string]*state.StateReturn) (n int, failed []string) {
	for tag, r := range rets {
		if len(r.Changes) > 0 {
			n++
		}
		if r.Failed() {
			failed = append(failed, tag+": "+r.Comment)
		}
	}
	sort.Strings(failed)
	return n, failed
}

// snapshot lists every path under root with its content, to prove a dry
// run touched nothing.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	_ = filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		b.WriteString(p + " " + fi.Mode().String() + "\n")
		if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}

// The 30-state tree across 5 SLS files: --test predicts the first apply
// and touches nothing; the first apply changes things; the second changes
// nothing, on 3 minions.
func TestStateTreeApplyAndIdempotence(t *testing.T) {
	c, roots := stateCluster(t, "testdata/tree", 3)
	before := snapshot(t, filepath.Join(c.dir, "roots"))

	dry := c.run(&master.RunRequest{Target: "*", Fun: "state.apply", Kwargs: map[string]any{"test": true}})
	predicted := map[string]int{}
	for id, ev := range dry.returns {
		rets := stateResults(t, ev)
		if len(rets) != 30 {
			t.Fatalf("%s: %d states, want 30", id, len(rets))
		}
		n, failed := changed(rets)
		if len(failed) > 0 {
			t.Fatalf("%s: dry run failures:\n%s", id, strings.Join(failed, "\n"))
		}
		predicted[id] = n
	}
	if after := snapshot(t, filepath.Join(c.dir, "roots")); after != before {
		t.Fatalf("--test changed the disk:\n%s", after)
	}

	first := c.run(&master.RunRequest{Target: "*", Fun: "state.apply"})
	for id, ev := range first.returns {
		n, failed := changed(stateResults(t, ev))
		if len(failed) > 0 || !ev.Success {
			t.Fatalf("%s: first apply failures:\n%s", id, strings.Join(failed, "\n"))
		}
		if n != predicted[id] {
			t.Errorf("%s: --test predicted %d changed states, the apply changed %d", id, predicted[id], n)
		}
	}
	if len(first.returns) != 3 {
		t.Fatalf("first apply: %v", first.states)
	}
	for _, root := range roots {
		b, err := os.ReadFile(filepath.Join(root, "app", "conf", "runtime.ini"))
		if err != nil || !strings.Contains(string(b), "workers = 4") || !strings.Contains(string(b), "port = 9090") {
			t.Errorf("%s: runtime.ini = %q, %v", root, b, err)
		}
		if b, err := os.ReadFile(filepath.Join(root, "app", "logs", "restarts")); err != nil || string(b) != "restarted\n" {
			t.Errorf("%s: watch did not run the cmd.wait once: %q %v", root, b, err)
		}
	}
	second := c.run(&master.RunRequest{Target: "*", Fun: "state.apply"})
	for id, ev := range second.returns {
		rets := stateResults(t, ev)
		n, failed := changed(rets)
		if n != 0 || len(failed) > 0 {
			var which []string
			for tag, r := range rets {
				if len(r.Changes) > 0 {
					which = append(which, tag)
				}
			}
			t.Errorf("%s: second apply changed %d states %v, failed %v", id, n, which, failed)
		}
	}
	// watch: the unchanged config did not rerun the cmd.wait.
	for _, root := range roots {
		if b, _ := os.ReadFile(filepath.Join(root, "app", "logs", "restarts")); string(b) != "restarted\n" {
			t.Errorf("%s: restarts after the second apply = %q, want one line", root, b)
		}
	}
}

// A failing state: its require dependents fail naming it, onfail handlers
// run, unrelated states still run, and the job fails.
func TestFailingStateAndRequisites(t *testing.T) {
	dir := t.TempDir()
	sls := `{% set root = grains['root'] %}
broken:
  cmd.run:
    - name: exit 7
needs broken:
  file.managed:
    - name: {{ root }}/needs
    - makedirs: True
    - contents: x
    - require:
      - cmd: broken
on failure:
  file.managed:
    - name: {{ root }}/failure-handled
    - makedirs: True
    - contents: handled
    - onfail:
      - cmd: broken
unrelated:
  file.managed:
    - name: {{ root }}/unrelated
    - makedirs: True
    - contents: fine
`
	for name, body := range map[string]string{"top.sls": "base:\n  '*':\n    - fail\n", "fail.sls": sls} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, roots := stateCluster(t, dir, 1)
	jr := c.run(&master.RunRequest{Target: "*", Fun: "state.apply"})
	ev := jr.returns["st0"]
	if ev.Success {
		t.Fatal("a failed state must fail the job")
	}
	rets := stateResults(t, ev)
	find := func(id string) *state.StateReturn {
		for _, r := range rets {
			if r.ID == id {
				return r
			}
		}
		t.Fatalf("no state %q in %v", id, rets)
		return nil
	}
	if r := find("needs broken"); !r.Failed() || !strings.Contains(r.Comment, "broken") {
		t.Errorf("dependent: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(roots[0], "needs")); err == nil {
		t.Error("a state whose requisite failed ran anyway")
	}
	if b, _ := os.ReadFile(filepath.Join(roots[0], "failure-handled")); strings.TrimSpace(string(b)) != "handled" {
		t.Error("onfail handler did not run")
	}
	if b, _ := os.ReadFile(filepath.Join(roots[0], "unrelated")); strings.TrimSpace(string(b)) != "fine" {
		t.Error("unrelated state did not run")
	}
	// /metrics counts the states by outcome: the broken one and its
	// dependent failed, the handler and the unrelated file changed.
	m := scrape(t, c)
	for _, want := range []string{
		`halite_state_results_total{outcome="failed"} 2`,
		`halite_state_results_total{outcome="changed"} 2`,
		`halite_state_results_total{outcome="unchanged"} 0`,
		`halite_pillar_compile_seconds_count{result="ok"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(m, "halite_state|halite_pillar"))
		}
	}
}

// Traversal attempts on the file server are refused and logged; the
// master keeps serving everyone else.
func TestFileServerRefusesTraversal(t *testing.T) {
	c, _ := stateCluster(t, "testdata/tree", 1)
	r := newRogueMinion(t, c, "prober")
	if st := r.auth(); st != crypto.StatusPending {
		t.Fatalf("prober: %s", st)
	}
	if _, err := c.client.KeyAction(context.Background(), "accept", "prober", false); err != nil {
		t.Fatal(err)
	}
	if st := r.readAuthReply(); st != crypto.StatusAccepted {
		t.Fatalf("prober: %s", st)
	}
	attempts := []string{"../../../../etc/passwd", "/etc/passwd", "salt://../secret", "app/../../x", "top.sls\x00.txt"}
	for i, p := range attempts {
		r.sendSealed(wire.TypeFileGet, wire.FileGetRequest{ReqID: uint64(i + 1), Saltenv: "base", Path: p})
	}
	refused := 0
	for refused < len(attempts) {
		frames := r.recv(5e9)
		if frames == nil {
			t.Fatalf("only %d of %d refusals arrived", refused, len(attempts))
		}
		plain, err := r.ch.Open(frames[1])
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := wire.Decode(plain)
		if msg.Type != wire.TypeReply {
			continue
		}
		var rep wire.Reply
		_ = msg.DecodeBody(&rep)
		if rep.Error == "" || len(rep.Body) != 0 {
			t.Fatalf("request %d was answered with data: %+v", rep.ReqID, rep)
		}
		refused++
	}
	c.mlog.waitFor(t, "refused file request outside file_roots")
	jr := c.run(&master.RunRequest{Target: "st0", Fun: "state.apply", Kwargs: map[string]any{"test": true}})
	if _, ok := jr.returns["st0"]; !ok {
		t.Fatalf("master stopped serving after traversal attempts: %v", jr.states)
	}
}

// Three formula layouts (map.jinja + defaults.yaml + init.sls, the way
// public Salt formulas are written) render and apply, with pillar
// overrides merged, and apply cleanly a second time.
func TestFormulaLayouts(t *testing.T) {
	formulas, err := filepath.Abs("testdata/formulas")
	if err != nil {
		t.Fatal(err)
	}
	pdir := writeTree(t, map[string]string{
		"top.sls":       "base:\n  '*':\n    - overrides\n",
		"overrides.sls": "nginx:\n  lookup:\n    listen: 8080\nusers:\n  alice:\n    shell: /bin/zsh\n    groups: [dev, ops]\nsysctl:\n  params:\n    vm.swappiness: 1\n",
	})
	c := newCluster(t, func(cfg *config.Master) {
		cfg.FileRoots = map[string][]string{"base": {formulas}}
		cfg.PillarRoots = map[string][]string{"base": {pdir}}
	})
	root := filepath.Join(c.dir, "root")
	c.acceptedMinions("fm", 1, func(int) map[string]any { return map[string]any{"root": root, "os_family": "Debian"} })
	for i, want := range []bool{true, false} {
		jr := c.run(&master.RunRequest{Target: "*", Fun: "state.apply"})
		ev := jr.returns["fm0"]
		rets := stateResults(t, ev)
		n, failed := changed(rets)
		if !ev.Success || len(failed) > 0 {
			t.Fatalf("apply %d failed: %v %v", i+1, failed, ev.Return)
		}
		if (n > 0) != want {
			t.Fatalf("apply %d changed %d states", i+1, n)
		}
	}
	checks := map[string][]string{
		"etc/nginx/nginx.conf":        {"user www-data;", "listen 8080;", "include /etc/nginx/sites-enabled/*;"},
		"users/alice":                 {"shell=/bin/zsh", "groups=dev,ops"},
		"etc/sysctl.d/99-halite.conf": {"net.core.somaxconn = 1024", "vm.swappiness = 1"},
		"nginx-reloads":               {"reload"},
	}
	for file, wants := range checks {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %q:\n%s", file, w, b)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(root, "nginx-reloads")); strings.Count(string(b), "reload") != 1 {
		t.Errorf("watch ran %d times over two applies, want 1 (only when the config changed)", strings.Count(string(b), "reload"))
	}
}
