package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/jobstore"
)

// Salt's command-line habits, with the real binaries: bad flag values
// are usage errors (exit 3) before anything is published; apply takes
// test=True and pillar='{...}' as keyword arguments; -L and friends are
// target types; version prints.
func TestSaltHabits(t *testing.T) {
	tree, marks := t.TempDir(), t.TempDir()
	sls := fmt.Sprintf("mark:\n  file.managed:\n    - name: %s/{{ grains['id'] }}\n    - contents: {{ pillar.get('word', 'plain') }}\n", marks)
	os.WriteFile(filepath.Join(tree, "mark.sls"), []byte(sls), 0o644)
	e := newEnv(t, fmt.Sprintf("file_roots:\n  base:\n    - %s\n", tree))
	e.startMinion("h1", "")
	e.startMinion("h2", "")
	e.acceptAll(2)
	e.waitConnected(2)
	jobs := func() int {
		l, _ := e.client().Jobs(context.Background(), jobstore.JobFilter{Limit: 1000})
		return len(l)
	}
	before := jobs()
	for _, args := range [][]string{
		{"apply", "*", "mark", "--state-output", "bogus"},
		{"run", "*", "test.ping", "--batch-fail", "1"},
		{"run", "-L", "-G", "h1", "test.ping"},
	} {
		if _, stderr, code := e.cli(args...); code != 3 {
			t.Fatalf("%v: exit %d (want 3)\n%s", args, code, stderr)
		}
	}
	if jobs() != before {
		t.Fatal("a usage error published a job")
	}
	if out, _, code := e.cli("run", "-L", "h1,h2", "test.ping"); code != 0 || !strings.Contains(out, "h2") {
		t.Fatalf("-L: %d %s", code, out)
	}
	if _, _, code := e.cli("apply", "h1", "mark", "test=True"); code != 0 {
		t.Fatalf("apply test=True: exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(marks, "h1")); err == nil {
		t.Fatal("apply test=True changed the minion")
	}
	if out, _, code := e.cli("apply", "h1", "mark", `pillar={"word": "fromcli"}`); code != 0 {
		t.Fatalf("apply pillar=: exit %d\n%s", code, out)
	}
	if b, _ := os.ReadFile(filepath.Join(marks, "h1")); strings.TrimSpace(string(b)) != "fromcli" {
		t.Fatalf("pillar from the command line not used: %q", b)
	}
	// Salt's --state-output filter: states with an excluded result are
	// hidden, the summary still counts them; -b is --batch.
	out, _, code := e.cli("apply", "h1", "mark", "--state-output", "filter", "--state-output-exclude", "True", "-b", "1")
	if code != 0 || strings.Contains(out, "ID: mark") || !strings.Contains(out, "Succeeded: 1") {
		t.Fatalf("--state-output filter: %d\n%s", code, out)
	}
	if _, _, code := e.cli("apply", "h1", "mark", "--state-output", "filter", "--state-output-exclude", "Maybe"); code != 3 {
		t.Fatalf("a filter result that is not True/False/None: exit %d (want 3)", code)
	}
	// --out yaml is the JSON model: numbers stay numbers, keys are JSON's.
	out, _, code = e.cli("run", "h1", "cmd.run_all", "echo hi", "--out", "yaml")
	if code != 0 || !strings.Contains(out, "retcode: 0") || strings.Contains(out, `retcode: "0"`) || !regexp.MustCompile(`pid: \d+`).MatchString(out) {
		t.Fatalf("--out yaml numbers:\n%s", out)
	}
	if out, _, _ := e.cli("minions", "--out", "yaml"); !strings.Contains(out, "key_state: accepted") {
		t.Fatalf("--out yaml keys:\n%s", out)
	}
	// A failing command says why: its exit code, and Salt's ERROR line.
	out, _, code = e.cli("run", "h1", "cmd.run", "echo oops >&2; exit 3")
	if code != 1 || !strings.Contains(out, "[retcode 3]") || !strings.Contains(out, "ERROR: Minions returned with non-zero exit code") || !strings.Contains(out, "oops") {
		t.Fatalf("cmd.run exit 3: %d\n%s", code, out)
	}
	// --out raw is Salt's: one Python-style line per minion.
	if out, _, code := e.cli("run", "h1", "test.ping", "--out", "raw"); code != 0 || out != "{'h1': True}\n" {
		t.Fatalf("--out raw: %d %q", code, out)
	}
	if out, _, code := e.cli("run", "h1", "cmd.run_all", `echo "it's"`, "--out", "raw"); code != 0 || !strings.Contains(out, `'stdout': "it's"`) || !strings.Contains(out, "'retcode': 0") {
		t.Fatalf("--out raw of a dict: %d %q", code, out)
	}
	// --out quiet prints nothing (the exit code says it); --out-file
	// writes the output to a file.
	if out, _, code := e.cli("run", "h1", "test.ping", "--out", "quiet"); code != 0 || out != "" {
		t.Fatalf("--out quiet: %d %q", code, out)
	}
	if _, _, code := e.cli("run", "h1", "cmd.run", "exit 2", "--out", "quiet"); code != 1 {
		t.Fatalf("--out quiet keeps the exit code: %d", code)
	}
	outFile := filepath.Join(t.TempDir(), "out.json")
	if out, _, code := e.cli("run", "h1", "test.ping", "--out", "json", "--out-file", outFile); code != 0 || out != "" {
		t.Fatalf("--out-file: %d %q", code, out)
	}
	if b, _ := os.ReadFile(outFile); !strings.Contains(string(b), `"h1": true`) {
		t.Fatalf("--out-file content: %q", b)
	}
	// A config error names the key, and the nearest known one.
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte("publish_port: abc\npublsh_port: 1\n"), 0o600)
	badCmd := exec.Command(filepath.Join(binDir, "halite-master"), "minions", "-c", bad)
	if out, _ := badCmd.CombinedOutput(); badCmd.ProcessState.ExitCode() != 3 || !strings.Contains(string(out), `publish_port: "abc" is not a port`) || !strings.Contains(string(out), "did you mean publish_port?") {
		t.Fatalf("config error wording: %s", out)
	}
	// HALITE_CONFIG stands in for -c.
	cmd := exec.Command(filepath.Join(binDir, "halite-master"), "minions")
	cmd.Env = append(os.Environ(), "HALITE_CONFIG="+e.cfgPath)
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "h1") {
		t.Fatalf("HALITE_CONFIG: %v\n%s", err, out)
	}
	// An explicit -c that does not exist is an error, not the defaults.
	missing := exec.Command(filepath.Join(binDir, "halite-master"), "minions", "-c", filepath.Join(t.TempDir(), "nope.yaml"))
	if out, err := missing.CombinedOutput(); missing.ProcessState.ExitCode() != 3 {
		t.Fatalf("a missing -c file: %v\n%s", err, out)
	}
	if out, _, code := e.cli("version"); code != 0 || !strings.HasPrefix(out, "halite-master ") {
		t.Fatalf("version: %d %q", code, out)
	}
}

