package cond_test

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

// onlyif, unless (commands and the fun: form), creates, check_cmd and
// retry work on every state, as Salt's global state arguments do.
func TestGlobalStateArguments(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "marker")
	os.WriteFile(marker, []byte("x"), 0o644)
	f := func(name string, extra map[string]any) state.Chunk {
		args := map[string]any{"contents": "hello"}
		for k, v := range extra {
			args[k] = v
		}
		return state.Chunk{State: "file", Fun: "managed", ID: name, Name: filepath.Join(dir, name), Args: args}
	}
	low := []state.Chunk{
		f("onlyif-false", map[string]any{"onlyif": "false"}),
		f("onlyif-true", map[string]any{"onlyif": []any{"true", "test -f " + marker}}),
		f("unless-true", map[string]any{"unless": "test -f " + marker}),
		f("unless-fun", map[string]any{"unless": []any{map[string]any{"fun": "file.file_exists", "args": []any{marker}}}}),
		f("onlyif-fun-false", map[string]any{"onlyif": []any{map[string]any{"fun": "file.file_exists", "args": []any{filepath.Join(dir, "nope")}}}}),
		f("creates", map[string]any{"creates": marker}),
		// file.managed's own check_cmd validates the new contents first.
		f("check-cmd-fails", map[string]any{"check_cmd": "false"}),
		f("check-cmd-ok", map[string]any{"check_cmd": "grep -q hello", "reload_modules": true}),
		// Any other state: check_cmd judges the run afterwards.
		{State: "file", Fun: "directory", ID: "dir-check", Name: filepath.Join(dir, "dir-check"), Args: map[string]any{"check_cmd": "false"}},
	}
	env := &modules.Env{Logger: hclog.NewNullLogger(), Grains: func() map[string]any { return map[string]any{} }, Pillar: func() map[string]any { return map[string]any{} }}
	ret, err := state.Run(context.Background(), low, state.RunOptions{Env: env})
	if err != nil {
		t.Fatal(err)
	}
	get := func(id string) *state.StateReturn {
		for _, r := range ret {
			if r.ID == id {
				return r
			}
		}
		t.Fatalf("no result for %s", id)
		return nil
	}
	exists := func(name string) bool { _, err := os.Stat(filepath.Join(dir, name)); return err == nil }
	for id, want := range map[string]bool{
		"onlyif-false": false, "onlyif-true": true, "unless-true": false, "unless-fun": false,
		"onlyif-fun-false": false, "creates": false, "check-cmd-fails": false, "check-cmd-ok": true, "dir-check": true,
	} {
		if exists(id) != want {
			t.Errorf("%s: file written = %v, want %v (%s)", id, exists(id), want, get(id).Comment)
		}
		if strings.Contains(get(id).Comment, "invalid keyword argument") {
			t.Errorf("%s: a global argument was treated as unknown: %s", id, get(id).Comment)
		}
	}
	if r := get("check-cmd-fails"); !r.Failed() || !strings.Contains(r.Comment, "The check_cmd execution failed") {
		t.Errorf("file.managed check_cmd: %+v", r)
	}
	if r := get("dir-check"); !r.Failed() || !strings.Contains(r.Comment, "check_cmd determined the state failed") {
		t.Errorf("global check_cmd: %+v", r)
	}
	if r := get("onlyif-false"); r.Failed() || r.Comment != "onlyif condition is false" {
		t.Errorf("onlyif false: %+v", r)
	}
}

// retry runs a failing state again until it succeeds.
func TestRetry(t *testing.T) {
	dir := t.TempDir()
	flag := filepath.Join(dir, "flag")
	// The command fails the first time (it leaves the flag behind) and
	// succeeds the second.
	low := []state.Chunk{{State: "cmd", Fun: "run", ID: "flaky", Name: "test -e " + flag + " || { touch " + flag + "; exit 1; }",
		Args: map[string]any{"retry": map[string]any{"attempts": 3, "interval": 0}}}}
	ret, err := state.Run(context.Background(), low, state.RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range ret {
		if r.Failed() || !strings.Contains(r.Comment, "Attempt 1: Returned a result of \"False\"") {
			t.Errorf("retry: %+v", r)
		}
	}
}
