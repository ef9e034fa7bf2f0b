package all_test

import (
	"strings"
	"testing"

	"github.com/halite/halite/pkg/state"
	_ "github.com/halite/halite/pkg/states/all"
)

// TestRegistered checks that every state function the design promises is
// registered with its user documentation.
func TestRegistered(t *testing.T) {
	want := []string{
		"cmd.run", "cmd.wait",
		"cron.absent", "cron.present",
		"file.absent", "file.append", "file.directory", "file.line", "file.managed", "file.replace", "file.symlink",
		"group.absent", "group.present",
		"pkg.installed", "pkg.latest", "pkg.removed",
		"service.dead", "service.disabled", "service.enabled", "service.running",
		"test.fail_with_changes", "test.fail_without_changes", "test.nop", "test.show_notification",
		"test.succeed_with_changes", "test.succeed_without_changes",
		"user.absent", "user.present",
	}
	for _, n := range want {
		d, ok := state.LookupFunc(n)
		if !ok {
			t.Errorf("%s is not registered", n)
			continue
		}
		if strings.TrimSpace(d.Doc) == "" {
			t.Errorf("%s has no documentation", n)
		}
	}
	for _, n := range []string{"cmd.run", "cmd.wait", "service.running", "service.dead"} {
		if d, _ := state.LookupFunc(n); d.ModWatch == nil {
			t.Errorf("%s has no mod_watch", n)
		}
	}
}
