package state

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// outcome is what a user checks in a state's return.
type outcome struct {
	result  string // True, False, None
	comment string // substring
	changed bool
}

func checkOutcomes(t *testing.T, ret map[string]*StateReturn, want map[string]outcome) {
	t.Helper()
	for id, w := range want {
		r := byID(t, ret, id)
		if got := resultString(r); got != w.result {
			t.Errorf("%s: result %s, want %s (comment %q)", id, got, w.result, r.Comment)
		}
		if !strings.Contains(r.Comment, w.comment) {
			t.Errorf("%s: comment %q does not contain %q", id, r.Comment, w.comment)
		}
		if got := len(r.Changes) > 0; got != w.changed {
			t.Errorf("%s: changed %v, want %v (changes %v)", id, got, w.changed, r.Changes)
		}
	}
	if len(ret) != len(want) {
		t.Errorf("got %d results %v, want %d", len(ret), keys(ret), len(want))
	}
}

// runOrder lists IDs by __run_num__.
func runOrder(ret map[string]*StateReturn) []string {
	rs := make([]*StateReturn, 0, len(ret))
	for _, r := range ret {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].RunNum < rs[j].RunNum })
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func TestRunRequire(t *testing.T) {
	src := memSource{"app.sls": lines(
		"config:",
		"  t.succeed:",
		"    - require:",
		"      - t: pkg", // declared later: runs first anyway
		"service:",
		"  t.succeed:",
		"    - require:",
		"      - t: broken",
		"      - config",
		"pkg:",
		"  t.succeed: []",
		"broken:",
		"  t.fail: []",
		"after:",
		"  t.succeed:",
		"    - require:",
		"      - service", // failed by requisite: fails too
	)}
	ret, rec := runSLS(t, src, RunOptions{}, "app")
	checkOutcomes(t, ret, map[string]outcome{
		"pkg":     {"True", "Success!", false},
		"config":  {"True", "Success!", false},
		"broken":  {"False", "Failure!", false},
		"service": {"False", "One or more requisite failed: app.broken", false},
		"after":   {"False", "One or more requisite failed: app.service", false},
	})
	if got, want := rec.seq(), []string{"succeed:pkg", "succeed:config", "fail:broken"}; !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	if got, want := runOrder(ret), []string{"pkg", "config", "broken", "service", "after"}; !reflect.DeepEqual(got, want) {
		t.Errorf("run order = %v, want %v", got, want)
	}
}

func TestRunRequisiteReferences(t *testing.T) {
	src := memSource{
		"main.sls": lines(
			"include:",
			"  - lib",
			"by_name:",
			"  t.succeed:",
			"    - require:",
			"      - t: /etc/named", // module + name
			"by_sls:",
			"  t.succeed:",
			"    - require:",
			"      - sls: lib",
			"by_glob:",
			"  t.succeed:",
			"    - require:",
			"      - t: 'lib_*'",
			"named:",
			"  t.fail:",
			"    - name: /etc/named",
		),
		"lib.sls": lines("lib_a:", "  t.succeed: []", "lib_b:", "  t.fail: []"),
	}
	ret, _ := runSLS(t, src, RunOptions{}, "main")
	checkOutcomes(t, ret, map[string]outcome{
		"lib_a":   {"True", "", false},
		"lib_b":   {"False", "Failure!", false},
		"named":   {"False", "Failure!", false},
		"by_name": {"False", "requisite failed: main.named", false},
		"by_sls":  {"False", "requisite failed: lib.lib_b", false},
		"by_glob": {"False", "requisite failed: lib.lib_b", false},
	})
}

