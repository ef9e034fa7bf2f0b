package state

import (
	"context"
	"errors"
	"fmt"
	"github.com/halite/halite/pkg/value"
	"strings"
)

// Compiler turns a state tree into runs: it reads SLS files from Source,
// renders them (Jinja through Render, then YAML), applies include, extend,
// the _in requisites, use and exclude, compiles low chunks, and runs them.
// The zero value is not usable: Source is required. A Compiler holds no
// state between calls and is safe for concurrent use when its Source,
// Render, Vars and Matcher are.
type Compiler struct {
	Source Source
	// Render renders SLS and top files as templates. When nil, files are
	// plain YAML (a `#!jinja|yaml` shebang is then an error).
	Render Renderer
	// Vars returns the caller's template variables for an SLS (grains,
	// pillar, opts, salt); sls is "" for the top file. The compiler adds
	// sls, slspath, tpldir and Salt's other per-file variables.
	Vars func(sls string) map[string]any
	// Matcher decides whether this minion matches a top file target of a
	// match type (glob, grain, compound, ...).
	Matcher func(tgt, typ string) bool
	// Funcs, when set, is the only set of state functions the compiled
	// states may call (the master's orchestrate: salt.state,
	// salt.function, ...); otherwise the registered ones.
	Funcs map[string]Def
}

// DefaultSaltenv is the saltenv used when none is given.
const DefaultSaltenv = "base"

// ShowTop returns, per saltenv, the SLS names the top file assigns to this
// minion, in top file order. With saltenv "", every section of the base
// top file is considered (Salt's default); otherwise only that saltenv's.
func (c *Compiler) ShowTop(ctx context.Context, saltenv string) (map[string][]string, error) {
	refs, err := c.topMatches(ctx, saltenv)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, r := range refs {
		out[r.env] = append(out[r.env], r.sls)
	}
	return out, nil
}

// ShowHighstate returns the high data of the highstate.
func (c *Compiler) ShowHighstate(ctx context.Context, saltenv string) (*High, error) {
	refs, err := c.topMatches(ctx, saltenv)
	if err != nil {
		return nil, err
	}
	return c.high(ctx, refs)
}

// ShowSLS returns the high data of the named SLS files.
func (c *Compiler) ShowSLS(ctx context.Context, saltenv string, names []string) (*High, error) {
	refs, err := slsRefs(saltenv, names)
	if err != nil {
		return nil, err
	}
	return c.high(ctx, refs)
}

// ShowLowstate returns the highstate's low chunks in execution order
// before requisites.
func (c *Compiler) ShowLowstate(ctx context.Context, saltenv string) ([]Chunk, error) {
	refs, err := c.topMatches(ctx, saltenv)
	if err != nil {
		return nil, err
	}
	chunks, _, err := c.low(ctx, refs)
	return chunks, err
}

// ShowLowSLS returns the low chunks of the named SLS files.
func (c *Compiler) ShowLowSLS(ctx context.Context, saltenv string, names []string) ([]Chunk, error) {
	refs, err := slsRefs(saltenv, names)
	if err != nil {
		return nil, err
	}
	chunks, _, err := c.low(ctx, refs)
	return chunks, err
}

// Highstate applies every SLS the top file assigns to this minion. With
// no match it returns an error wrapping ErrNoTopMatch.
func (c *Compiler) Highstate(ctx context.Context, saltenv string, opts RunOptions) (map[string]*StateReturn, error) {
	refs, err := c.topMatches(ctx, saltenv)
	if err != nil {
		return nil, err
	}
	_, p, err := c.low(ctx, refs)
	if err != nil {
		return nil, err
	}
	return p.run(ctx, c.runOpts(opts), nil)
}

// SLS applies the named SLS files (state.sls).
func (c *Compiler) SLS(ctx context.Context, saltenv string, names []string, opts RunOptions) (map[string]*StateReturn, error) {
	refs, err := slsRefs(saltenv, names)
	if err != nil {
		return nil, err
	}
	_, p, err := c.low(ctx, refs)
	if err != nil {
		return nil, err
	}
	return p.run(ctx, c.runOpts(opts), nil)
}

// SLSID applies the states of one ID from the named SLS files, and the
// states they require (state.sls_id).
func (c *Compiler) SLSID(ctx context.Context, saltenv, id string, names []string, opts RunOptions) (map[string]*StateReturn, error) {
	refs, err := slsRefs(saltenv, names)
	if err != nil {
		return nil, err
	}
	chunks, p, err := c.low(ctx, refs)
	if err != nil {
		return nil, err
	}
	var want []int
	for i := range chunks {
		if chunks[i].ID == id {
			want = append(want, i)
		}
	}
	if len(want) == 0 {
		return nil, errorf(ErrIDNotFound, "No matches for ID '%s' found in SLS '%s' within saltenv '%s'", id, strings.Join(names, ","), refs[0].env)
	}
	return p.run(ctx, c.runOpts(opts), p.closure(want))
}

