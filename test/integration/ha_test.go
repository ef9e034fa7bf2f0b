package integration

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halite/halite/internal/pgtest"
	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/master"
)

// twin starts a second master beside c's: on 127.0.0.2 with the same
// ports, the same master key (copied, as an operator does) and config.
func (c *cluster) twin() *cluster {
	c.t.Helper()
	dir := c.t.TempDir()
	cfg := c.cfg
	cfg.Interface = "127.0.0.2"
	cfg.PKIDir = filepath.Join(dir, "pki")
	cfg.DataDir = filepath.Join(dir, "data")
	if err := os.MkdirAll(cfg.PKIDir, 0o700); err != nil {
		c.t.Fatal(err)
	}
	for _, f := range []string{"master.key", "master.pub"} {
		b, err := os.ReadFile(filepath.Join(c.cfg.PKIDir, f))
		if err != nil {
			c.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cfg.PKIDir, f), b, 0o600); err != nil {
			c.t.Fatal(err)
		}
	}
	b := &cluster{t: c.t, dir: dir, cfg: cfg, minions: map[string]*runningMinion{}}
	b.startMaster()
	c.t.Cleanup(b.stop)
	return b
}

// tcpProxy forwards a loopback address to another until cut.
type tcpProxy struct {
	ls    []net.Listener
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

func newTCPProxy(t *testing.T, host, target string, ports ...int) *tcpProxy {
	p := &tcpProxy{}
	for _, port := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			t.Fatal(err)
		}
		p.ls = append(p.ls, l)
		to := net.JoinHostPort(target, strconv.Itoa(port))
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for {
				in, err := l.Accept()
				if err != nil {
					return
				}
				out, err := net.Dial("tcp", to)
				if err != nil {
					in.Close()
					continue
				}
				p.mu.Lock()
				p.conns = append(p.conns, in, out)
				p.mu.Unlock()
				p.wg.Add(2)
				go func() { defer p.wg.Done(); io.Copy(out, in); out.Close() }()
				go func() { defer p.wg.Done(); io.Copy(in, out); in.Close() }()
			}
		}()
	}
	t.Cleanup(p.cut)
	return p
}

// cut closes the listeners and every connection: the network to the
// target is gone.
func (p *tcpProxy) cut() {
	for _, l := range p.ls {
		l.Close()
	}
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// A minion loses its link to the master that published a job while it
// runs: its return goes to the other master, which stores it and tells
// the publisher, whose caller sees it live, long before the job's
// deadline.
func TestReturnThroughAnotherMasterReachesTheCaller(t *testing.T) {
	url := pgtest.DB(t)
	// A long ack timeout: whether the ack gets out before the cut or not,
	// the return decides.
	a := newCluster(t, func(c *config.Master) { c.Store = url; c.AckTimeout = config.Duration(20 * time.Second) })
	b := a.twin()
	// The minion reaches A through a proxy on 127.0.0.3 that the test
	// can cut, and B directly.
	proxy := newTCPProxy(t, "127.0.0.3", "127.0.0.1", a.pub, a.ret)
	cfg := a.minionConfig("fw1", nil)
	cfg.Master = "127.0.0.3,127.0.0.2"
	rm := a.acceptMinion(cfg)
	a.waitConnected(1)
	b.waitConnected(1)

	const timeout = 40 * time.Second
	got := make(chan *jobResult, 1)
	go func() {
		got <- a.run(&master.RunRequest{Target: "fw1", Fun: "test.sleep", Args: []any{3}, Timeout: timeout.String()})
	}()
	waitFor(t, 10*time.Second, "the job running on fw1", func() bool { return rm.m.Running() > 0 })
	proxy.cut()
	var jr *jobResult
	select {
	case jr = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("the caller on A did not hear of the return that B stored")
	}
	if jr.states["fw1"] != "returned" || jr.returns["fw1"].Return != true {
		t.Fatalf("job on A: states %v returns %v", jr.states, jr.returns)
	}
	if jr.elapsed >= timeout {
		t.Errorf("the return reached the caller at the job's deadline (%v), not live", jr.elapsed)
	}
	rec, err := b.client.Job(context.Background(), jr.jid)
	if err != nil || len(rec.Results) != 1 || rec.Results[0].Return == nil {
		t.Fatalf("B's view of the job: %+v, %v", rec, err)
	}
}

// Returners forward the shared store's returns once, from one master at a
// time; when that master stops, another takes over from the shared cursor
// and nothing is missed.
func TestReturnersForwardOnceAcrossMasters(t *testing.T) {
	url := pgtest.DB(t)
	dir := t.TempDir()
	sink := func(file string) []config.Returner {
		return []config.Returner{{Type: "jsonl", Name: "audit-file", Path: filepath.Join(dir, file)}}
	}
	a := newCluster(t, func(c *config.Master) { c.Store = url; c.Returners = sink("a.jsonl") })
	b := a.twin()
	b.stopMaster()
	b.cfg.Returners = sink("b.jsonl")
	b.startMaster()
	cfg := a.minionConfig("rf1", nil)
	cfg.Master = "127.0.0.1,127.0.0.2"
	a.acceptMinion(cfg)
	a.waitConnected(1)
	b.waitConnected(1)

	// records reads both files: "jid/id" → how many times forwarded.
	records := func() map[string]int {
		out := map[string]int{}
		for _, f := range []string{"a.jsonl", "b.jsonl"} {
			data, _ := os.ReadFile(filepath.Join(dir, f))
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				var r struct {
					JID string `json:"jid"`
					ID  string `json:"minion"`
				}
				if json.Unmarshal([]byte(line), &r) == nil && r.JID != "" {
					out[r.JID+"/"+r.ID]++
				}
			}
		}
		return out
	}
	var jids []string
	for i := range 6 {
		c := a
		if i%2 == 1 {
			c = b
		}
		jids = append(jids, c.run(&master.RunRequest{Target: "rf1", Fun: "test.ping"}).jid)
	}
	waitFor(t, 20*time.Second, "six returns forwarded", func() bool { return len(records()) >= 6 })
	time.Sleep(3 * time.Second) // two poll rounds of the other master: no second copy
	for k, n := range records() {
		if n != 1 {
			t.Errorf("return %s forwarded %d times", k, n)
		}
	}

	// The leader stops; the other forwards what comes next.
	a.stopMaster()
	b.waitConnected(1)
	for range 3 {
		jids = append(jids, b.run(&master.RunRequest{Target: "rf1", Fun: "test.ping"}).jid)
	}
	waitFor(t, 30*time.Second, "every return forwarded after a master stopped", func() bool {
		got := records()
		for _, jid := range jids {
			if got[jid+"/rf1"] == 0 {
				return false
			}
		}
		return true
	})
	for k, n := range records() {
		if n != 1 {
			t.Errorf("return %s forwarded %d times", k, n)
		}
	}
}

