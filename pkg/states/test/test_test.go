package test_test

import (
	"strings"
	"testing"

	"github.com/halite/halite/pkg/modules"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/statetest"
	_ "github.com/halite/halite/pkg/states/test"
)

func TestTestStates(t *testing.T) {
	pretend := map[string]any{"old": "Unchanged", "new": "Something pretended to change"}
	for _, tc := range []struct {
		fun     string
		args    map[string]any
		dry     bool
		want    statetest.Outcome
		comment string
		changes bool
	}{
		{"test.nop", map[string]any{"anything": "goes"}, false, statetest.Unchanged, "Success!", false},
		{"test.succeed_without_changes", nil, false, statetest.Unchanged, "Success!", false},
		{"test.succeed_without_changes", map[string]any{"comment": "custom"}, false, statetest.Unchanged, "custom", false},
		{"test.succeed_without_changes", nil, true, statetest.Unchanged, "Success!", false},
		{"test.succeed_with_changes", nil, false, statetest.Changed, "Success!", true},
		{"test.succeed_with_changes", nil, true, statetest.WouldChange, "If we weren't testing, this would be successful with changes", true},
		{"test.fail_without_changes", nil, false, statetest.Failed, "Failure!", false},
		{"test.fail_without_changes", nil, true, statetest.Failed, "If we weren't testing, this would be a failure!", false},
		{"test.fail_with_changes", nil, false, statetest.Failed, "Failure!", true},
		{"test.fail_with_changes", nil, true, statetest.WouldChange, "If we weren't testing, this would be failed with changes", true},
		{"test.show_notification", map[string]any{"text": "Remember the keys"}, false, statetest.Unchanged, "Remember the keys", false},
		{"test.show_notification", nil, false, statetest.Failed, "Missing required argument text.", false},
		{"test.succeed_with_changes", map[string]any{"bogus": 1}, false, statetest.Changed, "Success!\nWarnings: 'bogus' is an invalid keyword argument for this state; it was ignored", true},
	} {
		res := statetest.Call(t, tc.fun, "id", tc.args, tc.dry)
		if got := statetest.Classify(res); got != tc.want || res.Comment != tc.comment {
			t.Errorf("%s %v test=%v: %s; want %s %q", tc.fun, tc.args, tc.dry, statetest.Format(res), tc.want, tc.comment)
			continue
		}
		if tc.changes {
			got, _ := res.Changes["testing"].(map[string]any)
			if got["old"] != pretend["old"] || got["new"] != pretend["new"] {
				t.Errorf("%s: changes %v", tc.fun, res.Changes)
			}
		}
	}
}

func TestTestModWatch(t *testing.T) {
	res := statetest.Watch(t, "test.succeed_without_changes", "id", nil, false)
	if statetest.Classify(res) != statetest.Unchanged || res.Comment != "Watch statement fired." {
		t.Fatalf("mod_watch: %s", statetest.Format(res))
	}
}

func TestAllRegistered(t *testing.T) {
	for _, n := range []string{"test.nop", "test.succeed_without_changes", "test.succeed_with_changes",
		"test.fail_without_changes", "test.fail_with_changes", "test.show_notification"} {
		if d, ok := state.LookupFunc(n); !ok || d.Doc == "" {
			t.Errorf("%s: registered=%v, doc=%q", n, ok, d.Doc)
		}
	}
}

func TestCheckPillar(t *testing.T) {
	env := &modules.Env{Pillar: func() map[string]any {
		return map[string]any{"app": map[string]any{"port": 8080, "name": "web", "tls": true, "hosts": []any{"a"}, "opts": map[string]any{}}}
	}}
	good := statetest.CallEnv(t, "test.check_pillar", "pillar ok", map[string]any{
		"present": "app:name", "integer": "app:port", "string": []any{"app:name"}, "boolean": "app:tls",
		"listing": "app:hosts", "dictionary": "app:opts", "verbose": true,
	}, false, env, nil)
	if good.Result == nil || !*good.Result || !strings.Contains(good.Comment, "app:port is int") {
		t.Fatalf("all present: %v %s", good.Result, good.Comment)
	}
	bad := statetest.CallEnv(t, "test.check_pillar", "pillar bad", map[string]any{
		"integer": "app:name", "present": []any{"app:nope", "app:port"},
	}, false, env, nil)
	if bad.Result == nil || *bad.Result || !strings.Contains(bad.Comment, "app:name is not int") || !strings.Contains(bad.Comment, "app:nope is missing") {
		t.Fatalf("failures: %v %s", bad.Result, bad.Comment)
	}
}
