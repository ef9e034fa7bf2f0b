package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halite/halite/internal/pgtest"
)

// secondMaster starts another master beside e's, on 127.0.0.2 with the
// same ports, the same master key (copied, as an operator would) and
// config extra (the shared store).
func secondMaster(t *testing.T, e *env, extra string) *env {
	t.Helper()
	b := &env{t: t, dir: t.TempDir(), pub: e.pub, ret: e.ret}
	if err := os.MkdirAll(filepath.Join(b.dir, "pki"), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"master.key", "master.pub"} {
		data, err := os.ReadFile(filepath.Join(e.dir, "pki", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.dir, "pki", f), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b.cfgPath = filepath.Join(b.dir, "master.yaml")
	cfg := fmt.Sprintf("interface: 127.0.0.2\npublish_port: %d\nret_port: %d\npki_dir: pki\ndata_dir: data\nack_timeout: 2s\nlog_level: debug\n%s", b.pub, b.ret, extra)
	if err := os.WriteFile(b.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	b.startMaster()
	return b
}

// bothMasters writes a minion config listing e's master and the second
// one on 127.0.0.2, with extra keys, and returns its path.
func bothMasters(t *testing.T, e *env, extra string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "minion.yaml")
	body := fmt.Sprintf("master: [127.0.0.1, 127.0.0.2]\npublish_port: %d\nret_port: %d\npki_dir: %s\ncache_dir: %s\n"+
		"heartbeat_interval: 1s\nreconnect_min: 50ms\nreconnect_max: 1s\n%s",
		e.pub, e.ret, filepath.Join(dir, "pki"), filepath.Join(dir, "cache"), extra)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// runJSON runs a job through e's CLI and returns each minion's return.
func runJSON(t *testing.T, e *env, args ...string) (map[string]any, int) {
	t.Helper()
	out, errOut, code := e.cli(append([]string{"run", "--out", "json"}, args...)...)
	got := map[string]any{}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("run %v: exit %d: %v\n%s\n%s", args, code, err, out, errOut)
	}
	return got, code
}

// asyncJID starts a job with --async and returns its jid.
func asyncJID(t *testing.T, e *env, args ...string) string {
	t.Helper()
	out, errOut, code := e.cli(append([]string{"run", "--async"}, args...)...)
	if code != 0 {
		t.Fatalf("run --async %v: exit %d %s %s", args, code, out, errOut)
	}
	f := strings.Fields(out)
	if len(f) == 0 {
		t.Fatalf("run --async printed nothing")
	}
	return f[len(f)-1]
}

// Two masters share one PostgreSQL (a real server, started by the test);
// 20 minions are connected to both. A key accepted on A lets its minion
// answer B; any master shows any job; a key deleted on A is out of B's
// jobs too; A killed in the middle of a job loses none of its returns,
// and B goes on reaching every minion.
func TestTwoMastersShareOnePostgres(t *testing.T) {
	const minions = 20
	store := "store: " + pgtest.DB(t) + "\n"
	a := newEnv(t, store)
	b := secondMaster(t, a, store)

	cfg := bothMasters(t, a, "log_level: debug\n")
	swarm := start(t, "halite-minion", "swarm", "--count", fmt.Sprint(minions), "--id-prefix", "k", "-c", cfg)

	// Accepted on A: B lets them in without a restart, on the connections
	// they wait on.
	a.acceptAll(minions)
	b.waitConnected(minions)
	a.waitConnected(minions)
	got, code := runJSON(t, b, "*", "test.ping")
	if code != 0 || len(got) != minions {
		t.Fatalf("ping through B: exit %d, %d answers: %v", code, len(got), got)
	}

	// A job published on A, shown by B.
	jid := asyncJID(t, a, "*", "test.echo", "from-a")
	waitFor(t, 20*time.Second, "A's job complete as B shows it", func() bool {
		rec, err := b.client().Job(context.Background(), jid)
		if err != nil {
			return false
		}
		n := 0
		for _, r := range rec.Results {
			if r.Return != nil && r.Return.Return == "from-a" {
				n++
			}
		}
		return n == minions
	})
	if out, _, code := b.cli("jobs", "show", jid); code != 0 || !strings.Contains(out, "from-a") {
		t.Fatalf("jobs show %s on B: exit %d\n%s", jid, code, out)
	}

	// Deleted on A: B closes its session and rotates its publish key, so
	// the minion cannot even read B's next job.
	if out, errOut, code := a.cli("keys", "delete", "k3"); code != 0 {
		t.Fatalf("keys delete on A: exit %d %s %s", code, out, errOut)
	}
	waitFor(t, 10*time.Second, "k3 gone from B", func() bool {
		ms, err := b.client().Minions(context.Background())
		if err != nil {
			return false
		}
		for _, m := range ms {
			if m.ID == "k3" && (m.Connected || m.KeyState == "accepted") {
				return false
			}
		}
		return true
	})
	got, _ = runJSON(t, b, "*", "test.echo", "after-delete")
	if _, ok := got["k3"]; ok || len(got) != minions-1 {
		t.Errorf("B's job after k3 was deleted on A: %d answers, k3 among them: %v", len(got), got)
	}
	jobs, _, _ := b.cli("jobs", "list", "--fun", "test.echo", "--out", "json")
	var list []struct {
		JID string `json:"jid"`
	}
	if err := json.Unmarshal([]byte(jobs), &list); err != nil || len(list) == 0 {
		t.Fatalf("jobs list on B: %v\n%s", err, jobs)
	}
	time.Sleep(500 * time.Millisecond)
	if ranJobs(swarm.log.String())["k3/"+list[0].JID] {
		t.Errorf("k3 ran B's job %s after its key was deleted on A: the rotation is not in force on B", list[0].JID)
	}

	// Accepted again (on A), and k3 is back on both.
	waitFor(t, 30*time.Second, "k3 pending again", func() bool {
		ks, err := a.client().Keys(context.Background())
		if err != nil {
			return false
		}
		for _, k := range ks {
			if k.ID == "k3" && k.State == "pending" {
				return true
			}
		}
		return false
	})
	if out, errOut, code := a.cli("keys", "accept", "k3"); code != 0 {
		t.Fatalf("keys accept k3: exit %d %s %s", code, out, errOut)
	}
	b.waitConnected(minions)
	a.waitConnected(minions)

	// A dies in the middle of a job: every return reaches the store
	// through B, and B reaches all 20.
	jid = asyncJID(t, a, "*", "test.sleep", "3")
	time.Sleep(time.Second)
	_ = a.master.cmd.Process.Signal(syscall.SIGKILL)
	<-a.master.done
	waitFor(t, 30*time.Second, "every return of A's job stored, as B shows", func() bool {
		rec, err := b.client().Job(context.Background(), jid)
		if err != nil {
			return false
		}
		n := 0
		for _, r := range rec.Results {
			if r.Return != nil {
				n++
			}
		}
		return n == minions
	})
	got, code = runJSON(t, b, "*", "test.ping")
	if code != 0 || len(got) != minions {
		t.Fatalf("ping through B after A died: exit %d, %d answers: %v", code, len(got), got)
	}
}

// master_type failover: the minion serves one master at a time, moves to
// the next when it dies, and back again when that one dies in turn
// (Salt's failover "only works once"); it never exits for want of a
// master.
func TestFailoverMinion(t *testing.T) {
	store := "store: " + pgtest.DB(t) + "\n"
	a := newEnv(t, store)
	b := secondMaster(t, a, store)
	cfg := bothMasters(t, a, "id: fo1\nmaster_type: failover\nmaster_alive_interval: 1s\n")
	minion := start(t, "halite-minion", "serve", "-c", cfg)
	a.acceptAll(1)
	a.waitConnected(1)
	if got, code := runJSON(t, a, "fo1", "test.ping"); code != 0 || got["fo1"] != true {
		t.Fatalf("ping through A: exit %d %v", code, got)
	}
	if ms, _ := b.client().Minions(context.Background()); len(ms) == 1 && ms[0].Connected {
		t.Errorf("a failover minion is connected to B as well as A")
	}

	_ = a.master.cmd.Process.Signal(syscall.SIGKILL)
	<-a.master.done
	b.waitConnected(1)
	if got, code := runJSON(t, b, "fo1", "test.ping"); code != 0 || got["fo1"] != true {
		t.Fatalf("ping through B after A died: exit %d %v", code, got)
	}

	// Again, the other way.
	a.startMaster()
	_ = b.master.cmd.Process.Signal(syscall.SIGKILL)
	<-b.master.done
	a.waitConnected(1)
	if got, code := runJSON(t, a, "fo1", "test.ping"); code != 0 || got["fo1"] != true {
		t.Fatalf("ping through A after B died: exit %d %v", code, got)
	}
	select {
	case <-minion.done:
		t.Fatalf("the minion exited: %v", minion.err)
	default:
	}
}

// A backup reported to one master shows on every master (exec list, its
// deadman), whichever master the minion handed it to.
func TestExecRunsOnEveryMaster(t *testing.T) {
	store := "store: " + pgtest.DB(t) + "\n"
	a := newEnv(t, store)
	b := secondMaster(t, a, store)
	cfg := bothMasters(t, a, "id: ex1\n")
	start(t, "halite-minion", "serve", "-c", cfg)
	a.acceptAll(1)
	a.waitConnected(1)
	b.waitConnected(1)
	if _, errOut, code := minionExec(t, cfg, "--name", "backup", "--expect-every", "1h", "--", "true"); code != 0 {
		t.Fatalf("halite-minion exec: exit %d %s", code, errOut)
	}
	for name, e := range map[string]*env{"A": a, "B": b} {
		waitFor(t, 10*time.Second, "the backup in exec list of "+name, func() bool {
			r, ok := e.execRun("ex1", "backup")
			return ok && r.ExitCode == 0 && !r.Overdue
		})
	}
}