// salt-key's hands: keys accept GLOB, and -a/-d/-y on keys itself.
func TestKeysGlobs(t *testing.T) {
	e := newEnv(t, "")
	for _, id := range []string{"web1", "web2", "db1"} {
		e.startMinion(id, "")
	}
	waitFor(t, 20*time.Second, "3 pending keys", func() bool {
		ks, _ := e.client().Keys(context.Background())
		return len(ks) == 3
	})
	out, _, code := e.cli("keys", "accept", "web*")
	if code != 0 || !strings.Contains(out, "Accepted key: web1") || !strings.Contains(out, "Accepted key: web2") || strings.Contains(out, "db1") {
		t.Fatalf("accept web*: %d\n%s", code, out)
	}
	if out, _, code := e.cli("keys", "-a", "db1"); code != 0 || !strings.Contains(out, "Accepted key: db1") {
		t.Fatalf("keys -a db1: %d\n%s", code, out)
	}
	// keys fingerprint lists every key by state, like salt-key -F.
	if out, _, code := e.cli("keys", "fingerprint"); code != 0 || !strings.Contains(out, "Local Keys:\nmaster.pub:  ") || !strings.Contains(out, "Accepted Keys:") || !strings.Contains(out, "web1:  ") || !strings.Contains(out, "db1:  ") {
		t.Fatalf("keys fingerprint: %d\n%s", code, out)
	}
	if out, _, code := e.cli("keys", "-d", "web*", "-y"); code != 0 || !strings.Contains(out, "Deleted key: web1") || !strings.Contains(out, "Deleted key: web2") {
		t.Fatalf("keys -d web* -y: %d\n%s", code, out)
	}
}

// minions --down and --up (Salt's manage.down/up); a pending minion is
// shown as pending, not "not connected"; a minion that went away keeps
// its last-seen time.
func TestMinionsUpDown(t *testing.T) {
	e := newEnv(t, "")
	gone := e.startMinion("gone1", "")
	e.startMinion("here1", "")
	e.acceptAll(2)
	e.waitConnected(2)
	e.startMinion("new1", "")
	waitFor(t, 20*time.Second, "new1 pending", func() bool {
		ks, _ := e.client().Keys(context.Background())
		return len(ks) == 3
	})
	gone.stop(t)
	waitFor(t, 20*time.Second, "gone1 down", func() bool {
		out, _, _ := e.cli("minions", "--down")
		return strings.TrimSpace(out) == "gone1"
	})
	if out, _, _ := e.cli("minions", "--up"); strings.TrimSpace(out) != "here1" {
		t.Fatalf("--up: %q", out)
	}
	out, _, _ := e.cli("minions")
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) > 2 && f[0] == "new1" && f[2] != "pending":
			t.Fatalf("a pending minion is shown as %q:\n%s", f[2], out)
		case len(f) > 3 && f[0] == "gone1" && f[3] == "-":
			t.Fatalf("gone1 lost its last-seen time:\n%s", out)
		}
	}
}

