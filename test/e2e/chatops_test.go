package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halite/halite/pkg/events"
	"github.com/halite/halite/pkg/master"
)

// The operator's commands for the remote API and the ops timeline, with
// the real binaries: token create/list/revoke, api fingerprint pinning a
// remote client, log and log list, maintenance start/stop with run '*'
// leaving the minion out and minions showing it.
func TestTokenLogMaintenanceCLI(t *testing.T) {
	port := freePort(t)
	e := newEnv(t, fmt.Sprintf("api:\n  listen: 127.0.0.1:%d\n", port))
	web1 := e.startMinion("web1", "")
	db1 := e.startMinion("db1", "")
	e.acceptAll(2)
	e.waitConnected(2)

	tok, stderr, code := e.cli("token", "create", "ci", "--allow", "web*:test.*", "--expires", "30d")
	tok = strings.TrimSpace(tok)
	if code != 0 || !strings.HasPrefix(tok, "halite_") || !strings.Contains(stderr, "only time") {
		t.Fatalf("token create: %d %q %q", code, tok, stderr)
	}
	fp, _, code := e.cli("api", "fingerprint")
	if code != 0 || strings.Count(strings.TrimSpace(fp), ":") != 31 {
		t.Fatalf("api fingerprint: %d %q", code, fp)
	}
	rc := master.NewRemoteClient(fmt.Sprintf("127.0.0.1:%d", port), strings.TrimSpace(fp), tok)
	ok := false
	err := rc.Run(context.Background(), &master.RunRequest{Target: "web1", Fun: "test.ping"}, func(ev master.RunEvent) error {
		ok = ok || ev.Type == "return" && ev.ID == "web1"
		return nil
	})
	if err != nil || !ok {
		t.Fatalf("remote ping with the token: %v", err)
	}
	if err := rc.Run(context.Background(), &master.RunRequest{Target: "*", Fun: "test.ping"}, func(master.RunEvent) error { return nil }); err == nil || !strings.Contains(err.Error(), "db1") {
		t.Fatalf("'*' with a web* token: %v", err)
	}
	out, _, _ := e.cli("token", "list")
	if !strings.Contains(out, "ci") || strings.Contains(out, tok) || strings.Contains(out, strings.TrimPrefix(tok, "halite_")) {
		t.Fatalf("token list: %q", out)
	}
	if _, _, code := e.cli("token", "revoke", "ci"); code != 0 {
		t.Fatal("revoke failed")
	}
	if _, err := rc.Minions(context.Background()); err == nil {
		t.Fatal("a revoked token still works")
	}

	if _, _, code := e.cli("log", "Upgraded", "redis", "to", "2.8.19"); code != 0 {
		t.Fatal("log failed")
	}
	if _, _, code := e.cli("log", "--ticket", "#8", "Ended up just needing to restart Apache"); code != 0 {
		t.Fatal("log --ticket failed")
	}
	if out, _, code := e.cli("maintenance", "start", "db1", "--reason", "disk swap"); code != 0 || !strings.Contains(out, "db1") {
		t.Fatalf("maintenance start: %d %q", code, out)
	}
	out, _, _ = e.cli("log", "list", "--since", "1h")
	for _, want := range []string{"Upgraded redis to 2.8.19", "restart Apache", "maintenance start: db1 — disk swap"} {
		if !strings.Contains(out, want) {
			t.Fatalf("log list lacks %q:\n%s", want, out)
		}
	}
	if out, _, _ := e.cli("minions"); !strings.Contains(out, "disk swap") {
		t.Fatalf("minions does not show maintenance:\n%s", out)
	}
	out, _, code = e.cli("run", "*", "test.ping")
	if code != 0 || !strings.Contains(out, "In maintenance") || !strings.Contains(out, "1 in maintenance") {
		t.Fatalf("run '*' with db1 in maintenance: %d\n%s", code, out)
	}
	if out, _, _ := e.cli("audit"); !strings.Contains(out, "maintenance start: db1") {
		t.Fatalf("audit:\n%s", out)
	}
	// SIGKILL both: only web1 (not in maintenance) is reported down.
	var mu sync.Mutex
	var tags []string
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.client().EventsMatching(ctx, "halite/minion/*/down", func(_ []byte, ev events.Event) error {
			mu.Lock()
			tags = append(tags, ev.Tag)
			mu.Unlock()
			return nil
		})
	}()
	time.Sleep(200 * time.Millisecond)
	_ = db1.cmd.Process.Kill()
	_ = web1.cmd.Process.Kill()
	waitFor(t, 30*time.Second, "web1 down", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Contains(tags, "halite/minion/web1/down")
	})
	time.Sleep(2 * time.Second)
	cancel()
	<-done
	if slices.Contains(tags, "halite/minion/db1/down") {
		t.Fatalf("db1, in maintenance, was reported down: %v", tags)
	}
	if _, _, code := e.cli("maintenance", "stop", "db1"); code != 0 {
		t.Fatal("maintenance stop failed")
	}
	// The token's secret is nowhere on disk.
	filepath.Walk(e.dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), strings.TrimPrefix(tok, "halite_")) {
				t.Errorf("the token is in %s", p)
			}
		}
		return nil
	})
}
