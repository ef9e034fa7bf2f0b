package cron

import (
	"strings"
	"testing"

	"github.com/halite/halite/pkg/states/internal/statetest"
)

func TestEnvPresentAbsent(t *testing.T) {
	u := cronUser(t)
	statetest.Expect(t, statetest.Call(t, "cron.present", "/bin/true", map[string]any{"user": u, "minute": "5"}, false), statetest.Changed)
	statetest.Expect(t, statetest.Call(t, "cron.env_present", "MAILTO", map[string]any{"user": u, "value": "ops@example.com"}, true), statetest.WouldChange)
	statetest.Expect(t, statetest.Call(t, "cron.env_present", "MAILTO", map[string]any{"user": u, "value": "ops@example.com"}, false), statetest.Changed)
	statetest.Expect(t, statetest.Call(t, "cron.env_present", "MAILTO", map[string]any{"user": u, "value": "ops@example.com"}, false), statetest.Unchanged)
	tab := crontabOf(t, u)
	if i, j := strings.Index(tab, "MAILTO=ops@example.com"), strings.Index(tab, "# Lines below here"); i < 0 || j < 0 || i > j {
		t.Fatalf("the variable is not above the job:\n%s", tab)
	}
	statetest.Expect(t, statetest.Call(t, "cron.env_present", "MAILTO", map[string]any{"user": u, "value": "root"}, false), statetest.Changed)
	if !strings.Contains(crontabOf(t, u), "MAILTO=root\n") {
		t.Fatalf("not updated:\n%s", crontabOf(t, u))
	}
	statetest.Expect(t, statetest.Call(t, "cron.env_absent", "MAILTO", map[string]any{"user": u}, false), statetest.Changed)
	statetest.Expect(t, statetest.Call(t, "cron.env_absent", "MAILTO", map[string]any{"user": u}, false), statetest.Unchanged)
	if tab := crontabOf(t, u); strings.Contains(tab, "MAILTO") || !strings.Contains(tab, "/bin/true") {
		t.Fatalf("after env_absent:\n%s", tab)
	}
}
