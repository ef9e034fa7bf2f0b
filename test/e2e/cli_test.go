package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/master"
)

// The operator's first session: a minion shows up pending, gets accepted,
// answers test.ping as JSON; failures and missing minions map to the
// documented exit codes.
func TestOperatorSession(t *testing.T) {
	e := newEnv(t, "")
	e.startMinion("web1", "grains: {role: web}\n")
	e.startMinion("db1", "grains: {role: db}\n")

	waitFor(t, 15*1e9, "pending keys", func() bool {
		out, _, code := e.cli("keys", "list", "--out", "json")
		var keys map[string][]string
		return code == 0 && json.Unmarshal([]byte(out), &keys) == nil && len(keys["minions_pre"]) == 2
	})
	out, _, _ := e.cli("keys", "list")
	if !strings.Contains(out, "Unaccepted Keys:\ndb1\nweb1\n") {
		t.Errorf("keys list text:\n%s", out)
	}
	if _, errOut, code := e.cli("keys", "accept", "web1"); code != 0 {
		t.Fatalf("accept: %d %s", code, errOut)
	}
	if _, _, code := e.cli("keys", "accept", "db1"); code != 0 {
		t.Fatal("accept db1")
	}
	e.waitConnected(2)

	out, errOut, code := e.cli("run", "*", "test.ping", "--out", "json")
	var got map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || !reflect.DeepEqual(got, map[string]any{"web1": true, "db1": true}) {
		t.Fatalf("run '*' test.ping --out json: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	out, _, code = e.cli("run", "web1", "test.ping")
	if code != 0 || !strings.HasPrefix(out, "web1:\n    True\n") || !strings.Contains(out, "1 returned, 0 failed, 0 offline, 0 timed out in ") {
		t.Errorf("text output (exit %d):\n%s", code, out)
	}

	// cmd.run 'exit 3': retcode 3 in the JSON, exit code 1.
	out, _, code = e.cli("run", "*", "cmd.run", "exit 3", "--out", "json", "--full-return")
	var full map[string]map[string]any
	if code != 1 || json.Unmarshal([]byte(out), &full) != nil || full["web1"]["retcode"] != float64(3) || full["db1"]["retcode"] != float64(3) {
		t.Errorf("cmd.run 'exit 3': exit %d\n%s", code, out)
	}
	// Unknown function: a clear error per minion, exit 1.
	out, _, code = e.cli("run", "*", "nosuch.fun")
	if code != 1 || strings.Count(out, "'nosuch.fun' is not available.") != 2 {
		t.Errorf("unknown function: exit %d\n%s", code, out)
	}
	// Targeting by grain, explained without publishing.
	out, _, code = e.cli("run", "-t", "grain", "role:web", "test.ping", "--explain")
	if code != 0 || !strings.Contains(out, "matches 1 of 2") || !strings.Contains(out, "web1 (connected)") {
		t.Errorf("explain: exit %d\n%s", code, out)
	}
	// Usage errors exit 3.
	if _, _, code := e.cli("run", "*"); code != 3 {
		t.Errorf("usage error exit %d, want 3", code)
	}
	if _, _, code := e.cli("run", "-t", "compound", "G@x and (", "test.ping"); code != 3 {
		t.Errorf("bad target exit %d, want 3", code)
	}

	jobs, _, code := e.cli("jobs", "list", "--out", "json")
	if code != 0 || !strings.Contains(jobs, "test.ping") {
		t.Errorf("jobs list: %d %s", code, jobs)
	}
	audit, _, code := e.cli("audit")
	if code != 0 || !strings.Contains(audit, "run") {
		t.Errorf("audit: %d %s", code, audit)
	}
	minions, _, code := e.cli("minions")
	if code != 0 || !strings.Contains(minions, "web1") || !strings.Contains(minions, "yes") {
		t.Errorf("minions: %d\n%s", code, minions)
	}
}

func TestMasterNotRunningIsExit3(t *testing.T) {
	e := newEnv(t, "")
	e.master.stop(t)
	_, errOut, code := e.cli("run", "*", "test.ping")
	if code != 3 || !strings.Contains(errOut, "not running") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestOfflineMinionExit2(t *testing.T) {
	e := newEnv(t, "")
	a := e.startMinion("a", "")
	e.startMinion("b", "")
	e.acceptAll(2)
	e.waitConnected(2)
	a.stop(t)
	waitFor(t, 10e9, "a disconnected", func() bool {
		out, _, _ := e.cli("minions", "--out", "json")
		return strings.Contains(out, `"connected": false`)
	})
	out, _, code := e.cli("run", "*", "test.ping", "--timeout", "10s")
	if code != 2 || !strings.Contains(out, "a:\n    Minion did not return. [Not connected]") || !strings.Contains(out, "1 returned, 0 failed, 1 offline") {
		t.Errorf("exit %d\n%s", code, out)
	}
}

// test.sleep 30 with --timeout 2: reported timed out at ~2 s (exit 2);
// `jobs show` later has the return once it arrives.
func TestTimeoutThenJobsShow(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 30 s for the late return")
	}
	e := newEnv(t, "")
	e.startMinion("slow", "")
	e.acceptAll(1)
	e.waitConnected(1)
	start := time.Now()
	out, _, code := e.cli("run", "slow", "test.sleep", "30", "--timeout", "2s")
	elapsed := time.Since(start)
	if code != 2 || !strings.Contains(out, "Still running: timed out") || !strings.Contains(out, "1 timed out") {
		t.Fatalf("exit %d after %v:\n%s", code, elapsed, out)
	}
	if elapsed < 2*time.Second || elapsed > 6*time.Second {
		t.Errorf("timed out after %v, want ~2 s", elapsed)
	}
	list, _, _ := e.cli("jobs", "list", "--fun", "test.sleep", "--out", "json")
	var jobs []struct {
		JID string `json:"jid"`
	}
	if err := json.Unmarshal([]byte(list), &jobs); err != nil || len(jobs) != 1 {
		t.Fatalf("jobs list: %v\n%s", err, list)
	}
	waitFor(t, 45*time.Second, "the late return in jobs show", func() bool {
		show, _, code := e.cli("jobs", "show", jobs[0].JID, "--out", "json")
		return code == 0 && strings.Contains(show, `"slow": true`)
	})
}

// F16: accepting more than 10 pending keys at once needs a confirmation
// (or --yes); without a terminal to ask on, nothing is accepted.
func TestAcceptAllAsksAboveTen(t *testing.T) {
	e := newEnv(t, "")
	start(t, "halite-minion", "swarm", "--count", "12", "--id-prefix", "c", "-c", e.minionConfig("swarm", "log_level: warn\n"))
	waitFor(t, 30*time.Second, "12 pending keys", func() bool {
		out, _, _ := e.cli("keys", "list", "--out", "json")
		return strings.Count(out, `"c`) >= 12
	})
	out, errOut, code := e.cli("keys", "accept", "--all")
	if code != 3 || !strings.Contains(errOut, "--yes") {
		t.Fatalf("accept --all of 12 without a terminal: exit %d, %q %q", code, out, errOut)
	}
	if ks, _ := e.client().Keys(context.Background()); countState(ks, "accepted") != 0 {
		t.Fatal("keys accepted without confirmation")
	}
	if _, _, code := e.cli("keys", "accept", "--all", "--yes"); code != 0 {
		t.Fatalf("accept --all --yes: exit %d", code)
	}
	if ks, _ := e.client().Keys(context.Background()); countState(ks, "accepted") != 12 {
		t.Fatal("not all 12 accepted with --yes")
	}
}

func countState(ks []master.KeyInfo, state string) int {
	n := 0
	for _, k := range ks {
		if k.State == state {
			n++
		}
	}
	return n
}

// Masterless pillar.items and pillar.get on a pillar that does not compile
// report the error (and fail) instead of an empty pillar with exit 0.
func TestLocalPillarErrorIsReported(t *testing.T) {
	dir := t.TempDir()
	pdir := filepath.Join(dir, "pillar")
	if err := os.MkdirAll(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(pdir, "top.sls"), []byte("base:\n  '*':\n    - broken\n"), 0o644)
	os.WriteFile(filepath.Join(pdir, "broken.sls"), []byte("a: 1\nb: {{ nope.attr }}\n"), 0o644)
	cfg := filepath.Join(dir, "minion.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("id: lp\npki_dir: pki\ncache_dir: cache\npillar_roots:\n  base:\n    - %s\n", pdir)), 0o600)
	for _, args := range [][]string{{"pillar.items"}, {"pillar.get", "a"}} {
		cmd := exec.Command(filepath.Join(binDir, "halite-minion"), append([]string{"call", "--local", "-c", cfg}, args...)...)
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "broken.sls") {
			t.Errorf("call --local %v: %v\n%s", args, err, out)
		}
	}
}

// Formulas tell how they run from opts['__cli'] (libsaltcli.jinja): a
// local call is salt-call, as with Salt.
func TestLocalCallOptsCli(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "minion.yaml")
	os.WriteFile(cfg, []byte("id: lc\npki_dir: pki\ncache_dir: cache\n"), 0o600)
	out, err := exec.Command(filepath.Join(binDir, "halite-minion"), "call", "--local", "-c", cfg, "--out", "json", "config.get", "__cli").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"local": "salt-call"`) {
		t.Fatalf("config.get __cli: %v\n%s", err, out)
	}
}
