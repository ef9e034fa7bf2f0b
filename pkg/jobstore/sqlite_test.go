package jobstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// base is a fixed, microsecond-aligned instant used to build jobs.
var base = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

func openStore(t testing.TB) (*SQLiteStore, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "halite.db")
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

// jidAt formats t as a Salt jid.
func jidAt(t time.Time) string {
	return t.UTC().Format("20060102150405") + fmt.Sprintf("%06d", t.Nanosecond()/1000)
}

func mustCreate(t testing.TB, s Store, j *Job) {
	t.Helper()
	if err := s.CreateJob(context.Background(), j); err != nil {
		t.Fatalf("CreateJob(%s): %v", j.JID, err)
	}
}

func mustGet(t testing.TB, s Store, jid string) *JobRecord {
	t.Helper()
	rec, err := s.GetJob(context.Background(), jid)
	if err != nil {
		t.Fatalf("GetJob(%s): %v", jid, err)
	}
	return rec
}

// states maps minion id to state, for compact comparisons.
func states(rec *JobRecord) map[string]MinionState {
	m := map[string]MinionState{}
	for _, r := range rec.Results {
		m[r.ID] = r.State
	}
	return m
}

func TestCreateAndGetJob(t *testing.T) { eachStore(t, testCreateAndGetJob) }

func testCreateAndGetJob(t *testing.T, s testStore) {
	ctx := context.Background()
	j := &Job{
		JID:        jidAt(base),
		Fun:        "test.fib",
		Args:       []any{10, "x", 1.5, nil, true},
		Kwargs:     map[string]any{"timeout": 30, "env": map[string]any{"A": "b"}},
		TargetType: "glob",
		Target:     "web*",
		User:       "alice",
		Created:    base.In(time.FixedZone("CET", 3600)),
		Expected:   []string{"web2", "web1", "web3", "web1"},
		Meta:       map[string]any{"batch": "25%"},
	}
	mustCreate(t, s, j)

	got := mustGet(t, s, j.JID)
	want := Job{
		JID:        j.JID,
		Fun:        "test.fib",
		Args:       []any{int64(10), "x", 1.5, nil, true},
		Kwargs:     map[string]any{"timeout": int64(30), "env": map[string]any{"A": "b"}},
		TargetType: "glob",
		Target:     "web*",
		User:       "alice",
		Created:    base,
		Expected:   []string{"web1", "web2", "web3"},
		Meta:       map[string]any{"batch": "25%"},
	}
	if !reflect.DeepEqual(got.Job, want) {
		t.Errorf("GetJob().Job =\n%#v\nwant\n%#v", got.Job, want)
	}
	if got.Created.Location() != time.UTC {
		t.Errorf("Created in %v, want UTC", got.Created.Location())
	}
	wantResults := []MinionResult{{ID: "web1", State: StatePending}, {ID: "web2", State: StatePending}, {ID: "web3", State: StatePending}}
	if !reflect.DeepEqual(got.Results, wantResults) {
		t.Errorf("Results = %+v, want %+v", got.Results, wantResults)
	}

	if err := s.CreateJob(ctx, &Job{JID: j.JID, Fun: "test.ping"}); !errors.Is(err, ErrJobExists) {
		t.Errorf("CreateJob(same jid) = %v, want ErrJobExists", err)
	}
	if got := mustGet(t, s, j.JID); got.Fun != "test.fib" {
		t.Errorf("duplicate CreateJob changed the job: fun %q", got.Fun)
	}
	if _, err := s.GetJob(ctx, "20990101000000000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("GetJob(unknown) = %v, want ErrNotFound", err)
	}
}

func TestCreateJobDefaultsAndRefusals(t *testing.T) { eachStore(t, testCreateJobDefaultsAndRefusals) }

