package cond

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/value"
)

// Salt's global state arguments, which every state takes: onlyif, unless
// and creates decide whether it runs at all; check_cmd judges a run that
// made changes; retry runs it again until it succeeds. reload_modules and
// reload_pillar are accepted (nothing to reload: every call sees the
// current modules, and state runs compile their pillar).
func init() { state.RegisterGlobalArgs(global) }

var globalKeys = []string{"onlyif", "unless", "creates", "check_cmd", "retry", "reload_modules", "reload_pillar", "reload_grains"}

func global(ctx context.Context, req *state.Request, fn state.Func, own []string) state.Result {
	taken := map[string]any{}
	for _, k := range globalKeys {
		if slices.Contains(own, k) {
			continue // the state handles it itself
		}
		if v, ok := req.Args[k]; ok {
			taken[k] = v
			delete(req.Args, k)
		}
	}
	if len(taken) == 0 {
		return fn(ctx, req)
	}
	if skip, comment, err := globalSkip(ctx, req, taken); err != nil {
		return state.Result{Result: state.False(), Comment: err.Error()}
	} else if skip {
		return state.Result{Result: state.True(), Comment: comment}
	}
	attempts, interval, splay, until, err := parseRetry(taken["retry"])
	if err != nil {
		return state.Result{Result: state.False(), Comment: "Invalid arguments: " + err.Error()}
	}
	if req.DryRun() {
		attempts = 1 // a dry run predicts once
	}
	var res state.Result
	var notes []string
	for attempt := 1; ; attempt++ {
		res = fn(ctx, req)
		ok := res.Result != nil && *res.Result
		if ok == until || attempt >= attempts || ctx.Err() != nil {
			break
		}
		notes = append(notes, fmt.Sprintf("Attempt %d: Returned a result of %q, with the following comment: %q", attempt, resultWord(res.Result), res.Comment))
		wait := interval
		if splay > 0 {
			wait += time.Duration(rand.Int64N(int64(splay)))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	if len(notes) > 0 {
		res.Comment = strings.Join(append(notes, res.Comment), "\n")
	}
	if cmds, ok := taken["check_cmd"]; ok && !req.DryRun() && res.Result != nil && *res.Result && len(res.Changes) > 0 {
		for _, cmd := range commands(cmds) {
			rc, err := Conditions{}.run(ctx, cmd)
			if err != nil || rc != 0 {
				res.Result = state.False()
				res.Comment = strings.TrimSpace(res.Comment + "\ncheck_cmd determined the state failed")
				break
			}
		}
	}
	return res
}

func resultWord(b *bool) string {
	switch {
	case b == nil:
		return "None"
	case *b:
		return "True"
	}
	return "False"
}

// globalSkip evaluates onlyif, unless (commands, or Salt's `fun:` form
// calling an execution function) and creates.
func globalSkip(ctx context.Context, req *state.Request, taken map[string]any) (bool, string, error) {
	c := Conditions{Pending: req.Pending}
	var onlyFuns, unlessFuns []map[string]any
	c.OnlyIf, onlyFuns = split(taken["onlyif"])
	c.Unless, unlessFuns = split(taken["unless"])
	if v, ok := taken["creates"]; ok {
		c.Creates, _ = args.New(map[string]any{"creates": v}).Strings("creates")
	}
	for _, f := range onlyFuns {
		ok, err := callFun(ctx, req, f)
		if err != nil {
			return false, "", fmt.Errorf("onlyif: %w", err)
		}
		if !ok {
			return true, "onlyif condition is false", nil
		}
	}
	if len(unlessFuns) > 0 && len(c.Unless) == 0 {
		all := true
		for _, f := range unlessFuns {
			ok, err := callFun(ctx, req, f)
			if err != nil {
				return false, "", fmt.Errorf("unless: %w", err)
			}
			all = all && ok
		}
		if all {
			return true, "unless condition is true", nil
		}
	}
	skip, comment, err := c.Skip(ctx)
	if err != nil && req.DryRun() {
		return false, "", nil // undecided in a dry run: predict the run
	}
	return skip, comment, err
}

// split separates command strings from `fun:` mappings.
func split(v any) ([]string, []map[string]any) {
	var cmds []string
	var funs []map[string]any
	var items []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		items = x
	default:
		items = []any{x}
	}
	for _, it := range items {
		switch x := it.(type) {
		case string:
			cmds = append(cmds, x)
		case map[string]any:
			if _, ok := x["fun"]; ok {
				funs = append(funs, x)
			}
		}
	}
	return cmds, funs
}

func commands(v any) []string {
	cmds, _ := split(v)
	return cmds
}

// callFun runs `{fun: mod.fn, args: [...], <kwargs>}` and reports whether
// it returned something true (Salt's rule for the fun: form).
func callFun(ctx context.Context, req *state.Request, f map[string]any) (bool, error) {
	name, _ := f["fun"].(string)
	if name == "" {
		return false, fmt.Errorf("fun: want a function name")
	}
	var fargs []any
	if a, ok := f["args"].([]any); ok {
		fargs = a
	}
	kw := map[string]any{}
	for k, v := range f {
		if k != "fun" && k != "args" && k != "get_return" {
			kw[k] = v
		}
	}
	res := modules.Run(ctx, req.Env, name, fargs, kw)
	if !res.Success {
		return false, nil
	}
	ret := res.Return
	if key, ok := f["get_return"].(string); ok {
		if m, ok := ret.(map[string]any); ok {
			ret = m[key]
		}
	}
	return value.Truthy(ret), nil
}

// parseRetry reads Salt's retry: True, or {attempts, interval, until,
// splay}.
func parseRetry(v any) (attempts int, interval, splay time.Duration, until bool, err error) {
	attempts, interval, until = 1, 0, true
	switch x := v.(type) {
	case nil:
		return
	case bool:
		if x {
			attempts, interval = 2, 30*time.Second
		}
		return
	case map[string]any:
		attempts, interval = 2, 30*time.Second
		if n, ok := value.Int(x["attempts"]); ok && n > 0 {
			attempts = int(min(n, 100))
		}
		if f, ok := value.Float(x["interval"]); ok && f >= 0 {
			interval = time.Duration(f * float64(time.Second))
		}
		if f, ok := value.Float(x["splay"]); ok && f > 0 {
			splay = time.Duration(f * float64(time.Second))
		}
		if u, ok := x["until"]; ok {
			until = value.IsTrue(u)
		}
		return
	}
	return 0, 0, 0, false, fmt.Errorf("retry: want true or {attempts, interval, until, splay}")
}
