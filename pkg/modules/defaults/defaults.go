// Package defaults provides Salt's defaults.* functions, which formulas
// use in their map.jinja to merge their defaults with pillar data.
package defaults

import (
	"context"
	"errors"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/pillar"
	"github.com/halite/halite/pkg/template"
)

func init() {
	modules.Register("defaults.merge", `Deep-merge the mapping SRC into DEST and return the result. With
in_place=True (the default) DEST itself is updated, as formulas expect from
{%- do salt['defaults.merge'](defaults, pillar_data) %}. merge_lists=True
appends lists instead of replacing them.

CLI Example:

    halite-master run '*' defaults.merge '{a: b}' '{d: e}'
`, merge)
	modules.Register("defaults.update", `Update the mapping DEST with DEFAULTS for keys DEST lacks, recursively;
with in_place=True (the default) DEST itself is updated. Returns DEST.

CLI Example:

    halite-master run '*' defaults.update '{a: 1}' '{a: 2, b: 3}'
`, update)
	modules.Register("defaults.deepcopy", `Return a deep copy of SOURCE.

CLI Example:

    halite-master run '*' defaults.deepcopy '{a: [1, 2]}'
`, deepcopy)
	modules.Register("defaults.get", `Return the value of KEY (":"-separated) from the mapping DEFAULTS, or
DEFAULT ("").

CLI Example:

    halite-master run '*' defaults.get '{a: {b: 1}}' a:b
`, get)
}

func maps(c *modules.Call, a, b string) (map[string]any, map[string]any, error) {
	dst, err := c.OptMap(0, a)
	if err != nil {
		return nil, nil, err
	}
	src, err := c.OptMap(1, b)
	if err != nil {
		return nil, nil, err
	}
	if dst == nil {
		dst = map[string]any{}
	}
	return dst, src, nil
}

func merge(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "dest", "src", "merge_lists", "in_place", "convert_none"); err != nil {
		return nil, err
	}
	dst, src, err := maps(c, "dest", "src")
	if err != nil {
		return nil, err
	}
	lists, err := c.OptBool(-1, "merge_lists", false)
	if err != nil {
		return nil, err
	}
	inPlace, err := c.OptBool(-1, "in_place", true)
	if err != nil {
		return nil, err
	}
	merged := pillar.Merge(dst, src, lists)
	if !inPlace {
		return merged, nil
	}
	replace(dst, merged)
	return dst, nil
}

// replace makes dst hold exactly what m holds (the caller's map is the
// one the template syncs back).
func replace(dst, m map[string]any) {
	for k := range dst {
		if _, ok := m[k]; !ok {
			delete(dst, k)
		}
	}
	for k, v := range m {
		dst[k] = v
	}
}

func update(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "dest", "defaults", "merge_lists", "in_place", "convert_none"); err != nil {
		return nil, err
	}
	dst, defs, err := maps(c, "dest", "defaults")
	if err != nil {
		return nil, err
	}
	inPlace, err := c.OptBool(-1, "in_place", true)
	if err != nil {
		return nil, err
	}
	// dest wins: merge dest over the defaults.
	merged := pillar.Merge(defs, dst, false)
	if !inPlace {
		return merged, nil
	}
	replace(dst, merged)
	return dst, nil
}

func deepcopy(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "source"); err != nil {
		return nil, err
	}
	v, ok, err := c.Value(0, "source")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errors.New("source is required")
	}
	// Arguments reach a function as its own copy already.
	return v, nil
}

func get(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "defaults", "key", "default"); err != nil {
		return nil, err
	}
	m, err := c.OptMap(0, "defaults")
	if err != nil {
		return nil, err
	}
	key, err := c.String(1, "key")
	if err != nil {
		return nil, err
	}
	def, _, err := c.Value(2, "default")
	if err != nil {
		return nil, err
	}
	if def == nil {
		def = ""
	}
	if v, ok := template.Lookup(m, key, ":"); ok {
		return v, nil
	}
	return def, nil
}
