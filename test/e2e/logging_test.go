package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The operations kit's logging: log_file in JSON lines, a level per
// subsystem, and SIGHUP reopening the file after logrotate moved it (and
// not killing a daemon that logs to standard error).
func TestLogFileJSONGranularAndReopen(t *testing.T) {
	e := &env{t: t, dir: t.TempDir(), pub: freePort(t), ret: freePort(t)}
	e.cfgPath = filepath.Join(e.dir, "master.yaml")
	os.WriteFile(e.cfgPath, []byte(fmt.Sprintf(`interface: 127.0.0.1
publish_port: %d
ret_port: %d
pki_dir: pki
data_dir: data
log_level: warning
log_format: json
log_file: log/master.log
log_granular_levels:
  auth: info
`, e.pub, e.ret)), 0o600)
	e.startMaster()
	logPath := filepath.Join(e.dir, "log", "master.log")
	lines := func(path string) []map[string]any {
		b, _ := os.ReadFile(path)
		var out []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			if l == "" {
				continue
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Fatalf("log line is not JSON: %v\n%s", err, l)
			}
			out = append(out, v)
		}
		return out
	}
	authenticated := func(path, id string) bool {
		for _, l := range lines(path) {
			if l["@module"] == "master.auth" && l["@message"] == "minion authenticated" && l["id"] == id {
				return true
			}
		}
		return false
	}
	mn := e.startMinion("m1", "")
	e.acceptAll(1)
	e.waitConnected(1)
	waitFor(t, 10*time.Second, "the auth subsystem's info line in the log file", func() bool { return authenticated(logPath, "m1") })
	for _, l := range lines(logPath) {
		if l["@module"] == "master" && l["@level"] == "info" {
			t.Fatalf("log_level warning let a root info line through: %v", l)
		}
	}
	if out := e.master.log.String(); strings.Contains(out, "minion authenticated") {
		t.Fatalf("with log_file set the master still logs to stderr:\n%s", out)
	}

	// logrotate: move the file, SIGHUP, the next lines go to a new file.
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	e.master.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, 10*time.Second, "a new log file after SIGHUP", func() bool {
		_, err := os.Stat(logPath)
		return err == nil
	})
	mn.cmd.Process.Signal(syscall.SIGHUP) // logs to stderr: must not die
	mn.stop(t)
	if mn.err != nil {
		t.Fatalf("minion after SIGHUP then SIGTERM: %v", mn.err)
	}
	e.startMinion("m1", "")
	waitFor(t, 15*time.Second, "the reconnect in the reopened log file", func() bool { return authenticated(logPath, "m1") })
	if _, _, code := e.cli("keys", "list"); code != 0 {
		t.Fatal("master not serving after SIGHUP")
	}
}
