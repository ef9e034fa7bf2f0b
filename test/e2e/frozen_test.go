package e2e

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/master"
)

// One frozen minion (SIGSTOP) among 50 must not stall the others: 2,000
// published jobs of 2 KB reach the 49 healthy minions, the master's memory
// stays bounded, the frozen one is reported and recovers after SIGCONT.
func TestFrozenMinionDoesNotStallFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("heavy: 98,000 returns")
	}
	e := newEnv(t, "")
	start(t, "halite-minion", "swarm", "--count", "49", "--id-prefix", "h", "-c", e.minionConfig("swarm", "log_level: warn\n"))
	frozen := e.startMinion("frozen", "")
	e.acceptAll(50)
	e.waitConnected(50)
	ctx := context.Background()
	c := e.client()

	if err := frozen.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	rssBefore := rssKiB(t, e.master.cmd.Process.Pid)
	payload := strings.Repeat("x", 2048)
	const jobs = 2000
	jids := make([]string, 0, jobs)
	began := time.Now()
	for range jobs {
		err := c.Run(ctx, &master.RunRequest{Target: "*", Fun: "test.echo", Args: []any{payload}, Async: true}, func(ev master.RunEvent) error {
			if ev.Type == "start" {
				jids = append(jids, ev.JID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	published := time.Since(began)
	// Every healthy minion answers every job.
	waitFor(t, 120*time.Second, "49 returns for each of 2000 jobs", func() bool {
		js, err := c.Jobs(ctx, jobstore.JobFilter{Limit: jobs})
		if err != nil || len(js) < jobs {
			return false
		}
		for _, j := range js {
			if j.Returned < 49 {
				return false
			}
		}
		return true
	})
	all := time.Since(began)
	rssAfter := rssKiB(t, e.master.cmd.Process.Pid)
	t.Logf("2000 jobs × 2 KB published in %v; all 98,000 healthy returns stored after %v; master RSS %d → %d KiB",
		published.Round(time.Millisecond), all.Round(time.Millisecond), rssBefore, rssAfter)
	if rssAfter > 400*1024 {
		t.Errorf("master RSS grew to %d KiB with one frozen subscriber", rssAfter)
	}
	for _, jid := range jids[len(jids)-3:] {
		rec, err := c.Job(ctx, jid)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rec.Results {
			if r.ID != "frozen" && (r.Return == nil || r.Return.Return != payload) {
				t.Fatalf("job %s: %s returned %+v", jid, r.ID, r.Return)
			}
		}
	}
	// The frozen minion is found out: its subscription is dropped and reported.
	waitFor(t, 30*time.Second, "frozen subscriber reported", func() bool {
		return strings.Contains(e.master.log.String(), "minion stopped reading published jobs") && strings.Contains(e.master.log.String(), "id=frozen")
	})
	// After SIGCONT it reconnects and takes new jobs.
	if err := frozen.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "frozen minion answers after SIGCONT", func() bool {
		out, _, code := e.cli("run", "frozen", "test.ping", "--out", "json", "--timeout", "2s")
		return code == 0 && strings.Contains(out, `"frozen": true`)
	})
}

func rssKiB(t *testing.T, pid int) int { return procStatusKiB(t, pid, "VmRSS") }

// procStatusKiB reads a kB field (VmRSS, VmHWM, ...) of /proc/PID/status.
func procStatusKiB(t *testing.T, pid int, field string) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field+":" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}
