// Package pillar provides Salt's pillar.* functions (and
// saltutil.refresh_pillar), which read the pillar the minion holds in
// memory: the data the master compiled for it (pkg/pillar) and sent it.
package pillar

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/halite/halite/pkg/modules"
	hpillar "github.com/halite/halite/pkg/pillar"
	"github.com/halite/halite/pkg/template"
)

// ErrNoPillar is returned when the call's Env carries no pillar.
var ErrNoPillar = errors.New("pillar is not available in this context")

func init() {
	modules.Register("pillar.items", `Return all of the minion's pillar data.

Unlike Salt, which compiles a fresh pillar for pillar.items, this returns
the pillar the minion holds; run pillar.refresh first to fetch a new one.

CLI Example:

    halite-master run '*' pillar.items
`, items)
	modules.Register("pillar.get", `Return the value of a pillar key, or DEFAULT ("" unless given) when it
does not exist. Nested values are reached with a delimiter (default ":"):
a key into a mapping, or an index into a list.

With merge=True and a DEFAULT that is a mapping (or a list), the pillar
value is merged over DEFAULT (appended to it) instead of replacing it;
merge_nested_lists=True merges lists inside the mappings too.

    pillar.get KEY [DEFAULT] [delimiter=:] [merge=False] [merge_nested_lists=False]

CLI Example:

    halite-master run '*' pillar.get mysql:server:port 3306
    halite-master run '*' pillar.get apache,vhosts delimiter=,
`, get)
	modules.Register("pillar.fetch", `The same as pillar.get (Salt keeps both names).

CLI Example:

    halite-master run '*' pillar.fetch users
`, get)
	modules.Register("pillar.item", `Return a mapping of the named pillar keys to their values ("" or
DEFAULT for a key that does not exist). Nested keys work as in pillar.get.

CLI Example:

    halite-master run '*' pillar.item mysql:server:port users
`, item)
	modules.Register("pillar.ls", `Return the sorted top-level keys of the pillar.

CLI Example:

    halite-master run '*' pillar.ls
`, ls)
	modules.Register("pillar.keys", `Return the sorted keys of the mapping at KEY (nested with ":"). It is an
error when KEY does not exist or is not a mapping.

CLI Example:

    halite-master run '*' pillar.keys users
`, keys)
	modules.Register("pillar.raw", `Return the raw pillar the minion holds, or only the top-level KEY
(no nesting; {} when it is missing).

CLI Example:

    halite-master run '*' pillar.raw
    halite-master run '*' pillar.raw key=users
`, raw)
	modules.Register("pillar.filter_by", `Look up a value in LOOKUP (a mapping) by the minion's value of the
pillar key PILLAR. Keys may be globs; when none matches, the DEFAULT key
("default") is used. With base, lookup[base] is merged under the result;
with merge, merge is merged over it.

    pillar.filter_by LOOKUP PILLAR [merge=MAP] [default=default] [base=KEY]

CLI Example:

    halite-master run '*' pillar.filter_by '{web: 80, db: 5432, default: 0}' role

Template example:

    {% set role = salt['pillar.filter_by']({
        'web': {'port': 80}, 'db': {'port': 5432},
    }, pillar='role') %}
`, filterBy)
	modules.Register("pillar.refresh", `Fetch a fresh pillar from the master and keep it, so states, templates
and pillar.get see changes at once. Returns true.

CLI Example:

    halite-master run '*' pillar.refresh
`, refresh)
	modules.Register("saltutil.refresh_pillar", `Fetch a fresh pillar from the master and keep it (the same as
pillar.refresh). The refresh always completes before the function
returns; wait is accepted for compatibility with Salt, and timeout
(seconds, default 30) bounds it.

CLI Example:

    halite-master run '*' saltutil.refresh_pillar
`, refresh)
}

func current(c *modules.Call) (map[string]any, error) {
	if c.Env == nil || c.Env.Pillar == nil {
		return nil, ErrNoPillar
	}
	// A pillar that did not compile is an error, never an empty pillar:
	// code that reads it would take every key as unset.
	if c.Env.PillarError != nil {
		if err := c.Env.PillarError(); err != nil {
			return nil, fmt.Errorf("the pillar did not compile: %w", err)
		}
	}
	p := c.Env.Pillar()
	if p == nil {
		p = map[string]any{}
	}
	return p, nil
}

func items(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	return current(c)
}

