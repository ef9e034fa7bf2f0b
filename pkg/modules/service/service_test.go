package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halite/halite/pkg/modules"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		pid1        string
		runDir, orc bool
		want        string
	}{
		{"systemd", false, false, "systemd"},
		{"init", true, false, "systemd"},
		{"init", false, true, "openrc"},
		{"init", false, false, "sysvinit"},
		{"process_api", false, false, "sysvinit"},
	}
	for _, tt := range tests {
		if got := detect(tt.pid1, tt.runDir, tt.orc).Name(); got != tt.want {
			t.Errorf("detect(%q, %v, %v) = %s, want %s", tt.pid1, tt.runDir, tt.orc, got, tt.want)
		}
	}
	if Detect() == nil {
		t.Error("Detect() = nil")
	}
}

func TestValidName(t *testing.T) {
	for _, ok := range []string{"nginx", "php8.2-fpm", "getty@tty1", "ssh.socket", "dev-disk-by\\x2duuid", "a_b:c+d"} {
		if err := ValidName(ok); err != nil {
			t.Errorf("ValidName(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ".", "..", "../etc/passwd", "a/b", "-h", ".hidden", "a b", "x;rm", "$(id)"} {
		if err := ValidName(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("ValidName(%q) = %v, want ErrBadName", bad, err)
		}
	}
}

func TestUnitName(t *testing.T) {
	tests := map[string]string{"nginx": "nginx.service", "nginx.service": "nginx.service", "ssh.socket": "ssh.socket",
		"apt-daily.timer": "apt-daily.timer", "php8.2-fpm": "php8.2-fpm.service", "getty@tty1": "getty@tty1.service"}
	for in, want := range tests {
		if got := UnitName(in); got != want {
			t.Errorf("UnitName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsEnabledRCLinks(t *testing.T) {
	root := t.TempDir()
	mk := func(dir, link string) {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("../init.d/x", filepath.Join(root, dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	mk("rc2.d", "S01nginx")
	mk("rc2.d", "K01apache2")
	mk("rc.d/rc3.d", "S90crond")
	mk("rcS.d", "S01procps")
	mk("rc2.d", "S02nginx-extra")
	s := &SysV{RCRoot: root}
	tests := map[string]bool{"nginx": true, "crond": true, "procps": true, "apache2": false, "nginx-extra": true, "ngin": false, "missing": false}
	for name, want := range tests {
		got, err := s.IsEnabled(context.Background(), name)
		if err != nil || got != want {
			t.Errorf("IsEnabled(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
	for link, want := range map[string]bool{"S01nginx": true, "Snginx": false, "S1nginx": true, "K01nginx": false, "S01nginx.sh": false} {
		if got := isStartLink(link, "nginx"); got != want {
			t.Errorf("isStartLink(%q) = %v", link, got)
		}
	}
}

// initScript is a real LSB init script managing a sleep daemon whose pid
// it keeps in dir.
func initScript(dir string) string {
	return fmt.Sprintf(`#!/bin/sh
### BEGIN INIT INFO
# Provides:          halite-test
# Required-Start:
# Required-Stop:
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Halite test service
### END INIT INFO
PIDFILE=%[1]s/pid
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
case "$1" in
start)   running && exit 0
         sleep 1000 </dev/null >/dev/null 2>&1 &
         echo $! > "$PIDFILE"
         echo "started with PATH=$PATH" >> %[1]s/log ;;
stop)    running && kill "$(cat "$PIDFILE")"; rm -f "$PIDFILE" ;;
restart) "$0" stop; "$0" start ;;
reload)  running || { echo "not running, cannot reload"; exit 7; }
         echo reloaded >> %[1]s/log ;;
status)  running && exit 0; exit 3 ;;
*)       echo "Usage: $0 {start|stop|restart|reload|status}"; exit 1 ;;
esac
`, dir)
}

func pidOf(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func killDaemon(dir string) {
	if b, err := os.ReadFile(filepath.Join(dir, "pid")); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// TestSysVLifecycle drives a real init script from a private init.d.
func TestSysVLifecycle(t *testing.T) {
	initDir, state := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(initDir, "halite-test"), []byte(initScript(state)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(initDir, "not-executable"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { killDaemon(state) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := &SysV{InitDir: initDir}
	const name = "halite-test"

	expectStatus := func(want bool) {
		t.Helper()
		got, err := s.Status(ctx, name)
		if err != nil || got != want {
			t.Fatalf("Status = %v, %v; want %v", got, err, want)
		}
	}
	if ok, err := s.Available(ctx, name); !ok || err != nil {
		t.Fatalf("Available = %v, %v", ok, err)
	}
	if ok, _ := s.Available(ctx, "not-executable"); ok {
		t.Error("a non-executable script counts as a service")
	}
	expectStatus(false)
	err := s.Reload(ctx, name)
	if err == nil || err.Error() != "halite-test reload exited with status 7: not running, cannot reload" {
		t.Errorf("Reload while stopped = %v", err)
	}
	if err := s.Start(ctx, name); err != nil {
		t.Fatal(err)
	}
	expectStatus(true)
	first := pidOf(t, state)
	if err := s.Reload(ctx, name); err != nil {
		t.Errorf("Reload = %v", err)
	}
	if err := s.Restart(ctx, name); err != nil {
		t.Fatal(err)
	}
	expectStatus(true)
	if second := pidOf(t, state); second == first || second == 0 {
		t.Errorf("restart kept pid %d (now %d)", first, second)
	}
	if err := s.Stop(ctx, name); err != nil {
		t.Fatal(err)
	}
	expectStatus(false)
	log, _ := os.ReadFile(filepath.Join(state, "log"))
	if strings.Count(string(log), "started") != 2 || !strings.Contains(string(log), "reloaded") {
		t.Errorf("log = %q", log)
	}
	// Scripts run with service(8)'s clean environment, not the minion's.
	if !strings.Contains(string(log), "PATH="+serviceEnv["PATH"]+"\n") {
		t.Errorf("script environment: %q", log)
	}
	for _, bad := range []func() error{
		func() error { return s.Start(ctx, "nosuch") },
		func() error { _, err := s.Status(ctx, "nosuch"); return err },
		func() error { return s.Enable(ctx, "nosuch") },
	} {
		if err := bad(); !errors.Is(err, ErrUnknownService) {
			t.Errorf("unknown service: err = %v", err)
		}
	}
	if err := s.Start(ctx, "../"+filepath.Base(initDir)+"/halite-test"); !errors.Is(err, ErrBadName) {
		t.Errorf("path in name: err = %v", err)
	}
}

// TestModuleSystemService runs the service.* functions against a real
// init script installed in /etc/init.d, through service(8) and
// update-rc.d, on hosts where SysV init is what Detect finds (as on the
// development and CI machines). The script and its rc links are removed
// afterwards.
func TestModuleSystemService(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	if Detect().Name() != "sysvinit" {
		t.Skipf("init system is %s", Detect().Name())
	}
	if _, err := exec.LookPath("update-rc.d"); err != nil {
		t.Skip("no update-rc.d")
	}
	name := fmt.Sprintf("halite-test-%d", os.Getpid())
	script := filepath.Join(defaultInitDir, name)
	state := t.TempDir()
	body := strings.Replace(initScript(state), "# Provides:          halite-test", "# Provides:          "+name, 1)
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Skipf("cannot install a test init script: %v", err)
	}
	t.Cleanup(func() {
		killDaemon(state)
		_ = exec.Command("update-rc.d", "-f", name, "remove").Run()
		_ = os.Remove(script)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	steps := []struct {
		fun  string
		want any
	}{
		{"service.available", true},
		{"service.missing", false},
		{"service.status", false},
		{"service.enabled", false},
		{"service.disabled", true},
		{"service.start", true},
		{"service.status", true},
		{"service.reload", true},
		{"service.restart", true},
		{"service.status", true},
		{"service.enable", true},
		{"service.enabled", true},
		{"service.disable", true},
		{"service.enabled", false},
		{"service.stop", true},
		{"service.status", false},
	}
	for _, st := range steps {
		res := modules.Run(ctx, nil, st.fun, []any{name}, nil)
		if !res.Success || res.Return != st.want {
			t.Fatalf("%s %s = %+v, want %v", st.fun, name, res, st.want)
		}
	}
}

func TestModuleUnknownAndBadNames(t *testing.T) {
	tests := []struct {
		fun    string
		args   []any
		want   any
		failed bool
	}{
		{"service.available", []any{"halite-no-such-service"}, false, false},
		{"service.missing", []any{"halite-no-such-service"}, true, false},
		{"service.status", []any{"halite-no-such-service"}, false, false},
		{"service.enabled", []any{"halite-no-such-service"}, false, false},
		{"service.status", []any{"../../bin/sh"}, `service.status: invalid service name: "../../bin/sh"`, true},
		{"service.start", nil, "service.start: argument 'name': missing required argument", true},
		{"service.start", []any{"a", "b"}, "service.start: takes at most 1 positional argument (2 given)", true},
	}
	if Detect().Name() == "sysvinit" {
		tests = append(tests, struct {
			fun    string
			args   []any
			want   any
			failed bool
		}{"service.start", []any{"halite-no-such-service"}, "service.start: halite-no-such-service: service is not available", true})
	}
	for _, tt := range tests {
		res := modules.Run(context.Background(), nil, tt.fun, tt.args, nil)
		if res.Return != tt.want || res.Success == tt.failed {
			t.Errorf("%s %v = %+v, want %v", tt.fun, tt.args, res, tt.want)
		}
	}
}