// PostgreSQL goes away in the middle of a job and comes back: the returns
// that arrived meanwhile were not acknowledged, so the minions kept them
// and sent them again; every one is stored. The master needs no restart.
func TestPostgresOutageLosesNoReturns(t *testing.T) {
	ctx := context.Background()
	pg, err := pgtest.Start(ctx) // its own server: this test stops it
	if err != nil {
		if os.Getenv("HALITE_REQUIRE_POSTGRES") == "" {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	defer pg.Stop()
	url, err := pg.CreateDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const n = 5
	c := newCluster(t, func(cfg *config.Master) { cfg.Store = url })
	c.acceptedMinions("po", n, nil)
	jr := c.run(&master.RunRequest{Target: "po*", Fun: "test.sleep", Args: []any{2}, Async: true})
	if err := pg.StopServer(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second) // the returns arrive and cannot be stored
	if err := pg.StartServer(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 30*time.Second, "every return stored after PostgreSQL came back", func() bool {
		rec, err := c.client.Job(ctx, jr.jid)
		if err != nil {
			return false
		}
		got := 0
		for _, r := range rec.Results {
			if r.Return != nil {
				got++
			}
		}
		return got == n
	})
	// And the master works on: a new job, stored.
	after := c.run(&master.RunRequest{Target: "po*", Fun: "test.ping"})
	if len(after.returns) != n {
		t.Errorf("after the outage: %d of %d returned", len(after.returns), n)
	}
}

// Maintenance started on one master holds on the others at once: their
// jobs leave the minion alone; stopped on another, it is over everywhere.
func TestMaintenanceHoldsOnEveryMaster(t *testing.T) {
	ctx := context.Background()
	a := newCluster(t, func(c *config.Master) { c.Store = pgtest.DB(t) })
	b := a.twin()
	for _, id := range []string{"mm0", "mm1"} {
		cfg := a.minionConfig(id, nil)
		cfg.Master = "127.0.0.1,127.0.0.2"
		a.acceptMinion(cfg)
	}
	a.waitConnected(2)
	b.waitConnected(2)
	if _, err := a.client.Maintenance(ctx, master.MaintenanceRequest{Action: "start", Target: "mm0", Reason: "disk swap"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "B sees mm0 in maintenance", func() bool {
		ms, _ := b.client.Minions(ctx)
		for _, mi := range ms {
			if mi.ID == "mm0" && mi.Maintenance != nil {
				return true
			}
		}
		return false
	})
	jr := b.run(&master.RunRequest{Target: "mm*", Fun: "test.ping"})
	if jr.states["mm0"] != "maintenance" || jr.states["mm1"] != "returned" {
		t.Fatalf("B's job while A holds mm0 in maintenance: %v", jr.states)
	}
	if _, err := b.client.Maintenance(ctx, master.MaintenanceRequest{Action: "stop", Target: "mm0"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "A sees mm0 out of maintenance", func() bool {
		ms, _ := a.client.Minions(ctx)
		for _, mi := range ms {
			if mi.ID == "mm0" {
				return mi.Maintenance == nil
			}
		}
		return false
	})
	if jr := a.run(&master.RunRequest{Target: "mm*", Fun: "test.ping"}); len(jr.returns) != 2 {
		t.Fatalf("A's job after maintenance stopped on B: %v", jr.states)
	}
}
