package integration

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/events"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/wire"
)

// storedReturn is the stored return value of id in job jid. The caller
// sees a return as it arrives; it is stored a moment later (an 8 MB one,
// search-indexed under the race detector on a loaded machine, took over
// 10 s in CI): the bound is generous, only a return never stored fails.
func storedReturn(t *testing.T, c *cluster, jid, id string) any {
	t.Helper()
	var got any
	waitFor(t, 90*time.Second, "return of "+id+" stored", func() bool {
		rec, err := c.client.Job(context.Background(), jid)
		if err != nil {
			return false
		}
		for _, r := range rec.Results {
			if r.ID == id && r.Return != nil {
				got = r.Return.Return
				return true
			}
		}
		return false
	})
	return got
}

// F2: output that is not UTF-8 is stored byte for byte, and never costs
// the minion its connection.
func TestNonUTF8OutputIsStoredExactly(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("u", 1, nil)
	// More such returns than the old refusal limit (8) allowed.
	for i := range 10 {
		jr := c.run(&master.RunRequest{Target: "u0", Fun: "cmd.run", Args: []any{fmt.Sprintf(`printf 'caf\351 %d'`, i)}, Kwargs: map[string]any{"python_shell": true}})
		if jr.states["u0"] != "returned" {
			t.Fatalf("job %d: state %v", i, jr.states)
		}
		got := storedReturn(t, c, jr.jid, "u0")
		m, ok := got.(map[string]any)
		if !ok {
			t.Fatalf("stored %T %v, want the {\"$bytes\": ...} form", got, got)
		}
		raw, err := base64.StdEncoding.DecodeString(m["$bytes"].(string))
		if err != nil || string(raw) != fmt.Sprintf("caf\xe9 %d", i) {
			t.Fatalf("stored bytes %q (%v)", raw, err)
		}
	}
	jr := c.run(&master.RunRequest{Target: "u0", Fun: "cmd.run", Args: []any{"head -c 4096 /dev/urandom"}, Kwargs: map[string]any{"python_shell": true}})
	if jr.states["u0"] != "returned" {
		t.Fatalf("random bytes: state %v", jr.states)
	}
	if jr := c.run(&master.RunRequest{Target: "u0", Fun: "test.ping"}); jr.states["u0"] != "returned" {
		t.Fatalf("minion cut off after binary returns: %v", jr.states)
	}
}

