package jobstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSearchFindsOutputAmongReturns(t *testing.T) { eachStore(t, testSearchFindsOutputAmongReturns) }

func testSearchFindsOutputAmongReturns(t *testing.T, s testStore) {
	ctx := context.Background()
	var rs []Return
	base := time.Now().Add(-time.Hour).UTC()
	for i := range 1000 {
		rs = append(rs, Return{
			JID: fmt.Sprintf("2026120200000000%04d", i/100), ID: fmt.Sprintf("web%03d", i), Fun: "cmd.run",
			Return: map[string]any{"stdout": fmt.Sprintf("ok line %d\nall good", i)}, Success: true,
			Received: base.Add(time.Duration(i) * time.Second),
		})
	}
	// One host printed the error, after a newline and in quotes.
	rs[437].Return = map[string]any{"stdout": "starting\n\"ERROR: disk /dev/sdb1 failing (I/O error 5)\"", "retcode": 1}
	rs[437].Success = false
	if err := s.AddReturns(ctx, rs); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"disk failing", `"/dev/sdb1 failing"`, "sdb1", "ERROR: disk /dev/sdb1 failing (I/O", "fail"} {
		hits, err := s.Search(ctx, SearchFilter{Text: q})
		if err != nil {
			t.Fatalf("search %q: %v", q, err)
		}
		if len(hits) != 1 || hits[0].ID != "web437" || hits[0].Success {
			t.Fatalf("search %q: %+v; want web437 only", q, hits)
		}
		if q == "sdb1" && hits[0].Snippet == "" {
			t.Errorf("no snippet")
		}
	}
	// Filters.
	if hits, _ := s.Search(ctx, SearchFilter{Text: "disk", Minion: "web001"}); len(hits) != 0 {
		t.Errorf("minion filter: %+v", hits)
	}
	if hits, _ := s.Search(ctx, SearchFilter{Text: "disk", Fun: "test.ping"}); len(hits) != 0 {
		t.Errorf("fun filter: %+v", hits)
	}
	if hits, _ := s.Search(ctx, SearchFilter{Text: "disk", Since: time.Now()}); len(hits) != 0 {
		t.Errorf("since filter: %+v", hits)
	}
	if hits, _ := s.Search(ctx, SearchFilter{Text: "good", Limit: 5}); len(hits) != 5 || hits[0].ID != "web999" {
		t.Errorf("limit and order: %d hits, first %+v", len(hits), hits)
	}
	// A replaced return is searched as it is now; a pruned one is gone.
	rs[437].Return = "fixed"
	if err := s.AddReturns(ctx, rs[437:438]); err != nil {
		t.Fatal(err)
	}
	if hits, _ := s.Search(ctx, SearchFilter{Text: "sdb1"}); len(hits) != 0 {
		t.Errorf("replaced return still found: %+v", hits)
	}
	if hits, _ := s.Search(ctx, SearchFilter{Text: "fixed"}); len(hits) != 1 {
		t.Errorf("new value not found: %+v", hits)
	}
	if _, err := s.Prune(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if hits, _ := s.Search(ctx, SearchFilter{Text: "good"}); len(hits) != 0 {
		t.Errorf("pruned returns still found: %d", len(hits))
	}
	// Anything a user types is a query, never a syntax error.
	for _, q := range []string{`"`, `a AND OR (`, `NEAR(x`, `*`, `-x`, `col:val`, "\x00"} {
		if _, err := s.Search(ctx, SearchFilter{Text: q}); err != nil && q != "*" && q != `"` && q != "\x00" {
			t.Errorf("search %q: %v", q, err)
		}
	}
}

func FuzzFTSQuery(f *testing.F) {
	for _, s := range []string{"disk failing", `"a b" c`, `x"`, `NEAR(a b)`, "ü ß", `a:b -c ^d`} {
		f.Add(s)
	}
	s, _ := openStore(f)
	f.Fuzz(func(t *testing.T, q string) {
		if ftsQuery(q) == "" {
			return
		}
		if _, err := s.Search(context.Background(), SearchFilter{Text: q}); err != nil {
			t.Fatalf("search %q (fts %s): %v", q, ftsQuery(q), err)
		}
	})
}

func TestStats(t *testing.T) { eachStore(t, testStats) }