// Single runs one state function directly (state.single): fun is
// "pkg.installed", name its name, args its arguments. Requisites make no
// sense for a lone state and are ignored, as in Salt.
func (c *Compiler) Single(ctx context.Context, fun, name string, args map[string]any, opts RunOptions) (map[string]*StateReturn, error) {
	mod, f, ok := strings.Cut(fun, ".")
	if !ok || mod == "" || f == "" {
		return nil, fmt.Errorf("state.single: %q is not a state function name (want module.function)", fun)
	}
	if name == "" {
		return nil, fmt.Errorf("state.single %s: a name is required", fun)
	}
	ch := Chunk{State: mod, Fun: f, ID: name, Name: name, Args: map[string]any{}}
	for k, v := range args {
		switch {
		case isReqList(k), isRequisiteIn(k), isUnsupportedReq(k), k == "name", k == "names", k == "order", strings.HasPrefix(k, "__"):
		case k == "failhard":
			ch.Failhard = value.IsTrue(v)
		default:
			ch.Args[k] = deepCopy(v)
		}
	}
	p, err := newPlan([]Chunk{ch}, c.Funcs)
	if err != nil {
		return nil, err
	}
	return p.run(ctx, c.runOpts(opts), nil)
}

func (c *Compiler) runOpts(opts RunOptions) RunOptions {
	if opts.Render == nil {
		opts.Render = c.Render
	}
	return opts
}

func slsRefs(saltenv string, names []string) ([]slsRef, error) {
	if saltenv == "" {
		saltenv = DefaultSaltenv
	}
	var refs []slsRef
	seen := map[string]bool{}
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			part = strings.TrimSpace(part)
			if part == "" || seen[part] {
				continue
			}
			seen[part] = true
			refs = append(refs, slsRef{env: saltenv, sls: part})
		}
	}
	if len(refs) == 0 {
		return nil, errors.New("no SLS names given")
	}
	return refs, nil
}

// high renders refs into finished high data.
func (c *Compiler) high(ctx context.Context, refs []slsRef) (*High, error) {
	if c.Source == nil {
		return nil, errors.New("state compiler has no Source")
	}
	b := c.newBuilder(ctx)
	h := b.highstate(refs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := compileErr(b.errs); err != nil {
		return nil, err
	}
	if err := compileErr(finishHigh(h)); err != nil {
		return nil, err
	}
	return h, nil
}

// low compiles refs into ordered chunks and a validated plan.
func (c *Compiler) low(ctx context.Context, refs []slsRef) ([]Chunk, *plan, error) {
	h, err := c.high(ctx, refs)
	if err != nil {
		return nil, nil, err
	}
	chunks, errs := compileChunks(h)
	if err := compileErr(errs); err != nil {
		return nil, nil, err
	}
	p, err := newPlan(chunks, c.Funcs)
	if err != nil {
		return nil, nil, err
	}
	return chunks, p, nil
}

// topMatches reads and renders the top file and returns the SLS files
// that match this minion, in order and without repeats.
func (c *Compiler) topMatches(ctx context.Context, saltenv string) ([]slsRef, error) {
	if c.Source == nil {
		return nil, errors.New("state compiler has no Source")
	}
	env, all := saltenv, saltenv == ""
	if all {
		env = DefaultSaltenv
	}
	src, err := c.Source.Top(ctx, env)
	if errors.Is(err, ErrSLSNotFound) {
		return nil, wrapf(ErrNoTopMatch, err, "No Top file found in saltenv %s", env)
	}
	if err != nil {
		return nil, fmt.Errorf("read top file of saltenv %s: %w", env, err)
	}
	vars := map[string]any{}
	if c.Vars != nil {
		for k, v := range c.Vars("") {
			vars[k] = v
		}
	}
	vars["saltenv"] = env
	rendered, err := c.render(ctx, src, "top.sls", vars)
	if err != nil {
		return nil, compileErr([]error{wrapf(ErrRender, err, "Rendering top file of saltenv %s failed: %v", env, err)})
	}
	targets, err := parseTop(rendered, "top.sls")
	if err != nil {
		return nil, compileErr([]error{err})
	}
	if c.Matcher == nil {
		return nil, errors.New("state compiler has no Matcher for the top file")
	}
	var refs []slsRef
	seen := map[slsRef]bool{}
	for _, t := range targets {
		if !all && t.env != env {
			continue
		}
		if !c.Matcher(t.target, t.match) {
			continue
		}
		for _, s := range t.sls {
			r := slsRef{env: t.env, sls: s}
			if !seen[r] {
				seen[r] = true
				refs = append(refs, r)
			}
		}
	}
	if len(refs) == 0 {
		return nil, errorf(ErrNoTopMatch, "No Top file matches found for this minion in saltenv %s", env)
	}
	return refs, nil
}
