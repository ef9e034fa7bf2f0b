package minion

import (
	"context"
	"fmt"
	"time"

	"github.com/halite/halite/pkg/beacons"
	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/wire"
)

// runBeacons runs the minion's beacons (config plus the pillar's
// `beacons` key) until ctx ends, and reports what they find. The set is
// rebuilt when its definition changes.
func (m *Minion) runBeacons(ctx context.Context) {
	log := m.log.Named("beacons")
	env := beacons.Env{Run: func(ctx context.Context, fun string, args ...any) (any, error) {
		res := modules.Run(ctx, m.env, fun, args, nil)
		if !res.Success {
			return nil, fmt.Errorf("%s: %v", fun, res.Return)
		}
		return res.Return, nil
	}}
	type running struct {
		c    beacons.Configured
		next time.Time
	}
	var (
		def     string
		set     []*running
		lastErr string
	)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		raw := map[string]any{}
		for k, v := range m.cfg.Beacons {
			raw[k] = v
		}
		if p, _ := m.pillar.current(); p != nil {
			if pb, ok := p["beacons"].(map[string]any); ok {
				for k, v := range pb {
					raw[k] = v
				}
			}
		}
		if d := fmt.Sprint(raw); d != def {
			def = d
			cs, err := beacons.Parse(raw, env)
			if err != nil && err.Error() != lastErr {
				log.Error("beacons skipped", "error", err)
			}
			lastErr = ""
			if err != nil {
				lastErr = err.Error()
			}
			set = set[:0]
			for _, c := range cs {
				set = append(set, &running{c: c, next: time.Now()})
			}
		}
		now := time.Now()
		for _, r := range set {
			if now.Before(r.next) {
				continue
			}
			r.next = now.Add(r.c.Interval)
			started := time.Now()
			rep, err := r.c.Beacon.Check(ctx)
			if err != nil {
				log.Warn("beacon check failed", "beacon", r.c.Name, "error", err)
			}
			if rep.Send {
				rep.Data["fire"] = rep.Fire
				m.report(wire.Source{Kind: wire.SourceBeacon, Name: r.c.Name}, "beacon."+r.c.Name,
					modules.Result{Return: rep.Data, Success: true}, started)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