func testStats(t *testing.T, s testStore) {
	ctx := context.Background()
	if err := s.CreateJob(ctx, &Job{JID: "20261202000000000001", Fun: "test.ping", Expected: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddReturns(ctx, []Return{{JID: "20261202000000000001", ID: "a", Fun: "test.ping", Return: true}}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Jobs != 1 || st.Returns != 1 || st.Bytes <= 0 {
		t.Errorf("stats %+v", st)
	}
}

// Returns that are a bare true, false, null or number are stored but not
// indexed; replacing a return moves it in or out of the index, and the
// index stays consistent with its content (FTS5's integrity-check).
func TestSearchIndexLeavesOutScalars(t *testing.T) {
	s, _ := openStore(t)
	ctx := context.Background()
	now := time.Now().UTC()
	rs := []Return{
		{JID: "20261202000000000001", ID: "a", Fun: "test.ping", Return: true, Success: true, Received: now},
		{JID: "20261202000000000001", ID: "b", Fun: "test.echo", Return: "true story", Success: true, Received: now},
		{JID: "20261202000000000001", ID: "c", Fun: "disk.usage", Return: 42.5, Success: true, Received: now},
	}
	if err := s.AddReturns(ctx, rs); err != nil {
		t.Fatal(err)
	}
	if hits, _ := s.Search(ctx, SearchFilter{Text: "true"}); len(hits) != 1 || hits[0].ID != "b" {
		t.Fatalf("search true: %+v (want b's string only)", hits)
	}
	// Scalar → text → scalar again.
	rs[0].Return = map[string]any{"note": "now a mapping"}
	if err := s.AddReturns(ctx, rs[:1]); err != nil {
		t.Fatal(err)
	}
	if hits, _ := s.Search(ctx, SearchFilter{Text: "mapping"}); len(hits) != 1 {
		t.Fatalf("a return replaced by a mapping is not found: %+v", hits)
	}
	rs[0].Return = false
	if err := s.AddReturns(ctx, rs[:1]); err != nil {
		t.Fatal(err)
	}
	if hits, _ := s.Search(ctx, SearchFilter{Text: "mapping"}); len(hits) != 0 {
		t.Fatalf("a replaced mapping is still found: %+v", hits)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO returns_fts (returns_fts) VALUES ('integrity-check')`); err != nil {
		t.Fatalf("search index inconsistent: %v", err)
	}
	if _, err := s.Prune(ctx, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO returns_fts (returns_fts) VALUES ('integrity-check')`); err != nil {
		t.Fatalf("search index inconsistent after prune: %v", err)
	}
}

// A return of megabytes of distinct words (any output is possible) is
// stored, and what it printed first is found: the search index reads the
// head and tail of a return (searchHead). PostgreSQL refuses a tsvector over
// 1 MB, which without the bound failed the whole batch of returns.
func TestSearchIndexesHugeReturns(t *testing.T) { eachStore(t, testSearchIndexesHugeReturns) }

func testSearchIndexesHugeReturns(t *testing.T, s testStore) {
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("beginning marker zqxw ")
	for i := 0; b.Len() < 3<<20; i++ {
		fmt.Fprintf(&b, "w%07dx ", i)
	}
	b.WriteString(" trailing marker vbnm")
	huge := Return{JID: "20260101000000000001", ID: "big", Fun: "cmd.run", Return: b.String(), Success: true}
	small := Return{JID: "20260101000000000001", ID: "small", Fun: "cmd.run", Return: "hello zqxw", Success: true}
	if err := s.AddReturns(ctx, []Return{huge, small}); err != nil {
		t.Fatalf("storing a 3 MB return of distinct words: %v", err)
	}
	hits, err := s.Search(ctx, SearchFilter{Text: "zqxw"})
	if err != nil || len(hits) != 2 {
		t.Fatalf("search zqxw: %+v, %v; want big and small", hits, err)
	}
	// The end of an output, where errors usually are, is indexed too.
	if hits, err := s.Search(ctx, SearchFilter{Text: "vbnm"}); err != nil || len(hits) != 1 || hits[0].ID != "big" {
		t.Fatalf("search vbnm (the end of the huge return): %+v, %v", hits, err)
	}
	rec, err := s.GetJob(ctx, huge.JID)
	if err != nil || len(rec.Results) != 2 || rec.Results[0].Return.Return != huge.Return {
		t.Fatalf("the huge return is not stored whole: %v", err)
	}
}
