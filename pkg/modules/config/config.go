// Package config provides Salt's config.get and config.option: a value
// looked up in the minion's configuration, then its grains, then its
// pillar (and the master's options as the pillar's `master` key carries
// them), in Salt's order.
package config

import (
	"context"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/pillar"
	"github.com/halite/halite/pkg/template"
)

func init() {
	modules.Register("config.get", `Return the value of KEY from the minion's configuration, its grains, its
pillar, or the master's configuration (the pillar's master key), the first
that has it, or DEFAULT (""). Nested keys are reached with the delimiter
(default ":"). merge=recurse or merge=overwrite merges mappings found in
several places instead (the configuration wins over grains over pillar).
omit_opts, omit_grains, omit_pillar and omit_master skip a source.

CLI Example:

    halite-master run '*' config.get pkg_mirror:url http://deb.debian.org
`, get)
	modules.Register("config.option", `Return the value of the option VALUE from the minion's configuration,
the master's configuration (the pillar's master key), or the pillar, the
first that has it, or DEFAULT (""). The key is not split on ":".

CLI Example:

    halite-master run '*' config.option file_roots
`, option)
}

type source struct {
	name string
	data func(*modules.Call) map[string]any
}

var sources = []source{
	{"opts", func(c *modules.Call) map[string]any { return c.Env.Opts }},
	{"grains", func(c *modules.Call) map[string]any { return c.Env.Grains() }},
	{"pillar", pillarOf},
	{"master", func(c *modules.Call) map[string]any {
		m, _ := pillarOf(c)["master"].(map[string]any)
		return m
	}},
}

func pillarOf(c *modules.Call) map[string]any {
	if c.Env.Pillar == nil {
		return nil
	}
	return c.Env.Pillar()
}

func get(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "key", "default", "delimiter", "merge", "omit_opts", "omit_grains", "omit_pillar", "omit_master"); err != nil {
		return nil, err
	}
	key, def, err := keyAndDefault(c, "key")
	if err != nil {
		return nil, err
	}
	delim, err := c.OptString(-1, "delimiter", ":")
	if err != nil {
		return nil, err
	}
	merge, err := c.OptString(-1, "merge", "")
	if err != nil {
		return nil, err
	}
	if c.Env == nil {
		return def, nil
	}
	var found []any
	for _, s := range sources {
		if omit, _ := c.OptBool(-1, "omit_"+s.name, false); omit {
			continue
		}
		data := s.data(c)
		if data == nil {
			continue
		}
		if v, ok := template.Lookup(data, key, delim); ok {
			if merge == "" {
				return v, nil
			}
			found = append(found, v)
		}
	}
	if len(found) == 0 {
		return def, nil
	}
	// Merge lowest priority first, so the configuration wins.
	out, ok := found[len(found)-1].(map[string]any)
	if !ok {
		return found[0], nil
	}
	for i := len(found) - 2; i >= 0; i-- {
		m, ok := found[i].(map[string]any)
		if !ok {
			continue
		}
		out = pillar.Merge(out, m, false)
	}
	return out, nil
}

func option(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "value", "default", "omit_opts", "omit_master", "omit_pillar"); err != nil {
		return nil, err
	}
	key, def, err := keyAndDefault(c, "value")
	if err != nil {
		return nil, err
	}
	if c.Env == nil {
		return def, nil
	}
	for _, name := range []string{"opts", "master", "pillar"} {
		if omit, _ := c.OptBool(-1, "omit_"+name, false); omit {
			continue
		}
		for _, s := range sources {
			if s.name != name {
				continue
			}
			if v, ok := s.data(c)[key]; ok {
				return v, nil
			}
		}
	}
	return def, nil
}

// keyAndDefault reads the key (first argument, called name) and the
// default ("" when not given) both functions take.
func keyAndDefault(c *modules.Call, name string) (string, any, error) {
	key, err := c.String(0, name)
	if err != nil {
		return "", nil, err
	}
	def, _, err := c.Value(1, "default")
	if err != nil {
		return "", nil, err
	}
	if def == nil {
		def = ""
	}
	return key, def, nil
}
