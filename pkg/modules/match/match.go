// Package match provides Salt's match.* execution functions: whether this
// minion is selected by a target expression, as the master would decide
// (formulas use them to branch on roles: salt['match.compound']('G@role:db
// and web*')). They stand on pkg/targeting, the master's own matcher.
package match

import (
	"context"
	"fmt"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/targeting"
)

func init() {
	for _, f := range []struct {
		name string
		typ  targeting.Type
		ex   string
	}{
		{"glob", targeting.Glob, "'web*'"},
		{"pcre", targeting.PCRE, "'web[0-9]+'"},
		{"list", targeting.List, "'web1,web2'"},
		{"grain", targeting.Grain, "'os:Debian'"},
		{"grain_pcre", targeting.GrainPCRE, "'os:Deb.*'"},
		{"pillar", targeting.Pillar, "'role:db'"},
		{"pillar_pcre", targeting.PillarPCRE, "'role:d.*'"},
		{"ipcidr", targeting.IPCIDR, "'10.0.0.0/8'"},
		{"compound", targeting.Compound, "'G@os:Debian and web*'"},
	} {
		typ := f.typ
		modules.Register("match."+f.name, fmt.Sprintf(`Return true when this minion (or MINION_ID) matches the %s target TGT, as the
master decides.

CLI Example:

    halite-master run '*' match.%s %s
`, f.name, f.name, f.ex), func(ctx context.Context, c *modules.Call) (any, error) { return matches(c, typ) })
	}
}

func matches(c *modules.Call, typ targeting.Type) (any, error) {
	if err := c.Expect(3, "tgt", "delimiter", "minion_id"); err != nil {
		return nil, err
	}
	tgt, err := c.String(0, "tgt")
	if err != nil {
		return nil, err
	}
	id := ""
	var grains, pillar map[string]any
	if c.Env != nil {
		id = c.Env.ID
		if c.Env.Grains != nil {
			grains = c.Env.Grains()
		}
		if c.Env.Pillar != nil {
			pillar = c.Env.Pillar()
		}
	}
	if v, ok, _ := c.Value(2, "minion_id"); ok {
		id = fmt.Sprint(v)
	}
	m, err := targeting.Compile(typ, tgt, targeting.Options{})
	if err != nil {
		return nil, err
	}
	return m.Match(&targeting.Minion{ID: id, Grains: grains, Pillar: pillar}), nil
}
