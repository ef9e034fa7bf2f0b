package returner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/jobstore"
)

func openStore(t *testing.T) *jobstore.SQLiteStore {
	t.Helper()
	s, err := jobstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "halite.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addReturns(t *testing.T, s *jobstore.SQLiteStore, jid string, n int) {
	t.Helper()
	var rs []jobstore.Return
	for i := range n {
		rs = append(rs, jobstore.Return{JID: jid, ID: fmt.Sprintf("m%03d", i), Fun: "test.ping", Return: true, Success: true})
	}
	if err := s.AddReturns(context.Background(), rs); err != nil {
		t.Fatal(err)
	}
}

func lines(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l == "" {
			continue
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, d)
	}
	return out
}

// A forwarder starts at the newest return, sends what comes after, and
// after a restart resumes where it was: nothing twice, nothing missed.
func TestForwarderResumes(t *testing.T) {
	s := openStore(t)
	addReturns(t, s, "20261202000000000001", 5) // history: not sent
	path := filepath.Join(t.TempDir(), "out.jsonl")
	run := func(do func(*Forwarder)) {
		sink, err := New(config.Returner{Type: "jsonl", Path: path})
		if err != nil {
			t.Fatal(err)
		}
		f := NewForwarder(sink, s, false, NewMetrics(prometheus.NewRegistry()), hclog.NewNullLogger())
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); f.Run(ctx) }()
		do(f)
		cancel()
		<-done
	}
	waitLines := func(n int) {
		deadline := time.Now().Add(10 * time.Second)
		for len(lines(t, path)) < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d lines, want %d", len(lines(t, path)), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	run(func(f *Forwarder) {
		// Let it place its cursor first.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if _, ok, _ := s.Cursor(context.Background(), "jsonl:"+path); ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the forwarder placed no cursor")
			}
		}
		addReturns(t, s, "20261202000000000002", 3)
		f.Nudge()
		waitLines(3)
	})
	addReturns(t, s, "20261202000000000003", 4) // while no forwarder runs
	run(func(*Forwarder) { waitLines(7) })
	got := lines(t, path)
	if len(got) != 7 {
		t.Fatalf("%d lines, want 7", len(got))
	}
	for _, d := range got {
		if d["jid"] == "20261202000000000001" {
			t.Errorf("history before the returner existed was sent: %v", d)
		}
	}
}

func TestJSONLRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	sink, _ := New(config.Returner{Type: "jsonl", Path: path, MaxBytes: 200, MaxFiles: 2})
	defer sink.Close()
	for i := range 20 {
		rec := Record{ID: fmt.Sprint(i), Kind: "return", Doc: map[string]any{"n": i, "pad": strings.Repeat("x", 40)}}
		if err := sink.Send(context.Background(), []Record{rec}); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{path + ".1", path + ".2"} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("rotated file %s: %v", p, err)
		}
	}
	if _, err := os.Stat(path + ".3"); err == nil {
		t.Error("more rotated files kept than max_files")
	}
}

// Items Elasticsearch refuses for good are reported as rejected (skipped);
// 409 is success (sent before); a 429 item retries the batch.
func TestElasticsearchItemStatuses(t *testing.T) {
	var mu sync.Mutex
	statuses := []int{201, 409, 400}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		defer mu.Unlock()
		var items []map[string]any
		for _, st := range statuses {
			items = append(items, map[string]any{"create": map[string]any{"status": st, "error": map[string]any{"type": "mapper_parsing_exception"}}})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": true, "items": items})
	}))
	defer srv.Close()
	sink, err := New(config.Returner{Type: "elasticsearch", URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	recs := []Record{{ID: "a", Doc: map[string]any{}}, {ID: "b", Doc: map[string]any{}}, {ID: "c", Doc: map[string]any{}}}
	err = sink.Send(context.Background(), recs)
	rej, ok := err.(*RejectedError)
	if !ok || rej.N != 1 || !strings.Contains(rej.First, "mapper_parsing_exception") {
		t.Fatalf("Send = %v, want one rejected", err)
	}
	mu.Lock()
	statuses = []int{201, 429, 201}
	mu.Unlock()
	if err := sink.Send(context.Background(), recs); err == nil {
		t.Fatal("a 429 item must fail the batch (to be retried)")
	} else if _, ok := err.(*RejectedError); ok {
		t.Fatal("a 429 item is not a rejection")
	}
}

// The syslog sink writes one JSON line per record to a syslog server.
func TestSyslogSink(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	sink, err := New(config.Returner{Type: "syslog", Address: "udp://" + pc.LocalAddr().String()})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	if err := sink.Send(context.Background(), []Record{{Kind: "return", Doc: map[string]any{"jid": "1", "success": false}}}); err != nil {
		t.Fatal(err)
	}
	_ = pc.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 65536)
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	msg := string(buf[:n])
	// <27> = facility daemon (3) * 8 + severity err (3): a failed return.
	if !strings.HasPrefix(msg, "<27>") || !strings.Contains(msg, `{"jid":"1","success":false}`) || !strings.Contains(msg, "halite") {
		t.Errorf("syslog message %q", msg)
	}
}

func TestBadConfigs(t *testing.T) {
	for _, c := range []config.Returner{
		{Type: "jsonl"},
		{Type: "elasticsearch", URL: "ftp://x"},
		{Type: "syslog", Address: "127.0.0.1:514"},
		{Type: "kafka"},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}
