package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/master"
)

// A rejected minion still receives the jobs published to others (it
// cannot read them): it says so once per publish key, not once per job
// (operator issue, item 10).
func TestRejectedMinionWarnsOncePerEpoch(t *testing.T) {
	c := newCluster(t, nil)
	rms := c.acceptedMinions("n", 2, nil)
	c.waitConnected(2)
	if _, err := c.client.KeyAction(context.Background(), "reject", "n1", false); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		c.run(&master.RunRequest{Target: "n0", Fun: "test.ping"})
		time.Sleep(1500 * time.Millisecond) // each job parks, then expires
	}
	time.Sleep(3 * time.Second)
	log := rms[1].log.String()
	if n := strings.Count(log, "jobs arrived under a publish key this minion was never given"); n != 1 {
		t.Fatalf("warned %d times for one publish key:\n%s", n, log)
	}
}
