package file_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

// step is one state of a sequence run like the runner runs a state tree.
type step struct {
	id, fun, name string
	args          map[string]any
}

// dryThenApply runs steps as a dry run (each state seeing what the ones
// before it predicted, as the runner passes them on), checks the dry run
// touched nothing, then runs them for real. It returns both sets of results.
func dryThenApply(t *testing.T, root string, steps []step) (dry, real []state.Result) {
	t.Helper()
	before := snapshot(t, root)
	pending := &state.PendingPaths{}
	for _, s := range steps {
		res := statetest.DryRun(t, s.fun, s.name, s.args, pending)
		if res.Result == nil || *res.Result {
			pending.Record(s.id, res.Predicted...)
		}
		dry = append(dry, res)
	}
	if after := snapshot(t, root); after != before {
		t.Fatalf("the dry run changed the disk:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	for _, s := range steps {
		real = append(real, call(t, s.fun, s.name, s.args, false))
	}
	return dry, real
}

// A dry run of a fresh tree predicts what the real run then does, state by
// state: whether it changes something, and whether it fails.
func TestDryRunPredictsTheRun(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, root string)
		steps func(root string) []step
		// wantDry is the expected dry-run outcome of each step; the real
		// run must agree on changed and failed.
		wantDry []statetest.Outcome
	}{
		{
			name: "file into a directory an earlier state creates",
			steps: func(r string) []step {
				return []step{
					{"conf dir", "file.directory", r + "/app/conf", map[string]any{"makedirs": true}},
					{"main", "file.managed", r + "/app/conf/main.ini", map[string]any{"contents": "x"}},
					{"bin dir", "file.directory", r + "/app/bin", nil},
					{"link", "file.symlink", r + "/app/current", map[string]any{"target": r + "/app/bin"}},
					{"log", "file.append", r + "/app/conf/log", map[string]any{"text": "started"}},
				}
			},
			wantDry: []statetest.Outcome{statetest.WouldChange, statetest.WouldChange, statetest.WouldChange, statetest.WouldChange, statetest.WouldChange},
		},
		{
			name: "directories that makedirs would create are in place",
			steps: func(r string) []step {
				return []step{
					{"deep", "file.managed", r + "/x/y/f", map[string]any{"contents": "x", "makedirs": true}},
					{"x", "file.directory", r + "/x", nil},
					{"x mode", "file.directory", r + "/x/y", map[string]any{"dir_mode": "0700"}},
					{"x mode again", "file.directory", r + "/x/y", map[string]any{"dir_mode": "0700"}},
					{"same file", "file.managed", r + "/x/y/f", map[string]any{"contents": "x"}},
				}
			},
			wantDry: []statetest.Outcome{statetest.WouldChange, statetest.Unchanged, statetest.WouldChange, statetest.Unchanged, statetest.Unchanged},
		},
		{
			name: "edits of a file an earlier state writes",
			steps: func(r string) []step {
				return []step{
					{"runtime", "file.managed", r + "/runtime.ini", map[string]any{"contents": "[server]\nport = 8080\n", "replace": false}},
					{"tuning", "file.line", r + "/runtime.ini", map[string]any{"content": "workers = 4", "mode": "ensure", "after": `\[server\]`}},
					{"tuning again", "file.line", r + "/runtime.ini", map[string]any{"content": "workers = 4", "mode": "ensure", "after": `\[server\]`}},
					{"port", "file.replace", r + "/runtime.ini", map[string]any{"pattern": "port = 8080", "repl": "port = 9090"}},
					{"extra", "file.append", r + "/runtime.ini", map[string]any{"text": "debug = false"}},
					{"as edited", "file.managed", r + "/runtime.ini", map[string]any{"contents": "[server]\nworkers = 4\nport = 9090\ndebug = false\n"}},
					{"mode", "file.managed", r + "/runtime.ini", map[string]any{"mode": "0600"}},
					{"mode again", "file.managed", r + "/runtime.ini", map[string]any{"mode": "0600"}},
				}
			},
			wantDry: []statetest.Outcome{statetest.WouldChange, statetest.WouldChange, statetest.Unchanged, statetest.WouldChange,
				statetest.WouldChange, statetest.Unchanged, statetest.WouldChange, statetest.Unchanged},
		},
		{
			name: "removals are seen by the states after them",
			setup: func(t *testing.T, r string) {
				if err := os.MkdirAll(r+"/old/sub", 0o755); err != nil {
					t.Fatal(err)
				}
				writeFile(t, r+"/old/sub/f", "x")
			},
			steps: func(r string) []step {
				return []step{
					{"rm old", "file.absent", r + "/old", nil},
					{"rm again", "file.absent", r + "/old/sub/f", nil},
					{"into old", "file.managed", r + "/old/sub/g", map[string]any{"contents": "y"}},
					{"edit old", "file.replace", r + "/old/sub/f", map[string]any{"pattern": "x", "repl": "z"}},
					{"recreate", "file.managed", r + "/old/sub/g", map[string]any{"contents": "y", "makedirs": true}},
					{"new link", "file.symlink", r + "/link", map[string]any{"target": "/nowhere"}},
					{"rm link", "file.absent", r + "/link", nil},
				}
			},
			wantDry: []statetest.Outcome{statetest.WouldChange, statetest.Unchanged, statetest.Failed, statetest.Failed,
				statetest.WouldChange, statetest.WouldChange, statetest.WouldChange},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if tc.setup != nil {
				tc.setup(t, root)
			}
			steps := tc.steps(root)
			dry, real := dryThenApply(t, root, steps)
			for i, s := range steps {
				if got := statetest.Classify(dry[i]); got != tc.wantDry[i] {
					t.Errorf("dry run of %q: %s, want %s: %s", s.id, got, tc.wantDry[i], statetest.Format(dry[i]))
				}
				d, r := dry[i], real[i]
				if (len(d.Changes) > 0) != (len(r.Changes) > 0) || isFailure(d) != isFailure(r) {
					t.Errorf("%q: the dry run predicted %s, the run did %s", s.id, statetest.Format(d), statetest.Format(r))
				}
			}
		})
	}
}

