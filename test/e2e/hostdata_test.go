package e2e

import (
	"context"
	"fmt"
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
