package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halite/halite/pkg/config"
)

// Acceptance 5 of the ChatOps issue: a webhook receiver on loopback gets
// one batched message when 50 minions stop at once, and one boot message
// when they come back.
func TestNotifyBatchesAStorm(t *testing.T) {
	var mu sync.Mutex
	var msgs []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		json.NewDecoder(r.Body).Decode(&m)
		mu.Lock()
		msgs = append(msgs, m["text"])
		mu.Unlock()
	}))
	defer hook.Close()
	c := newCluster(t, func(cfg *config.Master) {
		cfg.Notify = []config.Notify{{URL: hook.URL + "/hooks/T0/B0/x", Format: "slack", Tags: []string{"halite/minion/*/down", "halite/minion/*/start"}, Batch: config.Duration(3 * time.Second)}}
	})
	c.acceptedMinions("s", 50, nil)
	c.waitConnected(50)
	count := func(sub string) (n int, all []string) {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range msgs {
			if strings.Contains(m, sub) {
				n++
			}
		}
		return n, append([]string(nil), msgs...)
	}
	waitFor(t, 20*time.Second, "the first boot message", func() bool { n, _ := count("minions started (boot)"); return n >= 1 })
	time.Sleep(4 * time.Second) // the start batch is out
	mu.Lock()
	msgs = nil
	mu.Unlock()

	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() { defer wg.Done(); c.stopMinion(fmt.Sprintf("s%d", i)) }()
	}
	wg.Wait()
	waitFor(t, 30*time.Second, "the down message", func() bool { n, _ := count("minions down"); return n >= 1 })
	time.Sleep(4 * time.Second)
	if n, all := count("minions down"); n != 1 || !strings.Contains(all[0], "50 minions down") {
		t.Fatalf("down messages: %q", all)
	}
	for i := range 50 {
		c.startMinion(c.minionConfig(fmt.Sprintf("s%d", i), nil))
	}
	waitFor(t, 30*time.Second, "the boot message", func() bool { n, _ := count("50 minions started (boot)"); return n >= 1 })
	if n, all := count("started (boot)"); n != 1 {
		t.Fatalf("boot messages: %q", all)
	}
}