func get(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "key", "default", "delimiter", "merge", "merge_nested_lists"); err != nil {
		return nil, err
	}
	key, err := c.String(0, "key")
	if err != nil {
		return nil, err
	}
	def, _, err := c.Value(1, "default")
	if err != nil {
		return nil, err
	}
	if def == nil {
		def = ""
	}
	delim, err := c.OptString(-1, "delimiter", hpillar.DefaultDelimiter)
	if err != nil {
		return nil, err
	}
	merge, err := c.OptBool(-1, "merge", false)
	if err != nil {
		return nil, err
	}
	mergeLists, err := c.OptBool(-1, "merge_nested_lists", false)
	if err != nil {
		return nil, err
	}
	p, err := current(c)
	if err != nil {
		return nil, err
	}
	if !merge {
		return hpillar.Get(p, key, def, delim), nil
	}
	missing := &struct{}{}
	v := hpillar.Get(p, key, missing, delim)
	switch d := def.(type) {
	case map[string]any:
		if v == missing {
			return def, nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("merge=True: pillar key '%s' is not a mapping, the default is", key)
		}
		return hpillar.Merge(d, m, mergeLists), nil
	case []any:
		if v == missing {
			return def, nil
		}
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("merge=True: pillar key '%s' is not a list, the default is", key)
		}
		merged := hpillar.Merge(map[string]any{"v": d}, map[string]any{"v": l}, true)
		return merged["v"], nil
	}
	return nil, fmt.Errorf("merge=True needs a default that is a mapping or a list, not %T", def)
}

func item(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(modules.Variadic, "default", "delimiter"); err != nil {
		return nil, err
	}
	keys, err := c.RestStrings(0)
	if err != nil {
		return nil, err
	}
	def, _, err := c.Value(-1, "default")
	if err != nil {
		return nil, err
	}
	if def == nil {
		def = ""
	}
	delim, err := c.OptString(-1, "delimiter", hpillar.DefaultDelimiter)
	if err != nil {
		return nil, err
	}
	p, err := current(c)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		out[k] = hpillar.Get(p, k, def, delim)
	}
	return out, nil
}

func sortedKeys(m map[string]any) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

func ls(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	p, err := current(c)
	if err != nil {
		return nil, err
	}
	return sortedKeys(p), nil
}

func keys(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "key", "delimiter"); err != nil {
		return nil, err
	}
	key, err := c.String(0, "key")
	if err != nil {
		return nil, err
	}
	delim, err := c.OptString(-1, "delimiter", hpillar.DefaultDelimiter)
	if err != nil {
		return nil, err
	}
	p, err := current(c)
	if err != nil {
		return nil, err
	}
	missing := &struct{}{}
	v := hpillar.Get(p, key, missing, delim)
	if v == missing {
		return nil, fmt.Errorf("pillar key not found: %s", key)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("pillar key %s is not a mapping", key)
	}
	return sortedKeys(m), nil
}

func raw(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "key"); err != nil {
		return nil, err
	}
	key, err := c.OptString(0, "key", "")
	if err != nil {
		return nil, err
	}
	p, err := current(c)
	if err != nil {
		return nil, err
	}
	if key == "" {
		return p, nil
	}
	if v, ok := p[key]; ok {
		return v, nil
	}
	return map[string]any{}, nil
}

func filterBy(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(5, "lookup_dict", "pillar", "merge", "default", "base"); err != nil {
		return nil, err
	}
	lookup, err := c.OptMap(0, "lookup_dict")
	if err != nil {
		return nil, err
	}
	if lookup == nil {
		if _, given, _ := c.Value(0, "lookup_dict"); !given {
			return nil, errors.New("a lookup mapping is required")
		}
		lookup = map[string]any{} // an empty one: nothing matches, merge still applies
	}
	key, err := c.String(1, "pillar")
	if err != nil {
		return nil, err
	}
	merge, err := c.OptMap(2, "merge")
	if err != nil {
		return nil, err
	}
	def, err := c.OptString(3, "default", "default")
	if err != nil {
		return nil, err
	}
	base, err := c.OptString(4, "base", "")
	if err != nil {
		return nil, err
	}
	p, err := current(c)
	if err != nil {
		return nil, err
	}
	return template.FilterBy(lookup, hpillar.Get(p, key, nil, hpillar.DefaultDelimiter), merge, def, base)
}

func refresh(ctx context.Context, c *modules.Call) (any, error) {
	names := []string{}
	if c.Fun == "saltutil.refresh_pillar" {
		names = []string{"wait", "timeout"}
	}
	if err := c.Expect(0, names...); err != nil {
		return nil, err
	}
	if _, _, err := c.Value(-1, "wait"); err != nil {
		return nil, err
	}
	timeout, err := c.OptFloat(-1, "timeout", 30)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 || timeout > 86400 {
		return nil, &modules.ArgError{Name: "timeout", Msg: "must be a number of seconds between 0 and 86400"}
	}
	if c.Env == nil || c.Env.RefreshPillar == nil {
		return nil, errors.New("this minion cannot refresh its pillar here")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Duration(timeout*float64(time.Second)))
	defer cancel()
	if _, err := c.Env.RefreshPillar(ctx); err != nil {
		return nil, fmt.Errorf("refresh pillar: %w", err)
	}
	return true, nil
}
