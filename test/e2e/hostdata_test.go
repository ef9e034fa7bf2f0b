package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/halite/halite/pkg/events"
)

// eventLog collects the master's events from the moment it is made.
type eventLog struct {
	mu   sync.Mutex
	evs  []events.Event
	stop context.CancelFunc
}

func (e *env) watchEvents() *eventLog {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &eventLog{stop: cancel}
	ready := make(chan struct{})
	go func() {
		_ = e.client().Events(ctx, func(_ []byte, ev events.Event) error {
			l.mu.Lock()
			l.evs = append(l.evs, ev)
			l.mu.Unlock()
			return nil
		})
	}()
	// The subscription is live once the bus counts it.
	go func() {
		defer close(ready)
		for ctx.Err() == nil {
			if regexp.MustCompile(`(?m)^halite_event_subscribers [1-9]`).MatchString(e.scrape()) {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	<-ready
	e.t.Cleanup(cancel)
	return l
}

// find returns the first event whose tag matches re.
func (l *eventLog) find(re string) (events.Event, bool) {
	r := regexp.MustCompile(re)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ev := range l.evs {
		if r.MatchString(ev.Tag) {
			return ev, true
		}
	}
	return events.Event{}, false
}

// metric returns the value of the first sample line of /metrics that
// starts with series (name and labels as printed), and whether it is there.
func metric(text, series string) (float64, bool) {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil
}

// A scheduled status.loadavg shows up as a gauge for every minion; a
// minion killed with SIGKILL is down (event and halite_minion_up 0)
// within its heartbeat bound, and up again when it comes back.
func TestScheduledHostDataAndMinionDown(t *testing.T) {
	e := newEnv(t, "")
	sched := "schedule:\n  load:\n    function: status.loadavg\n    seconds: 1\n  disk:\n    function: disk.usage\n    seconds: 1\n    splay: 1\n"
	ids := []string{"hd1", "hd2", "hd3"}
	procs := map[string]*proc{}
	for _, id := range ids {
		procs[id] = e.startMinion(id, sched)
	}
	e.acceptAll(3)
	e.waitConnected(3)
	evs := e.watchEvents()

	// Two intervals (plus the splay of one second) after the minions
	// started, every one has reported both functions.
	waitFor(t, 3*time.Second, "halite_minion_value for status.loadavg and disk.usage of every minion", func() bool {
		text := e.scrape()
		for _, id := range ids {
			if _, ok := metric(text, fmt.Sprintf(`halite_minion_value{fun="status.loadavg",key="1-min",minion=%q}`, id)); !ok {
				return false
			}
			if _, ok := metric(text, fmt.Sprintf(`halite_minion_value{fun="disk.usage",key="/.capacity",minion=%q}`, id)); !ok {
				return false
			}
		}
		return true
	})
	text := e.scrape()
	for _, id := range ids {
		if v, ok := metric(text, fmt.Sprintf(`halite_minion_up{minion=%q}`, id)); !ok || v != 1 {
			t.Errorf("halite_minion_up for %s = %v, %v; want 1", id, v, ok)
		}
	}
	// The runs are stored as jobs too.
	out, _, code := e.cli("jobs", "list", "--out", "json")
	if code != 0 || !contains(out, `"status.loadavg"`) {
		t.Errorf("jobs list does not show the scheduled runs: %d %s", code, tail(out, 500))
	}

	killed := time.Now()
	if err := procs["hd2"].cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-procs["hd2"].done
	waitFor(t, 10*time.Second, "the down event of hd2", func() bool {
		_, ok := evs.find(`^halite/minion/hd2/down$`)
		return ok
	})
	t.Logf("down event %v after SIGKILL (heartbeat 1s)", time.Since(killed).Round(10*time.Millisecond))
	if v, ok := metric(e.scrape(), `halite_minion_up{minion="hd2"}`); !ok || v != 0 {
		t.Errorf("halite_minion_up for the killed minion = %v, %v; want 0", v, ok)
	}
	if _, ok := evs.find(`^halite/minion/hd[13]/down$`); ok {
		t.Error("a live minion was declared down")
	}

	e.startMinion("hd2", sched)
	waitFor(t, 15*time.Second, "the up event of hd2", func() bool {
		_, up := evs.find(`^halite/minion/hd2/up$`)
		_, started := evs.find(`^halite/minion/hd2/start$`)
		return up && started
	})
	if v, _ := metric(e.scrape(), `halite_minion_up{minion="hd2"}`); v != 1 {
		t.Errorf("halite_minion_up after the restart = %v; want 1", v)
	}
}

// Failed SSH logins appended to the auth log show up as a counter on the
// master and, past the burst threshold, as an event.
func TestLoginBeacon(t *testing.T) {
	e := newEnv(t, "")
	authLog := filepath.Join(t.TempDir(), "auth.log")
	if err := os.WriteFile(authLog, []byte("old line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.startMinion("lb1", fmt.Sprintf("beacons:\n  login:\n    - files: [%s]\n    - interval: 1\n    - burst: 5\n", authLog))
	e.acceptAll(1)
	e.waitConnected(1)
	evs := e.watchEvents()
	time.Sleep(1500 * time.Millisecond) // the beacon notes where the log ends
	f, err := os.OpenFile(authLog, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		fmt.Fprintf(f, "Dec  2 10:00:%02d lb1 sshd[4242]: Failed password for invalid user admin%d from 203.0.113.7 port %d ssh2\n", i, i, 40000+i)
	}
	fmt.Fprintf(f, "Dec  2 10:00:09 lb1 sshd[4243]: Accepted publickey for deploy from 198.51.100.2 port 50000 ssh2: ED25519 SHA256:x\n")
	f.Close()
	waitFor(t, 10*time.Second, "the login counters", func() bool {
		text := e.scrape()
		failed, _ := metric(text, `halite_logins_total{minion="lb1",result="failed",service="sshd"}`)
		ok, _ := metric(text, `halite_logins_total{minion="lb1",result="ok",service="sshd"}`)
		return failed == 6 && ok == 1
	})
	ev, ok := evs.find(`^halite/beacon/lb1/login$`)
	if !ok {
		t.Fatal("no burst event")
	}
	data, _ := ev.Data["data"].(map[string]any)
	if fmt.Sprint(data["failed"]) != "6" {
		t.Errorf("burst event data: %v", ev.Data)
	}
}
