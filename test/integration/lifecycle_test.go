package integration

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/master"
)

// A new minion shows up pending; once accepted it gets jobs within 2 s,
// without restarting.
func TestPendingThenAcceptedWithoutRestart(t *testing.T) {
	c := newCluster(t, nil)
	rm := c.startMinion(c.minionConfig("fresh", nil))
	ctx := context.Background()
	waitFor(t, 10*time.Second, "pending key", func() bool {
		ks, _ := c.client.Keys(ctx)
		return len(ks) == 1 && ks[0].ID == "fresh" && ks[0].State == "pending"
	})
	// A pending minion gets nothing: the target matches no accepted minion.
	if jr := c.run(&master.RunRequest{Target: "*", Fun: "test.ping"}); len(jr.expected) != 0 {
		t.Fatalf("pending minion was targeted: %v", jr.expected)
	}
	accepted := time.Now()
	if _, err := c.client.KeyAction(ctx, "accept", "fresh", false); err != nil {
		t.Fatal(err)
	}
	var jr *jobResult
	for time.Since(accepted) < 2*time.Second {
		jr = c.run(&master.RunRequest{Target: "*", Fun: "test.ping", Timeout: "1s"})
		if jr.returns["fresh"].Return == true {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if jr.returns["fresh"].Return != true {
		t.Fatalf("accepted minion did not answer within 2s: %v", jr.states)
	}
	t.Logf("accept → first successful test.ping: %v", time.Since(accepted).Round(time.Millisecond))
	if n := strings.Count(rm.log.String(), "authenticated with master"); n != 1 {
		t.Errorf("minion authenticated %d times, want 1 (no restart, no re-auth)", n)
	}
}

// After `keys delete m2`, what the master publishes is not decryptable
// with m2's last keys, while m1 keeps working without re-authenticating.
func TestDeletedMinionCannotReadLaterJobs(t *testing.T) {
	c := newCluster(t, nil)
	m1 := c.acceptedMinions("m1-", 1, nil)[0]
	ctx := context.Background()

	m2 := newRogueMinion(t, c, "m2")
	if st := m2.auth(); st != crypto.StatusPending {
		t.Fatalf("m2: %s", st)
	}
	if _, err := c.client.KeyAction(ctx, "accept", "m2", false); err != nil {
		t.Fatal(err)
	}
	if st := m2.readAuthReply(); st != crypto.StatusAccepted {
		t.Fatalf("m2 after accept: %s", st)
	}
	sub := subscribe(t, c, "m2")
	time.Sleep(200 * time.Millisecond) // let the subscription settle

	// Before deletion m2 reads published jobs (a compound target is
	// published; an id target would be private to m1-0).
	c.run(&master.RunRequest{Target: "m1-0", TargetType: "compound", Fun: "test.ping"})
	env := nextEnvelope(t, sub)
	if _, _, err := crypto.OpenPublished(m2.keyring.Lookup, masterPub(t, c), env); err != nil {
		t.Fatalf("m2 could not read a job before deletion: %v", err)
	}

	if _, err := c.client.KeyAction(ctx, "delete", "m2", false); err != nil {
		t.Fatal(err)
	}
	jr := c.run(&master.RunRequest{Target: "*", Fun: "test.echo", Args: []any{"after delete"}})
	if jr.returns["m1-0"].Return != "after delete" {
		t.Fatalf("m1 after m2's deletion: %v", jr.states)
	}
	if _, ok := jr.states["m2"]; ok {
		t.Fatalf("deleted m2 still targeted: %v", jr.states)
	}
	env = nextEnvelope(t, sub)
	_, _, err := crypto.OpenPublished(m2.keyring.Lookup, masterPub(t, c), env)
	if !errors.Is(err, crypto.ErrUnknownEpoch) {
		t.Fatalf("m2 opened a job published after its deletion (err=%v)", err)
	}
	if n := strings.Count(m1.log.String(), "authenticated with master"); n != 1 {
		t.Errorf("m1 authenticated %d times, want 1: the new key is pushed, not re-negotiated", n)
	}
	if !strings.Contains(m1.log.String(), "publish key rotated by master") {
		t.Error("m1 did not log the pushed rotation")
	}
}

func nextEnvelope(t *testing.T, s *subscriber) []byte {
	t.Helper()
	select {
	case env, ok := <-s.msgs:
		if !ok {
			t.Fatal("subscription closed")
		}
		return env
	case <-time.After(5 * time.Second):
		t.Fatal("no published message within 5s")
	}
	return nil
}

func masterPub(t *testing.T, c *cluster) crypto.MasterPublic {
	t.Helper()
	pub, err := crypto.ReadMasterPublicFile(c.cfg.PKIDir + "/master.pub")
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// Killing the master and starting it again: every minion reconnects and
// answers within 15 s; returns produced meanwhile are delivered; jobs
// survive in the store.
func TestMasterRestart(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("r", 5, nil)
	before := c.run(&master.RunRequest{Target: "*", Fun: "test.ping"})
	if len(before.returns) != 5 {
		t.Fatalf("before restart: %v", before.states)
	}
	// A job still running when the master goes away returns later.
	slow := c.run(&master.RunRequest{Target: "r0", Fun: "test.sleep", Args: []any{2}, Timeout: "500ms"})
	if slow.states["r0"] != "timed-out" {
		t.Fatalf("slow job: %v", slow.states)
	}
	c.stopMaster()
	time.Sleep(2500 * time.Millisecond) // r0's return is produced while the master is down
	restarted := time.Now()
	c.startMaster()
	var jr *jobResult
	for time.Since(restarted) < 15*time.Second {
		jr = c.run(&master.RunRequest{Target: "*", Fun: "test.ping", Timeout: "2s"})
		if len(jr.returns) == 5 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if len(jr.returns) != 5 {
		t.Fatalf("after restart only %v answered", jr.returnedIDs())
	}
	t.Logf("restart → all 5 answering: %v", time.Since(restarted).Round(time.Millisecond))
	ctx := context.Background()
	waitFor(t, 10*time.Second, "spooled return stored", func() bool {
		rec, err := c.client.Job(ctx, slow.jid)
		if err != nil {
			return false
		}
		for _, r := range rec.Results {
			if r.ID == "r0" && r.Return != nil && r.Return.Return == true {
				return true
			}
		}
		return false
	})
	js, err := c.client.Jobs(ctx, jobstore.JobFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, j := range js {
		found = found || j.JID == before.jid
	}
	if !found {
		t.Errorf("job %s from before the restart is not listed", before.jid)
	}
}

// Shutting a master and its minions down leaves no socket or file open
// (and, checked by TestMain, no goroutine).
func TestShutdownLeavesNoOpenFiles(t *testing.T) {
	before := openFDs(t)
	c := newCluster(t, nil)
	c.acceptedMinions("leak", 5, nil)
	if jr := c.run(&master.RunRequest{Target: "*", Fun: "test.ping"}); len(jr.returns) != 5 {
		t.Fatalf("states %v", jr.states)
	}
	during := openFDs(t)
	c.stop()
	waitFor(t, 5*time.Second, "descriptors released", func() bool { return openFDs(t) <= before })
	t.Logf("open descriptors: %d before, %d with master + 5 minions, %d after shutdown", before, during, openFDs(t))
}

func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}
