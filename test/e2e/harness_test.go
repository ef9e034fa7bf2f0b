// Package e2e starts the real halite-master and halite-minion binaries in
// temporary directories on loopback and drives them the way an operator
// does: through the CLI, reading stdout and exit codes.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/halite/halite/internal/freeport"
	"github.com/halite/halite/internal/pgtest"
	"github.com/halite/halite/pkg/master"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "halite-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	for _, b := range []struct{ name, pkg string }{{"halite-master", "../../cmd/master"}, {"halite-minion", "../../cmd/minion"}} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, b.name), b.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", b.name, err, out)
			os.Exit(1)
		}
	}
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort asks the kernel for a free loopback port.
func freePort(t testing.TB) int {
	p, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

type proc struct {
	cmd  *exec.Cmd
	log  *syncBuffer
	done chan struct{}
	err  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func start(t testing.TB, name string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(filepath.Join(binDir, name), args...), log: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("%s log:\n%s", name, tail(p.log.String(), 4000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// stop sends SIGTERM and waits; a daemon must shut down cleanly.
func (p *proc) stop(t testing.TB) {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT) // in case a test left it stopped
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Errorf("%s did not exit within 15s of SIGTERM", p.cmd.Path)
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

type env struct {
	t        testing.TB
	dir      string
	cfgPath  string
	pub, ret int
	master   *proc
}

func newEnv(t testing.TB, extra string) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), pub: freePort(t), ret: freePort(t)}
	e.cfgPath = filepath.Join(e.dir, "master.yaml")
	cfg := fmt.Sprintf("interface: 127.0.0.1\npublish_port: %d\nret_port: %d\npki_dir: pki\ndata_dir: data\nack_timeout: 2s\nlog_level: debug\n%s", e.pub, e.ret, extra)
	if err := os.WriteFile(e.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	e.startMaster()
	return e
}

func (e *env) startMaster() {
	e.t.Helper()
	e.master = start(e.t, "halite-master", "serve", "-c", e.cfgPath)
	waitFor(e.t, 15*time.Second, "master socket", func() bool {
		_, _, code := e.cli("keys", "list")
		return code == 0
	})
}

func (e *env) client() *master.Client {
	return master.NewClient(filepath.Join(e.dir, "data", "master.sock"))
}

// cli runs halite-master with the env's config and returns stdout, stderr
// and the exit code.
func (e *env) cli(args ...string) (string, string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "halite-master"), append(args, "-c", e.cfgPath)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("run halite-master %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// minionConfig writes a minion config and returns its path.
func (e *env) minionConfig(id, extra string) string {
	e.t.Helper()
	dir := filepath.Join(e.dir, "minion-"+id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		e.t.Fatal(err)
	}
	p := filepath.Join(dir, "minion.yaml")
	cfg := fmt.Sprintf("id: %s\nmaster: 127.0.0.1\npublish_port: %d\nret_port: %d\npki_dir: pki\ncache_dir: cache\nheartbeat_interval: 1s\nreconnect_min: 50ms\nreconnect_max: 1s\n%s", id, e.pub, e.ret, extra)
	if err := os.WriteFile(p, []byte(cfg), 0o600); err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) startMinion(id, extra string) *proc {
	e.t.Helper()
	return start(e.t, "halite-minion", "serve", "-c", e.minionConfig(id, extra))
}

// acceptAll waits until want ids are pending and accepts them.
func (e *env) acceptAll(want int) {
	e.t.Helper()
	waitFor(e.t, 30*time.Second, fmt.Sprintf("%d pending keys", want), func() bool {
		ks, err := e.client().Keys(context.Background())
		if err != nil {
			return false
		}
		n := 0
		for _, k := range ks {
			if k.State == "pending" {
				n++
			}
		}
		return n >= want
	})
	if out, errOut, code := e.cli("keys", "accept", "--all", "--yes"); code != 0 {
		e.t.Fatalf("keys accept --all: %d %s %s", code, out, errOut)
	}
}

// waitConnected waits until n minions are connected.
func (e *env) waitConnected(n int) {
	e.t.Helper()
	e.waitConnectedWithin(n, 30*time.Second)
}

// waitConnectedWithin is waitConnected with its own bound (a herd of
// thousands on a CI machine busy with other test packages).
func (e *env) waitConnectedWithin(n int, d time.Duration) {
	e.t.Helper()
	waitFor(e.t, d, fmt.Sprintf("%d minions connected", n), func() bool {
		ms, err := e.client().Minions(context.Background())
		if err != nil {
			return false
		}
		k := 0
		for _, m := range ms {
			if m.Connected {
				k++
			}
		}
		return k >= n
	})
}

func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
