package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/halite/halite/pkg/events"
)

func TestFormatGroupsAStorm(t *testing.T) {
	var batch []events.Event
	for i := range 1000 {
		batch = append(batch, events.Event{Tag: fmt.Sprintf("halite/minion/m%03d/down", i)})
	}
	batch = append(batch, events.Event{Tag: "halite/ops/log", Data: map[string]any{"author": "alice", "text": "Upgraded redis", "ticket": "8"}})
	got := Format(batch, 0)
	lines := strings.Split(got, "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "1000 minions down: m000, m001") || !strings.HasSuffix(lines[0], "and 990 more") {
		t.Fatalf("message:\n%s", got)
	}
	if lines[1] != "1 ops log: alice: Upgraded redis (ticket #8)" {
		t.Fatalf("ops log line %q", lines[1])
	}
}

// A webhook on loopback that fails once gets the batch on the retry; a
// sink never gets events it did not ask for.
func TestNotifierBatchesAndRetries(t *testing.T) {
	var mu sync.Mutex
	var got []string
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var m map[string]string
		json.NewDecoder(r.Body).Decode(&m)
		got = append(got, m["text"])
	}))
	defer srv.Close()
	n := New([]Sink{{URL: srv.URL + "/hooks/secret", Tags: []string{"halite/minion/*/down"}, Batch: 200 * time.Millisecond}}, hclog.NewNullLogger())
	bus := events.New()
	sub := bus.Subscribe(1024)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx, sub.C); close(done) }()
	for i := range 50 {
		bus.Publish(fmt.Sprintf("halite/minion/s%d/down", i), nil)
	}
	bus.Publish("halite/job/1/new", nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		l := len(got)
		mu.Unlock()
		if l > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	sub.Close()
	if len(got) != 1 || !strings.HasPrefix(got[0], "50 minions down") || strings.Contains(got[0], "job") {
		t.Fatalf("messages %q", got)
	}
	if s, f := n.Counts(); s != 1 || f != 0 {
		t.Fatalf("counts %d %d", s, f)
	}
}
