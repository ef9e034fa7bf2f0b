package pillar

import (
	"context"
	"fmt"
	"sort"

	"github.com/halite/halite/pkg/template"
)

// compileKey is the context key under which a compile keeps its minion.
type compileKey struct{}

// MinionFromContext returns the minion whose pillar is being compiled, for
// a template.Func passed in Options.Funcs: the id, its grains, and the
// pillar compiled so far (the files before the one rendering). ok is
// false outside a compile. The maps must not be modified.
//
// The master can so expose execution functions to pillar templates with
// a modules.Env built per call from these values.
func MinionFromContext(ctx context.Context) (id string, grains, pillarSoFar map[string]any, ok bool) {
	r, ok := ctx.Value(compileKey{}).(*compileRun)
	if !ok || r == nil {
		return "", nil, nil, false
	}
	return r.id, r.grains, r.acc, true
}

// builtinFuncs are the salt[...] functions every pillar template has.
// They read the minion being compiled, which functions given once per
// Compiler cannot know without MinionFromContext, so they take precedence
// over Options.Funcs of the same name.
var builtinFuncs = map[string]template.Func{
	"grains.get":       grainsGet,
	"grains.item":      grainsItem,
	"grains.items":     grainsItems,
	"grains.filter_by": grainsFilterBy,
	"pillar.get":       pillarGet,
	"pillar.items":     pillarItems,
	"config.get":       configGet,
}

// funcArgs reads a template function's arguments "by position or by
// name", like a Python signature.
type funcArgs struct {
	name   string
	args   []any
	kwargs map[string]any
}

func (a funcArgs) check(maxPos int, names ...string) error {
	if len(a.args) > maxPos {
		return fmt.Errorf("%s takes at most %d positional arguments (%d given)", a.name, maxPos, len(a.args))
	}
	var unknown []string
	for k := range a.kwargs {
		known := false
		for _, n := range names {
			known = known || k == n
		}
		if !known {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%s got an unexpected keyword argument '%s'", a.name, unknown[0])
	}
	return nil
}

func (a funcArgs) value(pos int, name string, def any) any {
	if pos < len(a.args) {
		return a.args[pos]
	}
	if v, ok := a.kwargs[name]; ok {
		return v
	}
	return def
}

func (a funcArgs) str(pos int, name, def string) (string, error) {
	switch v := a.value(pos, name, def).(type) {
	case string:
		return v, nil
	case nil:
		return def, nil
	default:
		return "", fmt.Errorf("%s: argument '%s' must be a string, not %T", a.name, name, v)
	}
}

func (a funcArgs) mapping(pos int, name string) (map[string]any, error) {
	switch v := a.value(pos, name, nil).(type) {
	case map[string]any:
		return v, nil
	case nil:
		return nil, nil
	default:
		return nil, fmt.Errorf("%s: argument '%s' must be a mapping, not %T", a.name, name, v)
	}
}

func current(ctx context.Context, fun string) (*compileRun, error) {
	r, ok := ctx.Value(compileKey{}).(*compileRun)
	if !ok || r == nil {
		return nil, fmt.Errorf("%s is only available while compiling pillar", fun)
	}
	return r, nil
}

// traverseGet is the body of grains.get and pillar.get.
func traverseGet(fun string, data map[string]any, args []any, kwargs map[string]any) (any, error) {
	a := funcArgs{fun, args, kwargs}
	if err := a.check(3, "key", "default", "delimiter"); err != nil {
		return nil, err
	}
	key, err := a.str(0, "key", "")
	if err != nil {
		return nil, err
	}
	delim, err := a.str(2, "delimiter", DefaultDelimiter)
	if err != nil {
		return nil, err
	}
	return Get(data, key, a.value(1, "default", ""), delim), nil
}

func grainsGet(ctx context.Context, args []any, kwargs map[string]any) (any, error) {
	r, err := current(ctx, "grains.get")
	if err != nil {
		return nil, err
	}
	return traverseGet("grains.get", r.grains, args, kwargs)
}

func grainsItem(ctx context.Context, args []any, kwargs map[string]any) (any, error) {
	r, err := current(ctx, "grains.item")
	if err != nil {
		return nil, err
	}
	a := funcArgs{"grains.item", nil, kwargs}
	if err := a.check(0, "default", "delimiter", "sanitize"); err != nil {
		return nil, err
	}
	delim, err := a.str(99, "delimiter", DefaultDelimiter)
	if err != nil {
		return nil, err
	}
	def := a.value(99, "default", "")
	out := make(map[string]any, len(args))
	for _, k := range args {
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("grains.item: keys must be strings, not %T", k)
		}
		out[key] = Get(r.grains, key, def, delim)
	}
	return out, nil
}

func grainsItems(ctx context.Context, args []any, kwargs map[string]any) (any, error) {
	r, err := current(ctx, "grains.items")
	if err != nil {
		return nil, err
	}
	if err := (funcArgs{"grains.items", args, kwargs}).check(0, "sanitize"); err != nil {
		return nil, err
	}
	return r.grains, nil
}

func grainsFilterBy(ctx context.Context, args []any, kwargs map[string]any) (any, error) {
	r, err := current(ctx, "grains.filter_by")
	if err != nil {
		return nil, err
	}
	a := funcArgs{"grains.filter_by", args, kwargs}
	if err := a.check(5, "lookup_dict", "grain", "merge", "default", "base"); err != nil {
		return nil, err
	}
	lookup, err := a.mapping(0, "lookup_dict")
	if err != nil {
		return nil, err
	}
	if lookup == nil {
		return nil, fmt.Errorf("grains.filter_by: a lookup mapping is required")
	}
	grain, err := a.str(1, "grain", "os_family")
	if err != nil {
		return nil, err
	}
	merge, err := a.mapping(2, "merge")
	if err != nil {
		return nil, err
	}
	def, err := a.str(3, "default", "default")
	if err != nil {
		return nil, err
	}
	base, err := a.str(4, "base", "")
	if err != nil {
		return nil, err
	}
	return template.FilterBy(lookup, template.Traverse(r.grains, grain, DefaultDelimiter, nil), merge, def, base)
}

func pillarGet(ctx context.Context, args []any, kwargs map[string]any) (any, error) {
	r, err := current(ctx, "pillar.get")
	if err != nil {
		return nil, err
	}
	return traverseGet("pillar.get", r.acc, args, kwargs)
}

func pillarItems(ctx context.Context, args []any, kwargs map[string]any) (any, error) {
	r, err := current(ctx, "pillar.items")
	if err != nil {
		return nil, err
	}
	if err := (funcArgs{"pillar.items", args, kwargs}).check(0); err != nil {
		return nil, err
	}
	return r.acc, nil
}

// configGet is Salt's config.get: the first of the master opts given to
// the compiler, the minion's grains and the pillar so far that has key.
func configGet(ctx context.Context, args []any, kwargs map[string]any) (any, error) {
	r, err := current(ctx, "config.get")
	if err != nil {
		return nil, err
	}
	a := funcArgs{"config.get", args, kwargs}
	if err := a.check(3, "key", "default", "delimiter"); err != nil {
		return nil, err
	}
	key, err := a.str(0, "key", "")
	if err != nil {
		return nil, err
	}
	delim, err := a.str(2, "delimiter", DefaultDelimiter)
	if err != nil {
		return nil, err
	}
	missing := &struct{}{}
	for _, src := range []map[string]any{r.opts, r.grains, r.acc} {
		if v := template.Traverse(src, key, delim, missing); v != missing {
			return v, nil
		}
	}
	return a.value(1, "default", ""), nil
}
