package state

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/pillar"
	"github.com/halite/halite/pkg/value"
)

// Salt's return codes for state functions.
const (
	// RetcodeCompileError: the state tree did not compile (Salt's
	// EX_STATE_COMPILER_ERROR); the return is the list of errors.
	RetcodeCompileError = 1
	// RetcodeStateFailure: some state failed (Salt's EX_STATE_FAILURE).
	RetcodeStateFailure = 2
)

// NoStatesTag is the key Salt uses for the result of a highstate that the
// top file assigns nothing to.
const NoStatesTag = "no_|-states_|-states_|-None"

// functionDocs documents the execution functions for sys.doc.
var functionDocs = map[string]string{
	"state.apply": `Apply states: the highstate without arguments, the named SLS files
with them. state.apply [SLS[,SLS...]] [test=True] [saltenv=base]`,
	"state.sls":       `Apply the named SLS files. state.sls SLS[,SLS...] [test=True] [saltenv=base]`,
	"state.highstate": `Apply every SLS the top file assigns to this minion. state.highstate [test=True] [saltenv=base]`,
	"state.show_sls": `Show the high data of the named SLS files, after include, extend and
requisite_in. state.show_sls SLS[,SLS...] [saltenv=base]`,
	"state.show_low_sls":   `Show the low chunks of the named SLS files. state.show_low_sls SLS[,SLS...] [saltenv=base]`,
	"state.show_top":       `Show the SLS files the top file assigns to this minion, per saltenv.`,
	"state.show_highstate": `Show the high data of the highstate.`,
	"state.show_lowstate":  `Show the low chunks of the highstate, in execution order before requisites.`,
	"state.single":         `Run one state function directly. state.single pkg.installed name=vim [test=True] [arg=value...]`,
	"state.sls_id":         `Apply one ID from the named SLS files and what it requires. state.sls_id ID SLS[,SLS...] [test=True]`,
}

// Functions returns the state execution functions (state.apply,
// state.sls, state.highstate, state.show_*, state.single, state.sls_id),
// each building its Compiler from the call's Env with newCompiler. The
// minion registers them once at start-up (see RegisterFunctions).
func Functions(newCompiler func(env *modules.Env) (*Compiler, error)) map[string]modules.Func {
	f := &stateFuncs{newCompiler: newCompiler}
	return map[string]modules.Func{
		"state.apply":          f.apply,
		"state.sls":            f.sls,
		"state.highstate":      f.highstate,
		"state.show_sls":       f.showSLS,
		"state.show_low_sls":   f.showLowSLS,
		"state.show_top":       f.showTop,
		"state.show_highstate": f.showHighstate,
		"state.show_lowstate":  f.showLowstate,
		"state.single":         f.single,
		"state.sls_id":         f.slsID,
	}
}

// RegisterFunctions registers Functions(newCompiler) in the execution
// module registry, with their documentation. Call it once per process.
func RegisterFunctions(newCompiler func(env *modules.Env) (*Compiler, error)) {
	fns := Functions(newCompiler)
	names := make([]string, 0, len(fns))
	for n := range fns {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		modules.Register(n, functionDocs[n], fns[n])
	}
}

type stateFuncs struct {
	newCompiler func(env *modules.Env) (*Compiler, error)
}

// callArgs are the arguments state functions share.
type callArgs struct {
	positional []string
	saltenv    string
	test       bool
	failhard   bool
	kwargs     map[string]any
}