// F3: a return over the budget (a state run of 20 outputs of 1 MB each)
// is truncated with a note and delivered once; the minion stays connected.
func TestOversizedReturnIsTruncated(t *testing.T) {
	tree := t.TempDir()
	sls := "{% for i in range(20) %}\nbig{{ i }}:\n  cmd.run:\n    - name: yes a | head -c 1000000\n{% endfor %}\n"
	if err := os.WriteFile(filepath.Join(tree, "big.sls"), []byte(sls), 0o644); err != nil {
		t.Fatal(err)
	}
	c, _ := stateCluster(t, tree, 1)
	jr := c.run(&master.RunRequest{Target: "st0", Fun: "state.apply", Args: []any{"big"}, Timeout: "60s"})
	if jr.states["st0"] != "returned" {
		t.Fatalf("20 MB state run: state %v", jr.states)
	}
	b, err := json.Marshal(storedReturn(t, c, jr.jid, "st0"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > wire.MaxReturnValue+1<<20 || !strings.Contains(string(b), "[truncated by halite: ") {
		t.Fatalf("stored %d bytes of JSON: %.300s", len(b), b)
	}
	if n := strings.Count(string(b), `\"result\": true`) + strings.Count(string(b), `"result":true`); n != 20 {
		t.Errorf("%d of 20 state results kept", n)
	}
	if jr := c.run(&master.RunRequest{Target: "st0", Fun: "test.ping"}); jr.states["st0"] != "returned" {
		t.Fatalf("minion not serving after the big return: %v", jr.states)
	}
	if n := strings.Count(c.mlog.String(), "frame too large"); n != 0 {
		t.Errorf("master refused %d frames", n)
	}
}

// F12: a minion the job did not target cannot add a return to it.
func TestReturnFromUntargetedMinionRefused(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("t", 1, nil)
	jr := c.run(&master.RunRequest{Target: "t0", Fun: "test.ping"})
	rogue := acceptedRogue(t, c, "intruder")
	rogue.sendSealed(wire.TypeReturn, wire.Return{JID: jr.jid, Fun: "test.ping", Return: "forged", Success: true})
	ack := rogue.awaitAck(t)
	if ack.Refused == "" {
		t.Fatal("forged return acknowledged as stored")
	}
	rec, err := c.client.Job(context.Background(), jr.jid)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.Results {
		if r.ID == "intruder" {
			t.Fatalf("forged return stored: %+v", r)
		}
	}
	if m := scrape(t, c); !strings.Contains(m, `halite_returns_refused_total{reason="unexpected"} 1`) {
		t.Errorf("refusal not counted in /metrics:\n%s", grepLines(m, "halite_"))
	}
}

// A return sent again (its ack was slow to come, the minion reconnected)
// is stored once, acknowledged again, and counted and announced once:
// metrics and reactors see each minion's return for a job one time.
func TestResentReturnCountsOnce(t *testing.T) {
	c := newCluster(t, nil)
	rogue := acceptedRogue(t, c, "again")
	jr := c.run(&master.RunRequest{Target: "again", Fun: "test.ping", Async: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var seen []string
	go c.client.EventsMatching(ctx, "halite/job/*/ret/*", func(_ []byte, ev events.Event) error {
		mu.Lock()
		seen = append(seen, ev.Tag)
		mu.Unlock()
		return nil
	})
	time.Sleep(200 * time.Millisecond) // the subscription is in place
	for range 3 {
		rogue.sendSealed(wire.TypeReturn, wire.Return{JID: jr.jid, Fun: "test.ping", Return: true, Success: true})
		if ack := rogue.awaitAck(t); ack.Refused != "" || ack.JID != jr.jid {
			t.Fatalf("resent return: ack %+v", ack)
		}
	}
	if m := scrape(t, c); !strings.Contains(m, `halite_returns_total{fun="test.ping",outcome="ok"} 1`+"\n") {
		t.Errorf("a return sent three times is counted more than once:\n%s", grepLines(m, "halite_returns_total"))
	}
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 {
		t.Errorf("a return sent three times was announced %d times: %v", len(seen), seen)
	}
}

// scrape fetches the master's /metrics over its socket.
func scrape(t *testing.T, c *cluster) string {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", c.m.SocketPath())
	}}}
	resp, err := hc.Get("http://master/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %v", resp.StatusCode, err)
	}
	return string(b)
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// F2: a return the master refuses is quarantined by the minion, with a
// reason, and a spool file the minion cannot read is too; nothing is
// renamed away in silence or sent forever.
func TestUnreadableSpoolIsQuarantinedLoudly(t *testing.T) {
	c := newCluster(t, nil)
	rm := c.acceptedMinions("q", 1, nil)[0]
	cfg := rm.cfg
	c.stopMinion("q0")
	spool := filepath.Join(cfg.CacheDir, "returns")
	if err := os.WriteFile(filepath.Join(spool, "20260101000000000000.ret"), []byte("\xff\x00garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	rm = c.startMinion(cfg)
	select {
	case <-rm.m.Authenticated():
	case <-time.After(10 * time.Second):
		t.Fatal("minion did not come back")
	}
	q := filepath.Join(spool, "quarantine", "20260101000000000000.ret")
	if _, err := os.Stat(q); err != nil {
		t.Fatalf("unreadable spool file not quarantined: %v", err)
	}
	reason, err := os.ReadFile(q + ".reason")
	if err != nil || !strings.Contains(string(reason), "unreadable") {
		t.Fatalf("reason %q (%v)", reason, err)
	}
	if !strings.Contains(rm.log.String(), "return quarantined") {
		t.Error("quarantine not logged")
	}
}

// F15: the master's data dir is 0700 and its store files 0600, even in a
// data dir that existed with 0755.
func TestStoreFilesArePrivate(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, func(cfg *config.Master) { cfg.DataDir = data })
	c.acceptedMinions("p", 1, nil)
	c.run(&master.RunRequest{Target: "*", Fun: "test.ping"})
	if fi, err := os.Stat(data); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data_dir: %v %v", fi.Mode(), err)
	}
	for _, f := range []string{"halite.db", "halite.db-wal", "halite.db-shm"} {
		fi, err := os.Stat(filepath.Join(data, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v", f, fi.Mode().Perm())
		}
	}
}

// F20: a deleted store is noticed while running (jobs are refused with
// the reason instead of vanishing at the next restart), and a corrupt one
// at start.
func TestDeletedOrCorruptStore(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("d", 1, nil)
	db := filepath.Join(c.cfg.DataDir, "halite.db")
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	err := c.client.Run(context.Background(), &master.RunRequest{Target: "*", Fun: "test.ping"}, func(master.RunEvent) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "deleted or replaced") {
		t.Fatalf("run on a deleted store: %v", err)
	}
	c.stop()
	if err := os.WriteFile(db, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"-wal", "-shm"} {
		_ = os.Remove(db + f)
	}
	_, err = master.New(context.Background(), c.cfg, newLogger("master", &logBuffer{}))
	if err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("master started on a corrupt store: %v", err)
	}
}

// F11: a job recorded off the wire and replayed after the minion restarts
// is refused: the seen set survives the restart.
func TestReplayAfterMinionRestartRefused(t *testing.T) {
	rm := newRogueMaster(t)
	pubPort, retPort := rm.ports()
	dir := t.TempDir()
	_, _, stop := startMinionIn(t, dir, "target", pubPort, retPort)
	<-rm.authed
	waitFor(t, 10*time.Second, "subscription", func() bool { return rm.pub.NumSubscribers() == 1 })
	env, err := rm.pubKey.Seal(rm.key, rogueJob("20261124000000000001", "once", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	rm.publish(env)
	first := rm.nextReturn(10 * time.Second)
	if first == nil || first.Return != "once" {
		t.Fatalf("first run: %+v", first)
	}
	stop()
	waitFor(t, 10*time.Second, "old subscription gone", func() bool { return rm.pub.NumSubscribers() == 0 })
	_, lb, _ := startMinionIn(t, dir, "target", pubPort, retPort)
	<-rm.authed
	waitFor(t, 10*time.Second, "subscription", func() bool { return rm.pub.NumSubscribers() == 1 })
	rm.publish(env)
	waitFor(t, 5*time.Second, "replay refused", func() bool { return strings.Contains(lb.String(), "refused replayed job") })
	// The first run's return may come again (if the minion stopped before
	// its ack arrived, it was spooled): that is delivery, not a rerun.
	for r := rm.nextReturn(500 * time.Millisecond); r != nil; r = rm.nextReturn(500 * time.Millisecond) {
		if r.Started != first.Started {
			t.Fatalf("replayed job ran again after a restart: %+v", r)
		}
	}
}

// F10: jobs beyond max_jobs are acknowledged at once and queued: reported
// timed-out (they will run), never no-ack, and every one returns.
func TestJobsBeyondMaxJobsAreAckedAndRun(t *testing.T) {
	c := newCluster(t, nil)
	cfg := c.minionConfig("busy", nil)
	cfg.MaxJobs = 1
	c.acceptMinion(cfg)
	var wg sync.WaitGroup
	results := make([]*jobResult, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.run(&master.RunRequest{Target: "busy", Fun: "test.sleep", Args: []any{1.2}, Timeout: "1s"})
		}()
	}
	wg.Wait()
	for i, jr := range results {
		if st := jr.states["busy"]; st == "no-ack" {
			t.Errorf("job %d: no-ack, though the minion has it queued", i)
		}
	}
	for _, jr := range results {
		if storedReturn(t, c, jr.jid, "busy") != true {
			t.Errorf("job %s did not return true", jr.jid)
		}
	}
}

// F23: a job a minion acknowledged and no longer holds after it comes
// back (killed mid-job) is reported lost, not timed-out forever.
func TestJobOfRestartedMinionIsLost(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("l", 1, nil)
	rogue := acceptedRogue(t, c, "victim")
	rogue.sendSealed(wire.TypeGrains, wire.Grains{Grains: map[string]any{"os": "Debian"}, Session: true})
	c.waitConnected(2)
	events := make(chan master.RunEvent, 16)
	done := make(chan error, 1)
	go func() {
		done <- c.client.Run(context.Background(), &master.RunRequest{Target: "victim", Fun: "test.sleep", Args: []any{60}, Timeout: "30s"},
			func(ev master.RunEvent) error { events <- ev; return nil })
	}()
	var jid string
	for jid == "" {
		if ev := <-events; ev.Type == "start" {
			jid = ev.JID
		}
	}
	rogue.sendSealed(wire.TypeAck, wire.Ack{JID: jid})
	time.Sleep(200 * time.Millisecond)
	// The minion dies and comes back holding nothing.
	rogue.conn.Close()
	again := newRogueMinion(t, c, "victim")
	again.key = rogue.key
	if st := again.auth(); st != crypto.StatusAccepted {
		t.Fatalf("re-auth: %v", st)
	}
	again.sendSealed(wire.TypeGrains, wire.Grains{Grains: map[string]any{"os": "Debian"}, Session: true})
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the caller still waits for a job the minion lost")
	}
	var lost bool
	for len(events) > 0 {
		ev := <-events
		lost = lost || ev.Type == "state" && ev.ID == "victim" && ev.State == "lost"
	}
	if !lost {
		t.Fatal("no lost state reported")
	}
	rec, err := c.client.Job(context.Background(), jid)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rec.Results {
		if r.ID == "victim" && r.State != "lost" {
			t.Fatalf("stored state %s", r.State)
		}
	}
}

// authAt sends an auth request made at time at on r's connection and
// returns the reply's status ("" when none comes within d).
func (r *rogueMinion) authAt(at time.Time, d time.Duration) crypto.AuthStatus {
	r.t.Helper()
	r.sendAuth(at)
	frames := r.recv(d)
	if frames == nil {
		return ""
	}
	reply, err := crypto.UnmarshalAuthReply(frames[1])
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := reply.Open(r.req, r.eph, func(crypto.MasterPublic) error { return nil }); err != nil {
		r.t.Fatal(err)
	}
	return reply.Status
}

// F21: a minion whose clock is off is told so, in a reply signed by the
// master.
func TestClockSkewIsAnswered(t *testing.T) {
	c := newCluster(t, nil)
	rogue := newRogueMinion(t, c, "late")
	if st := rogue.authAt(time.Now().Add(-6*time.Minute), 5*time.Second); st != crypto.StatusClockSkew {
		t.Fatalf("auth 6 min in the past: status %q, want %q", st, crypto.StatusClockSkew)
	}
}

// F17: a captured auth request replayed is refused; the real minion's
// session is not taken over.
func TestAuthReplayRefused(t *testing.T) {
	c := newCluster(t, nil)
	rm := c.acceptedMinions("r", 1, nil)[0]
	rogue := acceptedRogue(t, c, "replayed")
	// Fresh request, accepted; then the same bytes again from elsewhere.
	fresh := newRogueMinion(t, c, "replayed")
	fresh.key = rogue.key
	if st := fresh.auth(); st != crypto.StatusAccepted {
		t.Fatalf("fresh auth: %v", st)
	}
	raw, _ := fresh.req.Marshal()
	for range 5 {
		attacker := newRogueMinion(t, c, "replayed")
		if err := attacker.conn.Send([]byte(wire.KindAuth), raw); err != nil {
			t.Fatal(err)
		}
		if frames := attacker.recv(time.Second); frames != nil {
			t.Fatal("replayed auth request answered")
		}
	}
	// The honest minion next door never noticed.
	if n := strings.Count(rm.log.String(), "authenticated with master"); n != 1 {
		t.Errorf("honest minion authenticated %d times", n)
	}
}

// F16: new ids beyond max_pending_keys are not recorded.
func TestPendingKeysAreCapped(t *testing.T) {
	c := newCluster(t, func(cfg *config.Master) { cfg.MaxPendingKeys = 5 })
	for i := range 12 {
		r := newRogueMinion(t, c, fmt.Sprintf("flood%d", i))
		req, _, err := crypto.NewAuthRequest(r.key, r.id, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := req.Marshal()
		if err := r.conn.Send([]byte(wire.KindAuth), raw); err != nil {
			t.Fatal(err)
		}
		r.recv(300 * time.Millisecond)
	}
	ks, err := c.client.Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 5 {
		t.Fatalf("%d pending keys recorded, want the cap of 5", len(ks))
	}
}

// F22: junk costs the log a bounded number of lines, not one per message.
func TestJunkLoggingIsRateLimited(t *testing.T) {
	c := newCluster(t, nil)
	before := strings.Count(c.mlog.String(), "\n")
	for range 20 {
		r := newRogueMinion(t, c, "junk")
		for range 8 {
			if err := r.conn.Send([]byte("sealed"), []byte("not authenticated")); err != nil {
				break
			}
		}
		r.recv(200 * time.Millisecond)
	}
	if n := strings.Count(c.mlog.String(), "\n") - before; n > 60 {
		t.Fatalf("160 junk messages wrote %d log lines", n)
	}
}

// F13: with pillar_trust_grains off, a minion claiming a role in its own
// grains does not get that role's pillar; with the default (Salt's
// behaviour) it does.
func TestPillarTrustGrains(t *testing.T) {
	files := map[string]string{
		"top.sls":    "base:\n  '*':\n    - common\n  'G@role:db':\n    - match: compound\n    - db\n",
		"common.sls": "common: true\n",
		"db.sls":     "db_password: s3cret\n",
	}
	for _, trust := range []bool{true, false} {
		pdir := writeTree(t, files)
		c := newCluster(t, func(cfg *config.Master) {
			cfg.PillarRoots = map[string][]string{"base": {pdir}}
			cfg.PillarTrustGrains = trust
		})
		c.acceptedMinions("liar", 1, func(int) map[string]any { return map[string]any{"role": "db"} })
		jr := c.run(&master.RunRequest{Target: "liar0", Fun: "pillar.items"})
		p, _ := jr.returns["liar0"].Return.(map[string]any)
		if p["common"] != true {
			t.Fatalf("trust=%v: pillar %v", trust, p)
		}
		if _, got := p["db_password"]; got != trust {
			t.Errorf("pillar_trust_grains=%v: db pillar given: %v", trust, got)
		}
		c.stop()
	}
}

// F14: a job targeted by id (or --private) is sent to its targets only,
// sealed to each: a minion holding the publish key sees nothing of it.
func TestPrivateJobsAreNotPublished(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("pv", 3, nil)
	spy := acceptedRogue(t, c, "spy")
	sub := subscribe(t, c, "spy")
	// A public job first: once the spy has it, its subscription is live.
	waitFor(t, 10*time.Second, "spy subscribed", func() bool {
		c.run(&master.RunRequest{Target: "*", TargetType: "compound", Fun: "test.ping"})
		select {
		case <-sub.msgs:
			return true
		case <-time.After(200 * time.Millisecond):
			return false
		}
	})
	for len(sub.msgs) > 0 {
		<-sub.msgs
	}
	for _, req := range []*master.RunRequest{
		{Target: "pv0", Fun: "test.echo", Args: []any{"chpasswd root:hunter2"}},
		{Target: "pv0,pv1", TargetType: "list", Fun: "test.echo", Args: []any{"chpasswd root:hunter2"}},
		{Target: "G@os:*", TargetType: "compound", Fun: "test.echo", Args: []any{"chpasswd root:hunter2"}, Private: true},
	} {
		jr := c.run(req)
		if len(jr.returns) == 0 || len(jr.returns) != len(jr.expected) {
			t.Fatalf("%s: %d of %d returned", req.Target, len(jr.returns), len(jr.expected))
		}
		for id, r := range jr.returns {
			if r.Return != "chpasswd root:hunter2" {
				t.Fatalf("%s: %s returned %v", req.Target, id, r.Return)
			}
		}
	}
	// A public job after them: the only envelope the spy gets.
	c.run(&master.RunRequest{Target: "*", TargetType: "compound", Fun: "test.ping"})
	env := nextEnvelope(t, sub)
	payload, _, err := crypto.OpenPublished(spy.keyring.Lookup, masterPub(t, c), env)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(payload), "hunter2") {
		t.Fatal("a private job was published")
	}
	select {
	case extra := <-sub.msgs:
		t.Fatalf("spy received %d more bytes published", len(extra))
	case <-time.After(300 * time.Millisecond):
	}
}
