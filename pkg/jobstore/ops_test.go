package jobstore

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTokensOpsLogMaintenance(t *testing.T) { eachStore(t, testTokensOpsLogMaintenance) }

func testTokensOpsLogMaintenance(t *testing.T, s testStore) {
	ctx := context.Background()
	hash := strings.Repeat("ab", 32)
	tok := &Token{Name: "ci", Hash: hash, ACL: []byte(`{"allow":{"web*":["test.*"]}}`), Expires: time.Now().Add(time.Hour)}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, &Token{Name: "ci", Hash: strings.Repeat("cd", 32)}); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate name: %v", err)
	}
	got, err := s.TokenByHash(ctx, hash)
	if err != nil || got.Name != "ci" || string(got.ACL) != string(tok.ACL) || got.Revoked {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	if _, err := s.TokenByHash(ctx, strings.Repeat("00", 32)); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
	if ok, _ := s.RevokeToken(ctx, "ci"); !ok {
		t.Fatal("revoke found nothing")
	}
	if got, _ := s.TokenByHash(ctx, hash); !got.Revoked {
		t.Fatal("not revoked")
	}

	for i, text := range []string{"Upgraded redis", "Restarted apache"} {
		e := &OpsEntry{Author: "alice", Text: text, Ticket: map[int]string{1: "8"}[i], Tags: []string{"ticket"}}
		if err := s.AddOpsLog(ctx, e); err != nil || e.ID == 0 {
			t.Fatal(err)
		}
	}
	l, err := s.ListOpsLog(ctx, time.Time{}, 1)
	if err != nil || len(l) != 1 || l[0].Text != "Restarted apache" || l[0].Ticket != "8" {
		t.Fatalf("ops log newest: %+v %v", l, err)
	}
	if l, _ := s.ListOpsLog(ctx, time.Now().Add(time.Hour), 0); len(l) != 0 {
		t.Fatalf("since the future: %v", l)
	}

	if err := s.SetMaintenance(ctx, []Maintenance{{Minion: "web1", Reason: "disk swap", Author: "bob"}, {Minion: "web2", Author: "bob"}}); err != nil {
		t.Fatal(err)
	}
	ms, _ := s.ListMaintenance(ctx)
	if len(ms) != 2 || ms[0].Minion != "web1" || ms[0].Reason != "disk swap" {
		t.Fatalf("maintenance: %+v", ms)
	}
	cleared, _ := s.ClearMaintenance(ctx, []string{"web1", "nope"})
	if len(cleared) != 1 || cleared[0] != "web1" {
		t.Fatalf("cleared %v", cleared)
	}
}

func TestMine(t *testing.T) {
	s, path := openStore(t)
	ctx := context.Background()
	if err := s.PutMine(ctx, "web1", map[string]any{"network.ip_addrs": []any{"10.0.0.1"}, "grains.items": map[string]any{"os": "Debian"}}, true, nil); err != nil {
		t.Fatal(err)
	}
	s.PutMine(ctx, "web2", map[string]any{"network.ip_addrs": []any{"10.0.0.2"}}, true, nil)
	got, err := s.GetMine(ctx, "network.ip_addrs", []string{"web1", "web2", "db1"})
	if err != nil || len(got) != 2 || got["web1"].([]any)[0] != "10.0.0.1" {
		t.Fatalf("mine get: %v %v", got, err)
	}
	if got, _ := s.GetMine(ctx, "network.ip_addrs", []string{"web2"}); len(got) != 1 {
		t.Fatalf("only asked minions: %v", got)
	}
	s.PutMine(ctx, "web1", nil, false, []string{"network.ip_addrs"})
	if got, _ := s.GetMine(ctx, "network.ip_addrs", []string{"web1"}); len(got) != 0 {
		t.Fatalf("deleted function still there: %v", got)
	}
	s.Close()
	s2, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got, _ := s2.GetMine(ctx, "grains.items", []string{"web1"}); len(got) != 1 {
		t.Fatalf("mine after reopening: %v", got)
	}
	s2.DeleteMine(ctx, "web1")
	if got, _ := s2.GetMine(ctx, "grains.items", []string{"web1"}); len(got) != 0 {
		t.Fatalf("deleted minion's mine: %v", got)
	}
}