// parseCall reads positional SLS names and test/saltenv/failhard, taking
// defaults from the minion's options (test: True in the config makes
// every run a dry run, as in Salt).
func parseCall(call *modules.Call) (*callArgs, error) {
	a := &callArgs{kwargs: map[string]any{}}
	if call.Env != nil {
		a.test = value.IsTrue(call.Env.Opts["test"])
		a.failhard = value.IsTrue(call.Env.Opts["failhard"])
		if s, ok := call.Env.Opts["saltenv"].(string); ok {
			a.saltenv = s
		}
	}
	for _, v := range call.Args {
		s, ok := scalarString(v)
		if !ok {
			return nil, fmt.Errorf("argument %v is not a string", pyRepr(v))
		}
		a.positional = append(a.positional, s)
	}
	for k, v := range call.Kwargs {
		switch k {
		case "test":
			a.test = value.IsTrue(v)
		case "failhard":
			a.failhard = value.IsTrue(v)
		case "saltenv":
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("saltenv must be a string")
			}
			a.saltenv = s
		case "mods":
			switch v := v.(type) {
			case string:
				a.positional = append(a.positional, v)
			case []any:
				for _, x := range v {
					if s, ok := x.(string); ok {
						a.positional = append(a.positional, s)
					}
				}
			default:
				return nil, fmt.Errorf("mods must be a string or a list of strings")
			}
		default:
			if !strings.HasPrefix(k, "__") {
				a.kwargs[k] = v
			}
		}
	}
	return a, nil
}

func (f *stateFuncs) setup(ctx context.Context, call *modules.Call) (*Compiler, *callArgs, RunOptions, error) {
	// Errors go out without the function's name: modules.Run adds it.
	a, err := parseCall(call)
	if err != nil {
		return nil, nil, RunOptions{}, err
	}
	// Salt compiles the pillar for every state run: an edit made a moment
	// ago is used, and a pillar that no longer compiles fails the run.
	if call.Env != nil && call.Env.CurrentPillar != nil {
		if _, err := call.Env.CurrentPillar(ctx); err != nil {
			return nil, nil, RunOptions{}, err
		}
	}
	env := call.Env
	if p, ok := a.kwargs["pillar"]; ok {
		// pillar={...} on the command line (or from orchestrate) is merged
		// over the compiled pillar for this run, as in Salt.
		delete(a.kwargs, "pillar")
		over, isMap := p.(map[string]any)
		if !isMap && p != nil {
			return nil, nil, RunOptions{}, errors.New("Pillar data must be formatted as a dictionary")
		}
		if env != nil && len(over) > 0 {
			e := *env
			var base map[string]any
			if env.Pillar != nil {
				base = env.Pillar()
			}
			merged := pillar.Merge(base, over, false)
			e.Pillar = func() map[string]any { return merged }
			env = &e
		}
	}
	c, err := f.newCompiler(env)
	if err != nil {
		return nil, nil, RunOptions{}, fmt.Errorf("set up the state compiler: %w", err)
	}
	return c, a, RunOptions{Test: a.test, Env: env, Failhard: a.failhard}, nil
}

// finish turns a run's outcome into the function's return and retcode:
// results (retcode 2 if a state failed), compile errors as a list of
// messages (retcode 1), or Salt's "no states" result.
func finish(call *modules.Call, ret map[string]*StateReturn, err error) (any, error) {
	var ce *CompileError
	switch {
	case err == nil:
		if Retcode(ret) != 0 {
			call.Retcode = RetcodeStateFailure
		}
		return ret, nil
	case errors.As(err, &ce):
		call.Retcode = RetcodeCompileError
		return ce.Messages(), nil
	case errors.Is(err, ErrNoTopMatch):
		call.Retcode = RetcodeStateFailure
		f := false
		return map[string]*StateReturn{NoStatesTag: {
			Name: "No States", Result: &f, Changes: map[string]any{}, Comment: err.Error(),
		}}, nil
	case ret != nil:
		// Interrupted: show what ran, and fail.
		call.Retcode = RetcodeStateFailure
		return ret, nil
	}
	var de *declError
	if errors.As(err, &de) {
		call.Retcode = RetcodeCompileError
		return []string{err.Error()}, nil
	}
	return nil, err
}

func (f *stateFuncs) apply(ctx context.Context, call *modules.Call) (any, error) {
	c, a, opts, err := f.setup(ctx, call)
	if err != nil {
		return nil, err
	}
	if len(a.positional) == 0 {
		ret, err := c.Highstate(ctx, a.saltenv, opts)
		return finish(call, ret, err)
	}
	ret, err := c.SLS(ctx, a.saltenv, a.positional, opts)
	return finish(call, ret, err)
}