func testCreateJobDefaultsAndRefusals(t *testing.T, s testStore) {
	ctx := context.Background()

	j := &Job{JID: "j-now", Fun: "test.ping"}
	before := time.Now()
	mustCreate(t, s, j)
	if j.Created.Before(before.Add(-time.Second)) || j.Created.After(time.Now().Add(time.Second)) {
		t.Errorf("zero Created set to %v, want about now", j.Created)
	}
	got := mustGet(t, s, "j-now")
	if !got.Created.Equal(j.Created) {
		t.Errorf("stored Created %v, want %v", got.Created, j.Created)
	}
	if got.Args != nil || got.Kwargs != nil || got.Meta != nil || got.Expected != nil || len(got.Results) != 0 {
		t.Errorf("empty job came back with %+v", got)
	}

	bad := []struct {
		name string
		job  *Job
	}{
		{"nil", nil},
		{"empty jid", &Job{Fun: "test.ping"}},
		{"empty expected id", &Job{JID: "j1", Expected: []string{"a", ""}}},
		{"unencodable arg", &Job{JID: "j2", Args: []any{make(chan int)}}},
		{"unencodable kwarg", &Job{JID: "j3", Kwargs: map[string]any{"f": func() {}}}},
		{"time out of range", &Job{JID: "j4", Created: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.CreateJob(ctx, tt.job); !errors.Is(err, ErrInvalid) {
				t.Fatalf("CreateJob = %v, want ErrInvalid", err)
			}
			if tt.job != nil && tt.job.JID != "" {
				if _, err := s.GetJob(ctx, tt.job.JID); !errors.Is(err, ErrNotFound) {
					t.Errorf("refused job was stored: GetJob = %v", err)
				}
			}
		})
	}
}

func TestReturnsRoundTrip(t *testing.T) { eachStore(t, testReturnsRoundTrip) }

func testReturnsRoundTrip(t *testing.T, s testStore) {
	ctx := context.Background()
	jid := jidAt(base)
	mustCreate(t, s, &Job{JID: jid, Fun: "test.fib", Created: base, Expected: []string{"a", "b", "c"}})

	rs := []Return{
		{JID: jid, ID: "a", Fun: "test.fib", Return: []any{[]any{0, 1, 1, 2, 3, 5}, 0.000123}, Retcode: 0, Success: true,
			Received: base.Add(time.Second), Duration: 1500 * time.Microsecond},
		{JID: jid, ID: "b", Fun: "test.fib", Return: "boom: something failed", Retcode: 2, Success: false,
			Received: base.Add(2 * time.Second), Duration: time.Second},
	}
	if err := s.AddReturns(ctx, rs); err != nil {
		t.Fatalf("AddReturns: %v", err)
	}
	got := mustGet(t, s, jid)
	want := []MinionResult{
		{ID: "a", State: StateReturned, Return: &Return{JID: jid, ID: "a", Fun: "test.fib",
			Return: []any{[]any{int64(0), int64(1), int64(1), int64(2), int64(3), int64(5)}, 0.000123}, Success: true,
			Received: base.Add(time.Second), Duration: 1500 * time.Microsecond}},
		{ID: "b", State: StateReturned, Return: &Return{JID: jid, ID: "b", Fun: "test.fib",
			Return: "boom: something failed", Retcode: 2, Received: base.Add(2 * time.Second), Duration: time.Second}},
		{ID: "c", State: StatePending},
	}
	if !reflect.DeepEqual(got.Results, want) {
		t.Errorf("Results =\n%s\nwant\n%s", dump(got.Results), dump(want))
	}

	// A second delivery of the same return (a minion's spool replayed)
	// replaces the first rather than adding a row.
	again := rs[1]
	again.Return, again.Retcode, again.Success = "ok now", 0, true
	if err := s.AddReturns(ctx, []Return{again}); err != nil {
		t.Fatalf("AddReturns(again): %v", err)
	}
	got = mustGet(t, s, jid)
	if len(got.Results) != 3 || got.Results[1].Return.Return != "ok now" || !got.Results[1].Return.Success {
		t.Errorf("after redelivery Results = %s", dump(got.Results))
	}

	// A zero Received is set to the time of storing.
	if err := s.AddReturns(ctx, []Return{{JID: jid, ID: "c", Fun: "test.fib", Return: 1, Success: true}}); err != nil {
		t.Fatalf("AddReturns(c): %v", err)
	}
	got = mustGet(t, s, jid)
	if rc := got.Results[2].Return; rc == nil || time.Since(rc.Received) > time.Minute || rc.Return != int64(1) {
		t.Errorf("return of c = %+v", rc)
	}
}

func dump(rs []MinionResult) string {
	out := ""
	for _, r := range rs {
		out += fmt.Sprintf("  %s %s", r.ID, r.State)
		if r.Return != nil {
			out += fmt.Sprintf(" %+v", *r.Return)
		}
		out += "\n"
	}
	return out
}

