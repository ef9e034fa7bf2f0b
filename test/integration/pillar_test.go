package integration

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/wire"
)

const secretA = "A-SECRET-VALUE-7f3c9"

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func pillarCluster(t *testing.T, pillarFiles, stateFiles map[string]string) (*cluster, string) {
	t.Helper()
	pdir := writeTree(t, pillarFiles)
	sdir := writeTree(t, stateFiles)
	c := newCluster(t, func(cfg *config.Master) {
		cfg.PillarRoots = map[string][]string{"base": {pdir}}
		cfg.FileRoots = map[string][]string{"base": {sdir}}
	})
	return c, pdir
}

var twoMinionPillar = map[string]string{
	"top.sls":    "base:\n  'pa*':\n    - a\n  'rogue-b':\n    - b\n  'G@roles:db':\n    - match: compound\n    - dbrole\n",
	"a.sls":      "db_password: " + secretA + "\nrole: db\napp:\n  port: 5432\n",
	"b.sls":      "role: web\n",
	"dbrole.sls": "extra: from-grains\n",
}

// Each minion sees only its own pillar: nothing of A's travels on the
// publish stream or on B's request channel, even decrypted with B's keys.
func TestPillarIsPrivateToItsMinion(t *testing.T) {
	c, _ := pillarCluster(t, twoMinionPillar, map[string]string{"top.sls": "base: {}\n"})
	c.acceptedMinions("pa", 1, nil)
	b := newRogueMinion(t, c, "rogue-b")
	if st := b.auth(); st != crypto.StatusPending {
		t.Fatal(st)
	}
	if _, err := c.client.KeyAction(context.Background(), "accept", "rogue-b", false); err != nil {
		t.Fatal(err)
	}
	if st := b.readAuthReply(); st != crypto.StatusAccepted {
		t.Fatal(st)
	}
	sub := subscribe(t, c, "rogue-b")
	time.Sleep(200 * time.Millisecond)

	jr := c.run(&master.RunRequest{Target: "pa0", Fun: "pillar.get", Args: []any{"role"}})
	if jr.returns["pa0"].Return != "db" {
		t.Fatalf("A's pillar: %+v", jr.returns["pa0"])
	}
	c.run(&master.RunRequest{Target: "*", Fun: "pillar.items"})

	// B asks for its own pillar and reads everything that reaches it.
	b.sendSealed(wire.TypePillar, wire.PillarRequest{ReqID: 1})
	var seen [][]byte
	var bPillar map[string]any
	for bPillar == nil {
		frames := b.recv(5 * time.Second)
		if frames == nil {
			t.Fatal("no pillar reply for B")
		}
		plain, err := b.ch.Open(frames[1])
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, plain)
		msg, _ := wire.Decode(plain)
		if msg.Type == wire.TypeReply {
			var r wire.Reply
			_ = msg.DecodeBody(&r)
			var pd wire.PillarData
			if err := codec.Unmarshal(r.Body, &pd); err != nil {
				t.Fatal(err)
			}
			bPillar = pd.Pillar
		}
	}
	if bPillar["role"] != "web" || bPillar["db_password"] != nil {
		t.Fatalf("B's pillar: %v", bPillar)
	}
	for len(sub.msgs) > 0 {
		env := <-sub.msgs
		seen = append(seen, env)
		if payload, _, err := crypto.OpenPublished(b.keyring.Lookup, masterPub(t, c), env); err == nil {
			seen = append(seen, payload)
		}
	}
	for _, blob := range seen {
		if strings.Contains(string(blob), secretA) || strings.Contains(string(blob), "5432") {
			t.Fatalf("A's pillar leaked to B: %q", blob)
		}
	}
}

// I@ targets exactly the minions whose pillar says so, decided on the
// master (expected set) and on the minions.
func TestPillarTargeting(t *testing.T) {
	c, _ := pillarCluster(t, map[string]string{
		"top.sls":    "base:\n  'p0,p2':\n    - match: list\n    - db\n  '*':\n    - common\n",
		"db.sls":     "role: db\n",
		"common.sls": "site: x\n",
	}, map[string]string{"top.sls": "base: {}\n"})
	c.acceptedMinions("p", 4, nil)
	for _, typ := range []struct{ t, expr string }{{"pillar", "role:db"}, {"compound", "I@role:db and p*"}} {
		jr := c.run(&master.RunRequest{Target: typ.expr, TargetType: typ.t, Fun: "test.ping"})
		if got := jr.returnedIDs(); strings.Join(got, ",") != "p0,p2" || len(jr.expected) != 2 {
			t.Errorf("%s %s: returned %v, expected %v", typ.t, typ.expr, got, jr.expected)
		}
	}
}

