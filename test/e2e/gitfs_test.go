package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gitCmd runs the real git in dir.
func gitCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// State trees served from git: a git daemon on loopback is the remote;
// a pushed commit is applied after `fileserver update`; branch dev is
// saltenv dev; with the daemon gone the last good commit is still
// served, the update fails loudly (exit 1, an event, a metric).
func TestGitfsServesTreesFromGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed (.ci/run installs it)")
	}
	marks := t.TempDir()
	work, served := t.TempDir(), t.TempDir()
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(filepath.Join(work, p)), 0o755)
		os.WriteFile(filepath.Join(work, p), []byte(s), 0o644)
	}
	mark := func(version string) string {
		return fmt.Sprintf("mark:\n  file.managed:\n    - name: %s/{{ grains['id'] }}\n    - contents: %s\n", marks, version)
	}
	gitCmd(t, work, "init", "-q", "-b", "master")
	write("salt/top.sls", "base:\n  '*':\n    - mark\n")
	write("salt/mark.sls", mark("one"))
	write("salt/orch.sls", "ping:\n  salt.function:\n    - name: test.ping\n    - tgt: '*'\n")
	gitCmd(t, work, "add", "-A")
	gitCmd(t, work, "commit", "-q", "-m", "one")
	gitCmd(t, served, "clone", "-q", "--bare", work, "tree.git")
	gitCmd(t, work, "remote", "add", "origin", filepath.Join(served, "tree.git"))

	port := freePort(t)
	daemon := exec.Command("git", "daemon", "--reuseaddr", "--export-all", "--base-path="+served, "--listen=127.0.0.1", fmt.Sprintf("--port=%d", port), served)
	// git runs git-daemon as a child: stop the whole process group.
	daemon.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	stopDaemon := func() { _ = syscall.Kill(-daemon.Process.Pid, syscall.SIGKILL); _ = daemon.Wait() }
	t.Cleanup(stopDaemon)
	waitFor(t, 10*time.Second, "git daemon", func() bool {
		return exec.Command("git", "ls-remote", fmt.Sprintf("git://127.0.0.1:%d/tree.git", port)).Run() == nil
	})

	e := newEnv(t, fmt.Sprintf("fileserver_backend: [gitfs]\ngitfs_update_interval: 1h\ngitfs_remotes:\n  - git://127.0.0.1:%d/tree.git:\n      - root: salt\n      - name: tree\n", port))
	e.startMinion("h1", "")
	e.acceptAll(1)
	e.waitConnected(1)
	applied := func(args ...string) string {
		t.Helper()
		out, stderr, code := e.cli(append([]string{"apply", "h1"}, args...)...)
		if code != 0 {
			t.Fatalf("apply %v: exit %d\n%s%s", args, code, out, stderr)
		}
		b, _ := os.ReadFile(filepath.Join(marks, "h1"))
		return strings.TrimSpace(string(b))
	}
	if got := applied(); got != "one" {
		t.Fatalf("first apply from git: %q", got)
	}
	// Orchestration reads its SLS from the same file server.
	if out, stderr, code := e.cli("orchestrate", "orch"); code != 0 {
		t.Fatalf("orchestrate from gitfs: exit %d\n%s%s", code, out, stderr)
	}

	// A pushed commit is served after fileserver update.
	write("salt/mark.sls", mark("two"))
	gitCmd(t, work, "commit", "-q", "-am", "two")
	gitCmd(t, work, "push", "-q", "origin", "master")
	if got := applied(); got != "one" {
		t.Fatalf("served a commit before fileserver update: %q", got)
	}
	if out, stderr, code := e.cli("fileserver", "update"); code != 0 || !strings.Contains(out, "tree (git://") {
		t.Fatalf("fileserver update: %d\n%s%s", code, out, stderr)
	}
	if got := applied(); got != "two" {
		t.Fatalf("after fileserver update: %q", got)
	}

	// Every state run records the tree's commit; an older revision can
	// be applied again; jobs diff says what changed between two runs.
	headSHA := func() string {
		out, err := exec.Command("git", "-C", work, "rev-parse", "HEAD").Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	two := headSHA()
	one := strings.TrimSpace(func() string {
		out, _ := exec.Command("git", "-C", work, "rev-parse", "HEAD~1").Output()
		return string(out)
	}())
	lastJob := func() string {
		t.Helper()
		out, _, code := e.cli("jobs", "list", "--fun", "state.apply", "--limit", "1", "--out", "json")
		var l []map[string]any
		if code != 0 || json.Unmarshal([]byte(out), &l) != nil || len(l) != 1 {
			t.Fatalf("jobs list: %d %s", code, out)
		}
		return l[0]["jid"].(string)
	}
	jidTwo := lastJob()
	out, _, _ := e.cli("jobs", "show", jidTwo, "--out", "json")
	var shown map[string]any
	json.Unmarshal([]byte(out), &shown)
	if trees, _ := shown["tree_sha"].(map[string]any); trees["tree"] != two {
		t.Fatalf("jobs show --out json: tree_sha %v, want tree: %s\n%s", shown["tree_sha"], two, out)
	}
	if out, _, _ := e.cli("jobs", "show", jidTwo); !strings.Contains(out, "Tree tree at "+two) {
		t.Fatalf("jobs show: no tree line\n%s", out)
	}
	if got := applied("--rev", one); got != "one" {
		t.Fatalf("apply --rev %s: %q", one, got)
	}
	jidOne := lastJob()
	if out, _, code := e.cli("jobs", "diff", jidOne, jidTwo); code != 0 || !strings.Contains(out, "salt/mark.sls") || strings.Contains(out, "top.sls") {
		t.Fatalf("jobs diff: %d\n%s", code, out)
	}
	if got := applied(); got != "two" {
		t.Fatalf("after apply --rev, the current tree again: %q", got)
	}

	// Branch dev is saltenv dev.
	gitCmd(t, work, "checkout", "-q", "-b", "dev")
	write("salt/mark.sls", mark("dev"))
	gitCmd(t, work, "commit", "-q", "-am", "dev")
	gitCmd(t, work, "push", "-q", "origin", "dev")
	e.cli("fileserver", "update")
	if got := applied("mark", "saltenv=dev"); got != "dev" {
		t.Fatalf("saltenv=dev: %q", got)
	}
	if got := applied(); got != "two" {
		t.Fatalf("base after dev: %q", got)
	}

	// The remote goes away: the last good commit stays served.
	events := e.watchEvents()
	stopDaemon()
	out, _, code := e.cli("fileserver", "update")
	if code != 1 || !strings.Contains(out, "FAILED (serving the last good commits)") {
		t.Fatalf("update without the remote: exit %d\n%s", code, out)
	}
	if ev, ok := events.find(`^halite/fileserver/update/tree$`); !ok || ev.Data["ok"] != false {
		t.Fatalf("no failed-update event: %+v", ev)
	}
	if v, ok := metric(e.scrape(), `halite_gitfs_updates_total{remote="tree",result="failed"}`); !ok || v < 1 {
		t.Fatalf("failed update not counted: %v %v", v, ok)
	}
	if got := applied(); got != "two" {
		t.Fatalf("after a failed update: %q", got)
	}
}

