// Package schedule reads a minion's `schedule:` (Salt's shape, from the
// minion config or its pillar) and runs its entries on their intervals
// with splay. What a run does is the caller's: the minion runs the
// function and returns the result to the master like a job.
package schedule

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/halite/halite/pkg/value"
	"github.com/halite/halite/pkg/wire"
)

// Entry is one scheduled function.
type Entry struct {
	Name     string
	Function string
	Args     []any
	Kwargs   map[string]any
	Every    time.Duration
	// SplayMin and SplayMax bound the random delay added to each run
	// (Salt's splay: N, or {start, end}).
	SplayMin, SplayMax time.Duration
	// RunOnStart runs the entry when the schedule starts (Salt's
	// default), after its splay; false waits one interval first.
	RunOnStart bool
}

// MinEvery bounds how often an entry may run.
const MinEvery = time.Second

// ignored are Salt schedule keys that change nothing here (returners are
// the master's business; a return always goes to the master).
var ignored = map[string]bool{
	"returner": true, "return_job": true, "jid_include": true, "maxrunning": true,
	"persist": true, "metadata": true, "return_config": true, "return_kwargs": true,
}

// Parse reads a schedule map. A top-level `enabled: false` turns the whole
// schedule off; an entry with `enabled: false` is skipped. Errors name the
// entry; the entries that parse are returned with them.
func Parse(raw map[string]any) ([]Entry, error) {
	if on, ok := raw["enabled"].(bool); ok && !on {
		return nil, nil
	}
	var out []Entry
	var errs []error
	names := make([]string, 0, len(raw))
	for k := range raw {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "enabled" {
			continue
		}
		if err := wire.CheckSourceName(name); err != nil {
			errs = append(errs, fmt.Errorf("schedule: %w", err))
			continue
		}
		m, ok := raw[name].(map[string]any)
		if !ok {
			errs = append(errs, fmt.Errorf("schedule %s: want a mapping", name))
			continue
		}
		e, skip, err := parseEntry(name, m)
		if err != nil {
			errs = append(errs, fmt.Errorf("schedule %s: %w", name, err))
			continue
		}
		if !skip {
			out = append(out, e)
		}
	}
	return out, join(errs)
}

func parseEntry(name string, m map[string]any) (e Entry, skip bool, err error) {
	e = Entry{Name: name, RunOnStart: true}
	for k, v := range m {
		switch k {
		case "function", "fun":
			s, ok := v.(string)
			if !ok || s == "" {
				return e, false, fmt.Errorf("%s: want a function name", k)
			}
			e.Function = s
		case "args", "arg":
			switch a := v.(type) {
			case []any:
				e.Args = a
			case nil:
			default:
				e.Args = []any{a}
			}
		case "kwargs", "kwarg":
			if v == nil {
				continue
			}
			kw, ok := v.(map[string]any)
			if !ok {
				return e, false, fmt.Errorf("kwargs: want a mapping")
			}
			e.Kwargs = kw
		case "seconds", "minutes", "hours", "days":
			n, ok := value.Number(v)
			if !ok || n <= 0 {
				return e, false, fmt.Errorf("%s: want a positive number", k)
			}
			unit := map[string]time.Duration{"seconds": time.Second, "minutes": time.Minute, "hours": time.Hour, "days": 24 * time.Hour}[k]
			e.Every += time.Duration(n * float64(unit)) // Salt adds them up
		case "splay":
			switch s := v.(type) {
			case map[string]any:
				lo, ok1 := value.Number(s["start"])
				hi, ok2 := value.Number(s["end"])
				if !ok1 || !ok2 || lo < 0 || hi < lo {
					return e, false, fmt.Errorf("splay: want {start: N, end: M} with 0 <= N <= M")
				}
				e.SplayMin, e.SplayMax = secs(lo), secs(hi)
			default:
				n, ok := value.Number(v)
				if !ok || n < 0 {
					return e, false, fmt.Errorf("splay: want seconds")
				}
				e.SplayMax = secs(n)
			}
		case "run_on_start":
			b, ok := v.(bool)
			if !ok {
				return e, false, fmt.Errorf("run_on_start: want true or false")
			}
			e.RunOnStart = b
		case "enabled":
			if b, ok := v.(bool); ok && !b {
				skip = true
			}
		case "cron", "when", "once", "range", "until", "after", "skip_explicit":
			return e, false, fmt.Errorf("%s is not supported; use seconds, minutes, hours or days", k)
		default:
			if !ignored[k] {
				return e, false, fmt.Errorf("unknown key %q", k)
			}
		}
	}
	if e.Function == "" {
		return e, false, fmt.Errorf("no function")
	}
	if e.Every == 0 {
		return e, false, fmt.Errorf("no interval: set seconds, minutes, hours or days")
	}
	if e.Every < MinEvery {
		return e, false, fmt.Errorf("interval %s is below the minimum %s", e.Every, MinEvery)
	}
	return e, skip, nil
}

func secs(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }

func join(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	if len(errs) == 1 {
		return errs[0]
	}
	msg := errs[0].Error()
	for _, e := range errs[1:] {
		msg += "; " + e.Error()
	}
	return fmt.Errorf("%s", msg)
}

// splay picks the delay of one run.
func (e Entry) splay() time.Duration {
	if e.SplayMax <= e.SplayMin {
		return e.SplayMin
	}
	return e.SplayMin + rand.N(e.SplayMax-e.SplayMin)
}

// Run runs the schedule until ctx ends. entries is asked again every tick
// (the pillar part of a schedule changes with the pillar); an entry whose
// definition changed starts over. fire must not block for long: the
// caller runs the function on its own goroutine.
func Run(ctx context.Context, tick time.Duration, entries func() []Entry, fire func(Entry)) {
	type slot struct {
		e    Entry
		base time.Time // the run's place on the interval grid
		next time.Time // base plus this run's splay
	}
	slots := map[string]*slot{}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		now := time.Now()
		seen := map[string]bool{}
		for _, e := range entries() {
			seen[e.Name] = true
			s := slots[e.Name]
			if s == nil || !same(s.e, e) {
				base := now
				if !e.RunOnStart {
					base = base.Add(e.Every)
				}
				s = &slot{e: e, base: base, next: base.Add(e.splay())}
				slots[e.Name] = s
			}
			if !now.Before(s.next) {
				fire(s.e)
				s.base = s.base.Add(e.Every)
				if s.base.Before(now) { // fell behind (suspended host): no catch-up burst
					s.base = now.Add(e.Every)
				}
				s.next = s.base.Add(e.splay())
			}
		}
		for name := range slots {
			if !seen[name] {
				delete(slots, name)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// same reports whether two entries have the same definition.
func same(a, b Entry) bool {
	return a.Function == b.Function && a.Every == b.Every && a.SplayMin == b.SplayMin && a.SplayMax == b.SplayMax &&
		fmt.Sprint(a.Args) == fmt.Sprint(b.Args) && fmt.Sprint(a.Kwargs) == fmt.Sprint(b.Kwargs)
}
