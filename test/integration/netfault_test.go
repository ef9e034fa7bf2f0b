package integration

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/halite/halite/pkg/master"
)

// faultProxy forwards loopback TCP to a target and can black-hole (stop
// forwarding, connections left open: the nasty half-dead link) or heal.
type faultProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	holed  bool
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	closed bool
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *faultProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *faultProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			up.Close()
			return
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

// pipe copies src to dst while the link is up; while black-holed it reads
// and drops, as a dead link that still looks connected does.
func (p *faultProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			holed := p.holed
			p.mu.Unlock()
			if !holed {
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}

func (p *faultProxy) setHoled(h bool) {
	p.mu.Lock()
	p.holed = h
	p.mu.Unlock()
}

// reset closes every proxied connection (the link comes back: new
// connections work, the old ones are gone, as after a NAT timeout).
func (p *faultProxy) reset() {
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
	p.mu.Unlock()
}

func (p *faultProxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.reset()
	p.wg.Wait()
}

// A network cut while a job runs: the master reports the minion as it
// stands, the minion keeps its return, and after the link heals the
// return is delivered and stored — nothing lost.
func TestNetworkCutAndHeal(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("net", 1, nil) // a direct minion, so the cluster has one
	pubProxy := newFaultProxy(t, c.m.PublishAddr().String())
	retProxy := newFaultProxy(t, c.m.RetAddr().String())
	cfg := c.minionConfig("cut", nil)
	cfg.PublishPort, cfg.RetPort = pubProxy.port(), retProxy.port()
	c.acceptMinion(cfg)
	if jr := c.run(&master.RunRequest{Target: "cut", Fun: "test.ping"}); jr.states["cut"] != "returned" {
		t.Fatalf("through the proxy: %v", jr.states)
	}
	// A job that outlives the cut.
	jr := c.run(&master.RunRequest{Target: "cut", Fun: "test.sleep", Args: []any{1.5}, Timeout: "500ms"})
	if jr.states["cut"] != "timed-out" {
		t.Fatalf("before the cut: %v", jr.states)
	}
	pubProxy.setHoled(true)
	retProxy.setHoled(true)
	// While the link is dead: the minion's return cannot get through;
	// jobs for it are not acknowledged.
	if jr2 := c.run(&master.RunRequest{Target: "cut", Fun: "test.ping", Timeout: "1s"}); jr2.states["cut"] == "returned" {
		t.Fatalf("a job crossed a dead link: %v", jr2.states)
	}
	time.Sleep(2 * time.Second) // the sleep ends; its return waits in the minion
	pubProxy.setHoled(false)
	retProxy.setHoled(false)
	pubProxy.reset()
	retProxy.reset()
	if got := storedReturn(t, c, jr.jid, "cut"); got != true {
		t.Fatalf("the return produced during the cut: %v", got)
	}
	waitFor(t, 20*time.Second, "minion answers after the heal", func() bool {
		return c.run(&master.RunRequest{Target: "cut", Fun: "test.ping", Timeout: "1s"}).states["cut"] == "returned"
	})
}
