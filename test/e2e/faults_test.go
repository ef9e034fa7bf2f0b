package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/test/attack"
)

// killMaster SIGKILLs the master (no shutdown, no flush) and waits for it.
func (e *env) killMaster() {
	e.t.Helper()
	_ = e.master.cmd.Process.Signal(syscall.SIGKILL)
	<-e.master.done
}

// F5: the master is SIGKILLed again and again while returns stream in.
// A return is acknowledged only once committed, and the minions keep and
// resend everything unacknowledged: not one return may be lost.
func TestMasterKillLosesNoReturns(t *testing.T) {
	if testing.Short() {
		t.Skip("20 master kills")
	}
	const minions, trials, jobsPerTrial = 50, 20, 6
	e := newEnv(t, "")
	// At debug level each swarm minion logs the jobs it runs: the returns
	// it produced, which must all be stored.
	swarm := start(t, "halite-minion", "swarm", "--count", fmt.Sprint(minions), "--id-prefix", "k", "-c", e.minionConfig("swarm", "log_level: debug\n"))
	e.acceptAll(minions)
	e.waitConnected(minions)
	var jids []string
	var back time.Duration
	for trial := range trials {
		c := e.client()
		for j := range jobsPerTrial {
			err := c.Run(context.Background(), &master.RunRequest{Target: "*", Fun: "test.sleep", Args: []any{0.2 + 0.05*float64(j)}, Async: true},
				func(ev master.RunEvent) error {
					if ev.Type == "start" {
						jids = append(jids, ev.JID)
					}
					return nil
				})
			if err != nil {
				t.Fatalf("trial %d: %v", trial, err)
			}
		}
		// Kill while the 300 returns of this trial stream in (0.2 s to 0.45 s).
		time.Sleep(time.Duration(150+rand.IntN(350)) * time.Millisecond)
		e.killMaster()
		restarted := time.Now()
		e.startMaster()
		e.waitConnected(minions)
		back += time.Since(restarted)
	}
	c := e.client()
	ran := ranJobs(swarm.log.String())
	var lost []string
	deadline := time.Now().Add(60 * time.Second)
	for {
		lost = lost[:0]
		stored := storedPairs(t, c, jids)
		for pair := range ran {
			if !stored[pair] {
				lost = append(lost, pair)
			}
		}
		if len(lost) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("master SIGKILLed %d times during return streams: %d returns produced (of %d jobs × %d minions published), %d lost; restart to %d minions connected: %v on average",
		trials, len(ran), len(jids), minions, len(lost), minions, (back / trials).Round(time.Millisecond))
	if len(lost) != 0 {
		t.Fatalf("%d returns lost over %d master kills: %v", len(lost), trials, lost)
	}
}

// ranJobs parses a swarm's debug log for the jobs each minion ran, as
// "id/jid" pairs.
func ranJobs(log string) map[string]bool {
	ran := map[string]bool{}
	for _, line := range strings.Split(log, "\n") {
		// ... swarm.k12.exec: running job: jid=2026... fun=test.sleep
		_, rest, ok := strings.Cut(line, "swarm.")
		if !ok || !strings.Contains(rest, ".exec: running job:") {
			continue
		}
		id, _, _ := strings.Cut(rest, ".exec:")
		_, jid, _ := strings.Cut(rest, "jid=")
		jid, _, _ = strings.Cut(jid, " ")
		ran[id+"/"+jid] = true
	}
	return ran
}

// storedPairs is the set of "id/jid" with a stored return among jids.
func storedPairs(t *testing.T, c *master.Client, jids []string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, jid := range jids {
		rec, err := c.Job(context.Background(), jid)
		if err != nil {
			continue
		}
		for _, r := range rec.Results {
			if r.Return != nil {
				out[r.ID+"/"+jid] = true
			}
		}
	}
	return out
}

// F23: a minion killed in the middle of a job and started again reports
// it no longer runs it; the master shows the job lost, not "timed out"
// forever.
func TestKilledMinionJobIsLost(t *testing.T) {
	e := newEnv(t, "")
	m := e.startMinion("victim", "")
	e.acceptAll(1)
	e.waitConnected(1)
	out, _, code := e.cli("run", "victim", "test.sleep", "60", "--timeout", "1s", "--async")
	if code != 0 {
		t.Fatalf("async run: exit %d", code)
	}
	jid := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(out), "Executed command with job ID:"))
	if i := strings.LastIndex(jid, " "); i >= 0 {
		jid = jid[i+1:]
	}
	time.Sleep(500 * time.Millisecond) // acknowledged and running
	_ = m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.done
	e.startMinion("victim", "")
	waitFor(t, 20*time.Second, "job reported lost", func() bool {
		out, _, _ := e.cli("jobs", "show", jid)
		return strings.Contains(out, "Lost")
	})
}

// The thundering herd: 1,000 minions come back after a master restart, on
// their own and while 2,000 slowloris connections from another address
// hold the ret port. Prints both times (the README's reliability table).
func TestHerdAfterRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 minions")
	}
	const minions = 1000
	e := newEnv(t, "")
	start(t, "halite-minion", "swarm", "--count", fmt.Sprint(minions), "--id-prefix", "herd", "-c",
		e.minionConfig("swarm", "log_level: warn\n"))
	e.acceptAll(minions)
	e.waitConnected(minions)
	restart := func() time.Duration {
		e.master.stop(t)
		began := time.Now()
		e.startMaster()
		// The figure is what matters here, not a deadline: CI runs other
		// test packages on the same two cores meanwhile.
		e.waitConnectedWithin(minions, 120*time.Second)
		return time.Since(began)
	}
	plain := restart()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan attack.Report, 1)
	go func() {
		rep, _ := attack.Run(ctx, attack.Config{RetAddr: fmt.Sprintf("127.0.0.1:%d", e.ret), PubAddr: fmt.Sprintf("127.0.0.1:%d", e.pub),
			Slowloris: 2000, Hold: time.Minute})
		done <- rep
	}()
	time.Sleep(2 * time.Second) // the slowloris is in place before the restart
	loris := restart()
	cancel()
	rep := <-done
	t.Logf("master restart → all %d minions back: %v; with a slowloris of %d connections: %v",
		minions, plain.Round(10*time.Millisecond), rep.SlowlorisOpened, loris.Round(10*time.Millisecond))
}
