package beacons

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

func init() {
	register("load", newLoad)
	register("diskusage", newDiskusage)
	register("service", newService)
}

// loadBeacon: Salt's `averages: {1m: [low, high], 5m: [...], 15m: [...]}`.
// It reports when an average leaves its range and when all are back.
type loadBeacon struct {
	env    Env
	ranges map[string][2]float64 // "1-min" → [low, high]
	alarm  bool
}

func newLoad(opts map[string]any, env Env) (Beacon, error) {
	b := &loadBeacon{env: env, ranges: map[string][2]float64{}}
	avg, ok := opts["averages"].(map[string]any)
	if !ok || len(avg) == 0 {
		return nil, errors.New("averages: want {1m: [low, high], 5m: ..., 15m: ...}")
	}
	for k, v := range avg {
		key := map[string]string{"1m": "1-min", "5m": "5-min", "15m": "15-min"}[k]
		pair, ok := v.([]any)
		if key == "" || !ok || len(pair) != 2 {
			return nil, fmt.Errorf("averages.%s: want 1m|5m|15m: [low, high]", k)
		}
		lo, ok1 := number(pair[0])
		hi, ok2 := number(pair[1])
		if !ok1 || !ok2 || lo > hi {
			return nil, fmt.Errorf("averages.%s: want [low, high] numbers", k)
		}
		b.ranges[key] = [2]float64{lo, hi}
	}
	for k := range opts {
		if k != "averages" {
			return nil, fmt.Errorf("unknown option %q (averages, interval)", k)
		}
	}
	return b, nil
}

func (b *loadBeacon) Check(ctx context.Context) (Report, error) {
	v, err := b.env.Run(ctx, "status.loadavg")
	if err != nil {
		return Report{}, err
	}
	avg, _ := v.(map[string]any)
	data := map[string]any{}
	var out []string
	for key, r := range b.ranges {
		f, ok := number(avg[key])
		if !ok {
			continue
		}
		data[key] = f
		if f < r[0] || f > r[1] {
			out = append(out, key)
		}
	}
	alarm := len(out) > 0
	if alarm == b.alarm {
		return Report{}, nil
	}
	b.alarm = alarm
	sort.Strings(out)
	data["alarm"], data["outside"] = alarm, out
	return Report{Data: data, Send: true, Fire: true}, nil
}

// diskusageBeacon: Salt's `{MOUNT: "NN%"}`. It reports when a mount's use
// reaches its threshold and when it falls back under.
type diskusageBeacon struct {
	env    Env
	limits map[string]float64
	over   map[string]bool
}

func newDiskusage(opts map[string]any, env Env) (Beacon, error) {
	b := &diskusageBeacon{env: env, limits: map[string]float64{}, over: map[string]bool{}}
	for mount, v := range opts {
		if !strings.HasPrefix(mount, "/") {
			return nil, fmt.Errorf("%q: want a mount point and a percentage, e.g. /: 90%%", mount)
		}
		f, ok := number(v)
		if !ok || f <= 0 || f > 100 {
			return nil, fmt.Errorf("%s: want a percentage", mount)
		}
		b.limits[mount] = f
	}
	if len(b.limits) == 0 {
		return nil, errors.New("want at least one mount: percentage")
	}
	return b, nil
}

func (b *diskusageBeacon) Check(ctx context.Context) (Report, error) {
	v, err := b.env.Run(ctx, "disk.usage")
	if err != nil {
		return Report{}, err
	}
	usage, _ := v.(map[string]any)
	changed := map[string]any{}
	for mount, limit := range b.limits {
		m, _ := usage[mount].(map[string]any)
		pct, ok := number(m["capacity"])
		if !ok {
			continue
		}
		over := pct >= limit
		if over != b.over[mount] {
			b.over[mount] = over
			changed[mount] = map[string]any{"capacity": pct, "threshold": limit, "over": over}
		}
	}
	if len(changed) == 0 {
		return Report{}, nil
	}
	return Report{Data: map[string]any{"mounts": changed}, Send: true, Fire: true}, nil
}

// serviceBeacon: Salt's `services: {NAME: {...}}`. It reports when a
// service starts or stops (and, at its first check, any that is down).
type serviceBeacon struct {
	env     Env
	names   []string
	running map[string]bool
	checked bool
}

func newService(opts map[string]any, env Env) (Beacon, error) {
	svcs, ok := opts["services"].(map[string]any)
	if !ok || len(svcs) == 0 {
		return nil, errors.New("services: want {NAME: {}} for each service to watch")
	}
	b := &serviceBeacon{env: env, running: map[string]bool{}}
	for n := range svcs {
		b.names = append(b.names, n)
	}
	sort.Strings(b.names)
	return b, nil
}

func (b *serviceBeacon) Check(ctx context.Context) (Report, error) {
	changed := map[string]any{}
	for _, n := range b.names {
		v, err := b.env.Run(ctx, "service.status", n)
		if err != nil {
			return Report{}, err
		}
		up, _ := v.(bool)
		if prev, seen := b.running[n]; (seen && prev != up) || (!b.checked && !up) {
			changed[n] = map[string]any{"running": up}
		}
		b.running[n] = up
	}
	b.checked = true
	if len(changed) == 0 {
		return Report{}, nil
	}
	return Report{Data: map[string]any{"services": changed}, Send: true, Fire: true}, nil
}
