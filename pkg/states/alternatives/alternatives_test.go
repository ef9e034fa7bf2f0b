package alternatives

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/halite/halite/pkg/states/internal/statetest"
)

// A throwaway alternative with two choices: install, set, remove, each
// converging and then idempotent.
func TestAlternatives(t *testing.T) {
	statetest.RequireRoot(t)
	statetest.RequireCommand(t, "update-alternatives", "dpkg")
	dir := t.TempDir()
	name := statetest.UniqueName("halt")
	link := filepath.Join(dir, "link")
	one, two := filepath.Join(dir, "one"), filepath.Join(dir, "two")
	for _, p := range []string{one, two} {
		os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755)
	}
	t.Cleanup(func() { exec.Command("update-alternatives", "--remove-all", name).Run() })
	call := func(fun string, args map[string]any, dry bool) string {
		return statetest.Classify(statetest.Call(t, fun, name, args, dry)).String()
	}
	for _, step := range []struct {
		fun  string
		args map[string]any
		dry  bool
		want statetest.Outcome
	}{
		{"alternatives.install", map[string]any{"link": link, "path": one, "priority": 10}, true, statetest.WouldChange},
		{"alternatives.install", map[string]any{"link": link, "path": one, "priority": 10}, false, statetest.Changed},
		{"alternatives.install", map[string]any{"link": link, "path": one, "priority": 10}, false, statetest.Unchanged},
		{"alternatives.install", map[string]any{"link": link, "path": two, "priority": 20}, false, statetest.Changed},
		{"alternatives.set", map[string]any{"path": one}, false, statetest.Changed},
		{"alternatives.set", map[string]any{"path": one}, false, statetest.Unchanged},
		{"alternatives.set", map[string]any{"path": filepath.Join(dir, "nope")}, false, statetest.Failed},
		{"alternatives.remove", map[string]any{"path": two}, false, statetest.Changed},
		{"alternatives.remove", map[string]any{"path": two}, false, statetest.Unchanged},
	} {
		if got := call(step.fun, step.args, step.dry); got != step.want.String() {
			t.Fatalf("%s %v dry=%v: %s, want %s", step.fun, step.args, step.dry, got, step.want)
		}
	}
	if target, _ := filepath.EvalSymlinks(link); target != one {
		t.Errorf("the link resolves to %s, want %s", target, one)
	}
}
