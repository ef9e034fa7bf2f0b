package hostdata

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestValuesFlattenAndBound(t *testing.T) {
	tb := New(Limits{Funs: []string{"status.*", "disk.usage"}, MaxSeries: 5})
	tb.PutValue("a", "status.loadavg", map[string]any{"1-min": 0.5, "5-min": 0.25, "15-min": "0.1"})
	tb.PutValue("a", "disk.usage", map[string]any{"/": map[string]any{"capacity": "42%", "filesystem": "/dev/sda1", "used": int64(10)}})
	tb.PutValue("a", "test.echo", 7) // not in the allow-list
	if got := tb.Value("a", "status.loadavg"); len(got) != 3 || got["15-min"] != 0.1 {
		t.Errorf("loadavg: %v", got)
	}
	if got := tb.Value("a", "disk.usage"); len(got) != 2 || got["/.capacity"] != 42 {
		t.Errorf("disk.usage (the filesystem name is not a number): %v", got)
	}
	if len(tb.Value("a", "test.echo")) != 0 {
		t.Error("a function outside metrics_minion_values.funs was exported")
	}
	// The sixth series is over max_series: dropped, and counted.
	tb.PutValue("b", "status.uptime", map[string]any{"seconds": 10, "days": 0})
	if got := len(tb.Value("b", "status.uptime")); got != 0 {
		t.Errorf("over the bound: %d series kept", got)
	}
	if v := testutil.ToFloat64(tb.dropped); v != 2 {
		t.Errorf("dropped = %v, want 2", v)
	}
	// A new value replaces the old one's series, freeing room.
	tb.PutValue("a", "status.loadavg", 1.5)
	tb.PutValue("b", "status.uptime", map[string]any{"seconds": 10})
	if got := tb.Value("b", "status.uptime"); got["seconds"] != 10 {
		t.Errorf("after room was freed: %v", got)
	}
	if got := tb.Value("a", "status.loadavg"); got["value"] != 1.5 {
		t.Errorf("scalar value: %v", got)
	}
	tb.Forget("b")
	if len(tb.Value("b", "status.uptime")) != 0 {
		t.Error("Forget kept values")
	}
}

func TestExecDeadman(t *testing.T) {
	tb := New(Limits{})
	t0 := time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)
	tb.PutExec("db1", ExecRun{Name: "backup", Start: t0, Duration: time.Minute, ExitCode: 0, ExpectEvery: time.Hour, Sizes: map[string]int64{"/b": 5}}, t0.Add(time.Minute))
	if got := tb.CheckDeadman(t0.Add(time.Minute + time.Hour + 5*time.Minute)); len(got) != 0 {
		t.Fatalf("overdue within the 10%% grace: %+v", got)
	}
	got := tb.CheckDeadman(t0.Add(time.Minute + time.Hour + 7*time.Minute))
	if len(got) != 1 || got[0].Name != "backup" {
		t.Fatalf("not overdue after expect_every + 10%%: %+v", got)
	}
	if again := tb.CheckDeadman(t0.Add(3 * time.Hour)); len(again) != 0 {
		t.Errorf("the same miss fired twice: %+v", again)
	}
	// A failed run: reported, not a success; overdue cleared.
	tb.PutExec("db1", ExecRun{Name: "backup", Start: t0.Add(4 * time.Hour), ExitCode: 2, ExpectEvery: time.Hour}, t0.Add(4*time.Hour))
	st := tb.Execs()[0]
	if st.Overdue || st.ExitCode != 2 || !st.LastSuccess.Equal(t0) {
		t.Errorf("after a failed run: %+v", st)
	}
	// A late, older report does not replace the newer run.
	tb.PutExec("db1", ExecRun{Name: "backup", Start: t0.Add(2 * time.Hour), ExitCode: 0}, t0.Add(5*time.Hour))
	st = tb.Execs()[0]
	if st.ExitCode != 2 || !st.LastSuccess.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("after a late older report: %+v", st)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(tb)
	n, err := testutil.GatherAndCount(reg, "halite_exec_last_exit_code", "halite_exec_size_bytes", "halite_exec_overdue")
	if err != nil || n != 2 { // sizes went with the run that had them
		t.Errorf("series %d, %v", n, err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP halite_exec_last_exit_code Exit code of the last run of a named exec.
# TYPE halite_exec_last_exit_code gauge
halite_exec_last_exit_code{minion="db1",name="backup"} 2
`), "halite_exec_last_exit_code"); err != nil {
		t.Error(err)
	}
}

// A minion reporting endless exec names or login services cannot make the
// master remember them all.
func TestBoundedNames(t *testing.T) {
	tb := New(Limits{})
	now := time.Now()
	for i := range maxExecs + 5 {
		tb.PutExec("m", ExecRun{Name: "run" + strconv.Itoa(i), Start: now}, now)
	}
	for i := range maxLoginSeries + 5 {
		tb.AddLogins("m", "svc"+strconv.Itoa(i), "failed", 1)
	}
	if n := len(tb.Execs()); n != maxExecs {
		t.Errorf("%d exec runs kept", n)
	}
	if v := testutil.ToFloat64(tb.refused.WithLabelValues("exec")); v != 5 {
		t.Errorf("refused exec = %v", v)
	}
	if v := testutil.ToFloat64(tb.refused.WithLabelValues("login")); v != 5 {
		t.Errorf("refused login = %v", v)
	}
}
