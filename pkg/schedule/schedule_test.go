package schedule

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseSaltShapes(t *testing.T) {
	es, err := Parse(map[string]any{
		"load":  map[string]any{"function": "status.loadavg", "seconds": 30, "splay": 5},
		"disk":  map[string]any{"function": "disk.usage", "minutes": 1, "seconds": 30, "splay": map[string]any{"start": 2, "end": 4}, "returner": "mysql", "run_on_start": false},
		"state": map[string]any{"function": "state.apply", "hours": "1", "args": []any{"web"}, "kwargs": map[string]any{"test": true}},
		"off":   map[string]any{"function": "test.ping", "seconds": 5, "enabled": false},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 3 {
		t.Fatalf("entries %+v", es)
	}
	byName := map[string]Entry{}
	for _, e := range es {
		byName[e.Name] = e
	}
	if e := byName["disk"]; e.Every != 90*time.Second || e.SplayMin != 2*time.Second || e.SplayMax != 4*time.Second || e.RunOnStart {
		t.Errorf("disk: %+v", e)
	}
	if e := byName["load"]; e.Every != 30*time.Second || e.SplayMax != 5*time.Second || !e.RunOnStart {
		t.Errorf("load: %+v", e)
	}
	if e := byName["state"]; e.Every != time.Hour || len(e.Args) != 1 || e.Kwargs["test"] != true {
		t.Errorf("state: %+v", e)
	}
	if es, _ := Parse(map[string]any{"enabled": false, "x": map[string]any{"function": "test.ping", "seconds": 1}}); len(es) != 0 {
		t.Error("schedule enabled: false still runs entries")
	}
}

func TestParseErrorsNameTheEntry(t *testing.T) {
	for raw, want := range map[string]map[string]any{
		"no interval":       {"a": map[string]any{"function": "test.ping"}},
		"no function":       {"a": map[string]any{"seconds": 5}},
		"not supported":     {"a": map[string]any{"function": "test.ping", "cron": "* * * * *"}},
		"unknown key":       {"a": map[string]any{"function": "test.ping", "seconds": 5, "secs": 1}},
		"below the minimum": {"a": map[string]any{"function": "test.ping", "seconds": 0.1}},
		"want a mapping":    {"a": "test.ping"},
		"only letters":      {"a b/c": map[string]any{"function": "test.ping", "seconds": 5}},
		"want a positive":   {"a": map[string]any{"function": "test.ping", "seconds": -1}},
		"0 <= N <= M":       {"a": map[string]any{"function": "test.ping", "seconds": 5, "splay": map[string]any{"start": 5, "end": 1}}},
	} {
		_, err := Parse(want)
		if err == nil || !strings.Contains(err.Error(), raw) {
			t.Errorf("%v: error %v, want %q", want, err, raw)
		}
	}
	// Good entries survive a bad neighbour.
	es, err := Parse(map[string]any{"bad": map[string]any{}, "good": map[string]any{"function": "test.ping", "seconds": 5}})
	if err == nil || len(es) != 1 || es[0].Name != "good" {
		t.Errorf("%v %+v", err, es)
	}
}

// Run fires entries on their interval, does not catch up in a burst,
// reschedules a changed entry and stops with its context.
func TestRunFiresOnInterval(t *testing.T) {
	var mu sync.Mutex
	fired := map[string]int{}
	entries := []Entry{
		{Name: "fast", Function: "f", Every: time.Second, RunOnStart: true},
		{Name: "slow", Function: "s", Every: time.Hour, RunOnStart: false},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	Run(ctx, 10*time.Millisecond, func() []Entry { return entries }, func(e Entry) {
		mu.Lock()
		fired[e.Name]++
		mu.Unlock()
	})
	if fired["fast"] < 2 || fired["fast"] > 4 {
		t.Errorf("fast fired %d times in 2.5s (every 1s, on start)", fired["fast"])
	}
	if fired["slow"] != 0 {
		t.Errorf("slow (run_on_start false, hourly) fired %d times", fired["slow"])
	}
}