func TestAddReturnsAllOrNothing(t *testing.T) { eachStore(t, testAddReturnsAllOrNothing) }

func testAddReturnsAllOrNothing(t *testing.T, s testStore) {
	ctx := context.Background()
	mustCreate(t, s, &Job{JID: "j", Expected: []string{"a", "b"}})
	tests := []struct {
		name string
		bad  Return
	}{
		{"empty id", Return{JID: "j"}},
		{"empty jid", Return{ID: "b"}},
		{"unencodable return", Return{JID: "j", ID: "b", Return: map[string]any{"c": make(chan int)}}},
		{"received out of range", Return{JID: "j", ID: "b", Received: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.AddReturns(ctx, []Return{{JID: "j", ID: "a", Return: true}, tt.bad})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("AddReturns = %v, want ErrInvalid", err)
			}
			if got := states(mustGet(t, s, "j")); got["a"] != StatePending {
				t.Errorf("good return of a batch with a bad one was stored: %v", got)
			}
		})
	}
	if err := s.AddReturns(ctx, nil); err != nil {
		t.Errorf("AddReturns(nil) = %v", err)
	}
}

func TestReturnForUnknownJobIsKept(t *testing.T) { eachStore(t, testReturnForUnknownJobIsKept) }

func testReturnForUnknownJobIsKept(t *testing.T, s testStore) {
	ctx := context.Background()
	at := base.Add(-48 * time.Hour)
	jid := jidAt(at)
	if err := s.AddReturns(ctx, []Return{
		{JID: jid, ID: "web2", Fun: "cmd.run", Return: "late", Success: true, Received: base},
		{JID: jid, ID: "web1", Fun: "cmd.run", Return: "later", Success: true, Received: base},
	}); err != nil {
		t.Fatalf("AddReturns: %v", err)
	}
	got := mustGet(t, s, jid)
	if got.Fun != "cmd.run" || !got.Created.Equal(at) || got.Expected != nil {
		t.Errorf("job of orphan returns = %+v, want fun cmd.run, created %v, nothing expected", got.Job, at)
	}
	if want := map[string]MinionState{"web1": StateReturned, "web2": StateReturned}; !reflect.DeepEqual(states(got), want) {
		t.Errorf("states = %v, want %v", states(got), want)
	}
	if got.Results[0].ID != "web1" || got.Results[0].Return.Return != "later" {
		t.Errorf("results not sorted by id or wrong: %s", dump(got.Results))
	}
	// Not a job: it is not listed and its states cannot be set.
	if l, err := s.ListJobs(ctx, JobFilter{}); err != nil || len(l) != 0 {
		t.Errorf("ListJobs = %v, %v; want none", l, err)
	}
	if err := s.SetStates(ctx, jid, map[string]MinionState{"web3": StateOffline}); !errors.Is(err, ErrNotFound) {
		t.Errorf("SetStates(orphan jid) = %v, want ErrNotFound", err)
	}
	// A jid not in Salt's format has no creation time to offer.
	if err := s.AddReturns(ctx, []Return{{JID: "custom-jid", ID: "a", Fun: "test.ping", Return: true}}); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, s, "custom-jid"); !got.Created.IsZero() {
		t.Errorf("Created = %v, want zero", got.Created)
	}
}

func TestSetStates(t *testing.T) { eachStore(t, testSetStates) }

