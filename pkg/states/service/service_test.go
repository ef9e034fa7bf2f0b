package service_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	modsvc "github.com/halite/halite/pkg/modules/service"
	"github.com/halite/halite/pkg/states/internal/statetest"
	_ "github.com/halite/halite/pkg/states/service"
)

const pidFile = "/run/nginx.pid"

// nginx installs nginx (once) and returns the manager the states use. The
// service is left as it was found.
func nginx(t *testing.T) modsvc.Manager {
	t.Helper()
	statetest.RequireRoot(t)
	m := modsvc.Detect()
	if _, ok := m.(*modsvc.SysV); ok {
		if _, err := os.Stat("/etc/init.d/nginx"); err != nil {
			statetest.AptInstall(t, "nginx-light")
		}
	} else if ok, _ := m.Available(context.Background(), "nginx"); !ok {
		statetest.AptInstall(t, "nginx-light")
	}
	ctx := context.Background()
	wasUp, _ := m.Status(ctx, "nginx")
	wasEnabled, _ := m.IsEnabled(ctx, "nginx")
	t.Cleanup(func() {
		if up, _ := m.Status(ctx, "nginx"); up != wasUp {
			if wasUp {
				m.Start(ctx, "nginx")
			} else {
				m.Stop(ctx, "nginx")
			}
		}
		if en, _ := m.IsEnabled(ctx, "nginx"); en != wasEnabled {
			if wasEnabled {
				m.Enable(ctx, "nginx")
			} else {
				m.Disable(ctx, "nginx")
			}
		}
	})
	return m
}

// masterPID reads nginx's pid file and checks the process is alive.
func masterPID(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("nginx pid file: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %q", b)
	}
	if err := syscall.Kill(pid, 0); err != nil {
		t.Fatalf("nginx master %d is not running: %v", pid, err)
	}
	return pid
}

// running checks for the nginx master process itself (not through the
// init script the states use).
func running(t *testing.T, m modsvc.Manager) bool {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	return err == nil && syscall.Kill(pid, 0) == nil
}