// A pillar change is seen after saltutil.refresh_pillar, and a state run
// uses the new value; secrets never reach the store, the logs or jobs show.
func TestPillarRefreshAndSecrets(t *testing.T) {
	states := map[string]string{
		"top.sls":  "base:\n  '*':\n    - motd\n",
		"motd.sls": "motd:\n  file.managed:\n    - name: {{ grains['root'] }}/motd\n    - makedirs: True\n    - contents: \"welcome to {{ pillar['site'] }}\"\n",
	}
	c, pdir := pillarCluster(t, map[string]string{
		"top.sls":  "base:\n  '*':\n    - site\n",
		"site.sls": "site: alpha\napi_token: " + secretA + "\n",
	}, states)
	root := filepath.Join(c.dir, "root")
	c.acceptedMinions("r", 1, func(int) map[string]any { return map[string]any{"root": root} })

	if jr := c.run(&master.RunRequest{Target: "*", Fun: "state.apply"}); !jr.returns["r0"].Success {
		t.Fatalf("apply: %+v", jr.returns["r0"])
	}
	if b, _ := os.ReadFile(filepath.Join(root, "motd")); !strings.Contains(string(b), "welcome to alpha") {
		t.Fatalf("motd = %q", b)
	}
	if err := os.WriteFile(filepath.Join(pdir, "site.sls"), []byte("site: beta\napi_token: "+secretA+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if jr := c.run(&master.RunRequest{Target: "*", Fun: "saltutil.refresh_pillar"}); jr.returns["r0"].Return != true {
		t.Fatalf("refresh: %+v", jr.returns["r0"])
	}
	if jr := c.run(&master.RunRequest{Target: "*", Fun: "pillar.get", Args: []any{"site"}}); jr.returns["r0"].Return != "beta" {
		t.Fatalf("after refresh: %+v", jr.returns["r0"])
	}
	c.run(&master.RunRequest{Target: "*", Fun: "state.apply"})
	if b, _ := os.ReadFile(filepath.Join(root, "motd")); !strings.Contains(string(b), "welcome to beta") {
		t.Fatalf("state run did not use the new pillar: %q", b)
	}

	// Secrets: a job that returns the pillar stores and shows it scrubbed.
	jr := c.run(&master.RunRequest{Target: "*", Fun: "pillar.items"})
	streamed, _ := json.Marshal(jr.returns["r0"].Return)
	rec, err := c.client.Job(context.Background(), jr.jid)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := json.Marshal(rec)
	shown, err := c.client.Pillar(context.Background(), "r0", false)
	if err != nil {
		t.Fatal(err)
	}
	shownJSON, _ := json.Marshal(shown)
	for what, blob := range map[string]string{"streamed return": string(streamed), "jobs show": string(stored), "pillar show": string(shownJSON), "master log": c.mlog.String()} {
		if strings.Contains(blob, secretA) {
			t.Errorf("secret pillar value in %s", what)
		}
	}
	if !strings.Contains(string(stored), "beta") {
		t.Errorf("non-secret pillar should be stored: %s", stored)
	}
	revealed, err := c.client.Pillar(context.Background(), "r0", true)
	if err != nil || revealed.Pillar["api_token"] != secretA {
		t.Errorf("--reveal: %+v %v", revealed, err)
	}
}

// A pillar that does not compile fails the minion's state run with file
// and line, and its files stay as they were.
func TestPillarErrorFailsStateRun(t *testing.T) {
	states := map[string]string{
		"top.sls":  "base:\n  '*':\n    - motd\n",
		"motd.sls": "motd:\n  file.managed:\n    - name: {{ grains['root'] }}/motd\n    - contents: \"{{ pillar.get('site', 'none') }}\"\n",
	}
	c, _ := pillarCluster(t, map[string]string{
		"top.sls":    "base:\n  '*':\n    - broken\n",
		"broken.sls": "site: a\nlist:\n  - {{ undefined_name.attr }}\n",
	}, states)
	root := filepath.Join(c.dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "motd"), []byte("original"), 0o644); err != nil {
		t.Fatal(err)
	}
	c.acceptedMinions("e", 1, func(int) map[string]any { return map[string]any{"root": root} })
	jr := c.run(&master.RunRequest{Target: "*", Fun: "state.apply"})
	ev := jr.returns["e0"]
	msg, _ := json.Marshal(ev.Return)
	if ev.Success || !strings.Contains(string(msg), "broken.sls") || !strings.Contains(string(msg), ":3") {
		t.Fatalf("want a failed run naming broken.sls line 3, got %s", msg)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "motd")); string(b) != "original" {
		t.Fatalf("files changed despite the pillar error: %q", b)
	}
}

