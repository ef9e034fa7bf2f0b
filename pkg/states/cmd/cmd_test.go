package cmd_test

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/cmd"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		command string
		args    map[string]any
		want    statetest.Outcome
		stdout  string
		rc      int
		comment string
	}{
		{"success", "echo hello; echo oops >&2", nil, statetest.Changed, "hello", 0, `Command "echo hello; echo oops >&2" run`},
		{"failure is result false", "echo no; exit 3", nil, statetest.Failed, "no", 3, ""},
		{"cwd", "pwd", map[string]any{"cwd": dir}, statetest.Changed, dir, 0, ""},
		{"env mapping", "echo $GREETING-$N", map[string]any{"env": map[string]any{"GREETING": "hi", "N": 3}}, statetest.Changed, "hi-3", 0, ""},
		{"env list of mappings", "echo $A$B", map[string]any{"env": []any{map[string]any{"A": "x"}, map[string]any{"B": "y"}}}, statetest.Changed, "xy", 0, ""},
		{"env values are literal", "echo \"$P\"", map[string]any{"env": map[string]any{"P": "/x:$PATH"}}, statetest.Changed, "/x:$PATH", 0, ""},
		{"shell", "echo $0", map[string]any{"shell": "/bin/bash"}, statetest.Changed, "/bin/bash", 0, ""},
		{"umask", "umask", map[string]any{"umask": "077"}, statetest.Changed, "0077", 0, ""},
		{"success_retcodes", "exit 2", map[string]any{"success_retcodes": []any{2}}, statetest.Changed, "", 0, ""},
		{"hide_output", "echo secret", map[string]any{"hide_output": true}, statetest.Changed, "", 0, ""},
		{"missing cwd", "true", map[string]any{"cwd": filepath.Join(dir, "nope")}, statetest.Failed, "", -1, "is not available"},
		{"bad env", "true", map[string]any{"env": "PATH=/x"}, statetest.Failed, "", -1, "env"},
		{"unknown argument", "true", map[string]any{"bg": true}, statetest.Changed, "", -1, `'bg' is an invalid keyword argument`},
		{"unknown runas", "true", map[string]any{"runas": "no-such-user-halite"}, statetest.Failed, "", -1, "no-such-user-halite"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := statetest.Call(t, "cmd.run", tc.command, tc.args, false)
			statetest.Expect(t, res, tc.want)
			if tc.comment != "" && !strings.Contains(res.Comment, tc.comment) {
				t.Fatalf("comment %q, want %q", res.Comment, tc.comment)
			}
			if tc.rc < 0 {
				return
			}
			if res.Changes["stdout"] != tc.stdout || res.Changes["retcode"] != tc.rc {
				t.Fatalf("changes %v, want stdout %q retcode %d", res.Changes, tc.stdout, tc.rc)
			}
			if pid, _ := res.Changes["pid"].(int); pid <= 0 {
				t.Fatalf("pid %v", res.Changes["pid"])
			}
			if tc.name == "success" && res.Changes["stderr"] != "oops" {
				t.Fatalf("stderr %q", res.Changes["stderr"])
			}
		})
	}
}

