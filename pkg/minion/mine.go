package minion

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/wire"
)

// mineClient is the minion's side of the mine (modules.MineClient).
type mineClient struct{ m *Minion }

func (c mineClient) Get(ctx context.Context, target, fun, targetType string) (map[string]any, error) {
	var md wire.MineData
	err := c.m.request(ctx, wire.TypeMineGet, func(id uint64) any {
		return wire.MineGetRequest{ReqID: id, Target: target, TargetType: targetType, Fun: fun}
	}, &md)
	if err != nil {
		return nil, err
	}
	if md.Data == nil {
		md.Data = map[string]any{}
	}
	return md.Data, nil
}

func (c mineClient) Send(ctx context.Context, data map[string]any, clear bool, del []string) error {
	var ignored struct{}
	return c.m.request(ctx, wire.TypeMine, func(id uint64) any {
		return wire.MineUpdate{ReqID: id, Data: data, Clear: clear, Delete: del}
	}, &ignored)
}

// mineCall is one mine function: the function to run and its arguments.
type mineCall struct {
	fun    string
	args   []any
	kwargs map[string]any
}

// mineFunctions reads Salt's mine_functions (config, then pillar):
//
//	network.ip_addrs: [eth0]                    # the name is the function
//	internal_ips: {mine_function: network.ip_addrs, cidr: 10.0.0.0/8}
//	ip_list: [{mine_function: grains.get}, ip_interfaces]
func mineFunctions(raw map[string]any) (map[string]mineCall, error) {
	out := map[string]mineCall{}
	names := make([]string, 0, len(raw))
	for n := range raw {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		c := mineCall{fun: name, kwargs: map[string]any{}}
		switch v := raw[name].(type) {
		case nil:
		case []any:
			for _, it := range v {
				if m, ok := it.(map[string]any); ok && len(m) == 1 {
					for k, x := range m {
						if k == "mine_function" {
							c.fun = fmt.Sprint(x)
						} else {
							c.kwargs[k] = x
						}
					}
					continue
				}
				c.args = append(c.args, it)
			}
		case map[string]any:
			for k, x := range v {
				if k == "mine_function" {
					c.fun = fmt.Sprint(x)
				} else {
					c.kwargs[k] = x
				}
			}
		default:
			c.args = []any{v}
		}
		if _, ok := modules.Lookup(c.fun); !ok {
			return nil, fmt.Errorf("mine_functions.%s: '%s' is not available", name, c.fun)
		}
		out[name] = c
	}
	return out, nil
}

// Update runs the mine functions and sends their results, replacing what
// the master had for this minion.
func (c mineClient) Update(ctx context.Context) (map[string]any, error) {
	m := c.m
	raw := map[string]any{}
	for k, v := range m.cfg.MineFunctions {
		raw[k] = v
	}
	if p, _ := m.pillar.current(); p != nil {
		if pm, ok := p["mine_functions"].(map[string]any); ok {
			for k, v := range pm {
				raw[k] = v
			}
		}
	}
	calls, err := mineFunctions(raw)
	if err != nil {
		return nil, err
	}
	data := map[string]any{}
	for name, call := range calls {
		res := modules.Run(ctx, m.env, call.fun, call.args, call.kwargs)
		if !res.Success {
			m.log.Named("mine").Warn("mine function failed; not sent", "name", name, "function", call.fun, "return", res.Return)
			continue
		}
		data[name] = res.Return
	}
	if err := c.Send(ctx, data, true, nil); err != nil {
		return nil, err
	}
	return data, nil
}

// runMine sends the mine once connected, then every mine_interval
// minutes, until ctx ends.
func (m *Minion) runMine(ctx context.Context) {
	if m.deliverOnly {
		return
	}
	interval := time.Duration(m.cfg.MineInterval) * time.Minute
	if interval <= 0 {
		interval = time.Hour
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.Authenticated():
		}
		if len(m.cfg.MineFunctions) > 0 || m.pillarHas("mine_functions") {
			if _, err := (mineClient{m}).Update(ctx); err != nil && ctx.Err() == nil {
				m.log.Named("mine").Warn("mine update failed", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

func (m *Minion) pillarHas(key string) bool {
	p, _ := m.pillar.current()
	_, ok := p[key]
	return ok
}