func TestRunOnchangesOnfail(t *testing.T) {
	src := memSource{"s.sls": lines(
		"quiet:", "  t.succeed: []",
		"loud:", "  t.changes: []",
		"bad:", "  t.fail: []",
		"react:", "  t.succeed:", "    - onchanges:", "      - t: loud",
		"ignore:", "  t.succeed:", "    - onchanges:", "      - t: quiet",
		"any_changed:", "  t.succeed:", "    - onchanges_any:", "      - t: quiet", "      - t: loud",
		"some_changed:", "  t.succeed:", "    - onchanges:", "      - t: quiet", "      - t: loud",
		"recover:", "  t.succeed:", "    - onfail:", "      - t: bad",
		"no_recover:", "  t.succeed:", "    - onfail:", "      - t: quiet",
		"one_failed:", "  t.succeed:", "    - onfail:", "      - t: quiet", "      - t: bad",
		"all_failed:", "  t.succeed:", "    - onfail_all:", "      - t: quiet", "      - t: bad",
		"onchanges_to_failed:", "  t.succeed:", "    - onchanges:", "      - t: bad",
	)}
	ret, _ := runSLS(t, src, RunOptions{}, "s")
	checkOutcomes(t, ret, map[string]outcome{
		"quiet":               {"True", "", false},
		"loud":                {"True", "", true},
		"bad":                 {"False", "", false},
		"react":               {"True", "Success!", false},
		"ignore":              {"True", "State was not run because none of the onchanges reqs changed", false},
		"any_changed":         {"True", "Success!", false},
		"some_changed":        {"True", "Success!", false},
		"recover":             {"True", "Success!", false},
		"no_recover":          {"True", "State was not run because onfail req did not change", false},
		"one_failed":          {"True", "Success!", false},
		"all_failed":          {"True", "State was not run because onfail req did not change", false},
		"onchanges_to_failed": {"False", "One or more requisite failed: s.bad", false},
	})
}

func TestRunRequireAny(t *testing.T) {
	src := memSource{"s.sls": lines(
		"ok:", "  t.succeed: []",
		"bad:", "  t.fail: []",
		"either:", "  t.succeed:", "    - require_any:", "      - t: ok", "      - t: bad",
		"both:", "  t.succeed:", "    - require:", "      - t: ok", "      - t: bad",
	)}
	ret, _ := runSLS(t, src, RunOptions{}, "s")
	checkOutcomes(t, ret, map[string]outcome{
		"ok":     {"True", "", false},
		"bad":    {"False", "", false},
		"either": {"True", "Success!", false},
		"both":   {"False", "requisite failed: s.bad", false},
	})
}

func TestRunWatch(t *testing.T) {
	src := memSource{"web.sls": lines(
		"conf:", "  t.changes: []",
		"same:", "  t.succeed: []",
		"nginx:", "  t.service:", "    - watch:", "      - t: conf",
		"sshd:", "  t.service:", "    - watch:", "      - t: same",
		"reload:", "  t.wait:", "    - watch:", "      - t: conf",
		"plain:", "  t.succeed:", "    - watch:", "      - t: conf", // no mod_watch: a require
		"watch_failed:", "  t.service:", "    - watch:", "      - t: broken",
		"broken:", "  t.fail: []",
		"started:", "  t.starts:", "    - watch:", "      - t: conf", // changed by itself: no mod_watch
	)}
	ret, rec := runSLS(t, src, RunOptions{}, "web")
	checkOutcomes(t, ret, map[string]outcome{
		"conf":         {"True", "", true},
		"same":         {"True", "", false},
		"nginx":        {"True", "Service restarted", true},
		"sshd":         {"True", "The service is already running", false},
		"reload":       {"True", "Command ran", true},
		"plain":        {"True", "Success!", false},
		"watch_failed": {"False", "One or more requisite failed: web.broken", false},
		"broken":       {"False", "", false},
		"started":      {"True", "Started", true},
	})
	want := []string{
		"changes:conf", "succeed:same", "service:nginx", "service.mod_watch:nginx",
		"service:sshd", "wait:reload", "wait.mod_watch:reload", "succeed:plain", "fail:broken", "starts:started",
	}
	if got := rec.seq(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %v\nwant %v", got, want)
	}
}

