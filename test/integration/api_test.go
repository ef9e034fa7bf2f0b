package integration

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/acl"
	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/master"
)

// remote is a client of the master's TCP API with the certificate pinned
// by the fingerprint `halite-master api fingerprint` prints.
func remote(t *testing.T, c *cluster, token string) *master.Client {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.cfg.PKIDir, "api.crt"))
	if err != nil {
		t.Fatal(err)
	}
	fp, err := master.CertFingerprint(b)
	if err != nil {
		t.Fatal(err)
	}
	return master.NewRemoteClient(c.m.APIAddr().String(), fp, token)
}

func statusOf(err error) int {
	var se *master.StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// Acceptance 1 and 6 of the ChatOps issue: a token allowed test.* on
// web* pings web1, is refused cmd.run and a target that also matches
// db1 (403, nothing published), loses everything the moment it is
// revoked, is stored only hashed, and every call is audited with the
// token's name and address.
func TestTokenACL(t *testing.T) {
	c := newCluster(t, func(cfg *config.Master) { cfg.API.Listen = "127.0.0.1:0" })
	c.acceptedMinions("web", 2, nil)
	c.acceptedMinions("db", 1, nil)
	c.waitConnected(3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rule, _ := acl.ParseAllow("web*:test.*")
	tok, err := c.client.CreateToken(ctx, master.TokenRequest{Name: "ci", ACL: acl.ACL{Allow: []acl.Rule{rule}}, Expires: "30d"})
	if err != nil {
		t.Fatal(err)
	}
	rc := remote(t, c, tok.Token)
	run := func(tgt, fun string) (map[string]string, error) {
		states := map[string]string{}
		err := rc.Run(ctx, &master.RunRequest{Target: tgt, Fun: fun, Timeout: "10s"}, func(ev master.RunEvent) error {
			if ev.Type == "return" {
				states[ev.ID] = "returned"
			}
			return nil
		})
		return states, err
	}
	if states, err := run("web0", "test.ping"); err != nil || states["web0"] != "returned" {
		t.Fatalf("allowed ping: %v %v", states, err)
	}
	jobsBefore, _ := c.client.Jobs(ctx, jobsFilter())
	if _, err := run("web0", "cmd.run"); statusOf(err) != 403 || !strings.Contains(err.Error(), "may not run cmd.run") {
		t.Fatalf("cmd.run: %v", err)
	}
	if _, err := run("*", "test.ping"); statusOf(err) != 403 || !strings.Contains(err.Error(), "db0") {
		t.Fatalf("'*' reaching db0: %v", err)
	}
	if jobsAfter, _ := c.client.Jobs(ctx, jobsFilter()); len(jobsAfter) != len(jobsBefore) {
		t.Fatalf("a refused request published a job: %d -> %d", len(jobsBefore), len(jobsAfter))
	}
	// Areas: the token sees minions, not keys.
	if _, err := rc.Minions(ctx); err != nil {
		t.Fatalf("minions: %v", err)
	}
	if _, err := rc.Keys(ctx); statusOf(err) != 403 {
		t.Fatalf("keys without the area: %v", err)
	}
	// The secret is nowhere on the master's disk.
	filepath.Walk(filepath.Dir(c.cfg.DataDir), func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			if b, _ := os.ReadFile(p); strings.Contains(string(b), tok.Token) || strings.Contains(string(b), strings.TrimPrefix(tok.Token, "halite_")) {
				t.Errorf("the token's secret is in %s", p)
			}
		}
		return nil
	})
	if err := c.client.RevokeToken(ctx, "ci"); err != nil {
		t.Fatal(err)
	}
	if _, err := run("web0", "test.ping"); statusOf(err) != 401 {
		t.Fatalf("revoked token: %v", err)
	}
	// The audit names the token and its address; refusals too.
	entries, _ := c.client.Audit(ctx, 50)
	var ok, refused, revoked bool
	for _, e := range entries {
		ok = ok || strings.HasPrefix(e.User, "token:ci@127.0.0.1:") && e.Outcome == "published"
		refused = refused || strings.HasPrefix(e.User, "token:ci@") && strings.HasPrefix(e.Outcome, "403")
		revoked = revoked || strings.HasPrefix(e.User, "unauthenticated@127.0.0.1") && strings.Contains(e.Outcome, "revoked token ci")
	}
	if !ok || !refused || !revoked {
		t.Fatalf("audit (ok %v, refused %v, revoked %v): %+v", ok, refused, revoked, entries)
	}
}

// Failed authentications are rate-limited per address and evented.
func TestAPIAuthFailuresLimited(t *testing.T) {
	c := newCluster(t, func(cfg *config.Master) { cfg.API.Listen = "127.0.0.1:0" })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bad := remote(t, c, "halite_"+strings.Repeat("0", 64))
	var codes []int
	for range 12 {
		_, err := bad.Minions(ctx)
		codes = append(codes, statusOf(err))
	}
	if codes[0] != 401 || codes[len(codes)-1] != 429 {
		t.Fatalf("status codes %v: want 401 then 429", codes)
	}
	// The pinned client refuses a master with another certificate.
	wrong := master.NewRemoteClient(c.m.APIAddr().String(), strings.Repeat("00:", 31)+"00", "x")
	if _, err := wrong.Minions(ctx); err == nil || !strings.Contains(err.Error(), "fingerprint") {
		t.Fatalf("a wrong pin was accepted: %v", err)
	}
}

func jobsFilter() jobstore.JobFilter { return jobstore.JobFilter{Limit: 1000} }
