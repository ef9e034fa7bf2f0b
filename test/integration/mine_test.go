package integration

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/master"
)

// Orchestrate acceptance 5 (and the mine half of 1): minions send their
// mine_functions; a minion's template reads the mine (an lb config with
// every web server's address), within mine_acl; the data survives a
// master restart; a deleted minion's data is gone.
func TestMine(t *testing.T) {
	tree, root := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(tree, "lb.sls"), []byte(`lb config:
  file.managed:
    - name: {{ grains.root }}/lb.conf
    - contents: |
{%- for id, addrs in salt['mine.get']('web*', 'addrs') | dictsort %}
        server {{ id }} {{ addrs.kwargs.ip }}
{%- endfor %}
`), 0o644)
	c := newCluster(t, func(cfg *config.Master) {
		cfg.FileRoots = map[string][]string{"base": {tree}}
		cfg.MineACL = map[string][]string{"lb*": {"addrs"}, "web*": {"addrs", "secret"}}
	})
	webMine := func(i int) map[string]any {
		return map[string]any{"root": root}
	}
	for i, id := range []string{"web0", "web1"} {
		cfg := c.minionConfig(id, webMine(i))
		cfg.MineFunctions = map[string]any{
			"addrs":  map[string]any{"mine_function": "test.arg", "ip": "10.0.0." + string(rune('1'+i))},
			"secret": []any{map[string]any{"mine_function": "test.echo"}, "hunter2"},
		}
		c.acceptMinion(cfg)
	}
	lb := c.minionConfig("lb0", map[string]any{"root": root})
	c.acceptMinion(lb)
	c.acceptMinion(c.minionConfig("db0", nil))
	c.waitConnected(4)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	waitFor(t, 20*time.Second, "mine data from both web minions", func() bool {
		d, err := c.client.Mine(ctx, "web*", "addrs", "")
		return err == nil && len(d) == 2
	})

	jr := c.run(&master.RunRequest{Target: "lb0", Fun: "state.apply", Args: []any{"lb"}})
	if !jr.returns["lb0"].Success {
		t.Fatalf("lb apply: %v", jr.returns["lb0"].Return)
	}
	conf, _ := os.ReadFile(filepath.Join(root, "lb.conf"))
	for _, want := range []string{"server web0", "server web1", "10.0.0.1", "10.0.0.2"} {
		if !strings.Contains(string(conf), want) {
			d, _ := c.client.Mine(ctx, "web*", "addrs", "")
			t.Fatalf("lb.conf lacks %q:\n%s\nmine: %v", want, conf, d)
		}
	}
	// mine_acl: lb0 may read addrs, not secret; db0 nothing; web0 both.
	check := func(id, fun string, allowed bool) {
		t.Helper()
		jr := c.run(&master.RunRequest{Target: id, Fun: "mine.get", Args: []any{"web*", fun}})
		if got := jr.returns[id].Success; got != allowed {
			t.Fatalf("%s reading %s: success %v, return %v", id, fun, got, jr.returns[id].Return)
		}
	}
	check("lb0", "addrs", true)
	check("lb0", "secret", false)
	check("db0", "addrs", false)
	check("web0", "secret", true)

	// The mine survives a master restart.
	c.stopMaster()
	c.startMaster()
	if d, err := c.client.Mine(ctx, "web*", "addrs", ""); err != nil || len(d) != 2 {
		t.Fatalf("mine after restart: %v %v", d, err)
	}
	// A deleted minion's data goes with its key.
	if _, err := c.client.KeyAction(ctx, "delete", "web1", false); err != nil {
		t.Fatal(err)
	}
	if d, _ := c.client.Mine(ctx, "web*", "addrs", ""); len(d) != 1 {
		t.Fatalf("mine after deleting web1: %v", d)
	}
}
