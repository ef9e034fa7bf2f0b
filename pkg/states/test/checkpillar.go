package test

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/template"
)

func init() {
	state.Register(state.Def{Name: "test.check_pillar", Func: checkPillar, Doc: `Fail unless the pillar holds the keys a formula needs, of the right type.

Arguments (each a key or a list of colon-separated keys): present (any
value), boolean, integer, string, listing (a list), dictionary (a
mapping); verbose (True: also list the keys that passed).`})
}

func checkPillar(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	checks := []struct {
		arg, what string
		is        func(any) bool
	}{
		{"present", "", nil},
		{"boolean", "bool", func(v any) bool { _, ok := v.(bool); return ok }},
		{"integer", "int", func(v any) bool {
			switch v.(type) {
			case int, int64, int32, uint64, uint32, uint:
				return true
			}
			return false
		}},
		{"string", "str", func(v any) bool { _, ok := v.(string); return ok }},
		{"listing", "list", func(v any) bool { _, ok := v.([]any); return ok }},
		{"dictionary", "dict", func(v any) bool { _, ok := v.(map[string]any); return ok }},
	}
	keys := make([][]string, len(checks))
	for i, c := range checks {
		keys[i], _ = a.Strings(c.arg)
	}
	verbose := a.Bool("verbose", false)
	if err := a.Err(); err != nil {
		return invalid(err)
	}
	var pil map[string]any
	if req.Env != nil && req.Env.Pillar != nil {
		pil = req.Env.Pillar()
	}
	var fine, failed []string
	for i, c := range checks {
		for _, k := range keys[i] {
			v, found := template.Lookup(pil, k, ":")
			switch {
			case !found:
				failed = append(failed, k+" is missing")
			case c.is == nil:
				fine = append(fine, k+" is present")
			case c.is(v):
				fine = append(fine, fmt.Sprintf("%s is %s", k, c.what))
			default:
				failed = append(failed, fmt.Sprintf("%s is not %s", k, c.what))
			}
		}
	}
	sort.Strings(fine)
	sort.Strings(failed)
	var comment []string
	if verbose && len(fine) > 0 {
		comment = append(comment, "Succeeded checks:\n"+strings.Join(fine, "\n"))
	}
	if len(failed) > 0 {
		comment = append(comment, "Failed checks:\n"+strings.Join(failed, "\n"))
		return state.Result{Result: state.False(), Comment: strings.Join(comment, "\n")}
	}
	return state.Result{Result: state.True(), Comment: strings.Join(comment, "\n")}
}