// TestNginx drives a real nginx through its init script: start, restart
// and reload on watch, enable and disable at boot, stop. Each action is
// predicted in test mode first (and the service checked untouched), then
// made, then repeated to show it is idempotent.
func TestNginx(t *testing.T) {
	m := nginx(t)
	sysv := false
	if _, ok := m.(*modsvc.SysV); ok {
		sysv = true
	}
	checkBoot := func(want bool) {
		t.Helper()
		if sysv && enabledOnDisk(t) != want {
			t.Fatalf("boot links: enabled=%v, want %v", !want, want)
		}
	}

	// Start from a stopped service.
	statetest.Call(t, "service.dead", "nginx", nil, false)
	if running(t, m) {
		t.Fatal("service.dead left nginx running")
	}
	statetest.Expect(t, statetest.Call(t, "service.dead", "nginx", nil, false), statetest.Unchanged)

	res := statetest.Call(t, "service.running", "nginx", nil, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if res.Comment != "Service nginx is set to start" || running(t, m) {
		t.Fatalf("dry run: %s (running=%v)", statetest.Format(res), running(t, m))
	}

	// Start, and disable at boot in the same state; the comments add up.
	args := map[string]any{"enable": false}
	statetest.Call(t, "service.enabled", "nginx", nil, false)
	res = statetest.Call(t, "service.running", "nginx", args, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "Started service nginx\nService nginx has been disabled, and is running" || res.Changes["nginx"] != true {
		t.Fatalf("got %s", statetest.Format(res))
	}
	checkBoot(false)
	pid := masterPID(t)
	res = statetest.Call(t, "service.running", "nginx", args, false)
	statetest.Expect(t, res, statetest.Unchanged)
	if res.Comment != "The service nginx is already running\nService nginx is already disabled, and is in the desired state" {
		t.Fatalf("comment %q", res.Comment)
	}
	statetest.Expect(t, statetest.Call(t, "service.running", "nginx", args, true), statetest.Unchanged)

	// A watch restarts: a new master process.
	res = statetest.Watch(t, "service.running", "nginx", nil, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if res.Comment != "Service is set to be restarted" || masterPID(t) != pid {
		t.Fatalf("dry watch: %s", statetest.Format(res))
	}
	res = statetest.Watch(t, "service.running", "nginx", nil, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "Service restarted" {
		t.Fatalf("comment %q", res.Comment)
	}
	pid2 := masterPID(t)
	if pid2 == pid {
		t.Fatalf("restart kept master pid %d", pid)
	}
	// With reload: True the master stays and re-reads its configuration.
	res = statetest.Watch(t, "service.running", "nginx", map[string]any{"reload": true}, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "Service reloaded" || masterPID(t) != pid2 {
		t.Fatalf("reload: %s, pid %d -> %d", statetest.Format(res), pid2, masterPID(t))
	}

	// Enable at boot while running: predicted, made, stable.
	args = map[string]any{"enable": true}
	statetest.Expect(t, statetest.Call(t, "service.running", "nginx", args, true), statetest.WouldChange)
	checkBoot(false)
	res = statetest.Call(t, "service.running", "nginx", args, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "The service nginx is already running\nService nginx has been enabled, and is in the desired state" {
		t.Fatalf("comment %q", res.Comment)
	}
	checkBoot(true)
	statetest.Expect(t, statetest.Call(t, "service.running", "nginx", args, false), statetest.Unchanged)

	// service.disabled / service.enabled leave the process alone.
	for _, step := range []struct {
		fun  string
		boot bool
	}{{"service.disabled", false}, {"service.enabled", true}} {
		statetest.Expect(t, statetest.Call(t, step.fun, "nginx", nil, true), statetest.WouldChange)
		checkBoot(!step.boot)
		res = statetest.Call(t, step.fun, "nginx", nil, false)
		statetest.Expect(t, res, statetest.Changed)
		checkBoot(step.boot)
		statetest.Expect(t, statetest.Call(t, step.fun, "nginx", nil, false), statetest.Unchanged)
		if masterPID(t) != pid2 {
			t.Fatalf("%s touched the running service", step.fun)
		}
	}

	// Stop and disable.
	args = map[string]any{"enable": false}
	res = statetest.Call(t, "service.dead", "nginx", args, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if !running(t, m) {
		t.Fatal("dry run stopped nginx")
	}
	checkBoot(true)
	res = statetest.Call(t, "service.dead", "nginx", args, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "Service nginx was killed\nService nginx has been disabled, and is dead" || running(t, m) {
		t.Fatalf("got %s", statetest.Format(res))
	}
	checkBoot(false)
	if err := syscall.Kill(pid2, 0); err == nil {
		t.Fatalf("nginx master %d still alive", pid2)
	}
	statetest.Expect(t, statetest.Call(t, "service.dead", "nginx", args, false), statetest.Unchanged)

	// A watch on a stopped service.running starts it; on service.dead stops it.
	res = statetest.Watch(t, "service.running", "nginx", nil, false)
	if statetest.Expect(t, res, statetest.Changed); res.Comment != "Service started" || !running(t, m) {
		t.Fatalf("got %s", statetest.Format(res))
	}
	res = statetest.Watch(t, "service.dead", "nginx", nil, false)
	if statetest.Expect(t, res, statetest.Changed); res.Comment != "Service stopped" || running(t, m) {
		t.Fatalf("got %s", statetest.Format(res))
	}
	res = statetest.Watch(t, "service.dead", "nginx", nil, false)
	if statetest.Expect(t, res, statetest.Unchanged); res.Comment != "Service is already stopped" {
		t.Fatalf("got %s", statetest.Format(res))
	}
}

func enabledOnDisk(t *testing.T) bool {
	t.Helper()
	m, _ := filepath.Glob("/etc/rc[2345].d/S[0-9][0-9]nginx")
	return len(m) > 0
}

func TestUnknownService(t *testing.T) {
	const name = "no-such-service-halite"
	for _, tc := range []struct {
		fun  string
		dry  bool
		want statetest.Outcome
		msg  string
	}{
		{"service.running", false, statetest.Failed, "The named service " + name + " is not available"},
		{"service.running", true, statetest.Pending, "if created in this state run"},
		{"service.dead", false, statetest.Unchanged, "not available"},
		{"service.enabled", false, statetest.Failed, "not available"},
		{"service.disabled", false, statetest.Unchanged, "not available"},
	} {
		res := statetest.Call(t, tc.fun, name, nil, tc.dry)
		if statetest.Classify(res) != tc.want || !strings.Contains(res.Comment, tc.msg) {
			t.Errorf("%s test=%v: %s; want %s with %q", tc.fun, tc.dry, statetest.Format(res), tc.want, tc.msg)
		}
	}
	for _, tc := range []struct {
		name string
		args map[string]any
		msg  string
	}{
		{"nginx", map[string]any{"enabled": true}, `perhaps "enable"`},
		{"../../bin/sh", nil, "invalid service name"},
		{"nginx", map[string]any{"enable": "sometimes"}, `argument "enable"`},
	} {
		res := statetest.Call(t, "service.running", tc.name, tc.args, false)
		if statetest.Classify(res) != statetest.Failed || !strings.Contains(res.Comment, tc.msg) {
			t.Errorf("%s %v: %s; want failure with %q", tc.name, tc.args, statetest.Format(res), tc.msg)
		}
	}
}
