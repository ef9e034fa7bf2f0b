package module_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/halite/halite/pkg/modules"
	_ "github.com/halite/halite/pkg/modules/all"
	"github.com/halite/halite/pkg/state"
	_ "github.com/halite/halite/pkg/states/all"
)

func TestModuleRun(t *testing.T) {
	dir := t.TempDir()
	env := &modules.Env{Logger: hclog.NewNullLogger(), Grains: func() map[string]any { return map[string]any{} }, Pillar: func() map[string]any { return map[string]any{} }}
	low := []state.Chunk{
		{State: "module", Fun: "run", ID: "new", Name: "new", Args: map[string]any{
			"file.mkdir": []any{filepath.Join(dir, "a"), map[string]any{"mode": "0750"}},
			"test.arg":   []any{1, map[string]any{"k": "v"}},
		}},
		{State: "module", Fun: "run", ID: "legacy", Name: "test.arg", Args: map[string]any{"m_name": "web", "args": []any{"x"}}},
		{State: "module", Fun: "run", ID: "fails", Name: "fails", Args: map[string]any{"test.false": []any{}}},
		{State: "module", Fun: "run", ID: "missing", Name: "missing", Args: map[string]any{"nope.nothing": []any{}}},
		{State: "module", Fun: "wait", ID: "waits", Name: "waits", Args: map[string]any{"file.mkdir": []any{filepath.Join(dir, "never")}}},
	}
	ret, err := state.Run(context.Background(), low, state.RunOptions{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*state.StateReturn{}
	for _, r := range ret {
		byID[r.ID] = r
	}
	if r := byID["new"]; r.Failed() || r.Changes["test.arg"] == nil {
		t.Errorf("new syntax: %+v", r)
	}
	if st, err := os.Stat(filepath.Join(dir, "a")); err != nil || st.Mode().Perm() != 0o750 {
		t.Errorf("file.mkdir did not run with its keyword argument: %v %v", st, err)
	}
	legacy, _ := byID["legacy"].Changes["test.arg"].(map[string]any)
	if byID["legacy"].Failed() || legacy == nil || legacy["kwargs"].(map[string]any)["name"] != "web" {
		t.Errorf("legacy syntax: %+v", byID["legacy"])
	}
	if r := byID["fails"]; !r.Failed() {
		t.Errorf("a function returning False must fail the state: %+v", r)
	}
	if r := byID["missing"]; !r.Failed() || !strings.Contains(r.Comment, "nope.nothing is not available") {
		t.Errorf("missing function: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); err == nil {
		t.Error("module.wait ran without a watched change")
	}
	// In test mode nothing runs.
	low[0].Args["file.mkdir"] = []any{filepath.Join(dir, "dry")}
	ret, _ = state.Run(context.Background(), low[:1], state.RunOptions{Env: env, Test: true})
	for _, r := range ret {
		if r.Result != nil || !strings.Contains(r.Comment, "to be executed") {
			t.Errorf("test mode: %+v", r)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dry")); err == nil {
		t.Error("test mode ran the function")
	}
}