func TestRunListen(t *testing.T) {
	src := memSource{"web.sls": lines(
		"conf:", "  t.changes: []",
		"quiet:", "  t.succeed: []",
		"nginx:", "  t.service:", "    - listen:", "      - t: conf",
		"sshd:", "  t.service:", "    - listen:", "      - t: quiet",
		"other:", "  t.changes:", "    - listen_in:", "      - t: sshd",
		"last:", "  t.succeed: []",
	)}
	ret, rec := runSLS(t, src, RunOptions{}, "web")
	want := []string{
		"changes:conf", "succeed:quiet", "service:nginx", "service:sshd", "changes:other", "succeed:last",
		"service.mod_watch:nginx", "service.mod_watch:sshd",
	}
	if got := rec.seq(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %v\nwant %v (listeners run after everything else)", got, want)
	}
	l := ret["t_|-listener_nginx_|-nginx_|-mod_watch"]
	if l == nil || l.ID != "listener_nginx" || l.Comment != "Service restarted" || l.RunNum != 6 {
		t.Fatalf("listener result = %+v; results %v", l, keys(ret))
	}
	if byID(t, ret, "nginx").Comment != "The service is already running" {
		t.Errorf("the listening state itself must run normally")
	}
	if len(ret) != 8 {
		t.Errorf("results = %v", keys(ret))
	}
}

func TestRunPrereq(t *testing.T) {
	src := memSource{"site.sls": lines(
		"graceful-down:", "  t.succeed:", "    - prereq:", "      - t: site-code",
		"site-code:", "  t.changes: []",
		"idle-down:", "  t.succeed:", "    - prereq:", "      - t: static",
		"static:", "  t.succeed: []",
		"fail-down:", "  t.fail:", "    - prereq:", "      - t: code2",
		"code2:", "  t.changes: []",
	)}
	ret, rec := runSLS(t, src, RunOptions{}, "site")
	checkOutcomes(t, ret, map[string]outcome{
		"graceful-down": {"True", "Success!", false},
		"site-code":     {"True", "Changed", true},
		"idle-down":     {"True", "No changes detected", false},
		"static":        {"True", "Success!", false},
		"fail-down":     {"False", "Failure!", false},
		// The prereq-ing state failed, so the target does not run; Salt
		// reports its test-mode return without the predicted changes.
		"code2": {"None", "Would change", false},
	})
	want := []string{
		"changes:site-code[test]", "succeed:graceful-down", "changes:site-code",
		"succeed:static[test]", "succeed:static",
		"changes:code2[test]", "fail:fail-down",
	}
	if got := rec.seq(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %v\nwant %v", got, want)
	}
}

func TestRunFailhard(t *testing.T) {
	src := memSource{"s.sls": lines(
		"one:", "  t.succeed: []",
		"two:", "  t.fail:", "    - failhard: True",
		"three:", "  t.succeed: []",
	)}
	ret, rec := runSLS(t, src, RunOptions{}, "s")
	if got, want := runOrder(ret), []string{"one", "two"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ran %v, want %v: failhard stops the run", got, want)
	}
	if len(rec.seq()) != 2 {
		t.Errorf("calls after failhard: %v", rec.seq())
	}

	// Global failhard, with a failure through a requisite.
	src = memSource{"s.sls": lines(
		"bad:", "  t.fail: []",
		"dep:", "  t.succeed:", "    - require:", "      - bad",
		"later:", "  t.succeed: []",
	)}
	ret, _ = runSLS(t, src, RunOptions{Failhard: true}, "s")
	if got := runOrder(ret); !reflect.DeepEqual(got, []string{"bad"}) {
		t.Errorf("global failhard ran %v, want [bad]", got)
	}
	// Never in test mode.
	ret, _ = runSLS(t, src, RunOptions{Failhard: true, Test: true}, "s")
	if len(ret) != 3 {
		t.Errorf("failhard must not apply in test mode: ran %v", runOrder(ret))
	}
}

