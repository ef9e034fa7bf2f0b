package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halite/halite/pkg/master"
)

// bulkSink is an HTTP server that speaks enough of Elasticsearch's _bulk
// API to check what a returner sends: NDJSON, a create action with an
// index and an id before every document, 409 for an id it has.
type bulkSink struct {
	t    *testing.T
	mu   sync.Mutex
	docs map[string]map[string]any // by _id
	bad  []string
}

func (b *bulkSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/_bulk" || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-ndjson" {
		b.fail(fmt.Sprintf("%s %s with %s", r.Method, r.URL.Path, r.Header.Get("Content-Type")))
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	sc := bufio.NewScanner(r.Body)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	var items []map[string]any
	indexRe := regexp.MustCompile(`^halite-\d{4}\.\d{2}\.\d{2}$`)
	for sc.Scan() {
		var action struct {
			Create *struct {
				Index string `json:"_index"`
				ID    string `json:"_id"`
			} `json:"create"`
		}
		if err := json.Unmarshal(sc.Bytes(), &action); err != nil || action.Create == nil || !indexRe.MatchString(action.Create.Index) || action.Create.ID == "" {
			b.fail("bad action line: " + sc.Text())
			http.Error(w, "bad action", http.StatusBadRequest)
			return
		}
		if !sc.Scan() {
			b.fail("action without a document")
			http.Error(w, "no doc", http.StatusBadRequest)
			return
		}
		var doc map[string]any
		if err := json.Unmarshal(sc.Bytes(), &doc); err != nil {
			b.fail("bad document: " + sc.Text())
			http.Error(w, "bad doc", http.StatusBadRequest)
			return
		}
		status := http.StatusCreated
		b.mu.Lock()
		if _, dup := b.docs[action.Create.ID]; dup {
			status = http.StatusConflict
		} else {
			b.docs[action.Create.ID] = doc
		}
		b.mu.Unlock()
		items = append(items, map[string]any{"create": map[string]any{"_id": action.Create.ID, "status": status}})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": false, "items": items})
}

func (b *bulkSink) fail(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bad = append(b.bad, msg)
}

func (b *bulkSink) returnsOf(jid string) map[string]map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := map[string]map[string]any{}
	for _, d := range b.docs {
		if d["jid"] == jid {
			out[d["minion"].(string)] = d
		}
	}
	return out
}

// Every return of a 200-minion job reaches an Elasticsearch-style _bulk
// sink that was down while the job ran, and a JSON-lines file; nothing is
// missing and nothing is there twice.
func TestReturnersLoseNothing(t *testing.T) {
	const n = 200
	esPort := freePort(t) // nothing listens yet: the sink is down
	jsonl := filepath.Join(t.TempDir(), "returns.jsonl")
	e := newEnv(t, fmt.Sprintf(`returners:
  - type: elasticsearch
    url: http://127.0.0.1:%d
  - type: jsonl
    path: %s
`, esPort, jsonl))
	start(t, "halite-minion", "swarm", "--count", fmt.Sprint(n), "--id-prefix", "es", "-c", e.minionConfig("swarm", "log_level: warn\n"))
	e.acceptAll(n)
	e.waitConnected(n)

	var jid string
	returned := 0
	if err := e.client().Run(context.Background(), &master.RunRequest{Target: "*", Fun: "test.echo", Args: []any{"to elasticsearch"}}, func(ev master.RunEvent) error {
		switch ev.Type {
		case "start":
			jid = ev.JID
		case "return":
			returned++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if returned != n {
		t.Fatalf("%d of %d minions returned", returned, n)
	}
	// The sink failed meanwhile (connection refused), and is counted so.
	waitFor(t, 10*time.Second, "a counted returner error", func() bool {
		v, _ := metric(e.scrape(), fmt.Sprintf(`halite_returner_errors_total{sink="elasticsearch:http://127.0.0.1:%d"}`, esPort))
		return v > 0
	})

	sink := &bulkSink{t: t, docs: map[string]map[string]any{}}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", esPort))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: sink}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })

	waitFor(t, 45*time.Second, "every return in the _bulk sink", func() bool { return len(sink.returnsOf(jid)) == n })
	for id, d := range sink.returnsOf(jid) {
		if d["return"] != "to elasticsearch" || d["fun"] != "test.echo" || d["success"] != true || d["tgt"] != "*" {
			t.Errorf("%s: document %v", id, d)
		}
	}
	if len(sink.bad) > 0 {
		t.Errorf("malformed _bulk requests: %v", sink.bad[:min(len(sink.bad), 5)])
	}
	// The file has each return exactly once.
	waitFor(t, 10*time.Second, "every return in the jsonl file", func() bool {
		b, _ := os.ReadFile(jsonl)
		return bytes.Count(b, []byte(`"jid":"`+jid+`"`)) >= n
	})
	b, _ := os.ReadFile(jsonl)
	seen := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var d map[string]any
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			t.Fatalf("jsonl line is not JSON: %q", line)
		}
		if d["jid"] == jid {
			seen[d["minion"].(string)]++
		}
	}
	if len(seen) != n {
		t.Errorf("jsonl has %d minions' returns, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("jsonl has %s's return %d times", id, c)
		}
	}
}