// Read-your-writes: jobs list right after run shows the returns run
// printed (the store used to lag the stream).
func TestJobsListAfterRun(t *testing.T) {
	e := newEnv(t, "")
	for _, id := range []string{"r1", "r2", "r3"} {
		e.startMinion(id, "")
	}
	e.acceptAll(3)
	e.waitConnected(3)
	for i := range 5 {
		if _, _, code := e.cli("run", "*", "test.ping"); code != 0 {
			t.Fatal("run failed")
		}
		out, _, _ := e.cli("jobs", "list", "--limit", "1", "--out", "json")
		var jobs []struct{ Expected, Returned int }
		if err := json.Unmarshal([]byte(out), &jobs); err != nil || len(jobs) != 1 || jobs[0].Returned != 3 {
			t.Fatalf("round %d: jobs list right after run: %v %s", i, err, out)
		}
	}
}

// Batch output: each batch's members as it starts, and why a rollout
// stopped.
func TestBatchOutput(t *testing.T) {
	e := newEnv(t, "")
	for _, id := range []string{"b1", "b2", "b3", "b4"} {
		e.startMinion(id, "")
	}
	e.acceptAll(4)
	e.waitConnected(4)
	// The window slides: a minion starts as soon as a slot frees, each
	// start is printed, the first with the window's two.
	out, _, code := e.cli("run", "*", "test.ping", "--batch", "2")
	started := regexp.MustCompile(`Executing run on \[([^\]]*)\]`).FindAllStringSubmatch(out, -1)
	named := 0
	for _, m := range started {
		named += len(strings.Split(m[1], ", "))
	}
	if code != 0 || len(started) == 0 || len(strings.Split(started[0][1], ", ")) != 2 || named != 4 {
		t.Fatalf("batches: %d\n%s", code, out)
	}
	out, _, code = e.cli("run", "*", "cmd.run", "exit 1", "--batch", "1", "--batch-fail", "1")
	if code != 1 || strings.Count(out, "Executing run on [") != 1 || !strings.Contains(out, "Rollout stopped: 1 failed") || !strings.Contains(out, "3 minions not run") {
		t.Fatalf("stopped rollout: %d\n%s", code, out)
	}
}

// Errors say what to do: a minion pointed at the wrong port of its master
// is told which port it reached; a user who may not use the master's
// socket is told why and what would let them; no master says so.
func TestErrorsSayWhatToDo(t *testing.T) {
	e := newEnv(t, "")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "minion.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("id: swapped\nmaster: 127.0.0.1\npublish_port: %d\nret_port: %d\npki_dir: %s/pki\ncache_dir: %s/cache\nreconnect_max: 1s\n", e.ret, e.pub, dir, dir)), 0o600)
	m := start(t, "halite-minion", "serve", "-c", cfg)
	waitFor(t, 15*time.Second, "the swapped-port messages", func() bool {
		l := m.log.String()
		return strings.Contains(l, fmt.Sprintf("ret_port %d is the master's publish port; its ret_port expected", e.pub)) &&
			strings.Contains(l, fmt.Sprintf("publish_port %d is the master's ret_port", e.ret))
	})

	// Another local user: a config they can read, naming the master's
	// data_dir, which is the master's user's alone.
	if os.Getuid() != 0 {
		t.Skip("needs root to run the CLI as another user")
	}
	open, err := os.MkdirTemp("", "halite-nobody")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(open) })
	os.Chmod(open, 0o755)
	ucfg := filepath.Join(open, "master.yaml")
	os.WriteFile(ucfg, []byte(fmt.Sprintf("data_dir: %s\n", filepath.Join(e.dir, "data"))), 0o644)
	cmd := exec.Command("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", filepath.Join(binDir, "halite-master"), "keys", "list", "-c", ucfg)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(out), "permission denied") || !strings.Contains(string(out), "api.allowed_users") {
		t.Fatalf("CLI as another user: %v\n%s", err, out)
	}
	// No master at all.
	os.WriteFile(ucfg, []byte(fmt.Sprintf("data_dir: %s\n", open)), 0o644)
	out, err = exec.Command(filepath.Join(binDir, "halite-master"), "keys", "list", "-c", ucfg).CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(out), "the master is not running") {
		t.Fatalf("CLI without a master: %v\n%s", err, out)
	}
}
