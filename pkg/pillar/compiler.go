package pillar

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"sync"

	"github.com/halite/halite/pkg/targeting"
	"github.com/halite/halite/pkg/template"
)

// DefaultSaltenv is the saltenv whose top file and SLS come first.
const DefaultSaltenv = "base"

// Options configures a Compiler.
type Options struct {
	// MergeLists is Salt's pillar_merge_lists: when two SLS files set the
	// same key to lists, the later one's new items are appended instead of
	// replacing the list.
	MergeLists bool
	// Opts are the master's settings, exposed to templates as `opts`
	// (with "id" set to the minion being compiled) and read by config.get.
	Opts map[string]any
	// Nodegroups are the master's nodegroups, for `match: nodegroup` and
	// N@ terms in top files.
	Nodegroups map[string]any
	// Funcs are extra salt['mod.fun'](...) functions for templates. The
	// built-in grains.get, grains.item, grains.items, grains.filter_by,
	// pillar.get, pillar.items and config.get read the minion being
	// compiled and take precedence; others can reach the minion with
	// MinionFromContext.
	Funcs map[string]template.Func
}

// Compiler compiles pillar for one minion at a time from pillar_roots.
// It holds no per-minion state: it is safe for concurrent use, and every
// compile reads the tree afresh (Cache avoids the work when nothing
// changed).
type Compiler struct {
	roots      map[string][]string
	envs       []string // base first, then the others sorted
	engines    map[string]*template.Engine
	mergeLists bool
	opts       map[string]any
	nodegroups map[string]any
	matchers   matcherCache
}

// NewCompiler returns a Compiler over roots, Salt's pillar_roots: each
// saltenv maps to its directories, searched in order. A directory that
// does not exist holds no pillar; it is not an error.
func NewCompiler(roots map[string][]string, opts Options) *Compiler {
	c := &Compiler{
		roots:      make(map[string][]string, len(roots)),
		engines:    make(map[string]*template.Engine, len(roots)),
		mergeLists: opts.MergeLists,
		opts:       make(map[string]any, len(opts.Opts)),
		nodegroups: opts.Nodegroups,
	}
	for k, v := range opts.Opts {
		c.opts[k] = v
	}
	funcs := make(map[string]template.Func, len(opts.Funcs)+len(builtinFuncs))
	for k, v := range opts.Funcs {
		funcs[k] = v
	}
	for k, v := range builtinFuncs {
		funcs[k] = v
	}
	for env, dirs := range roots {
		c.roots[env] = append([]string(nil), dirs...)
		c.envs = append(c.envs, env)
		// One engine per saltenv: imports in a template resolve in the
		// saltenv's own roots, and the parse cache is per tree.
		c.engines[env] = template.New(template.DirLoader(dirs...), funcs)
	}
	sort.Slice(c.envs, func(i, j int) bool {
		if (c.envs[i] == DefaultSaltenv) != (c.envs[j] == DefaultSaltenv) {
			return c.envs[i] == DefaultSaltenv
		}
		return c.envs[i] < c.envs[j]
	})
	return c
}

