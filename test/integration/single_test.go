package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/master"
)

// transport: single: a minion on one connection (ret_port only) gets
// published, private and batched jobs like a dual one, keeps getting
// them across a publish-key rotation, and holds no subscription.
func TestSingleConnectionMinions(t *testing.T) {
	c := newCluster(t, nil)
	for _, id := range []string{"one-a", "one-b"} {
		cfg := c.minionConfig(id, map[string]any{"role": "web"})
		cfg.Transport = config.TransportSingle
		c.acceptMinion(cfg)
	}
	c.acceptMinion(c.minionConfig("two", map[string]any{"role": "db"}))
	c.waitConnected(3)

	jr := c.run(&master.RunRequest{Target: "*", Fun: "test.ping"})
	if jr.summary.Returned != 3 {
		t.Fatalf("ping: %+v", jr.states)
	}
	// A grain target (published), an id target (private), a batch.
	if jr := c.run(&master.RunRequest{Target: "role:web", TargetType: "grain", Fun: "test.echo", Args: []any{"g"}}); jr.summary.Returned != 2 || jr.returns["one-a"].Return != "g" {
		t.Fatalf("grain target: %+v", jr.states)
	}
	if jr := c.run(&master.RunRequest{Target: "one-b", Fun: "test.echo", Args: []any{"p"}}); jr.returns["one-b"].Return != "p" {
		t.Fatalf("private job: %+v", jr.states)
	}
	if jr := c.run(&master.RunRequest{Target: "*", Fun: "test.ping", Batch: "1"}); jr.summary.Returned != 3 {
		t.Fatalf("batch: %+v", jr.states)
	}
	// Rotation: deleting a key rotates the publish key; the new key
	// reaches single minions on the same connection before any job.
	extra := c.acceptMinion(c.minionConfig("gone", nil))
	if _, err := c.client.KeyAction(context.Background(), "delete", "gone", false); err != nil {
		t.Fatal(err)
	}
	extra.cancel()
	time.Sleep(100 * time.Millisecond)
	if jr := c.run(&master.RunRequest{Target: "one-*", Fun: "test.echo", Args: []any{"after rotation"}, TargetType: "glob"}); jr.summary.Returned != 2 || jr.returns["one-a"].Return != "after rotation" {
		t.Fatalf("after rotation: %+v", jr.states)
	}
	// Only the dual minion subscribes (the deleted one's subscription is
	// swept once its process is gone).
	waitFor(t, 15*time.Second, "one subscriber on the publish port", func() bool {
		return strings.Contains(scrape(t, c), "halite_publish_subscribers 1\n")
	})
}
