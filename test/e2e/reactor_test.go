package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/master"
)

// `events --tag` shows a live job's events; a reactor rule on minion start
// applies a state to the minion that started, and `events --explain`
// names the rule and what it would do.
func TestEventsTagAndReactor(t *testing.T) {
	tree := t.TempDir()
	marks := t.TempDir()
	sls := fmt.Sprintf("started:\n  file.managed:\n    - name: %s/{{ grains['id'] }}.started\n    - contents: hello from the reactor\n", marks)
	if err := os.WriteFile(filepath.Join(tree, "marker.sls"), []byte(sls), 0o644); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, fmt.Sprintf(`file_roots:
  base:
    - %s
reactor:
  - tag: 'halite/minion/*/start'
    apply:
      tgt: '{{ data.id }}'
      sls: marker
  - tag: 'halite/nothing/*'
    run:
      tgt: '*'
      fun: test.ping
`, tree))

	// events --explain: what would fire, rendered, without firing.
	out, errOut, code := e.cli("events", "--explain", "halite/minion/web7/start", "--data", `{"id": "web7"}`)
	if code != 0 || !strings.Contains(out, "rule 1 (tag halite/minion/*/start)") || !strings.Contains(out, `state.apply marker on glob "web7"`) {
		t.Errorf("events --explain: %d %q %s", code, out, errOut)
	}
	if strings.Contains(out, "rule 2") {
		t.Errorf("events --explain names a rule that does not match: %s", out)
	}
	out, _, _ = e.cli("events", "--explain", "halite/job/1/new")
	if !strings.Contains(out, "No reactor rule matches") {
		t.Errorf("events --explain for an unmatched tag: %q", out)
	}

	// A minion starts: the reactor applies marker to it, and to no other.
	e.startMinion("r1", "")
	e.acceptAll(1)
	e.waitConnected(1)
	mark := filepath.Join(marks, "r1.started")
	waitFor(t, 20*time.Second, "the reactor's state on r1", func() bool {
		b, err := os.ReadFile(mark)
		return err == nil && string(b) == "hello from the reactor\n"
	})
	jobs, err := e.client().Jobs(context.Background(), jobsFilter("state.apply"))
	if err != nil || len(jobs) != 1 || jobs[0].User != "reactor" || jobs[0].Target != "r1" {
		t.Fatalf("the reaction is not a job of its own: %v %+v", err, jobs)
	}
	rec, err := e.client().Job(context.Background(), jobs[0].JID)
	if err != nil {
		t.Fatal(err)
	}
	cause, _ := rec.Meta["cause"].(map[string]any)
	if cause["tag"] != "halite/minion/r1/start" {
		t.Errorf("the job does not record its cause: %+v", rec.Meta)
	}
	audit, err := e.client().Audit(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range audit {
		if a.JID == jobs[0].JID && strings.Contains(a.Action, "reactor rule 1 on halite/minion/r1/start") {
			found = true
		}
	}
	if !found {
		t.Errorf("the reaction is not audited with its cause: %+v", audit)
	}

	// events --tag shows a live job's new and ret events, and nothing else.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "halite-master"), "events", "--tag", "halite/job/*", "-c", e.cfgPath)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitFor(t, 10*time.Second, "the events subscriber", func() bool {
		v, _ := metric(e.scrape(), "halite_event_subscribers")
		return v >= 2 // the reactor and the command
	})
	var jid string
	if err := e.client().Run(context.Background(), &master.RunRequest{Target: "r1", Fun: "test.ping"}, func(ev master.RunEvent) error {
		if ev.Type == "start" {
			jid = ev.JID
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var gotNew, gotRet bool
	deadline := time.After(10 * time.Second)
	for !(gotNew && gotRet) {
		select {
		case l := <-lines:
			if !strings.Contains(l, `"tag":"halite/job/`) {
				t.Errorf("events --tag 'halite/job/*' printed %s", l)
			}
			gotNew = gotNew || strings.Contains(l, `"tag":"halite/job/`+jid+`/new"`)
			gotRet = gotRet || strings.Contains(l, `"tag":"halite/job/`+jid+`/ret/r1"`)
		case <-deadline:
			t.Fatalf("events --tag: new %v, ret %v for job %s", gotNew, gotRet, jid)
		}
	}
}

func jobsFilter(fun string) jobstore.JobFilter { return jobstore.JobFilter{Fun: fun, Limit: 10} }
