// Package integration runs real masters and minions in-process, over real
// ZeroMQ sockets on 127.0.0.1, and checks what an operator would check.
package integration

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/minion"
	_ "github.com/halite/halite/pkg/modules/all"
	_ "github.com/halite/halite/pkg/states/all"
)

// logBuffer collects a daemon's log so tests can assert that refusals are
// logged.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) waitFor(t testing.TB, substr string) {
	t.Helper()
	waitFor(t, 10*time.Second, "log line "+substr, func() bool { return strings.Contains(l.String(), substr) })
}

func newLogger(name string, w io.Writer) hclog.Logger {
	if testing.Verbose() {
		w = io.MultiWriter(w, os.Stderr)
	}
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.Debug, Output: w})
}

type cluster struct {
	t      testing.TB
	dir    string
	cfg    config.Master
	m      *master.Master
	mlog   *logBuffer
	cancel context.CancelFunc
	done   chan error
	client *master.Client
	pub    int
	ret    int

	mu      sync.Mutex
	minions map[string]*runningMinion
}

type runningMinion struct {
	m      *minion.Minion
	cfg    config.Minion
	log    *logBuffer
	cancel context.CancelFunc
	done   chan error
}

// newCluster starts a master on free loopback ports.
func newCluster(t testing.TB, mutate func(*config.Master)) *cluster {
	t.Helper()
	dir := t.TempDir()
	cfg := config.DefaultMaster()
	cfg.Interface = "127.0.0.1"
	cfg.PublishPort, cfg.RetPort = 0, 0
	cfg.PKIDir = filepath.Join(dir, "master", "pki")
	cfg.DataDir = filepath.Join(dir, "master", "data")
	cfg.AckTimeout = config.Duration(2 * time.Second)
	if mutate != nil {
		mutate(&cfg)
	}
	c := &cluster{t: t, dir: dir, cfg: cfg, minions: map[string]*runningMinion{}}
	c.startMaster()
	t.Cleanup(c.stop)
	return c
}

func (c *cluster) startMaster() {
	c.t.Helper()
	c.mlog = &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	m, err := master.New(ctx, c.cfg, newLogger("master", c.mlog))
	if err != nil {
		c.t.Fatal(err)
	}
	c.m, c.cancel, c.done = m, cancel, make(chan error, 1)
	go func() { c.done <- m.Run(ctx) }()
	select {
	case <-m.Ready():
	case err := <-c.done:
		c.t.Fatalf("master stopped: %v", err)
	case <-time.After(10 * time.Second):
		c.t.Fatal("master not ready")
	}
	// Keep the ports: a restarted master comes back where minions look.
	c.pub = m.PublishAddr().(*net.TCPAddr).Port
	c.ret = m.RetAddr().(*net.TCPAddr).Port
	c.cfg.PublishPort, c.cfg.RetPort = c.pub, c.ret
	c.client = master.NewClient(m.SocketPath())
}

