// Package grains provides Salt's grains.* functions, which read the
// minion's grains (collected by pkg/grains and held by the minion).
package grains

import (
	"context"
	"errors"
	"github.com/halite/halite/pkg/value"
	"sort"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/template"
)

// ErrNoGrains is returned when the call's Env carries no grains.
var ErrNoGrains = errors.New("grains are not available in this context")

func init() {
	modules.Register("grains.items", `Return all of the minion's grains.

CLI Example:

    halite-master run '*' grains.items
`, items)
	modules.Register("grains.get", `Return the value of a grain, or DEFAULT ("" unless given) when it does
not exist. Nested values are reached with a delimiter (default ":"): a
key into a mapping, or an index into a list.

    grains.get KEY [DEFAULT] [delimiter=:]

CLI Example:

    halite-master run '*' grains.get os_family
    halite-master run '*' grains.get ip4_interfaces:eth0:0
    halite-master run '*' grains.get pkg_info,version default=none delimiter=,
`, get)
	modules.Register("grains.item", `Return a mapping of the named grains to their values ("" or DEFAULT for
a grain that does not exist). Nested keys work as in grains.get.

CLI Example:

    halite-master run '*' grains.item os osrelease ip4_interfaces:eth0
`, item)
	modules.Register("grains.ls", `Return the sorted names of all grains.

CLI Example:

    halite-master run '*' grains.ls
`, ls)
	modules.Register("grains.has_value", `Return true when the grain exists and its value is not empty (not null,
false, 0, "" or an empty list or mapping), the way Salt decides.

CLI Example:

    halite-master run '*' grains.has_value roles
`, hasValue)
	modules.Register("grains.refresh", `Collect the grains again and send them to the master, so targeting
and templates see changes (a new address, an edited static grain) at
once. Returns true.

CLI Example:

    halite-master run '*' grains.refresh
`, refresh)
}

func current(c *modules.Call) (map[string]any, error) {
	if c.Env == nil || c.Env.Grains == nil {
		return nil, ErrNoGrains
	}
	g := c.Env.Grains()
	if g == nil {
		g = map[string]any{}
	}
	return g, nil
}

func items(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0, "sanitize"); err != nil {
		return nil, err
	}
	return current(c)
}

func get(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "key", "default", "delimiter", "ordered"); err != nil {
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
	delim, err := c.OptString(-1, "delimiter", ":")
	if err != nil {
		return nil, err
	}
	g, err := current(c)
	if err != nil {
		return nil, err
	}
	if v, ok := template.Lookup(g, key, delim); ok {
		return v, nil
	}
	return def, nil
}

func item(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(modules.Variadic, "default", "delimiter", "sanitize"); err != nil {
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
	delim, err := c.OptString(-1, "delimiter", ":")
	if err != nil {
		return nil, err
	}
	g, err := current(c)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		if v, ok := template.Lookup(g, k, delim); ok {
			out[k] = v
		} else {
			out[k] = def
		}
	}
	return out, nil
}

func ls(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	g, err := current(c)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(g))
	for k := range g {
		names = append(names, k)
	}
	sort.Strings(names)
	return names, nil
}

func hasValue(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "key"); err != nil {
		return nil, err
	}
	key, err := c.String(0, "key")
	if err != nil {
		return nil, err
	}
	g, err := current(c)
	if err != nil {
		return nil, err
	}
	v, ok := template.Lookup(g, key, ":")
	return ok && value.Truthy(v), nil
}

func refresh(ctx context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	if c.Env == nil || c.Env.RefreshGrains == nil {
		return nil, errors.New("this minion cannot refresh grains here")
	}
	if _, err := c.Env.RefreshGrains(ctx); err != nil {
		return nil, err
	}
	return true, nil
}