// Compile renders the pillar of minion id with its grains:
//
//   - the top.sls of every saltenv (the first root that has one), rendered
//     with Jinja, assigns SLS names (or globs) to targets; all sections of
//     the base top file count, and of another saltenv's top file only its
//     own section when base's has none for it; a target matches by glob
//     on the id unless `- match:` says otherwise (grain, compound,
//     nodegroup, ...); `- order: N` sorts targets and
//     `- ignore_missing: true` allows its SLS to be absent; pillar
//     matching (I@, match: pillar) sees no pillar, as none is compiled
//     yet;
//   - each matching SLS is rendered with Jinja (variables grains, opts,
//     pillar — the data compiled so far — saltenv, sls, slspath, tpldir,
//     tplfile and salt), then parsed as YAML into a mapping; a first line
//     `#!yaml` skips Jinja;
//   - `include` in an SLS names other SLS files (".x" relative to the
//     includer, globs allowed, `- name: {key: 'a:b', defaults: {...}}` to
//     nest the data and pass template variables); each is rendered once
//     per saltenv and merged before the includer's own data;
//   - the mappings are deep-merged in saltenv order (base first, then the
//     others by name) and top file order, later wins; lists replace
//     unless Options.MergeLists.
//
// Any problem makes Compile return a *CompileError listing every problem
// with its file and line, and no pillar. A minion no top file matches
// gets an empty pillar.
func (c *Compiler) Compile(ctx context.Context, id string, grains map[string]any) (map[string]any, error) {
	if id == "" {
		return nil, errors.New("pillar: compile: empty minion id")
	}
	if grains == nil {
		grains = map[string]any{}
	}
	r := &compileRun{
		c:      c,
		id:     id,
		grains: grains,
		acc:    map[string]any{},
		opts:   make(map[string]any, len(c.opts)+1),
	}
	for k, v := range c.opts {
		r.opts[k] = v
	}
	r.opts["id"] = id
	r.ctx = context.WithValue(ctx, compileKey{}, r)
	defer r.files.close()

	matches := r.topMatches()
	for _, env := range r.sectionOrder(matches) {
		r.mods = map[string]bool{}
		for _, ref := range matches[env] {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("pillar: compile %s: %w", id, err)
			}
			data, ok := r.renderSLS(env, ref.name, ref.at, 0, nil, ref.ignoreMissing)
			if ok {
				mergeInto(r.acc, data, c.mergeLists)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pillar: compile %s: %w", id, err)
	}
	if len(r.errs) > 0 {
		return nil, &CompileError{Minion: id, Errs: r.errs}
	}
	return r.acc, nil
}

// compileRun is the state of one Compile.
type compileRun struct {
	c      *Compiler
	ctx    context.Context
	id     string
	grains map[string]any
	opts   map[string]any
	acc    map[string]any // the pillar so far
	errs   []*Error
	avail  map[string][]string // saltenv → SLS names, listed on demand
	mods   map[string]bool     // SLS rendered in the current saltenv
	files  roots
}

func (r *compileRun) fail(e *Error) { r.errs = append(r.errs, e) }

// slsRef is an SLS to render, with where it was named.
type slsRef struct {
	name          string
	at            location
	ignoreMissing bool
}

// location is a file and line that names something.
type location struct {
	file string
	line int
}

// topMatches reads every saltenv's top file and returns, per section
// saltenv, the SLS names of the targets this minion matches, in order and
// without repeats.
func (r *compileRun) topMatches() map[string][]slsRef {
	var tops []topFile
	for _, env := range r.c.envs {
		src, f, err := r.files.findTop(r.ctx, r.c.roots[env])
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			r.fail(&Error{Saltenv: env, File: f.path, Msg: fmt.Sprintf("read top file: %v", err), Kind: ErrBadTop, Err: err})
			continue
		}
		rendered, e := r.render(env, "", src, f, nil)
		if e != nil {
			r.fail(e)
			continue
		}
		targets, e := parseTop(rendered, f.path)
		if e != nil {
			e.Saltenv, e.Rendered = env, !sameBytes(rendered, src)
			r.fail(e)
			continue
		}
		tops = append(tops, topFile{env: env, targets: targets})
	}
	minion := &targeting.Minion{ID: r.id, Grains: r.grains}
	out := map[string][]slsRef{}
	for env, targets := range mergeTops(tops) {
		seen := map[string]bool{}
		for _, t := range targets {
			m, err := r.c.matchers.compile(t.match, t.target, r.c.nodegroups)
			if err != nil {
				r.fail(&Error{Saltenv: t.env, File: t.file, Line: t.line, Msg: fmt.Sprintf("target '%s' (match %s): %v", t.target, t.match, err), Kind: ErrBadTop, Err: err})
				continue
			}
			if !m.Match(minion) {
				continue
			}
			if _, ok := r.c.roots[env]; !ok {
				r.fail(&Error{Saltenv: env, File: t.file, Line: t.line, Msg: fmt.Sprintf("target '%s' assigns SLS from saltenv %s, which has no pillar_roots", t.target, env), Kind: ErrBadTop})
				continue
			}
			for _, s := range t.sls {
				at := location{t.file, s.line}
				names := []string{s.name}
				if hasMeta(s.name) {
					names = r.glob(env, s.name, at, t.ignoreMissing)
				}
				for _, n := range names {
					if !seen[n] {
						seen[n] = true
						out[env] = append(out[env], slsRef{name: n, at: at, ignoreMissing: t.ignoreMissing})
					}
				}
			}
		}
	}
	return out
}

// sectionOrder is the order saltenv sections are compiled in: the
// Compiler's saltenvs (base first), then any others (already reported as
// errors, so their order does not matter).
func (r *compileRun) sectionOrder(matches map[string][]slsRef) []string {
	out := make([]string, 0, len(matches))
	for _, env := range r.c.envs {
		if _, ok := matches[env]; ok {
			out = append(out, env)
		}
	}
	return out
}

// glob expands an SLS glob against the saltenv's SLS files.
func (r *compileRun) glob(env, pattern string, at location, ignoreMissing bool) []string {
	if r.avail == nil {
		r.avail = map[string][]string{}
	}
	names, ok := r.avail[env]
	if !ok {
		var err error
		names, err = listSLS(r.ctx, r.c.roots[env])
		if err != nil {
			r.fail(&Error{Saltenv: env, File: at.file, Line: at.line, Msg: err.Error(), Kind: ErrSLSNotFound, Err: err})
			return nil
		}
		r.avail[env] = names
	}
	var out []string
	for _, n := range names {
		if globMatch(pattern, n) {
			out = append(out, n)
		}
	}
	if len(out) == 0 && !ignoreMissing {
		r.fail(&Error{Saltenv: env, File: at.file, Line: at.line, Msg: fmt.Sprintf("no SLS in saltenv %s matches '%s'", env, pattern), Kind: ErrSLSNotFound})
	}
	return out
}

// matcherCache keeps compiled top file targets: the same few expressions
// are matched against every minion. It is bounded by clearing when full.
type matcherCache struct {
	mu sync.Mutex
	m  map[[2]string]targeting.Matcher
}

const matcherCacheSize = 4096

func (mc *matcherCache) compile(typ targeting.Type, expr string, nodegroups map[string]any) (targeting.Matcher, error) {
	k := [2]string{string(typ), expr}
	mc.mu.Lock()
	m, ok := mc.m[k]
	mc.mu.Unlock()
	if ok {
		return m, nil
	}
	m, err := targeting.Compile(typ, expr, targeting.Options{Nodegroups: nodegroups})
	if err != nil {
		return nil, err
	}
	mc.mu.Lock()
	if mc.m == nil || len(mc.m) >= matcherCacheSize {
		mc.m = make(map[[2]string]targeting.Matcher)
	}
	mc.m[k] = m
	mc.mu.Unlock()
	return m, nil
}