func TestRunConditions(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	touch := "echo x >> " + marker
	for _, tc := range []struct {
		name    string
		args    map[string]any
		runs    bool
		comment string
	}{
		{"onlyif true", map[string]any{"onlyif": "true"}, true, ""},
		{"onlyif false", map[string]any{"onlyif": "false"}, false, "onlyif condition is false"},
		{"onlyif list needs all", map[string]any{"onlyif": []any{"true", "false"}}, false, "onlyif condition is false"},
		{"unless true", map[string]any{"unless": "true"}, false, "unless condition is true"},
		{"unless false", map[string]any{"unless": "false"}, true, ""},
		{"unless list skips only if all succeed", map[string]any{"unless": []any{"true", "false"}}, true, ""},
		{"creates exists", map[string]any{"creates": dir}, false, "All files in creates exist"},
		{"creates missing", map[string]any{"creates": []any{dir, filepath.Join(dir, "nope")}}, true, ""},
		{"conditions use cwd", map[string]any{"cwd": dir, "unless": "test -d ../" + filepath.Base(dir)}, false, "unless condition is true"},
		{"conditions use env", map[string]any{"env": map[string]any{"X": "1"}, "onlyif": `test "$X" = 1`}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			os.Remove(marker)
			res := statetest.Call(t, "cmd.run", touch, tc.args, false)
			_, err := os.Stat(marker)
			if ran := err == nil; ran != tc.runs {
				t.Fatalf("ran = %v, want %v: %s", ran, tc.runs, statetest.Format(res))
			}
			if tc.runs {
				statetest.Expect(t, res, statetest.Changed)
				return
			}
			statetest.Expect(t, res, statetest.Unchanged)
			if res.Comment != tc.comment {
				t.Fatalf("comment %q, want %q", res.Comment, tc.comment)
			}
			// Conditions are honoured in test mode too.
			statetest.Expect(t, statetest.Call(t, "cmd.run", touch, tc.args, true), statetest.Unchanged)
		})
	}
}

