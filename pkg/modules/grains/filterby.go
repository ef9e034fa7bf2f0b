package grains

import (
	"context"
	"errors"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/template"
)

func init() {
	modules.Register("grains.filter_by", `Look up a value in LOOKUP (a mapping) by the minion's value of GRAIN
(default os_family): map.jinja's favourite. Keys may be globs; when none
matches, the DEFAULT key ("default") is used. With base, lookup[base] is
merged under the result; with merge (e.g. a pillar override), merge is
merged over it.

    grains.filter_by LOOKUP [grain=os_family] [merge=MAP] [default=default] [base=KEY]

CLI Example:

    halite-master run '*' grains.filter_by '{Debian: apt, RedHat: yum}'

Template example:

    {% set nginx = salt['grains.filter_by']({
        'Debian': {'pkg': 'nginx', 'user': 'www-data'},
        'RedHat': {'pkg': 'nginx', 'user': 'nginx'},
    }, merge=salt['pillar.get']('nginx:lookup')) %}
`, filterBy)
}

func filterBy(_ context.Context, call *modules.Call) (any, error) {
	if err := call.Expect(5, "lookup_dict", "grain", "merge", "default", "base"); err != nil {
		return nil, err
	}
	lookup, err := call.OptMap(0, "lookup_dict")
	if err != nil {
		return nil, err
	}
	if lookup == nil {
		if _, given, _ := call.Value(0, "lookup_dict"); !given {
			return nil, errors.New("a lookup mapping is required")
		}
		lookup = map[string]any{} // an empty one: nothing matches, merge still applies
	}
	grain, err := call.OptString(1, "grain", "os_family")
	if err != nil {
		return nil, err
	}
	merge, err := call.OptMap(2, "merge")
	if err != nil {
		return nil, err
	}
	def, err := call.OptString(3, "default", "default")
	if err != nil {
		return nil, err
	}
	base, err := call.OptString(4, "base", "")
	if err != nil {
		return nil, err
	}
	if call.Env == nil || call.Env.Grains == nil {
		return nil, ErrNoGrains
	}
	value, _ := template.Lookup(call.Env.Grains(), grain, ":")
	return template.FilterBy(lookup, value, merge, def, base)
}
