// Package debconf provides Salt's debconf.set state: preseed the answers
// to a Debian package's install-time questions, before the package is
// installed or reconfigured.
//
//	mysql-server:
//	  debconf.set:
//	    - data:
//	        'mysql-server/root_password': {'type': 'password', 'value': 'secret'}
package debconf

import (
	"context"
	"fmt"
	"sort"
	"strings"

	moddeb "github.com/halite/halite/pkg/modules/debconf"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/value"
)

func init() {
	state.Register(state.Def{Name: "debconf.set", Func: set, Doc: `Set debconf answers for the package NAME.

Arguments: data ({question: {type: TYPE, value: VALUE}}; booleans are
written true/false as debconf wants). Password values are never shown in
changes.`})
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}

func set(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	data, _ := a.Map("data")
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	sel, err := moddeb.Selections(moddeb.Dir)
	if err != nil {
		return fail("Reading the debconf database: %v", err)
	}
	current := map[string]moddeb.Answer{}
	for _, ans := range sel[req.Name] {
		current[ans.Question] = ans
	}
	questions := make([]string, 0, len(data))
	for q := range data {
		questions = append(questions, q)
	}
	sort.Strings(questions)
	changes := map[string]any{}
	var unchanged []string
	failed := false
	for _, q := range questions {
		spec, err := args.ToMap(data[q])
		if err != nil || spec["type"] == nil {
			return fail("Invalid arguments: data %s: want {type: ..., value: ...}", q)
		}
		typ := fmt.Sprint(spec["type"])
		val := strValue(spec["value"])
		if typ == "boolean" {
			val = map[bool]string{true: "true", false: "false"}[value.Truthy(spec["value"]) && val != "false"]
		}
		if cur, ok := current[q]; ok && cur.Type == typ && cur.Value == val {
			unchanged = append(unchanged, q)
			continue
		}
		shown := val
		if typ == "password" {
			shown = "(password hidden)"
		}
		if req.Test {
			changes[q] = "New value: " + shown
			continue
		}
		if err := moddeb.Set(ctx, req.Name, q, typ, val); err != nil {
			changes[q] = "Failed to set!"
			failed = true
			continue
		}
		changes[q] = shown
	}
	switch {
	case failed:
		return state.Result{Result: state.False(), Changes: changes, Comment: "Some settings failed to be applied."}
	case len(changes) == 0:
		return state.Result{Result: state.True(), Comment: "All specified answers are already set"}
	case req.Test:
		return state.Result{Changes: changes, Comment: unchangedComment(unchanged)}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: unchangedComment(unchanged)}
}

func unchangedComment(qs []string) string {
	if len(qs) == 0 {
		return ""
	}
	return "Unchanged answers: " + strings.Join(qs, " ")
}

func strValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return value.Repr(v)
}
