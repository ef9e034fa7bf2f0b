package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/test/attack"
)

// The attacker's tool kit against a real master, from 127.0.0.2, while 50
// honest minions on 127.0.0.1 keep answering every job: the master lives,
// no honest return is lost, nothing hostile is stored or answered.
func TestMasterUnderAttack(t *testing.T) {
	if testing.Short() {
		t.Skip("attack suite")
	}
	const honest = 50
	e := newEnv(t, "")
	start(t, "halite-minion", "swarm", "--count", fmt.Sprint(honest), "--id-prefix", "h", "-c", e.minionConfig("swarm", "log_level: warn\n"))
	e.acceptAll(honest)
	e.waitConnected(honest)
	// One accepted key in the attacker's hands (a compromised minion).
	key, err := crypto.GenerateMinionKey()
	if err != nil {
		t.Fatal(err)
	}
	if err := crypto.WriteMinionPublicFile(filepath.Join(e.dir, "pki", "minions", "mallory"), key.Public()); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	ctx := context.Background()
	var honestJIDs []string
	for range 3 {
		_ = c.Run(ctx, &master.RunRequest{Target: "h*", Fun: "test.ping"}, func(ev master.RunEvent) error {
			if ev.Type == "start" {
				honestJIDs = append(honestJIDs, ev.JID)
			}
			return nil
		})
	}
	rssBefore := procStatusKiB(t, e.master.cmd.Process.Pid, "VmHWM")
	done := make(chan struct{})
	var rep attack.Report
	var attackErr error
	go func() {
		defer close(done)
		rep, attackErr = attack.Run(ctx, attack.Config{
			RetAddr: fmt.Sprintf("127.0.0.1:%d", e.ret), PubAddr: fmt.Sprintf("127.0.0.1:%d", e.pub),
			Slowloris: 2000, AuthFlood: 2000, CrashPackets: 50, Returns: 8, Hold: 8 * time.Second,
			Key: &key, ID: "mallory", JIDs: honestJIDs,
		})
	}()
	jobs, returned, lostHonest := 0, 0, 0
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		n := 0
		err := c.Run(ctx, &master.RunRequest{Target: "h*", Fun: "test.ping", Timeout: "5s"}, func(ev master.RunEvent) error {
			if ev.Type == "return" && ev.Return == true {
				n++
			}
			return nil
		})
		if err != nil {
			t.Fatalf("honest job under attack: %v", err)
		}
		jobs++
		returned += n
		lostHonest += honest - n
		time.Sleep(100 * time.Millisecond)
	}
	if attackErr != nil {
		t.Fatalf("attack tool: %v", attackErr)
	}
	select {
	case <-e.master.done:
		t.Fatalf("the master died under attack: %v", e.master.err)
	default:
	}
	peak := procStatusKiB(t, e.master.cmd.Process.Pid, "VmHWM")
	t.Logf("under attack (%s): %d honest jobs, %d of %d honest returns, %d lost; master peak RSS %d → %d MiB",
		rep, jobs, returned, jobs*honest, lostHonest, rssBefore>>10, peak>>10)
	if lostHonest != 0 {
		t.Errorf("%d honest returns lost under attack", lostHonest)
	}
	if rep.ReplaysAnswered != 0 {
		t.Errorf("%d replayed auth requests answered", rep.ReplaysAnswered)
	}
	if rep.ReturnsAcked != 0 {
		t.Errorf("%d hostile returns acknowledged as stored", rep.ReturnsAcked)
	}
	if rep.CrashPackets == 0 || rep.SlowlorisOpened == 0 || rep.AuthRequests == 0 || rep.HostileReturns == 0 {
		t.Errorf("an attack did not run: %s", rep)
	}
	ks, err := c.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) > honest+1+1000 {
		t.Errorf("%d keys recorded: the pending cap did not hold", len(ks))
	}
	for _, jid := range honestJIDs {
		rec, err := c.Job(ctx, jid)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rec.Results {
			if r.ID == "mallory" {
				t.Errorf("job %s: a return from mallory was stored", jid)
			}
		}
	}
	if strings.Contains(e.master.log.String(), "panic") {
		t.Error("the master log mentions a panic")
	}
	metrics := e.scrape()
	for _, want := range []string{`halite_connection_panics_total{port="ret"} 0`, `halite_connection_panics_total{port="publish"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, line := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(line, "halite_") {
			t.Log(line)
		}
	}
}

// scrape fetches the master's /metrics over its socket.
func (e *env) scrape() string {
	e.t.Helper()
	sock := filepath.Join(e.dir, "data", "master.sock")
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	resp, err := hc.Get("http://master/metrics")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