func (f *stateFuncs) sls(ctx context.Context, call *modules.Call) (any, error) {
	c, a, opts, err := f.setup(ctx, call)
	if err != nil {
		return nil, err
	}
	if len(a.positional) == 0 {
		return nil, errors.New("state.sls: no SLS names given")
	}
	ret, err := c.SLS(ctx, a.saltenv, a.positional, opts)
	return finish(call, ret, err)
}

func (f *stateFuncs) highstate(ctx context.Context, call *modules.Call) (any, error) {
	c, a, opts, err := f.setup(ctx, call)
	if err != nil {
		return nil, err
	}
	ret, err := c.Highstate(ctx, a.saltenv, opts)
	return finish(call, ret, err)
}

func (f *stateFuncs) slsID(ctx context.Context, call *modules.Call) (any, error) {
	c, a, opts, err := f.setup(ctx, call)
	if err != nil {
		return nil, err
	}
	if len(a.positional) < 2 {
		return nil, errors.New("state.sls_id: want an ID and SLS names")
	}
	ret, err := c.SLSID(ctx, a.saltenv, a.positional[0], a.positional[1:], opts)
	return finish(call, ret, err)
}

func (f *stateFuncs) single(ctx context.Context, call *modules.Call) (any, error) {
	c, a, opts, err := f.setup(ctx, call)
	if err != nil {
		return nil, err
	}
	if len(a.positional) == 0 {
		return nil, errors.New("state.single: want a state function such as pkg.installed")
	}
	name, _ := scalarString(a.kwargs["name"])
	if name == "" && len(a.positional) > 1 {
		name = a.positional[1]
	}
	ret, err := c.Single(ctx, a.positional[0], name, a.kwargs, opts)
	return finish(call, ret, err)
}

// showResult returns what a show_* function found, or its errors the way
// Salt does (a list of messages, retcode 1).
func showResult(call *modules.Call, v any, err error) (any, error) {
	if err == nil {
		return v, nil
	}
	var ce *CompileError
	if errors.As(err, &ce) {
		call.Retcode = RetcodeCompileError
		return ce.Messages(), nil
	}
	return nil, err
}

func (f *stateFuncs) showSLS(ctx context.Context, call *modules.Call) (any, error) {
	c, a, _, err := f.setup(ctx, call)
	if err != nil {
		return nil, err
	}
	h, err := c.ShowSLS(ctx, a.saltenv, a.positional)
	if err != nil {
		return showResult(call, nil, err)
	}
	return h.Data(), nil
}

func (f *stateFuncs) showHighstate(ctx context.Context, call *modules.Call) (any, error) {
	c, a, _, err := f.setup(ctx, call)
	if err != nil {
		return nil, err
	}
	h, err := c.ShowHighstate(ctx, a.saltenv)
	if err != nil {
		return showResult(call, nil, err)
	}
	return h.Data(), nil
}

func lowData(chunks []Chunk) []any {
	out := make([]any, len(chunks))
	for i := range chunks {
		out[i] = chunks[i].Low()
	}
	return out
}

func (f *stateFuncs) showLowSLS(ctx context.Context, call *modules.Call) (any, error) {
	c, a, _, err := f.setup(ctx, call)
	if err != nil {
		return nil, err
	}
	chunks, err := c.ShowLowSLS(ctx, a.saltenv, a.positional)
	if err != nil {
		return showResult(call, nil, err)
	}
	return lowData(chunks), nil
}

func (f *stateFuncs) showLowstate(ctx context.Context, call *modules.Call) (any, error) {
	c, a, _, err := f.setup(ctx, call)
	if err != nil {
		return nil, err
	}
	chunks, err := c.ShowLowstate(ctx, a.saltenv)
	if err != nil {
		return showResult(call, nil, err)
	}
	return lowData(chunks), nil
}

func (f *stateFuncs) showTop(ctx context.Context, call *modules.Call) (any, error) {
	c, a, _, err := f.setup(ctx, call)
	if err != nil {
		return nil, err
	}
	top, err := c.ShowTop(ctx, a.saltenv)
	if err != nil {
		return showResult(call, nil, err)
	}
	out := make(map[string]any, len(top))
	for env, list := range top {
		l := make([]any, len(list))
		for i, s := range list {
			l[i] = s
		}
		out[env] = l
	}
	return out, nil
}
