package state

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/modules"
)

// state.apply pillar={...} merges over the minion's pillar for that run
// (Salt's command-line pillar), and anything but a mapping is refused.
func TestApplyPillarOverride(t *testing.T) {
	var seen map[string]any
	f := Functions(func(env *modules.Env) (*Compiler, error) {
		seen = env.Pillar()
		return &Compiler{Source: memSource{"top.sls": "base: {}\n", "x.sls": "a:\n  t.succeed: []\n"}}, nil
	})
	env := &modules.Env{Pillar: func() map[string]any { return map[string]any{"app": map[string]any{"port": 80, "name": "web"}} }}
	call := &modules.Call{Fun: "state.apply", Args: []any{"x"}, Kwargs: map[string]any{"pillar": map[string]any{"app": map[string]any{"port": 8080}}}, Env: env}
	if _, err := f["state.apply"](context.Background(), call); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"app": map[string]any{"port": 8080, "name": "web"}}; !reflect.DeepEqual(seen, want) {
		t.Fatalf("pillar seen by the run = %v, want %v", seen, want)
	}
	if env.Pillar()["app"].(map[string]any)["port"] != 80 {
		t.Fatal("the minion's own pillar was changed")
	}
	bad := &modules.Call{Fun: "state.apply", Args: []any{"x"}, Kwargs: map[string]any{"pillar": "port=1"}, Env: env}
	if _, err := f["state.apply"](context.Background(), bad); err == nil {
		t.Fatal("a string pillar was accepted")
	}
}

// An error says its function's name once (modules.Run adds it), not
// "state.apply: state.apply: …" (operator issue, item 9).
func TestStateFunctionErrorsNotDoubled(t *testing.T) {
	name := "state.test_doubled"
	f := Functions(func(env *modules.Env) (*Compiler, error) { return nil, errors.New("no tree") })
	modules.Register(name, "A test-only alias of state.apply.\n\nCLI Example:\n\n    none\n", f["state.apply"])
	env := &modules.Env{CurrentPillar: func(context.Context) (map[string]any, error) { return nil, errors.New("pillar broke") }}
	res := modules.Run(context.Background(), env, name, []any{"x"}, nil)
	msg, _ := res.Return.(string)
	if res.Success || strings.Count(msg, name+":") != 1 || !strings.Contains(msg, "pillar broke") {
		t.Fatalf("error %q", msg)
	}
}