// stopMaster shuts the master down and waits for it.
func (c *cluster) stopMaster() {
	c.t.Helper()
	if c.cancel == nil {
		return
	}
	c.cancel()
	select {
	case err := <-c.done:
		if err != nil {
			c.t.Errorf("master Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		c.t.Error("master did not shut down within 15s")
	}
	c.cancel = nil
}

func (c *cluster) stop() {
	c.mu.Lock()
	ids := make([]string, 0, len(c.minions))
	for id := range c.minions {
		ids = append(ids, id)
	}
	c.mu.Unlock()
	for _, id := range ids {
		c.stopMinion(id)
	}
	c.stopMaster()
}

// minionConfig is a minion config pointing at this cluster's master.
func (c *cluster) minionConfig(id string, grains map[string]any) config.Minion {
	cfg := config.DefaultMinion()
	cfg.ID = id
	cfg.Master = "127.0.0.1"
	cfg.PublishPort, cfg.RetPort = c.pub, c.ret
	cfg.PKIDir = filepath.Join(c.dir, "minions", id, "pki")
	cfg.CacheDir = filepath.Join(c.dir, "minions", id, "cache")
	cfg.HeartbeatInterval = config.Duration(time.Second)
	cfg.ReconnectMin = config.Duration(50 * time.Millisecond)
	cfg.ReconnectMax = config.Duration(time.Second)
	cfg.Grains = grains
	return cfg
}

// startMinion starts a minion with the given config.
func (c *cluster) startMinion(cfg config.Minion) *runningMinion {
	c.t.Helper()
	lb := &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	m, err := minion.New(ctx, cfg, newLogger("minion."+cfg.ID, lb), minion.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	rm := &runningMinion{m: m, cfg: cfg, log: lb, cancel: cancel, done: make(chan error, 1)}
	go func() { rm.done <- m.Run(ctx) }()
	c.mu.Lock()
	c.minions[cfg.ID] = rm
	c.mu.Unlock()
	return rm
}

func (c *cluster) stopMinion(id string) {
	c.t.Helper()
	c.mu.Lock()
	rm := c.minions[id]
	delete(c.minions, id)
	c.mu.Unlock()
	if rm == nil {
		return
	}
	rm.cancel()
	select {
	case <-rm.done:
	case <-time.After(15 * time.Second):
		c.t.Errorf("minion %s did not stop within 15s", id)
	}
}

// acceptedMinions starts n minions named prefix0.. and accepts their keys.
func (c *cluster) acceptedMinions(prefix string, n int, grains func(i int) map[string]any) []*runningMinion {
	c.t.Helper()
	var out []*runningMinion
	for i := range n {
		var g map[string]any
		if grains != nil {
			g = grains(i)
		}
		out = append(out, c.startMinion(c.minionConfig(fmt.Sprintf("%s%d", prefix, i), g)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	waitFor(c.t, 20*time.Second, "minions pending", func() bool {
		ks, err := c.client.Keys(ctx)
		if err != nil {
			return false
		}
		pending := 0
		for _, k := range ks {
			if k.State == "pending" && strings.HasPrefix(k.ID, prefix) {
				pending++
			}
		}
		return pending == n
	})
	if _, err := c.client.KeyAction(ctx, "accept", "", true); err != nil {
		c.t.Fatal(err)
	}
	for _, rm := range out {
		select {
		case <-rm.m.Authenticated():
		case <-ctx.Done():
			c.t.Fatalf("minion %s not authenticated after accept", rm.cfg.ID)
		}
	}
	c.waitConnected(n)
	return out
}

// acceptMinion starts a minion with cfg, accepts its key and waits until
// it is connected.
func (c *cluster) acceptMinion(cfg config.Minion) *runningMinion {
	c.t.Helper()
	rm := c.startMinion(cfg)
	waitFor(c.t, 10*time.Second, "pending key of "+cfg.ID, func() bool {
		ks, _ := c.client.Keys(context.Background())
		for _, k := range ks {
			if k.ID == cfg.ID && k.State == "pending" {
				return true
			}
		}
		return false
	})
	if _, err := c.client.KeyAction(context.Background(), "accept", cfg.ID, false); err != nil {
		c.t.Fatal(err)
	}
	select {
	case <-rm.m.Authenticated():
	case <-time.After(10 * time.Second):
		c.t.Fatalf("minion %s not authenticated after accept", cfg.ID)
	}
	return rm
}

// waitConnected waits until n minions are connected and have sent grains.
func (c *cluster) waitConnected(n int) {
	c.t.Helper()
	waitFor(c.t, 20*time.Second, fmt.Sprintf("%d minions connected", n), func() bool {
		ms, err := c.client.Minions(context.Background())
		if err != nil {
			return false
		}
		k := 0
		for _, m := range ms {
			if m.Connected && m.OS != "" {
				k++
			}
		}
		return k >= n
	})
}

// run runs a job and collects its events.
func (c *cluster) run(req *master.RunRequest) *jobResult {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	jr := &jobResult{returns: map[string]master.RunEvent{}, states: map[string]string{}}
	start := time.Now()
	err := c.client.Run(ctx, req, func(ev master.RunEvent) error {
		switch ev.Type {
		case "start":
			jr.jid = ev.JID
			jr.expected = ev.Expected
		case "return":
			jr.returns[ev.ID] = ev
			jr.states[ev.ID] = "returned"
		case "state":
			jr.states[ev.ID] = string(ev.State)
			jr.stateAt = append(jr.stateAt, time.Since(start))
		case "done":
			jr.summary = ev.Summary
		case "explain":
			jr.explain = ev
		}
		return nil
	})
	jr.elapsed = time.Since(start)
	if err != nil {
		c.t.Fatalf("run %s %s: %v", req.Target, req.Fun, err)
	}
	return jr
}

type jobResult struct {
	jid      string
	expected []string
	returns  map[string]master.RunEvent
	states   map[string]string
	stateAt  []time.Duration
	summary  *master.Summary
	explain  master.RunEvent
	elapsed  time.Duration
}

func (j *jobResult) returnedIDs() []string {
	ids := make([]string, 0, len(j.returns))
	for id := range j.returns {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
