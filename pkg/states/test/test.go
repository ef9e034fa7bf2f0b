// Package test provides Salt's test.* states: states with a fixed outcome,
// used to try requisites, output and failhard without touching the system.
//
//	always-passes:
//	  test.succeed_without_changes
//	needs-attention:
//	  test.show_notification:
//	    - text: Remember to rotate the keys
package test

import (
	"context"
	"fmt"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "test.nop", Func: nop, Doc: `A state that does nothing and succeeds; any arguments are accepted and
ignored. Useful with requisites, or where a template might otherwise
render an empty SLS.`})
	state.Register(state.Def{Name: "test.succeed_without_changes", Func: succeedWithoutChanges, ModWatch: modWatch,
		Doc: "Succeeds and reports no changes. comment overrides the comment."})
	state.Register(state.Def{Name: "test.succeed_with_changes", Func: succeedWithChanges, ModWatch: modWatch,
		Doc: "Succeeds and reports a change, so states watching it fire. In test mode the result is None."})
	state.Register(state.Def{Name: "test.fail_without_changes", Func: failWithoutChanges, ModWatch: modWatch,
		Doc: "Fails and reports no changes, in test mode too."})
	state.Register(state.Def{Name: "test.fail_with_changes", Func: failWithChanges, ModWatch: modWatch,
		Doc: "Fails and reports a change. In test mode the result is None."})
	state.Register(state.Def{Name: "test.show_notification", Func: showNotification,
		Doc: "Succeeds with text (required) as its comment: a message in the highstate output."})
}

// testChanges is the change Salt's test states report.
func testChanges() map[string]any {
	return map[string]any{"testing": map[string]any{"old": "Unchanged", "new": "Something pretended to change"}}
}

// commentArg reads the optional comment argument every test state takes.
func commentArg(req *state.Request, def string) (string, error) {
	a := args.Lenient(req.Args, req.Warn)
	c := a.String("comment", def)
	return c, a.Err()
}

func invalid(err error) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf("Invalid arguments: %v", err)}
}

func nop(ctx context.Context, req *state.Request) state.Result {
	return state.Result{Result: state.True(), Comment: "Success!"}
}

func succeedWithoutChanges(ctx context.Context, req *state.Request) state.Result {
	c, err := commentArg(req, "Success!")
	if err != nil {
		return invalid(err)
	}
	return state.Result{Result: state.True(), Comment: c}
}

func succeedWithChanges(ctx context.Context, req *state.Request) state.Result {
	c, err := commentArg(req, "Success!")
	if err != nil {
		return invalid(err)
	}
	if req.Test {
		return state.Result{Changes: testChanges(), Comment: "If we weren't testing, this would be successful with changes"}
	}
	return state.Result{Result: state.True(), Changes: testChanges(), Comment: c}
}

func failWithoutChanges(ctx context.Context, req *state.Request) state.Result {
	c, err := commentArg(req, "Failure!")
	if err != nil {
		return invalid(err)
	}
	if req.Test {
		c = "If we weren't testing, this would be a failure!"
	}
	return state.Result{Result: state.False(), Comment: c}
}

func failWithChanges(ctx context.Context, req *state.Request) state.Result {
	c, err := commentArg(req, "Failure!")
	if err != nil {
		return invalid(err)
	}
	if req.Test {
		return state.Result{Changes: testChanges(), Comment: "If we weren't testing, this would be failed with changes"}
	}
	return state.Result{Result: state.False(), Changes: testChanges(), Comment: c}
}

func showNotification(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	text := a.String("text", "")
	if err := a.Err(); err != nil {
		return invalid(err)
	}
	if text == "" {
		return state.Result{Result: state.False(), Comment: "Missing required argument text."}
	}
	return state.Result{Result: state.True(), Comment: text}
}

// modWatch is Salt's test.mod_watch: it fires with a fixed comment, so a
// requisite chain can be seen working.
func modWatch(ctx context.Context, req *state.Request) state.Result {
	c, err := commentArg(req, "Watch statement fired.")
	if err != nil {
		return invalid(err)
	}
	if req.Test {
		return state.Result{Comment: c}
	}
	return state.Result{Result: state.True(), Comment: c}
}
