package integration

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/events"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/master"
)

// fleetGrains gives 20 minions distinct grains: even ones are Debian web
// servers, odd ones RedHat db servers; every fifth is in "dc2"; each has
// its own 10.1.0.x address.
func fleetGrains(i int) map[string]any {
	g := map[string]any{
		"roles":    []any{"base"},
		"dc":       "dc1",
		"ipv4":     []any{"127.0.0.1", fmt.Sprintf("10.1.%d.%d", i/10, i)},
		"location": map[string]any{"rack": fmt.Sprintf("r%d", i%3)},
	}
	if i%2 == 0 {
		g["os"], g["os_family"] = "Debian", "Debian"
		g["roles"] = []any{"base", "web"}
	} else {
		g["os"], g["os_family"] = "CentOS", "RedHat"
		g["roles"] = []any{"base", "db"}
	}
	if i%5 == 0 {
		g["dc"] = "dc2"
	}
	return g
}

func ids(prefix string, idx ...int) []string {
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		out = append(out, fmt.Sprintf("%s%d", prefix, i))
	}
	sort.Strings(out)
	return out
}

func TestTargetingTwentyMinions(t *testing.T) {
	c := newCluster(t, func(cfg *config.Master) {
		cfg.Nodegroups = map[string]any{
			"dc2web": "G@dc:dc2 and G@roles:web",
			"pair":   []any{"n3", "n4"},
		}
	})
	c.acceptedMinions("n", 20, fleetGrains)
	even, odd, all := []int{}, []int{}, []int{}
	for i := range 20 {
		all = append(all, i)
		if i%2 == 0 {
			even = append(even, i)
		} else {
			odd = append(odd, i)
		}
	}
	cases := []struct {
		typ, tgt string
		want     []string
	}{
		{"glob", "*", ids("n", all...)},
		{"glob", "n1?", ids("n", 10, 11, 12, 13, 14, 15, 16, 17, 18, 19)},
		{"pcre", `n[0-3]$`, ids("n", 0, 1, 2, 3)},
		{"list", "n2,n7,nope", ids("n", 2, 7)},
		{"grain", "os:Debian", ids("n", even...)},
		{"grain", "roles:db", ids("n", odd...)},
		{"grain", "location:rack:r1", ids("n", 1, 4, 7, 10, 13, 16, 19)},
		{"grain_pcre", "os:(Cent|Red).*", ids("n", odd...)},
		{"ipcidr", "10.1.1.0/24", ids("n", 10, 11, 12, 13, 14, 15, 16, 17, 18, 19)},
		{"compound", "G@os:Debian and n1* or L@n3,n5", ids("n", 3, 5, 10, 12, 14, 16, 18)},
		{"compound", "not G@roles:web and ( G@dc:dc2 or n1 )", ids("n", 1, 5, 15)},
		{"nodegroup", "dc2web", ids("n", 0, 10)},
		{"nodegroup", "pair", ids("n", 3, 4)},
		{"compound", "N@pair or S@10.1.0.9", ids("n", 3, 4, 9)},
	}
	for _, tc := range cases {
		t.Run(tc.typ+" "+tc.tgt, func(t *testing.T) {
			ex := c.run(&master.RunRequest{Target: tc.tgt, TargetType: tc.typ, Fun: "test.ping", Explain: true})
			if got := nonNilSorted(ex.explain.Expected); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("explain: got %v, want %v", got, tc.want)
			}
			if ex.jid != "" {
				t.Error("explain published a job")
			}
			jr := c.run(&master.RunRequest{Target: tc.tgt, TargetType: tc.typ, Fun: "test.ping"})
			if got := jr.returnedIDs(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("returned: got %v, want %v (states %v)", got, tc.want, jr.states)
			}
		})
	}
}