// Test mode runs nothing and predicts the run as a change (Salt predicts
// none, so its dry-run summary leaves out every command that would run). A
// stateful command reports its own changes, which only running it tells.
func TestRunTestModeRunsNothing(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	res := statetest.Call(t, "cmd.run", "touch "+marker, nil, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if !strings.Contains(res.Comment, "would have been executed") || res.Changes["command"] != "touch "+marker {
		t.Fatalf("got %s", statetest.Format(res))
	}
	res = statetest.Call(t, "cmd.run", "touch "+marker, map[string]any{"stateful": true}, true)
	statetest.Expect(t, res, statetest.Pending)
	if !strings.Contains(res.Comment, "reports its own changes") {
		t.Fatalf("comment %q", res.Comment)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("test mode ran the command")
	}
}

// In a dry run, conditions on paths that earlier states would create,
// change or remove are judged from those predictions, not from the disk
// that does not show them yet; a condition that cannot be judged leaves the
// state undecided rather than guessed.
func TestRunConditionsInDryRun(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	healthy := filepath.Join(dir, "logs", "healthy") // an earlier state would write it
	onDisk := filepath.Join(dir, "old")              // exists; an earlier state would remove it
	empty := filepath.Join(dir, "empty")             // an earlier state would write it empty
	if err := os.WriteFile(onDisk, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	pending := &state.PendingPaths{}
	pending.Record("log dir", state.PathPrediction{Path: filepath.Dir(healthy), Kind: state.PathDir, Mode: 0o755, UID: -1, GID: -1})
	pending.Record("mark healthy", state.PathPrediction{Path: healthy, Kind: state.PathFile, Mode: 0o644, UID: -1, GID: -1, Content: []byte("ok\n"), HasContent: true})
	pending.Record("cleanup", state.PathPrediction{Path: onDisk, Kind: state.PathAbsent, UID: -1, GID: -1})
	pending.Record("touch", state.PathPrediction{Path: empty, Kind: state.PathFile, UID: -1, GID: -1, HasContent: true})
	for _, tc := range []struct {
		name    string
		args    map[string]any
		want    statetest.Outcome
		comment string
	}{
		{"unless test -f of a file to be written", map[string]any{"unless": "test -f " + healthy}, statetest.Unchanged, "unless condition is true"},
		{"unless [ -e ] quoted", map[string]any{"unless": "[ -e '" + healthy + "' ]"}, statetest.Unchanged, "unless condition is true"},
		{"onlyif test -d of a directory to be made", map[string]any{"onlyif": "test -d " + filepath.Dir(healthy)}, statetest.WouldChange, "would have been executed"},
		{"onlyif -d of a file", map[string]any{"onlyif": "test -d " + healthy}, statetest.Unchanged, "onlyif condition is false"},
		{"unless negated", map[string]any{"unless": "test ! -f " + healthy}, statetest.WouldChange, "would have been executed"},
		{"onlyif of a file to be removed", map[string]any{"onlyif": "test -e " + onDisk}, statetest.Unchanged, "onlyif condition is false"},
		{"unless -s of an empty file", map[string]any{"unless": "test -s " + empty}, statetest.WouldChange, "would have been executed"},
		{"creates a file to be written", map[string]any{"creates": healthy}, statetest.Unchanged, "All files in creates exist"},
		{"creates a file to be removed", map[string]any{"creates": onDisk}, statetest.WouldChange, "would have been executed"},
		{"any other command on such a path", map[string]any{"unless": "grep -q ok " + healthy}, statetest.Pending, "state 'mark healthy'"},
		{"a test in a pipeline", map[string]any{"unless": "test -f " + healthy + " && true"}, statetest.Pending, "state 'mark healthy'"},
		{"a condition on other paths runs", map[string]any{"unless": "test -d " + dir}, statetest.Unchanged, "unless condition is true"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := statetest.DryRun(t, "cmd.run", "touch "+marker, tc.args, pending)
			statetest.Expect(t, res, tc.want)
			if !strings.Contains(res.Comment, tc.comment) {
				t.Fatalf("comment %q does not contain %q", res.Comment, tc.comment)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("a dry run ran the command")
			}
		})
	}
	// A real run has no predictions: the disk decides.
	res := statetest.Call(t, "cmd.run", "touch "+marker, map[string]any{"unless": "test -f " + healthy}, false)
	statetest.Expect(t, res, statetest.Changed)
}

func TestRunTimeoutKillsTheGroup(t *testing.T) {
	dir := t.TempDir()
	late := filepath.Join(dir, "late")
	start := time.Now()
	res := statetest.Call(t, "cmd.run", "(sleep 3; touch "+late+") & sleep 30", map[string]any{"timeout": 1}, false)
	statetest.Expect(t, res, statetest.Failed)
	if !strings.Contains(res.Comment, "timed out") {
		t.Fatalf("comment %q", res.Comment)
	}
	if d := time.Since(start); d > 6*time.Second {
		t.Fatalf("took %s for a 1s timeout", d)
	}
	time.Sleep(3 * time.Second)
	if _, err := os.Stat(late); err == nil {
		t.Fatal("a child of the timed-out command survived")
	}
}

func TestRunDoesNotWaitForDaemons(t *testing.T) {
	// A command that leaves a background child holding stdout (as an init
	// script leaves its daemon) must still return when the command exits.
	start := time.Now()
	res := statetest.Call(t, "cmd.run", "sleep 20 & echo started", nil, false)
	statetest.Expect(t, res, statetest.Changed)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("waited %s for a background child", d)
	}
	if res.Changes["stdout"] != "started" {
		t.Fatalf("stdout %q", res.Changes["stdout"])
	}
}

func TestRunAs(t *testing.T) {
	statetest.RequireRoot(t)
	if _, err := user.Lookup("nobody"); err != nil {
		t.Skip("no user nobody")
	}
	res := statetest.Call(t, "cmd.run", "id -un; echo $HOME", map[string]any{"runas": "nobody", "cwd": "/"}, false)
	statetest.Expect(t, res, statetest.Changed)
	u, _ := user.Lookup("nobody")
	if res.Changes["stdout"] != "nobody\n"+u.HomeDir {
		t.Fatalf("stdout %q", res.Changes["stdout"])
	}
}

