package integration

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halite/halite/pkg/events"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/master"
)

// eventLog collects the master's events from the API while a test runs.
type eventLog struct {
	mu   sync.Mutex
	tags []string
}

func (e *eventLog) has(prefix string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range e.tags {
		if strings.HasPrefix(t, prefix) {
			return true
		}
	}
	return false
}

func watchEvents(t *testing.T, c *cluster) *eventLog {
	el := &eventLog{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.client.EventsMatching(ctx, "", func(_ []byte, ev events.Event) error {
			el.mu.Lock()
			el.tags = append(el.tags, ev.Tag)
			el.mu.Unlock()
			return nil
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	time.Sleep(100 * time.Millisecond) // subscribed
	return el
}

// Acceptance 4 of the ChatOps issue: log, maintenance start and resolve
// ticket appear in the ops log, the audit and the events; a minion in
// maintenance is skipped by run '*' (and counted so), and its death
// raises no down event, while another minion's does.
func TestOpsLogAndMaintenance(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("m", 3, nil)
	c.waitConnected(3)
	el := watchEvents(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	if _, err := c.client.AddLog(ctx, jobstore.OpsEntry{Text: "Upgraded redis to 2.8.19"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.client.AddLog(ctx, jobstore.OpsEntry{Text: "Ended up just needing to restart Apache", Ticket: "8", Tags: []string{"ticket"}}); err != nil {
		t.Fatal(err)
	}
	res, err := c.client.Maintenance(ctx, master.MaintenanceRequest{Action: "start", Target: "m0", Reason: "disk swap"})
	if err != nil || len(res.Minions) != 1 {
		t.Fatalf("maintenance start: %+v %v", res, err)
	}
	l, err := c.client.Log(ctx, "1h", "", 0)
	if err != nil || len(l) != 3 || l[2].Text != "maintenance start: m0 — disk swap" || l[1].Ticket != "8" {
		t.Fatalf("ops log: %+v %v", l, err)
	}
	if g, _ := c.client.Log(ctx, "", "redis", 0); len(g) != 1 {
		t.Fatalf("grep: %+v", g)
	}
	audit, _ := c.client.Audit(ctx, 20)
	var logged, maint bool
	for _, e := range audit {
		logged = logged || e.Action == "log" && e.Target == "8"
		maint = maint || e.Action == "log" && strings.Contains(e.Outcome, "maintenance start: m0")
	}
	if !logged || !maint {
		t.Fatalf("audit: %+v", audit)
	}
	waitFor(t, 5*time.Second, "log and maintenance events", func() bool {
		return el.has("halite/ops/log") && el.has("halite/maintenance/start")
	})
	ms, _ := c.client.Minions(ctx)
	for _, mi := range ms {
		if (mi.Maintenance != nil) != (mi.ID == "m0") {
			t.Fatalf("minions: %s maintenance %+v", mi.ID, mi.Maintenance)
		}
	}

	jr := c.run(&master.RunRequest{Target: "*", Fun: "test.ping"})
	if jr.states["m0"] != "maintenance" || jr.states["m1"] != "returned" || jr.summary.Maintenance != 1 || jr.summary.Returned != 2 {
		t.Fatalf("run '*': %v %+v", jr.states, jr.summary)
	}
	if jr := c.run(&master.RunRequest{Target: "m0", Fun: "test.ping", IncludeMaintenance: true}); jr.states["m0"] != "returned" {
		t.Fatalf("--include-maintenance: %v", jr.states)
	}

	// m0 (in maintenance) and m1 die: only m1 is reported down.
	c.stopMinion("m0")
	c.stopMinion("m1")
	waitFor(t, 30*time.Second, "m1 down", func() bool { return el.has("halite/minion/m1/down") })
	time.Sleep(2 * time.Second)
	if el.has("halite/minion/m0/down") {
		t.Fatal("a minion in maintenance was reported down")
	}
	if res, err := c.client.Maintenance(ctx, master.MaintenanceRequest{Action: "stop", Target: "m0"}); err != nil || len(res.Minions) != 1 {
		t.Fatalf("maintenance stop: %+v %v", res, err)
	}
}