func TestRunTestModePropagatesPredictedChanges(t *testing.T) {
	src := memSource{"s.sls": lines(
		"conf:", "  t.changes: []",
		"svc:", "  t.service:", "    - watch:", "      - t: conf",
		"react:", "  t.succeed:", "    - onchanges:", "      - t: conf",
		"quiet:", "  t.succeed:", "    - onchanges:", "      - t: svc",
	)}
	ret, rec := runSLS(t, src, RunOptions{Test: true}, "s")
	checkOutcomes(t, ret, map[string]outcome{
		"conf":  {"None", "Would change", true},
		"svc":   {"None", "Service is set to be restarted", false},
		"react": {"True", "Success!", false},
		"quiet": {"True", "none of the onchanges reqs changed", false},
	})
	for _, c := range rec.calls {
		if !c.Test {
			t.Errorf("%s called outside test mode", c)
		}
	}
	if Retcode(ret) != 0 {
		t.Errorf("test-mode run with predicted changes must have retcode 0")
	}
}

func TestRunPanicIsAFailure(t *testing.T) {
	src := memSource{"s.sls": lines("boom:", "  t.panic: []", "after:", "  t.succeed:", "    - require:", "      - boom")}
	ret, _ := runSLS(t, src, RunOptions{}, "s")
	checkOutcomes(t, ret, map[string]outcome{
		"boom":  {"False", "An exception occurred in this state: panic: boom", false},
		"after": {"False", "One or more requisite failed: s.boom", false},
	})
	if Retcode(ret) != 2 {
		t.Errorf("retcode = %d, want 2", Retcode(ret))
	}
}