func TestStateful(t *testing.T) {
	for _, tc := range []struct {
		name    string
		command string
		want    statetest.Outcome
		comment string
		changes map[string]any
	}{
		{"no output means no changes", "true", statetest.Unchanged, "", nil},
		{"key value line", `echo working; echo "changed=yes comment='did it' color=blue"`, statetest.Changed, "did it",
			map[string]any{"color": "blue", "stdout": "working", "retcode": 0}},
		{"unchanged", `echo "changed=no comment='all good'"`, statetest.Unchanged, "all good", nil},
		{"json", `echo '{"changed": true, "comment": "json", "n": 1}'`, statetest.Changed, "json", map[string]any{"stdout": ""}},
		{"json must be an object", `echo '[1,2]'`, statetest.Failed, "must be a JSON object", nil},
		{"garbage", `echo 'not key value'`, statetest.Failed, "Failed parsing script output", nil},
		{"bad changed value", `echo 'changed=maybe'`, statetest.Failed, "Failed parsing boolean value", nil},
		{"failure stays failure", `echo "changed=yes"; exit 1`, statetest.Failed, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := statetest.Call(t, "cmd.run", tc.command, map[string]any{"stateful": true}, false)
			statetest.Expect(t, res, tc.want)
			if !strings.Contains(res.Comment, tc.comment) {
				t.Fatalf("comment %q, want %q", res.Comment, tc.comment)
			}
			for k, v := range tc.changes {
				if res.Changes[k] != v {
					t.Fatalf("changes[%s] = %v, want %v (all: %v)", k, res.Changes[k], v, res.Changes)
				}
			}
		})
	}
	// test_name runs a probe in test mode and reports its prediction.
	res := statetest.Call(t, "cmd.run", "exit 1", map[string]any{"stateful": []any{map[string]any{"test_name": `echo "changed=yes comment=would"`}}}, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if res.Comment != "would" {
		t.Fatalf("comment %q", res.Comment)
	}
}

func TestWaitAndWatch(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	command := "echo x >> " + marker
	res := statetest.Call(t, "cmd.wait", command, nil, false)
	statetest.Expect(t, res, statetest.Unchanged)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("cmd.wait ran without a watch firing")
	}
	for _, fun := range []string{"cmd.wait", "cmd.run"} {
		res = statetest.Watch(t, fun, command, nil, false)
		statetest.Expect(t, res, statetest.Changed)
	}
	b, _ := os.ReadFile(marker)
	if string(b) != "x\nx\n" {
		t.Fatalf("mod_watch runs: %q, want two", b)
	}
	// A watch honours unless, and test mode predicts only.
	statetest.Expect(t, statetest.Watch(t, "cmd.wait", command, map[string]any{"unless": "true"}, false), statetest.Unchanged)
	statetest.Expect(t, statetest.Watch(t, "cmd.wait", command, nil, true), statetest.WouldChange)
	if b, _ := os.ReadFile(marker); string(b) != "x\nx\n" {
		t.Fatalf("ran when it should not: %q", b)
	}
}

func TestShellSplit(t *testing.T) {
	for in, want := range map[string][]string{
		`a b  c`:                    {"a", "b", "c"},
		`changed=yes comment='a b'`: {"changed=yes", "comment=a b"},
		`x="say \"hi\"" y=\$z`:      {`x=say "hi"`, "y=$z"},
		`''`:                        {""},
		`a'b'"c"`:                   {"abc"},
		"\t lead":                   {"lead"},
		`"back\slash"`:              {`back\slash`},
	} {
		got, err := cmd.ShellSplit(in)
		if err != nil || strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Errorf("ShellSplit(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`'open`, `"open`, `trailing\`} {
		if _, err := cmd.ShellSplit(bad); err == nil {
			t.Errorf("ShellSplit(%q): want an error", bad)
		}
	}
}

// FuzzParseStateful checks the stateful output parser never panics and
// that "changed" and "comment" never leak into the reported data.
func FuzzParseStateful(f *testing.F) {
	for _, s := range []string{"", "changed=yes comment='x y' a=1", "out\nchanged=no", `{"changed": true, "k": [1]}`,
		`[1]`, `"str"`, "a='b", "k=v\n\n", `{"comment": 5}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := cmd.ParseStateful(s)
		if err != nil {
			return
		}
		if _, ok := st.Data["changed"]; ok {
			t.Fatal("changed left in data")
		}
		if _, ok := st.Data["comment"]; ok {
			t.Fatal("comment left in data")
		}
	})
}