func testSetStates(t *testing.T, s testStore) {
	ctx := context.Background()
	mustCreate(t, s, &Job{JID: "j", Fun: "test.sleep", Expected: []string{"a", "b", "c", "d"}})
	if err := s.AddReturns(ctx, []Return{{JID: "j", ID: "a", Fun: "test.sleep", Return: true, Success: true}}); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		states map[string]MinionState
		want   map[string]MinionState
	}{
		{"offline at publish", map[string]MinionState{"d": StateOffline},
			map[string]MinionState{"a": StateReturned, "b": StatePending, "c": StatePending, "d": StateOffline}},
		{"marked returned before its return is flushed", map[string]MinionState{"c": StateReturned},
			map[string]MinionState{"a": StateReturned, "b": StatePending, "c": StateReturned, "d": StateOffline}},
		{"deadline: returned stays returned", map[string]MinionState{"a": StateTimedOut, "b": StateTimedOut, "c": StateTimedOut},
			map[string]MinionState{"a": StateReturned, "b": StateTimedOut, "c": StateReturned, "d": StateOffline}},
		{"unexpected minion", map[string]MinionState{"e": StateNoAck},
			map[string]MinionState{"a": StateReturned, "b": StateTimedOut, "c": StateReturned, "d": StateOffline, "e": StateNoAck}},
		{"not returned may change", map[string]MinionState{"e": StatePending, "a": StatePending},
			map[string]MinionState{"a": StateReturned, "b": StateTimedOut, "c": StateReturned, "d": StateOffline, "e": StatePending}},
	}
	for _, st := range steps {
		if err := s.SetStates(ctx, "j", st.states); err != nil {
			t.Fatalf("%s: SetStates: %v", st.name, err)
		}
		if got := states(mustGet(t, s, "j")); !reflect.DeepEqual(got, st.want) {
			t.Errorf("%s: states = %v, want %v", st.name, got, st.want)
		}
	}
	// The late return of the timed-out minion is stored and wins.
	if err := s.AddReturns(ctx, []Return{{JID: "j", ID: "b", Fun: "test.sleep", Return: true, Success: true}}); err != nil {
		t.Fatal(err)
	}
	rec := mustGet(t, s, "j")
	if got := states(rec); got["b"] != StateReturned {
		t.Errorf("after late return b is %s", got["b"])
	}
	if !reflect.DeepEqual(rec.Expected, []string{"a", "b", "c", "d"}) {
		t.Errorf("Expected = %v: SetStates must not add to the expected set", rec.Expected)
	}

	bad := []struct {
		name   string
		jid    string
		states map[string]MinionState
		want   error
	}{
		{"unknown job", "nope", map[string]MinionState{"a": StateOffline}, ErrNotFound},
		{"empty jid", "", map[string]MinionState{"a": StateOffline}, ErrInvalid},
		{"unknown state", "j", map[string]MinionState{"a": "vanished"}, ErrInvalid},
		{"empty id", "j", map[string]MinionState{"": StateOffline}, ErrInvalid},
	}
	for _, tt := range bad {
		if err := s.SetStates(ctx, tt.jid, tt.states); !errors.Is(err, tt.want) {
			t.Errorf("%s: SetStates = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestListJobs(t *testing.T) { eachStore(t, testListJobs) }

func testListJobs(t *testing.T, s testStore) {
	ctx := context.Background()
	// j0 is the oldest; every job is a minute after the previous one.
	specs := []struct{ fun, target string }{
		{"test.ping", "*"},
		{"cmd.run", "web*"},
		{"test.ping", "web*"},
		{"cmd.run", "*"},
		{"test.ping", "*"},
	}
	jids := make([]string, len(specs))
	for i, sp := range specs {
		at := base.Add(time.Duration(i) * time.Minute)
		jids[i] = jidAt(at)
		mustCreate(t, s, &Job{JID: jids[i], Fun: sp.fun, TargetType: "glob", Target: sp.target, User: "bob",
			Created: at, Expected: []string{"m1", "m2", "m3"}})
	}
	// j1: two returns, one failed; an unexpected minion answered too.
	if err := s.AddReturns(ctx, []Return{
		{JID: jids[1], ID: "m1", Success: true},
		{JID: jids[1], ID: "m2", Retcode: 1},
		{JID: jids[1], ID: "x9", Success: true},
	}); err != nil {
		t.Fatal(err)
	}
	// j1: m3 marked returned, its return not stored yet.
	if err := s.SetStates(ctx, jids[1], map[string]MinionState{"m3": StateReturned, "m1": StateTimedOut}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		f    JobFilter
		want []int // indexes into jids, in order
	}{
		{"all newest first", JobFilter{}, []int{4, 3, 2, 1, 0}},
		{"limit", JobFilter{Limit: 2}, []int{4, 3}},
		{"fun", JobFilter{Fun: "cmd.run"}, []int{3, 1}},
		{"target", JobFilter{Target: "web*"}, []int{2, 1}},
		{"since is inclusive", JobFilter{Since: base.Add(2 * time.Minute)}, []int{4, 3, 2}},
		{"fun and target", JobFilter{Fun: "test.ping", Target: "*"}, []int{4, 0}},
		{"fun and since", JobFilter{Fun: "test.ping", Since: base.Add(time.Second)}, []int{4, 2}},
		{"target and since and limit", JobFilter{Target: "*", Since: base.Add(time.Minute), Limit: 1}, []int{4}},
		{"everything", JobFilter{Fun: "cmd.run", Target: "web*", Since: base, Limit: 10}, []int{1}},
		{"no match", JobFilter{Fun: "state.apply"}, nil},
		{"since after all", JobFilter{Since: base.Add(time.Hour)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.ListJobs(ctx, tt.f)
			if err != nil {
				t.Fatalf("ListJobs: %v", err)
			}
			var gotJIDs, wantJIDs []string
			for _, js := range got {
				gotJIDs = append(gotJIDs, js.JID)
			}
			for _, i := range tt.want {
				wantJIDs = append(wantJIDs, jids[i])
			}
			if !reflect.DeepEqual(gotJIDs, wantJIDs) {
				t.Errorf("ListJobs(%+v) = %v, want %v", tt.f, gotJIDs, wantJIDs)
			}
		})
	}

	all, err := s.ListJobs(ctx, JobFilter{Fun: "cmd.run", Target: "web*"})
	if err != nil || len(all) != 1 {
		t.Fatalf("ListJobs = %v, %v", all, err)
	}
	want := JobSummary{JID: jids[1], Fun: "cmd.run", TargetType: "glob", Target: "web*", User: "bob",
		Created: base.Add(time.Minute), Expected: 3, Returned: 4, Failed: 1}
	if all[0] != want {
		t.Errorf("summary = %+v, want %+v", all[0], want)
	}
	if _, err := s.ListJobs(ctx, JobFilter{Limit: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("ListJobs(limit -1) = %v, want ErrInvalid", err)
	}
}

func TestPrune(t *testing.T) { eachStore(t, testPrune) }

func testPrune(t *testing.T, s testStore) {
	ctx := context.Background()
	// More old jobs than one prune transaction takes, to cover chunking.
	const old = pruneChunk + 37
	var jobs []Job
	for i := 0; i < old+3; i++ {
		at := base.Add(time.Duration(i) * time.Second)
		jobs = append(jobs, Job{JID: jidAt(at), Fun: "test.ping", Created: at, Expected: []string{"a"}})
	}
	createMany(t, s, jobs)
	var rs []Return
	for _, j := range jobs {
		rs = append(rs, Return{JID: j.JID, ID: "a", Return: true, Success: true, Received: j.Created})
	}
	// Orphans: one received long ago, one recently.
	rs = append(rs,
		Return{JID: "orphan-old", ID: "a", Return: 1, Received: base},
		Return{JID: "orphan-new", ID: "a", Return: 2, Received: base.Add(time.Hour)})
	if err := s.AddReturns(ctx, rs); err != nil {
		t.Fatal(err)
	}

	cutoff := base.Add(old * time.Second)
	n, err := s.Prune(ctx, cutoff)
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	if n != old {
		t.Errorf("Prune = %d, want %d", n, old)
	}
	left, err := s.ListJobs(ctx, JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 3 || left[2].JID != jobs[old].JID || left[2].Returned != 1 {
		t.Errorf("after prune ListJobs = %+v, want the 3 newest with their return", left)
	}
	for _, jid := range []string{jobs[0].JID, jobs[old-1].JID, "orphan-old"} {
		if _, err := s.GetJob(ctx, jid); !errors.Is(err, ErrNotFound) {
			t.Errorf("GetJob(%s) after prune = %v, want ErrNotFound (returns must go too)", jid, err)
		}
	}
	mustGet(t, s, "orphan-new")

	// A late return for a pruned job is kept and shown.
	if err := s.AddReturns(ctx, []Return{{JID: jobs[0].JID, ID: "a", Fun: "test.ping", Return: "late"}}); err != nil {
		t.Fatal(err)
	}
	if rec := mustGet(t, s, jobs[0].JID); len(rec.Results) != 1 || rec.Results[0].Return.Return != "late" {
		t.Errorf("late return after prune: %s", dump(rec.Results))
	}
	if n, err := s.Prune(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second Prune = %d, %v; want 0", n, err)
	}
}

// createMany inserts jobs in one transaction; CreateJob one by one would
// spend most of this test's time committing.
func createMany(t testing.TB, s Store, jobs []Job) {
	t.Helper()
	ctx := context.Background()
	var err error
	switch s := s.(type) {
	case *SQLiteStore:
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			for i := range jobs {
				row, err := encodeJob(&jobs[i])
				if err != nil {
					return err
				}
				if err := s.insertJob(ctx, tx, row); err != nil {
					return err
				}
			}
			return nil
		})
	case *PostgresStore:
		err = s.inTx(ctx, func(tx pgx.Tx) error {
			for i := range jobs {
				row, err := encodeJob(&jobs[i])
				if err != nil {
					return err
				}
				if err := pgInsertJob(ctx, tx, row); err != nil {
					return err
				}
			}
			return nil
		})
	default:
		for i := range jobs {
			if err = s.CreateJob(ctx, &jobs[i]); err != nil {
				break
			}
		}
	}
	if err != nil {
		t.Fatalf("create %d jobs: %v", len(jobs), err)
	}
}

func TestAudit(t *testing.T) { eachStore(t, testAudit) }

func testAudit(t *testing.T, s testStore) {
	ctx := context.Background()
	entries := []*AuditEntry{
		{Time: base, User: "alice", Action: "run", Target: "*", Fun: "cmd.run", Args: []any{"uptime"},
			Kwargs: map[string]any{"timeout": 5}, JID: "j1", Outcome: "published"},
		{User: "bob", Action: "keys.accept", Target: "web1", Outcome: "ok"},
		{User: "carol", Action: "run", Target: "db*", Fun: "test.ping", Outcome: "denied"},
	}
	for _, e := range entries {
		if err := s.AddAudit(ctx, e); err != nil {
			t.Fatalf("AddAudit: %v", err)
		}
	}
	if entries[0].ID >= entries[1].ID || entries[1].ID >= entries[2].ID {
		t.Errorf("ids not increasing: %d %d %d", entries[0].ID, entries[1].ID, entries[2].ID)
	}
	if entries[1].Time.IsZero() {
		t.Error("AddAudit did not set a zero Time")
	}
	got, err := s.ListAudit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].User != "carol" || got[2].User != "alice" {
		t.Fatalf("ListAudit = %+v, want newest first", got)
	}
	want := *entries[0]
	want.Args, want.Kwargs = []any{"uptime"}, map[string]any{"timeout": int64(5)}
	if !reflect.DeepEqual(got[2], want) {
		t.Errorf("entry = %+v, want %+v", got[2], want)
	}
	if got, err := s.ListAudit(ctx, 2); err != nil || len(got) != 2 || got[1].User != "bob" {
		t.Errorf("ListAudit(2) = %+v, %v", got, err)
	}
	if _, err := s.ListAudit(ctx, -1); !errors.Is(err, ErrInvalid) {
		t.Errorf("ListAudit(-1) = %v, want ErrInvalid", err)
	}
	if err := s.AddAudit(ctx, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("AddAudit(nil) = %v, want ErrInvalid", err)
	}
}

func TestGrains(t *testing.T) { eachStore(t, testGrains) }

func testGrains(t *testing.T, s testStore) {
	ctx := context.Background()
	if all, err := s.AllGrains(ctx); err != nil || len(all) != 0 {
		t.Fatalf("AllGrains on empty store = %v, %v", all, err)
	}
	puts := []struct {
		id     string
		grains map[string]any
	}{
		{"web1", map[string]any{"os": "Debian", "num_cpus": 2}},
		{"web2", map[string]any{"os": "Alpine", "ipv4": []any{"10.0.0.2"}}},
		{"web1", map[string]any{"os": "Debian", "num_cpus": 4}}, // replaces
		{"bare", nil},
	}
	for _, p := range puts {
		if err := s.PutGrains(ctx, p.id, p.grains); err != nil {
			t.Fatalf("PutGrains(%s): %v", p.id, err)
		}
	}
	want := map[string]map[string]any{
		"web1": {"os": "Debian", "num_cpus": int64(4)},
		"web2": {"os": "Alpine", "ipv4": []any{"10.0.0.2"}},
		"bare": {},
	}
	got, err := s.AllGrains(ctx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("AllGrains = %v, %v; want %v", got, err, want)
	}
	if err := s.PutGrains(ctx, "", nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutGrains(empty id) = %v, want ErrInvalid", err)
	}
}

func TestSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "halite.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	jid := jidAt(base)
	mustCreate(t, s, &Job{JID: jid, Fun: "cmd.run", Args: []any{"id"}, Created: base, Expected: []string{"a", "b"}})
	if err := s.AddReturns(ctx, []Return{{JID: jid, ID: "a", Fun: "cmd.run", Return: "uid=0", Success: true, Received: base}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStates(ctx, jid, map[string]MinionState{"b": StateNoAck}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAudit(ctx, &AuditEntry{User: "root", Action: "run", JID: jid}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutGrains(ctx, "a", map[string]any{"id": "a"}); err != nil {
		t.Fatal(err)
	}
	before := mustGet(t, s, jid)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s2, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	after := mustGet(t, s2, jid)
	if !reflect.DeepEqual(before, after) {
		t.Errorf("after restart\n%+v\nwant\n%+v", after, before)
	}
	if l, err := s2.ListJobs(ctx, JobFilter{}); err != nil || len(l) != 1 || l[0].Returned != 1 {
		t.Errorf("ListJobs after restart = %+v, %v", l, err)
	}
	if a, err := s2.ListAudit(ctx, 0); err != nil || len(a) != 1 || a[0].JID != jid {
		t.Errorf("ListAudit after restart = %+v, %v", a, err)
	}
	if g, err := s2.AllGrains(ctx); err != nil || g["a"]["id"] != "a" {
		t.Errorf("AllGrains after restart = %v, %v", g, err)
	}

	// The file is in WAL mode and records its schema version once.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var versions, maxVersion int
	if err := db.QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&versions, &maxVersion); err != nil {
		t.Fatal(err)
	}
	if versions != len(migrations) || maxVersion != len(migrations) {
		t.Errorf("schema_migrations has %d rows, max %d; want %d", versions, maxVersion, len(migrations))
	}
}

func TestOpenRefuses(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for _, path := range []string{"", ":memory:", filepath.Join(dir, "no", "such", "dir", "halite.db"),
		filepath.Join(dir, "odd?name.db")} {
		if s, err := OpenSQLite(ctx, path); err == nil {
			s.Close()
			t.Errorf("OpenSQLite(%q) succeeded", path)
		}
	}

	// A database written by a newer Halite is not touched.
	path := filepath.Join(dir, "halite.db")
	s, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Exec(`INSERT INTO schema_migrations (version, applied) VALUES (?, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := OpenSQLite(ctx, path); !errors.Is(err, ErrSchemaTooNew) {
		if err == nil {
			s.Close()
		}
		t.Errorf("OpenSQLite(newer schema) = %v, want ErrSchemaTooNew", err)
	}
}

func TestClosedStoreFails(t *testing.T) { eachStore(t, testClosedStoreFails) }

func testClosedStoreFails(t *testing.T, s testStore) {
	s.Close()
	ctx := context.Background()
	if err := s.CreateJob(ctx, &Job{JID: "j"}); err == nil {
		t.Error("CreateJob after Close succeeded")
	}
	if err := s.AddReturns(ctx, []Return{{JID: "j", ID: "a"}}); err == nil {
		t.Error("AddReturns after Close succeeded")
	}
	if _, err := s.GetJob(ctx, "j"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("GetJob after Close = %v, want a closed-store error", err)
	}
}

func TestCancelledContext(t *testing.T) { eachStore(t, testCancelledContext) }

func testCancelledContext(t *testing.T, s testStore) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.AddReturns(ctx, []Return{{JID: "j", ID: "a"}}); !errors.Is(err, context.Canceled) {
		t.Errorf("AddReturns(cancelled) = %v, want context.Canceled", err)
	}
	if _, err := s.GetJob(context.Background(), "j"); !errors.Is(err, ErrNotFound) {
		t.Errorf("cancelled AddReturns stored something: %v", err)
	}
}

func TestConcurrentUse(t *testing.T) { eachStore(t, testConcurrentUse) }

func testConcurrentUse(t *testing.T, s testStore) {
	ctx := context.Background()
	const jobs, minions = 8, 40
	jids := make([]string, jobs)
	ids := make([]string, minions)
	for i := range ids {
		ids[i] = fmt.Sprintf("m%03d", i)
	}
	var wg sync.WaitGroup
	errc := make(chan error, 1000)
	for j := range jids {
		jids[j] = jidAt(base.Add(time.Duration(j) * time.Millisecond))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.CreateJob(ctx, &Job{JID: jids[j], Fun: "test.ping", Expected: ids}); err != nil {
				errc <- err
				return
			}
			// Half the minions return in small batches from several
			// goroutines while the deadline marks everyone timed-out.
			var inner sync.WaitGroup
			for w := 0; w < 4; w++ {
				inner.Add(1)
				go func() {
					defer inner.Done()
					for i := w; i < minions/2; i += 4 {
						if err := s.AddReturns(ctx, []Return{{JID: jids[j], ID: ids[i], Return: int64(i), Success: true}}); err != nil {
							errc <- err
						}
					}
				}()
			}
			all := map[string]MinionState{}
			for _, id := range ids {
				all[id] = StateTimedOut
			}
			inner.Add(1)
			go func() {
				defer inner.Done()
				for k := 0; k < 3; k++ {
					if err := s.SetStates(ctx, jids[j], all); err != nil {
						errc <- err
					}
				}
			}()
			inner.Add(1)
			go func() { // readers alongside
				defer inner.Done()
				for k := 0; k < 5; k++ {
					if _, err := s.GetJob(ctx, jids[j]); err != nil {
						errc <- err
					}
					if _, err := s.ListJobs(ctx, JobFilter{Limit: 3}); err != nil {
						errc <- err
					}
				}
			}()
			inner.Wait()
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	// One last deadline pass after every return is in.
	for _, jid := range jids {
		all := map[string]MinionState{}
		for _, id := range ids {
			all[id] = StateTimedOut
		}
		if err := s.SetStates(ctx, jid, all); err != nil {
			t.Fatal(err)
		}
	}
	sums, err := s.ListJobs(ctx, JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != jobs {
		t.Fatalf("%d jobs listed, want %d", len(sums), jobs)
	}
	for _, js := range sums {
		if js.Expected != minions || js.Returned != minions/2 || js.Failed != 0 {
			t.Errorf("job %s: expected %d returned %d failed %d; want %d, %d, 0", js.JID, js.Expected, js.Returned, js.Failed, minions, minions/2)
		}
		rec := mustGet(t, s, js.JID)
		var returned []string
		for _, r := range rec.Results {
			switch {
			case r.State == StateReturned && r.Return != nil:
				returned = append(returned, r.ID)
			case r.State != StateTimedOut:
				t.Errorf("job %s minion %s: state %s", js.JID, r.ID, r.State)
			}
		}
		sort.Strings(returned)
		if !reflect.DeepEqual(returned, ids[:minions/2]) {
			t.Errorf("job %s returned = %v", js.JID, returned)
		}
	}
}

func TestJIDTime(t *testing.T) {
	tests := []struct {
		jid  string
		want time.Time
	}{
		{"20250314092653589793", time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)},
		{"2025031409265358979", time.Time{}},
		{"20251314092653589793", time.Time{}},
		{"abcdefghijklmnopqrst", time.Time{}},
		{"", time.Time{}},
	}
	for _, tt := range tests {
		if got := JIDTime(tt.jid); !got.Equal(tt.want) {
			t.Errorf("JIDTime(%q) = %v, want %v", tt.jid, got, tt.want)
		}
	}
	if got := jidAt(base); got != "20250314092653589793" {
		t.Errorf("jidAt(base) = %s", got)
	}
}

// F7: an audit record costs at most a few KiB whatever the caller sent,
// and old records are pruned.
func TestAuditIsBoundedAndPruned(t *testing.T) { eachStore(t, testAuditIsBoundedAndPruned) }

func testAuditIsBoundedAndPruned(t *testing.T, s testStore) {
	ctx := context.Background()
	huge := strings.Repeat("q=x&", 1<<18) // a 1 MiB query string
	old := &AuditEntry{Time: time.Now().Add(-48 * time.Hour), User: "token@x", Action: "GET /v1/jobs", Target: huge, Outcome: "denied"}
	if err := s.AddAudit(ctx, old); err != nil {
		t.Fatal(err)
	}
	if err := s.AddAudit(ctx, &AuditEntry{User: "u", Action: "run", Fun: "cmd.run", Args: []any{huge}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ListAudit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		b, _ := json.Marshal(e)
		if len(b) > 64<<10 { // JSON escapes & as \u0026: 16 KiB stored can be 40 KiB here
			t.Errorf("audit record of %d bytes", len(b))
		}
	}
	n, err := s.PruneAudit(ctx, time.Now().Add(-24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("pruned %d (%v), want 1", n, err)
	}
	if got, _ := s.ListAudit(ctx, 0); len(got) != 1 {
		t.Fatalf("%d records left", len(got))
	}
}