// git_pillar: pillar from a branch compiles per minion like pillar_roots,
// its secrets are redacted as ever, and a pushed change is in force after
// fileserver update.
func TestGitPillar(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed (.ci/run installs it)")
	}
	tree, marks, work := t.TempDir(), t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(tree, "mark.sls"), []byte(fmt.Sprintf("mark:\n  file.managed:\n    - name: %s/{{ grains['id'] }}\n    - contents: {{ pillar['word'] }}\n", marks)), 0o644)
	write := func(p, s string) { os.WriteFile(filepath.Join(work, p), []byte(s), 0o644) }
	gitCmd(t, work, "init", "-q", "-b", "main")
	write("top.sls", "base:\n  '*':\n    - common\n  'h1':\n    - h1\n")
	write("common.sls", "word: common\ndb_password: hunter2\n")
	write("h1.sls", "word: for-h1\n")
	gitCmd(t, work, "add", "-A")
	gitCmd(t, work, "commit", "-q", "-m", "pillar")

	e := newEnv(t, fmt.Sprintf("file_roots:\n  base:\n    - %s\npillar_roots:\n  base: []\ngit_pillar:\n  - %s:\n      - base: main\n      - name: pil\n", tree, work))
	e.startMinion("h1", "")
	e.startMinion("h2", "")
	e.acceptAll(2)
	e.waitConnected(2)
	word := func(id string) string {
		t.Helper()
		if out, stderr, code := e.cli("apply", id, "mark"); code != 0 {
			t.Fatalf("apply %s: %d\n%s%s", id, code, out, stderr)
		}
		b, _ := os.ReadFile(filepath.Join(marks, id))
		return strings.TrimSpace(string(b))
	}
	if w1, w2 := word("h1"), word("h2"); w1 != "for-h1" || w2 != "common" {
		t.Fatalf("pillar from git per minion: h1 %q, h2 %q", w1, w2)
	}
	if out, _, _ := e.cli("pillar", "show", "h2"); strings.Contains(out, "hunter2") || !strings.Contains(out, "db_password") {
		t.Fatalf("secret from git pillar not redacted:\n%s", out)
	}
	// Each state run records the hash of the pillar it compiled.
	pillarHash := func(id string) string {
		t.Helper()
		out, _, _ := e.cli("jobs", "list", "--fun", "state.apply", "--target", id, "--limit", "1", "--out", "json")
		var l []map[string]any
		if json.Unmarshal([]byte(out), &l) != nil || len(l) != 1 {
			t.Fatalf("jobs list: %s", out)
		}
		out, _, _ = e.cli("jobs", "show", l[0]["jid"].(string), "--out", "json")
		var shown map[string]any
		json.Unmarshal([]byte(out), &shown)
		h, _ := shown["pillar_hash"].(map[string]any)[id].(string)
		if !strings.HasPrefix(h, "sha256:") {
			t.Fatalf("no pillar hash for %s:\n%s", id, out)
		}
		return h
	}
	h1, h2 := pillarHash("h1"), pillarHash("h2")
	if h1 == h2 {
		t.Fatal("two minions with different pillars recorded the same pillar hash")
	}
	write("h1.sls", "word: changed\n")
	gitCmd(t, work, "commit", "-q", "-am", "change")
	if out, stderr, code := e.cli("fileserver", "update"); code != 0 || !strings.Contains(out, "pil (") {
		t.Fatalf("fileserver update: %d\n%s%s", code, out, stderr)
	}
	waitFor(t, 15*time.Second, "the changed git pillar in force", func() bool { return word("h1") == "changed" })
	if pillarHash("h1") == h1 {
		t.Fatal("a changed pillar recorded the same hash")
	}
}