// An edit of the pillar tree reaches connected minions without anyone
// running a refresh: the master notices and tells them.
func TestPillarChangeIsPushed(t *testing.T) {
	c, pdir := pillarCluster(t, map[string]string{
		"top.sls":  "base:\n  '*':\n    - site\n",
		"site.sls": "site: alpha\n",
	}, map[string]string{"top.sls": "base: {}\n"})
	c.acceptedMinions("push", 1, nil)
	if jr := c.run(&master.RunRequest{Target: "*", Fun: "pillar.get", Args: []any{"site"}}); jr.returns["push0"].Return != "alpha" {
		t.Fatalf("before: %+v", jr.returns["push0"])
	}
	if err := os.WriteFile(filepath.Join(pdir, "site.sls"), []byte("site: gamma\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "pushed pillar change", func() bool {
		jr := c.run(&master.RunRequest{Target: "*", Fun: "pillar.get", Args: []any{"site"}})
		return jr.returns["push0"].Return == "gamma"
	})
	c.mlog.waitFor(t, "pillar tree changed; telling minions to refresh")
}

// A state run compiles its pillar as Salt does: an edit applied at once
// is used, and a pillar broken a moment ago fails the very next run.
func TestStateRunUsesCurrentPillar(t *testing.T) {
	states := map[string]string{
		"top.sls":  "base:\n  '*':\n    - site\n",
		"site.sls": "site:\n  file.managed:\n    - name: {{ grains['root'] }}/site\n    - makedirs: True\n    - contents: \"{{ pillar.get('site', 'default') }}\"\n",
	}
	c, pdir := pillarCluster(t, map[string]string{
		"top.sls":  "base:\n  '*':\n    - site\n",
		"site.sls": "site: alpha\n",
	}, states)
	root := filepath.Join(c.dir, "root")
	c.acceptedMinions("cur", 1, func(int) map[string]any { return map[string]any{"root": root} })
	read := func() string { b, _ := os.ReadFile(filepath.Join(root, "site")); return strings.TrimSpace(string(b)) }
	// The very first run, right after the minion connected.
	if jr := c.run(&master.RunRequest{Target: "*", Fun: "state.apply"}); !jr.returns["cur0"].Success || read() != "alpha" {
		t.Fatalf("first run: %q %v", read(), jr.returns["cur0"].Return)
	}
	for _, v := range []string{"beta", "gamma", "delta"} {
		if err := os.WriteFile(filepath.Join(pdir, "site.sls"), []byte("site: "+v+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if jr := c.run(&master.RunRequest{Target: "*", Fun: "state.apply"}); !jr.returns["cur0"].Success || read() != v {
			t.Fatalf("apply right after the edit to %s wrote %q", v, read())
		}
	}
	if err := os.WriteFile(filepath.Join(pdir, "site.sls"), []byte("site: {{ nope.attr }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if jr := c.run(&master.RunRequest{Target: "*", Fun: "state.apply"}); jr.returns["cur0"].Success {
		t.Fatalf("a run right after the pillar broke succeeded: %v", jr.returns["cur0"].Return)
	}
	if read() != "delta" {
		t.Errorf("files changed despite the broken pillar: %q", read())
	}
}
