package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/hostdata"
)

// minionExec runs `halite-minion exec` and returns its stdout, stderr and
// exit code.
func minionExec(t *testing.T, cfg string, args ...string) (string, string, int) {
	t.Helper()
	return minionCmd(t, "exec", cfg, args...)
}

// minionCmd runs `halite-minion SUB -c CFG ARGS...` and returns its
// stdout, stderr and exit code.
func minionCmd(t *testing.T, sub, cfg string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "halite-minion"), append([]string{sub, "-c", cfg}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return out.String(), errb.String(), ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), 0
}

func (e *env) execRun(minion, name string) (hostdata.ExecStatus, bool) {
	out, _, code := e.cli("exec", "list", "--out", "json")
	if code != 0 {
		return hostdata.ExecStatus{}, false
	}
	var runs []hostdata.ExecStatus
	if err := json.Unmarshal([]byte(out), &runs); err != nil {
		e.t.Fatalf("exec list --out json: %v\n%s", err, out)
	}
	for _, r := range runs {
		if r.Minion == minion && r.Name == name {
			return r, true
		}
	}
	return hostdata.ExecStatus{}, false
}

// A backup wrapped in `halite-minion exec` reports its duration, exit code
// and size; its exit code is exec's; a missed run raises the deadman; with
// the master stopped exec still runs and its report arrives later.
func TestExecReportsAndDeadman(t *testing.T) {
	e := newEnv(t, "")
	cfg := e.minionConfig("ex1", "")
	e.startMinion("ex1", "")
	e.acceptAll(1)
	e.waitConnected(1)
	evs := e.watchEvents()
	dump := filepath.Join(t.TempDir(), "dump.sql")

	out, errOut, code := minionExec(t, cfg, "--name", "backup", "--expect-every", "2s", "--size", dump, "--",
		"sh", "-c", fmt.Sprintf("echo dumping; head -c 123456 /dev/zero > %s; echo oops >&2; exit 3", dump))
	if code != 3 {
		t.Fatalf("exec exit code %d, want the command's 3 (stderr %s)", code, errOut)
	}
	if out != "dumping\n" || !strings.Contains(errOut, "oops") {
		t.Errorf("output not passed through: stdout %q stderr %q", out, errOut)
	}
	var run hostdata.ExecStatus
	waitFor(t, 10*time.Second, "the backup run in exec list", func() bool {
		var ok bool
		run, ok = e.execRun("ex1", "backup")
		return ok
	})
	if run.ExitCode != 3 || run.Sizes[dump] != 123456 || run.OutputBytes != int64(len("dumping\noops\n")) || run.Duration <= 0 {
		t.Errorf("exec list: %+v", run)
	}
	text := e.scrape()
	for series, want := range map[string]float64{
		`halite_exec_last_exit_code{minion="ex1",name="backup"}`:                        3,
		fmt.Sprintf(`halite_exec_size_bytes{minion="ex1",name="backup",path=%q}`, dump): 123456,
		`halite_exec_overdue{minion="ex1",name="backup"}`:                               0,
		`halite_exec_output_bytes{minion="ex1",name="backup"}`:                          13,
	} {
		if v, ok := metric(text, series); !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	if _, ok := metric(text, `halite_exec_last_success_timestamp_seconds{minion="ex1",name="backup"}`); ok {
		t.Error("a failed run set the last success time")
	}
	// The run is a job like any other, with its output stored.
	rec, err := e.client().Job(context.Background(), run.JID)
	if err != nil || len(rec.Results) != 1 || rec.Fun != "exec.run" || rec.Results[0].Return == nil {
		t.Fatalf("jobs show %s: %v %+v", run.JID, err, rec)
	}
	// Both streams, each line whole (their relative order depends on
	// which pipe is read first).
	if v, _ := rec.Results[0].Return.Return.(map[string]any); v["output"] != "dumping\noops\n" && v["output"] != "oops\ndumping\n" {
		t.Errorf("stored output %q", v["output"])
	}

	// Its output is searchable.
	if out, _, code := e.cli("jobs", "search", "oops", "--minion", "ex1", "--out", "json"); code != 0 || !strings.Contains(out, `"jid": "`+run.JID+`"`) {
		t.Errorf("jobs search oops: %d %s", code, out)
	}

	// No run for 2s + 10%: the deadman fires, once.
	waitFor(t, 6*time.Second, "the deadman event", func() bool {
		_, ok := evs.find(`^halite/deadman/ex1/backup$`)
		return ok
	})
	if v, _ := metric(e.scrape(), `halite_exec_overdue{minion="ex1",name="backup"}`); v != 1 {
		t.Errorf("halite_exec_overdue = %v after the deadman, want 1", v)
	}
	if r, _ := e.execRun("ex1", "backup"); !r.Overdue {
		t.Errorf("exec list does not show the run overdue: %+v", r)
	}

	// The master goes away; the backup runs all the same, at once, with
	// its own exit code, and the report arrives once the master is back.
	e.master.stop(t)
	begin := time.Now()
	_, errOut, code = minionExec(t, cfg, "--name", "backup", "--expect-every", "1h", "--size", dump, "--", "true")
	if code != 0 {
		t.Fatalf("exec with the master down: exit %d (%s)", code, errOut)
	}
	t.Logf("exec with the master down returned in %v", time.Since(begin).Round(time.Millisecond))
	e.startMaster()
	waitFor(t, 20*time.Second, "the report made while the master was down", func() bool {
		r, ok := e.execRun("ex1", "backup")
		return ok && r.ExitCode == 0 && !r.Overdue
	})
	if v, ok := metric(e.scrape(), `halite_exec_last_success_timestamp_seconds{minion="ex1",name="backup"}`); !ok || v < float64(begin.Unix()) {
		t.Errorf("last success %v (present %v), want after %v", v, ok, begin.Unix())
	}
}

// Without a minion daemon on the host, exec delivers its report itself.
func TestExecWithoutDaemon(t *testing.T) {
	e := newEnv(t, "")
	cfg := e.minionConfig("solo", "")
	p := e.startMinion("solo", "")
	e.acceptAll(1)
	e.waitConnected(1)
	p.stop(t)
	_, errOut, code := minionExec(t, cfg, "--name", "nightly.rsync", "--", "sh", "-c", "exit 0")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	// Delivered before exec exited: no daemon will send it later.
	if r, ok := e.execRun("solo", "nightly.rsync"); !ok || r.ExitCode != 0 {
		t.Fatalf("exec list after a daemonless exec: %+v %v (stderr %s)", r, ok, errOut)
	}
	ents, _ := os.ReadDir(filepath.Join(filepath.Dir(cfg), "cache", "returns"))
	for _, ent := range ents {
		if strings.HasSuffix(ent.Name(), ".ret") {
			t.Errorf("report left in the spool after delivery: %s", ent.Name())
		}
	}
	// A bad name is a usage error before anything runs.
	marker := filepath.Join(t.TempDir(), "ran")
	if _, _, code := minionExec(t, cfg, "--name", "bad name/x", "--", "touch", marker); code != 3 {
		t.Errorf("bad --name: exit %d, want 3", code)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the command ran despite the usage error")
	}
	// A command that does not exist is 127, as in a shell.
	if _, _, code := minionExec(t, cfg, "--name", "missing", "--", "/nonexistent/cmd"); code != 127 {
		t.Errorf("missing command: exit %d, want 127", code)
	}
}