func isFailure(r state.Result) bool { return r.Result != nil && !*r.Result }

// The dry run's edit predictions carry the real diff, and its comments say
// which earlier state a prediction rests on.
func TestDryRunPredictionsAreExplained(t *testing.T) {
	root := t.TempDir()
	pending := &state.PendingPaths{}
	run := func(id, fun, name string, args map[string]any) state.Result {
		res := statetest.DryRun(t, fun, name, args, pending)
		pending.Record(id, res.Predicted...)
		return res
	}
	run("conf dir", "file.directory", root+"/conf", nil)
	res := run("main", "file.managed", root+"/conf/main.ini", map[string]any{"contents": "[server]\nport = 8080"})
	if want := "parent directory " + root + "/conf would be created by state 'conf dir' earlier in this run"; !strings.Contains(res.Comment, want) {
		t.Errorf("comment %q does not say %q", res.Comment, want)
	}
	res = run("port", "file.replace", root+"/conf/main.ini", map[string]any{"pattern": "8080", "repl": "9090"})
	if d, _ := res.Changes["diff"].(string); !strings.Contains(d, "-port = 8080\n+port = 9090") {
		t.Errorf("diff %q", d)
	}
	if want := "as state 'main' would leave it"; !strings.Contains(res.Comment, want) {
		t.Errorf("comment %q does not say %q", res.Comment, want)
	}
	res = run("conf again", "file.directory", root+"/conf", nil)
	statetest.Expect(t, res, statetest.Unchanged)
	if want := "as state 'conf dir' would leave it"; !strings.Contains(res.Comment, want) {
		t.Errorf("comment %q does not say %q", res.Comment, want)
	}
}

// Without a prediction to go on, a dry run does not fail a state for a
// parent directory or a file that another state (a package, a command) may
// create first: it predicts, and says what it assumes. The real run fails
// as before, and so does the test-mode check a real run makes of a prereq
// target (Test without a dry run's Pending), where the disk is the truth.
func TestDryRunMissingParentIsAssumed(t *testing.T) {
	root := t.TempDir()
	missing := filepath.Join(root, "nope")
	assumed := "parent directory " + missing + " does not exist yet; it would have to be created first (by another state or makedirs)"
	for _, tc := range []struct {
		fun, name   string
		args        map[string]any
		dry         statetest.Outcome
		dryComment  string
		realComment string
	}{
		{"file.managed", missing + "/f", map[string]any{"contents": "x"}, statetest.WouldChange, assumed, "Parent directory not present"},
		{"file.directory", missing + "/d", nil, statetest.WouldChange, assumed, "No directory to create"},
		{"file.symlink", missing + "/l", map[string]any{"target": "/etc"}, statetest.WouldChange, assumed, "for symlink is not present"},
		{"file.append", missing + "/a", map[string]any{"text": "x"}, statetest.WouldChange, assumed, "Parent directory not present"},
		{"file.line", missing + "/a", map[string]any{"content": "x", "mode": "ensure"}, statetest.Pending, "does not exist yet", "does not exist"},
		{"file.replace", missing + "/a", map[string]any{"pattern": "x", "repl": "y"}, statetest.Pending, "does not exist yet", "file not found"},
	} {
		t.Run(tc.fun, func(t *testing.T) {
			before := snapshot(t, root)
			res := statetest.DryRun(t, tc.fun, tc.name, tc.args, &state.PendingPaths{})
			if after := snapshot(t, root); after != before {
				t.Fatalf("the dry run changed the disk:\n%s", after)
			}
			statetest.Expect(t, res, tc.dry)
			if !strings.Contains(res.Comment, tc.dryComment) {
				t.Errorf("dry-run comment %q does not contain %q", res.Comment, tc.dryComment)
			}
			for _, test := range []bool{true, false} {
				res = call(t, tc.fun, tc.name, tc.args, test)
				statetest.Expect(t, res, statetest.Failed)
				if !strings.Contains(res.Comment, tc.realComment) {
					t.Errorf("test=%v: comment %q does not contain %q", test, res.Comment, tc.realComment)
				}
			}
		})
	}
}

// A file that an earlier state would write with content the run cannot
// know (another module's prediction without content) is not edited blind.
func TestDryRunUnknownContent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	pending := &state.PendingPaths{}
	pending.Record("download", state.PathPrediction{Path: p, Kind: state.PathFile, Mode: 0o644, UID: -1, GID: -1})
	res := statetest.DryRun(t, "file.line", p, map[string]any{"content": "x", "mode": "ensure"}, pending)
	statetest.Expect(t, res, statetest.Pending)
	if !strings.Contains(res.Comment, "state 'download'") {
		t.Errorf("comment %q", res.Comment)
	}
	res = statetest.DryRun(t, "file.managed", p, map[string]any{"contents": "x"}, pending)
	statetest.Expect(t, res, statetest.WouldChange)
}
