package state

import (
	"context"
	"reflect"
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
