package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// halite-master orchestrate with the real binaries: steps in order, a
// JSON answer with every step, exit 0; a failing step exits 1 and names
// the minion, and the steps after it do not run; --test changes nothing.
func TestOrchestrateCLI(t *testing.T) {
	tree, marks := t.TempDir(), t.TempDir()
	write := func(rel, body string) {
		os.MkdirAll(filepath.Dir(filepath.Join(tree, rel)), 0o755)
		if err := os.WriteFile(filepath.Join(tree, rel), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("mark.sls", fmt.Sprintf("mark:\n  file.managed:\n    - name: %s/{{ grains['id'] }}\n    - contents: done\n", marks))
	write("orch/ok.sls", "first:\n  salt.state:\n    - tgt: 'a*'\n    - sls: mark\nsecond:\n  salt.function:\n    - tgt: 'b*'\n    - name: test.ping\n    - require:\n      - salt: first\n")
	write("orch/bad.sls", "first:\n  salt.function:\n    - tgt: 'a*'\n    - name: cmd.run\n    - arg: ['exit 3']\n    - kwarg: {python_shell: true}\nsecond:\n  salt.state:\n    - tgt: 'b*'\n    - sls: mark\n    - require:\n      - salt: first\n")
	e := newEnv(t, fmt.Sprintf("file_roots:\n  base:\n    - %s\n", tree))
	e.startMinion("a1", "")
	e.startMinion("b1", "")
	e.acceptAll(2)
	e.waitConnected(2)

	if _, _, code := e.cli("orchestrate", "orch.ok", "--test"); code != 0 {
		t.Fatalf("--test exit %d", code)
	}
	if ents, _ := os.ReadDir(marks); len(ents) != 0 {
		t.Fatalf("--test changed a minion: %v", ents)
	}
	out, stderr, code := e.cli("orchestrate", "orch.ok", "--out", "json")
	if code != 0 {
		t.Fatalf("orch.ok exit %d: %s %s", code, out, stderr)
	}
	var res struct {
		JID    string                    `json:"jid"`
		Return map[string]map[string]any `json:"return"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Return) != 2 || res.JID == "" {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(marks, "a1")); err != nil {
		t.Fatal("the state step did not run")
	}
	out, _, code = e.cli("orchestrate", "orch.bad")
	if code != 1 || !strings.Contains(out, "Run failed on minions: a1") || !strings.Contains(out, "requisite") {
		t.Fatalf("orch.bad exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(marks, "b1")); err == nil {
		t.Fatal("a step after the failed one ran")
	}
	if show, _, _ := e.cli("jobs", "show", res.JID); !strings.Contains(show, "first") {
		t.Fatalf("jobs show of the orchestration:\n%s", show)
	}
}
