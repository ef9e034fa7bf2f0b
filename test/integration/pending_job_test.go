package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/master"
)

// A job published while a minion's key is pending must not run on it
// when the key is accepted a moment later (operator issue, item 5): only
// minions accepted and targeted at publish time run a job.
func TestJobSentWhilePendingDoesNotRunAfterAcceptance(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("acc", 1, nil)
	rm := c.startMinion(c.minionConfig("late", nil))
	waitFor(t, 10*time.Second, "late pending", func() bool {
		ks, _ := c.client.Keys(context.Background())
		for _, k := range ks {
			if k.ID == "late" && k.State == "pending" {
				return true
			}
		}
		return false
	})
	jr := c.run(&master.RunRequest{Target: "*", Fun: "test.ping", Async: true})
	if _, err := c.client.KeyAction(context.Background(), "accept", "late", false); err != nil {
		t.Fatal(err)
	}
	<-rm.m.Authenticated()
	time.Sleep(4 * time.Second) // past the minion's park window
	rec, err := c.client.Job(context.Background(), jr.jid)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.Results {
		if r.ID == "late" {
			t.Fatalf("the job published while late was pending has a result for it: %+v", r)
		}
	}
	// It reached late (parked for the key it did not have yet), and was
	// refused as published before late was accepted.
	if !strings.Contains(rm.log.String(), "refused replayed job: published before this minion started: jid="+jr.jid) {
		t.Fatalf("late did not refuse the job:\n%s", rm.log.String())
	}
}