func TestRunReturnShape(t *testing.T) {
	src := memSource{"s.sls": lines("a:", "  t.changes:", "    - name: /etc/a", "b:", "  t.succeed: []")}
	ret, _ := runSLS(t, src, RunOptions{}, "s")
	r, ok := ret["t_|-a_|-/etc/a_|-changes"]
	if !ok {
		t.Fatalf("no result under Salt's tag: %v", keys(ret))
	}
	if !regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{6}$`).MatchString(r.StartTime) {
		t.Errorf("start_time %q is not HH:MM:SS.ffffff", r.StartTime)
	}
	if r.Duration < 0 {
		t.Errorf("duration %v", r.Duration)
	}
	b, err := json.Marshal(ret)
	if err != nil {
		t.Fatal(err)
	}
	var generic map[string]map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	got := generic["t_|-b_|-b_|-succeed"]
	var fields []string
	for k := range got {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	want := []string{"__id__", "__run_num__", "__sls__", "changes", "comment", "duration", "name", "result", "start_time"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("JSON fields = %v, want Salt's %v", fields, want)
	}
	if got["result"] != true || got["__run_num__"] != 1.0 || got["__sls__"] != "s" || got["__id__"] != "b" {
		t.Errorf("JSON values = %v", got)
	}
	if ch, ok := got["changes"].(map[string]any); !ok || len(ch) != 0 {
		t.Errorf("changes must be an empty object, got %v", got["changes"])
	}
	back, ok := AsReturns(mustGeneric(t, ret))
	if !ok || !reflect.DeepEqual(back["t_|-b_|-b_|-succeed"].Result, True()) || back["t_|-a_|-/etc/a_|-changes"].RunNum != 0 {
		t.Errorf("AsReturns did not read the JSON form back: %v", back)
	}
}

func mustGeneric(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRunRefusesInvalidChunks(t *testing.T) {
	tests := []struct {
		name string
		low  []Chunk
		kind error
	}{
		{"dangling", []Chunk{{State: "t", Fun: "succeed", ID: "a", Name: "a", Requisites: []Requisite{{"require", "id", "b"}}}}, ErrRequisiteNotFound},
		{"self cycle", []Chunk{{State: "t", Fun: "succeed", ID: "a", Name: "a", Requisites: []Requisite{{"require", "id", "a"}}}}, ErrRecursiveRequisite},
		{"duplicate tag", []Chunk{{State: "t", Fun: "succeed", ID: "a", Name: "a"}, {State: "t", Fun: "succeed", ID: "a", Name: "a"}}, ErrConflictingID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, rec := withRecorder(context.Background())
			ret, err := Run(ctx, tt.low, RunOptions{})
			if !errors.Is(err, tt.kind) || ret != nil {
				t.Errorf("Run = %v, %v; want %v", ret, err, tt.kind)
			}
			if len(rec.seq()) != 0 {
				t.Errorf("states ran despite the error: %v", rec.seq())
			}
		})
	}
}

func TestRunStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx = context.WithValue(ctx, cancelKey{}, cancel)
	low := []Chunk{
		{State: "t", Fun: "cancel", ID: "a", Name: "a"},
		{State: "t", Fun: "succeed", ID: "b", Name: "b"},
	}
	ret, err := Run(ctx, low, RunOptions{})
	if !errors.Is(err, context.Canceled) || len(ret) != 1 {
		t.Fatalf("Run = %v, %v; want the first result and context.Canceled", keys(ret), err)
	}
}

func TestRunArgsArePrivateCopies(t *testing.T) {
	low := []Chunk{{State: "t", Fun: "mutate", ID: "a", Name: "a", Args: map[string]any{"list": []any{"orig"}}}}
	if _, err := Run(context.Background(), low, RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if low[0].Args["list"].([]any)[0] != "orig" || len(low[0].Args) != 1 {
		t.Errorf("a state function changed the compiled chunk: %v", low[0].Args)
	}
}

// In a dry run each state sees what the states before it predicted for
// paths (Request.Pending); a failed state's predictions and a prereq
// check's do not count, and a real run gets no predictions at all.
func TestRunDryRunPassesPredictionsOn(t *testing.T) {
	src := memSource{"s.sls": lines(
		"too early:", "  t.see:", "    - name: /srv/app",
		"make app:", "  t.predict:", "    - name: /srv/app",
		"sees app:", "  t.see:", "    - name: /srv/app",
		"sees below app:", "  t.see:", "    - name: /srv/app/conf",
		"make broken:", "  t.predict:", "    - name: /srv/broken", "    - fail: True",
		"sees broken:", "  t.see:", "    - name: /srv/broken",
		"before upgrade:", "  t.see:", "    - name: /srv/release", "    - prereq:", "      - t: make release",
		"make release:", "  t.predict:", "    - name: /srv/release",
		"sees release:", "  t.see:", "    - name: /srv/release", "    - require:", "      - t: make release",
	)}
	ret, _ := runSLS(t, src, RunOptions{Test: true}, "s")
	checkOutcomes(t, ret, map[string]outcome{
		"too early":      {"True", "not pending", false},
		"make app":       {"None", "", true},
		"sees app":       {"True", "pending directory by make app", false},
		"sees below app": {"True", "not pending", false},
		"make broken":    {"False", "", true},
		"sees broken":    {"True", "not pending", false},
		"before upgrade": {"True", "not pending", false},
		"make release":   {"None", "", true},
		"sees release":   {"True", "pending directory by make release", false},
	})

	ret, _ = runSLS(t, src, RunOptions{}, "s")
	for _, id := range []string{"too early", "sees app", "sees release"} {
		if r := byID(t, ret, id); r.Comment != "no pending paths" {
			t.Errorf("real run: %s saw %q; a real run has only the disk", id, r.Comment)
		}
	}
}

// A dry run predicts that a state with Result None succeeds, so its onfail
// handlers would not run (Salt runs them); a predicted failure still runs
// them.
func TestRunDryRunOnfail(t *testing.T) {
	src := memSource{"s.sls": lines(
		"conf:", "  t.changes: []",
		"quiet:", "  t.succeed: []",
		"bad:", "  t.fail: []",
		"conf failed:", "  t.succeed:", "    - onfail:", "      - t: conf",
		"quiet failed:", "  t.succeed:", "    - onfail:", "      - t: quiet",
		"bad failed:", "  t.succeed:", "    - onfail:", "      - t: bad",
		"any failed:", "  t.succeed:", "    - onfail_any:", "      - t: conf", "      - t: bad",
	)}
	ret, rec := runSLS(t, src, RunOptions{Test: true}, "s")
	checkOutcomes(t, ret, map[string]outcome{
		"conf":         {"None", "Would change", true},
		"quiet":        {"True", "", false},
		"bad":          {"False", "Failure!", false},
		"conf failed":  {"True", "State would not run: the states its onfail requisites watch are predicted to succeed", false},
		"quiet failed": {"True", "State was not run because onfail req did not change", false},
		"bad failed":   {"True", "Success!", false},
		"any failed":   {"True", "Success!", false},
	})
	for _, id := range []string{"conf failed", "quiet failed"} {
		if c, ran := rec.find(id); ran {
			t.Errorf("onfail handler %s was called: %s", id, c)
		}
	}
}

// A state function that does not exist fails that state, with Salt's
// message; the others run.
func TestUnknownFunctionFailsOneState(t *testing.T) {
	ctx, rec := withRecorder(context.Background())
	low := []Chunk{
		{State: "t", Fun: "succeed", ID: "before", Name: "before"},
		{State: "pkgrepo", Fun: "managed", ID: "repo", Name: "repo", SLS: "web"},
		{State: "t", Fun: "succeed", ID: "after", Name: "after"},
	}
	ret, err := Run(ctx, low, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := ret["pkgrepo_|-repo_|-repo_|-managed"]
	if r == nil || !r.Failed() || r.Comment != "State 'pkgrepo.managed' was not found in SLS 'web' (Halite has no pkgrepo state module)" {
		t.Fatalf("unknown function: %+v", r)
	}
	if got := rec.seq(); len(got) != 2 {
		t.Errorf("the other states did not both run: %v", got)
	}
}

// `sls: X` means X's own states; only an SLS with none of its own (one
// that just includes others) means the states it includes. A state in a
// file X includes that requires `sls: X` is not made to require itself
// (rabbitmq-formula's plugins require the service SLS that includes
// them), and an include-only SLS can still be required.
func TestRunSLSRequisiteAndIncludes(t *testing.T) {
	src := memSource{
		"svc.sls": lines(
			"include:",
			"  - plugins",
			"svc_running:",
			"  t.succeed: []",
		),
		"plugins.sls": lines(
			"include:",
			"  - svc",
			"plugin_admin:",
			"  t.succeed:",
			"    - require:",
			"      - sls: svc",
		),
		"all.sls": lines("include:", "  - svc", "  - bad"),
		"bad.sls": lines("bad_state:", "  t.fail: []"),
		"main.sls": lines(
			"include:",
			"  - svc",
			"  - all",
			"after_all:",
			"  t.succeed:",
			"    - require:",
			"      - sls: all",
		),
	}
	ret, _ := runSLS(t, src, RunOptions{}, "main")
	checkOutcomes(t, ret, map[string]outcome{
		"svc_running":  {"True", "", false},
		"plugin_admin": {"True", "", false},
		"bad_state":    {"False", "Failure!", false},
		"after_all":    {"False", "requisite failed: bad.bad_state", false},
	})
}

// parallel: True states run together: two of them meet at a barrier,
// which a sequential run could never pass; a state that requires them
// runs after both, and sees their results.
func TestRunParallel(t *testing.T) {
	b := &barrier{want: 2, arrived: make(chan struct{}, 2)}
	barrierFor.Store(b)
	defer barrierFor.Store((*barrier)(nil))
	src := memSource{"p.sls": lines(
		"a:",
		"  t.barrier:",
		"    - parallel: True",
		"b:",
		"  t.barrier:",
		"    - parallel: True",
		"after:",
		"  t.succeed:",
		"    - require:",
		"      - t: a",
		"      - t: b",
	)}
	ret, _ := runSLS(t, src, RunOptions{}, "p")
	checkOutcomes(t, ret, map[string]outcome{
		"a":     {"True", "met", false},
		"b":     {"True", "met", false},
		"after": {"True", "", false},
	})
	if byID(t, ret, "after").RunNum < byID(t, ret, "a").RunNum || byID(t, ret, "after").RunNum < byID(t, ret, "b").RunNum {
		t.Fatal("the requiring state ran before the parallel ones finished")
	}
}