func nonNilSorted(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

// Two of twenty stopped: the others answer, the two are offline at once,
// and the job ends long before its timeout.
func TestOfflineReportedAtOnce(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("o", 20, nil)
	c.stopMinion("o3")
	c.stopMinion("o17")
	waitFor(t, 10*time.Second, "master notices", func() bool {
		ms, _ := c.client.Minions(context.Background())
		conn := 0
		for _, m := range ms {
			if m.Connected {
				conn++
			}
		}
		return conn == 18
	})
	jr := c.run(&master.RunRequest{Target: "*", Fun: "test.ping", Timeout: "10s"})
	if len(jr.returns) != 18 || jr.states["o3"] != "offline" || jr.states["o17"] != "offline" {
		t.Fatalf("states: %v", jr.states)
	}
	if jr.elapsed > 3*time.Second {
		t.Errorf("job took %v; offline minions must not make it wait for the 10s timeout", jr.elapsed)
	}
	if jr.summary.Offline != 2 || jr.summary.Returned != 18 {
		t.Errorf("summary: %+v", jr.summary)
	}
	t.Logf("18 returned, 2 offline in %v", jr.elapsed.Round(time.Millisecond))
}

// A long job is reported timed-out at the deadline; its return is stored
// when it arrives and shows in jobs show.
func TestTimedOutThenStored(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("s", 2, nil)
	jr := c.run(&master.RunRequest{Target: "s0", Fun: "test.sleep", Args: []any{3}, Timeout: "1s"})
	if jr.states["s0"] != "timed-out" {
		t.Fatalf("states: %v", jr.states)
	}
	if jr.elapsed < 900*time.Millisecond || jr.elapsed > 2500*time.Millisecond {
		t.Errorf("timed out after %v, want ~1s", jr.elapsed)
	}
	waitFor(t, 10*time.Second, "late return stored", func() bool {
		rec, err := c.client.Job(context.Background(), jr.jid)
		return err == nil && len(rec.Results) == 1 && rec.Results[0].Return != nil && rec.Results[0].Return.Return == true
	})
}

func TestFailuresAndUnknownFunction(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("f", 2, nil)
	jr := c.run(&master.RunRequest{Target: "*", Fun: "cmd.run", Args: []any{"exit 3"}})
	for _, id := range []string{"f0", "f1"} {
		if r := jr.returns[id]; r.Retcode != 3 || r.Success {
			t.Errorf("%s: cmd.run 'exit 3' gave retcode %d success %v", id, r.Retcode, r.Success)
		}
	}
	jr = c.run(&master.RunRequest{Target: "*", Fun: "nosuch.function"})
	for _, id := range []string{"f0", "f1"} {
		r := jr.returns[id]
		if r.Success || r.Retcode == 0 || fmt.Sprint(r.Return) != "'nosuch.function' is not available." {
			t.Errorf("%s: unknown function gave %+v", id, r)
		}
	}
	if jr.summary.Failed != 2 {
		t.Errorf("summary %+v", jr.summary)
	}
}

func TestBatchRollout(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("b", 6, nil)
	jr := c.run(&master.RunRequest{Target: "*", Fun: "test.sleep", Args: []any{0.2}, Batch: "2"})
	if len(jr.returns) != 6 {
		t.Fatalf("batch: %v", jr.states)
	}
	// Six 0.2 s jobs two at a time take at least three rounds.
	if jr.elapsed < 550*time.Millisecond {
		t.Errorf("batch of 2 finished in %v: not batched", jr.elapsed)
	}
	jr = c.run(&master.RunRequest{Target: "*", Fun: "cmd.run", Args: []any{"exit 1"}, Batch: "1", BatchFail: "1"})
	// Regression: --batch 1 --batch-fail 1 ran a second failing minion
	// before stopping. The rollout stops at the first failure.
	if jr.summary.Skipped != 5 || jr.summary.Returned != 1 {
		t.Errorf("failure budget of 1 did not stop the rollout at the first failure: %+v", jr.summary)
	}
	// jobs show says so too: the minions never reached are skipped, not
	// pending for ever.
	rec, err := c.client.Job(context.Background(), jr.jid)
	if err != nil {
		t.Fatal(err)
	}
	skipped := 0
	for _, r := range rec.Results {
		switch r.State {
		case jobstore.StateSkipped:
			skipped++
		case jobstore.StatePending:
			t.Errorf("%s is still pending in the stored job", r.ID)
		}
	}
	if skipped != jr.summary.Skipped {
		t.Errorf("stored job has %d skipped, the run reported %d", skipped, jr.summary.Skipped)
	}
}

func TestAsyncThenJobsShow(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("a", 3, nil)
	jr := c.run(&master.RunRequest{Target: "*", Fun: "test.echo", Args: []any{"later"}, Async: true})
	if jr.jid == "" || len(jr.returns) != 0 {
		t.Fatalf("async: %+v", jr)
	}
	waitFor(t, 10*time.Second, "async returns stored", func() bool {
		rec, err := c.client.Job(context.Background(), jr.jid)
		if err != nil {
			return false
		}
		n := 0
		for _, r := range rec.Results {
			if r.Return != nil && r.Return.Return == "later" {
				n++
			}
		}
		return n == 3
	})
	audit, err := c.client.Audit(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range audit {
		found = found || e.JID == jr.jid && e.Fun == "test.echo" && e.User != ""
	}
	if !found {
		t.Errorf("no audit record with user for job %s", jr.jid)
	}
}

// `halite-master events` streams a job's new and return events.
func TestEventStream(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("ev", 2, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	tags := make(chan string, 64)
	done := make(chan error, 1)
	go func() {
		done <- c.client.Events(ctx, func(_ []byte, ev events.Event) error {
			tags <- ev.Tag
			return nil
		})
	}()
	time.Sleep(200 * time.Millisecond) // let the subscription start
	jr := c.run(&master.RunRequest{Target: "*", Fun: "test.ping"})
	want := map[string]bool{
		"halite/job/" + jr.jid + "/new":     false,
		"halite/job/" + jr.jid + "/ret/ev0": false,
		"halite/job/" + jr.jid + "/ret/ev1": false,
	}
	deadline := time.After(10 * time.Second)
	for missing := len(want); missing > 0; {
		select {
		case tag := <-tags:
			if seen, ok := want[tag]; ok && !seen {
				want[tag] = true
				missing--
			}
		case <-deadline:
			t.Fatalf("events not seen: %v", want)
		}
	}
	cancel()
	<-done
}
