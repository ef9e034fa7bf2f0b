// Package module provides Salt's module.run and module.wait states: call
// execution functions from a state tree.
//
//	# the current syntax: each function a key, its arguments a list
//	# (positional values, and {key: value} items for keyword arguments)
//	refresh:
//	  module.run:
//	    - pkg.refresh_db: []
//	    - file.mkdir:
//	      - /srv/app
//	      - mode: 755
//
//	# the legacy syntax: name is the function, the other arguments its
//	# keyword arguments (m_name passes a "name" argument)
//	legacy:
//	  module.run:
//	    - name: test.arg
//	    - m_name: web
package module

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/state"
)

func init() {
	state.Register(state.Def{Name: "module.run", Func: run, ModWatch: run, Doc: `Run execution functions. Each function is a key whose value lists its
arguments; changes are {"<function>": <its return>}. The state fails when a
function fails or returns False. In test mode nothing runs (result None).`})
	state.Register(state.Def{Name: "module.wait", Func: wait, ModWatch: run, Doc: `Like module.run, but the functions run only when a state this one
watches reports changes.`})
}

type call struct {
	fun    string
	args   []any
	kwargs map[string]any
}

// calls reads both syntaxes from a state's arguments.
func calls(req *state.Request) ([]call, error) {
	var out []call
	keys := make([]string, 0, len(req.Args))
	for k := range req.Args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, "__") || !strings.Contains(k, ".") {
			continue
		}
		if _, ok := modules.Lookup(k); !ok {
			return nil, fmt.Errorf("Module function %s is not available", k)
		}
		c := call{fun: k, kwargs: map[string]any{}}
		switch v := req.Args[k].(type) {
		case nil:
		case []any:
			for _, item := range v {
				if m, ok := item.(map[string]any); ok && len(m) == 1 {
					for kk, vv := range m {
						c.kwargs[kk] = vv
					}
					continue
				}
				c.args = append(c.args, item)
			}
		default:
			c.args = []any{v}
		}
		out = append(out, c)
	}
	if len(out) > 0 {
		return out, nil
	}
	// The legacy syntax: the state's name is the function.
	if _, ok := modules.Lookup(req.Name); !ok {
		return nil, fmt.Errorf("Module function %s is not available", req.Name)
	}
	c := call{fun: req.Name, kwargs: map[string]any{}}
	for k, v := range req.Args {
		switch {
		case strings.HasPrefix(k, "__"):
		case k == "m_name":
			c.kwargs["name"] = v
		case k == "args":
			if l, ok := v.([]any); ok {
				c.args = l
			} else {
				c.args = []any{v}
			}
		case k == "kwargs":
			if m, ok := v.(map[string]any); ok {
				for kk, vv := range m {
					c.kwargs[kk] = vv
				}
			}
		default:
			c.kwargs[k] = v
		}
	}
	return []call{c}, nil
}

func run(ctx context.Context, req *state.Request) state.Result {
	cs, err := calls(req)
	if err != nil {
		return state.Result{Result: state.False(), Comment: err.Error()}
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.fun
	}
	if req.DryRun() {
		return state.Result{Comment: fmt.Sprintf("Function %s to be executed.", strings.Join(names, ", "))}
	}
	changes := map[string]any{}
	var failed []string
	for _, c := range cs {
		res := modules.Run(ctx, req.Env, c.fun, c.args, c.kwargs)
		changes[c.fun] = res.Return
		if b, isBool := res.Return.(bool); !res.Success || (isBool && !b) {
			failed = append(failed, fmt.Sprintf("%s: %v", c.fun, res.Return))
		}
	}
	if len(failed) > 0 {
		return state.Result{Result: state.False(), Changes: changes, Comment: "Run failed: " + strings.Join(failed, "; ")}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("%s: Success", strings.Join(names, ", "))}
}

func wait(_ context.Context, req *state.Request) state.Result {
	if _, err := calls(req); err != nil {
		return state.Result{Result: state.False(), Comment: err.Error()}
	}
	return state.Result{Result: state.True(), Comment: "Functions run only when a watched state changes"}
}
