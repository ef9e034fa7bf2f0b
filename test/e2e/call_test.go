package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/jobstore"
)

// `halite-minion call` without --local is salt-call: the master's pillar
// and file server, the call recorded on the master as a job; through the
// daemon when it runs, on its own channel when it does not. --no-return
// records nothing; --local stays masterless.
func TestMinionCallThroughMaster(t *testing.T) {
	tree, pil, marks := t.TempDir(), t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(tree, "top.sls"), []byte("base:\n  '*':\n    - mark\n"), 0o644)
	os.WriteFile(filepath.Join(tree, "mark.sls"), []byte(fmt.Sprintf("mark:\n  file.managed:\n    - name: %s/{{ grains['id'] }}\n    - contents: {{ pillar['word'] }}\n", marks)), 0o644)
	os.WriteFile(filepath.Join(pil, "top.sls"), []byte("base:\n  '*':\n    - data\n"), 0o644)
	os.WriteFile(filepath.Join(pil, "data.sls"), []byte("word: frommaster\n"), 0o644)
	e := newEnv(t, fmt.Sprintf("file_roots:\n  base:\n    - %s\npillar_roots:\n  base:\n    - %s\n", tree, pil))
	daemon := e.startMinion("h1", "")
	e.acceptAll(1)
	e.waitConnected(1)
	cfg := e.minionConfig("h1", "")
	me, _ := user.Current()

	callJobs := func(fun string) []jobstore.JobSummary {
		l, err := e.client().Jobs(context.Background(), jobstore.JobFilter{Fun: fun, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	pillarWord := func(args ...string) string {
		t.Helper()
		out, stderr, code := minionCmd(t, "call", cfg, append(args, "--out", "json", "pillar.get", "word")...)
		if code != 0 {
			t.Fatalf("call %v pillar.get: exit %d\n%s%s", args, code, out, stderr)
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Fatalf("call --out json: %v\n%s", err, out)
		}
		return fmt.Sprint(v["local"])
	}

	// Through the daemon.
	if w := pillarWord(); w != "frommaster" {
		t.Fatalf("call pillar.get through the daemon: %q (want the master's pillar)", w)
	}
	out, stderr, code := minionCmd(t, "call", cfg, "state.apply")
	if code != 0 || !strings.Contains(out, "Succeeded: 1") {
		t.Fatalf("call state.apply: exit %d\n%s%s", code, out, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(marks, "h1")); strings.TrimSpace(string(b)) != "frommaster" {
		t.Fatalf("state.apply through the master's file server wrote %q", b)
	}
	waitFor(t, 10*time.Second, "the calls recorded on the master", func() bool {
		return len(callJobs("pillar.get")) == 1 && len(callJobs("state.apply")) == 1
	})
	j := callJobs("state.apply")[0]
	if j.User != "call:"+me.Username || j.Target != "h1" {
		t.Fatalf("recorded call: user %q target %q", j.User, j.Target)
	}
	if out, _, code := e.cli("jobs", "show", j.JID); code != 0 || !strings.Contains(out, "frommaster") && !strings.Contains(out, "mark") {
		t.Fatalf("jobs show of the call: exit %d\n%s", code, out)
	}
	if out, stderr, code := minionCmd(t, "call", cfg, "--no-return", "test.ping"); code != 0 || !strings.Contains(out, "True") {
		t.Fatalf("call --no-return: exit %d\n%s%s", code, out, stderr)
	}

	// Without the daemon: a channel of its own, with the minion's key.
	daemon.stop(t)
	if w := pillarWord(); w != "frommaster" {
		t.Fatalf("call pillar.get without a daemon: %q", w)
	}
	if n := len(callJobs("pillar.get")); n != 2 {
		t.Fatalf("the direct call is stored once it returns: %d pillar.get jobs (want 2)", n)
	}
	if n := len(callJobs("test.ping")); n != 0 {
		t.Fatalf("--no-return recorded %d jobs", n)
	}
	// Masterless: this minion has no pillar_roots of its own.
	if w := pillarWord("--local"); w != "" {
		t.Fatalf("call --local reached the master's pillar: %q", w)
	}

	// A minion whose key is not accepted is told so, at once.
	pend := e.minionConfig("h2", "")
	out, stderr, code = minionCmd(t, "call", pend, "test.ping")
	if code != 1 || !strings.Contains(stderr, "pending") {
		t.Fatalf("call with a pending key: exit %d\n%s%s", code, out, stderr)
	}
}
