// Package beacons watches things on a minion between jobs and says when
// there is something to tell the master: logins (and failed ones) from the
// auth log, a load average or disk usage crossing a threshold, a service
// going down or up. It is a small registry like the modules: adding a
// beacon is one file.
//
// A beacon reports only when something happened (new logins, a threshold
// crossed either way, a service changed), not every interval: each report
// becomes a stored job on the master, and a quiet fleet should cost
// nothing.
package beacons

import (
	"context"
	"fmt"
	"github.com/halite/halite/pkg/value"
	"sort"
	"strings"
	"time"
)

// Report is what one check found. Send asks for it to go to the master;
// Fire additionally raises the event halite/beacon/<id>/<name> there.
type Report struct {
	Data map[string]any
	Send bool
	Fire bool
}

// Beacon is one configured watcher.
type Beacon interface {
	Check(ctx context.Context) (Report, error)
}

// Env is what beacons may use of the minion: its execution functions.
type Env struct {
	Run func(ctx context.Context, fun string, args ...any) (any, error)
}

type factory func(opts map[string]any, env Env) (Beacon, error)

var registry = map[string]factory{}

func register(name string, f factory) { registry[name] = f }

// Names lists the known beacons.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// DefaultInterval is how often a beacon checks when not told.
const DefaultInterval = 10 * time.Second

// Configured is a beacon ready to run.
type Configured struct {
	Name     string
	Interval time.Duration
	Beacon   Beacon
}

// Parse builds the beacons of a `beacons:` map in Salt's shapes: each
// beacon's options as a mapping, or as a list of one-key mappings (Salt's
// newer form); `interval` (seconds) and `enabled` in either.
func Parse(raw map[string]any, env Env) ([]Configured, error) {
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Configured
	var errs []string
	for _, name := range names {
		opts, err := options(raw[name])
		if err != nil {
			errs = append(errs, fmt.Sprintf("beacon %s: %v", name, err))
			continue
		}
		if on, ok := opts["enabled"].(bool); ok && !on {
			continue
		}
		delete(opts, "enabled")
		interval := DefaultInterval
		if v, ok := opts["interval"]; ok {
			f, ok := number(v)
			if !ok || f < 1 {
				errs = append(errs, fmt.Sprintf("beacon %s: interval: want seconds, at least 1", name))
				continue
			}
			interval = time.Duration(f * float64(time.Second))
			delete(opts, "interval")
		}
		mk, ok := registry[name]
		if !ok {
			errs = append(errs, fmt.Sprintf("beacon %s: unknown (known: %s)", name, strings.Join(Names(), ", ")))
			continue
		}
		b, err := mk(opts, env)
		if err != nil {
			errs = append(errs, fmt.Sprintf("beacon %s: %v", name, err))
			continue
		}
		out = append(out, Configured{Name: name, Interval: interval, Beacon: b})
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out, nil
}

// options merges Salt's list-of-mappings form into one mapping.
func options(v any) (map[string]any, error) {
	switch x := v.(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			out[k] = v
		}
		return out, nil
	case []any:
		out := map[string]any{}
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("want a list of mappings, got %T", e)
			}
			for k, v := range m {
				out[k] = v
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a mapping or a list of mappings, got %T", v)
}

// number reads a threshold: a number, or a string such as "90%".
func number(v any) (float64, bool) {
	if s, ok := v.(string); ok {
		v = strings.TrimSuffix(strings.TrimSpace(s), "%")
	}
	return value.Number(v)
}
