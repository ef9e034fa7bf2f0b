package integration

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/minion"
	"github.com/halite/halite/pkg/wire"
)

// startMinionAt starts a real minion against a master at the given ports.
func startMinionAt(t *testing.T, id string, pub, ret int) (*minion.Minion, *logBuffer) {
	t.Helper()
	m, lb, _ := startMinionIn(t, t.TempDir(), id, pub, ret)
	return m, lb
}

// startMinionIn is startMinionAt with the minion's files in dir; stop ends
// it (the test's cleanup does too).
func startMinionIn(t *testing.T, dir, id string, pub, ret int) (*minion.Minion, *logBuffer, func()) {
	t.Helper()
	cfg := config.DefaultMinion()
	cfg.ID, cfg.Master = id, "127.0.0.1"
	cfg.PublishPort, cfg.RetPort = pub, ret
	cfg.PKIDir, cfg.CacheDir = filepath.Join(dir, "pki"), filepath.Join(dir, "cache")
	cfg.HeartbeatInterval = config.Duration(time.Second)
	cfg.ReconnectMin, cfg.ReconnectMax = config.Duration(50*time.Millisecond), config.Duration(time.Second)
	lb := &logBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	m, err := minion.New(ctx, cfg, newLogger("minion", lb), minion.Options{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = m.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return m, lb, stop
}

// TestMinionRefusesBadJobs drives a real minion from a master the test
// controls and publishes what an attacker could: jobs signed by another
// key, tampered ciphertext, replays, unknown epochs, stale jobs.
func TestMinionRefusesBadJobs(t *testing.T) {
	rm := newRogueMaster(t)
	pubPort, retPort := rm.ports()
	_, lb := startMinionAt(t, "target", pubPort, retPort)
	select {
	case <-rm.authed:
	case <-time.After(10 * time.Second):
		t.Fatal("minion did not authenticate")
	}
	waitFor(t, 10*time.Second, "subscription", func() bool { return rm.pub.NumSubscribers() == 1 })

	seal := func(k crypto.PublishKey, signer crypto.MasterPrivate, payload []byte) []byte {
		env, err := k.Seal(signer, payload)
		if err != nil {
			t.Fatal(err)
		}
		return env
	}
	now := time.Now()
	good := seal(rm.pubKey, rm.key, rogueJob("20261124000000000001", "hello", now))
	rm.publish(good)
	if r := rm.nextReturn(10 * time.Second); r == nil || r.Return != "hello" {
		t.Fatalf("legitimate job: got return %+v", r)
	}

	otherMaster, _ := crypto.GenerateMasterKey()
	oldEpoch, _ := crypto.NewPublishKey(rm.pubKey.Epoch - 3)
	tampered := seal(rm.pubKey, rm.key, rogueJob("20261124000000000003", "x", now))
	tampered[len(tampered)-5] ^= 0x40
	cases := []struct {
		name, log string
		env       []byte
	}{
		{"signed by another master key", "bad signature", seal(rm.pubKey, otherMaster, rogueJob("20261124000000000002", "forged", now))},
		{"tampered ciphertext", "refused published job", tampered},
		{"replayed job", "refused replayed job", good},
		{"unknown (old) epoch", "unknown publish key epoch", seal(oldEpoch, rm.key, rogueJob("20261124000000000004", "old", now))},
		{"stale job", "outside the allowed clock skew", seal(rm.pubKey, rm.key, rogueJob("20261124000000000005", "stale", now.Add(-time.Hour)))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := strings.Count(lb.String(), tc.log)
			rm.publish(tc.env)
			waitFor(t, 5*time.Second, "refusal logged: "+tc.log, func() bool { return strings.Count(lb.String(), tc.log) > before })
			// The legitimate job's return may come again (a resend is
			// delivery, not a run); anything else is a refused job run.
			for r := rm.nextReturn(300 * time.Millisecond); r != nil; r = rm.nextReturn(300 * time.Millisecond) {
				if r.JID != "20261124000000000001" {
					t.Fatalf("minion ran a job it must refuse: %+v", r)
				}
			}
		})
	}
	// Still healthy afterwards.
	rm.publish(seal(rm.pubKey, rm.key, rogueJob("20261124000000000009", "still here", time.Now())))
	if r := rm.nextReturn(10 * time.Second); r == nil || r.Return != "still here" {
		t.Fatalf("after refusals: got %+v", r)
	}
}

// TestMasterRefusesUnauthenticatedAndImpostors covers the master side:
// unaccepted and rejected keys asking for more than auth, a second key for
// an accepted id, and malformed or oversized frames on both ports.
func TestMasterRefusesUnauthenticatedAndImpostors(t *testing.T) {
	c := newCluster(t, nil)
	c.acceptedMinions("web", 2, nil)
	ctx := context.Background()

	t.Run("unaccepted key asks for more than auth", func(t *testing.T) {
		r := newRogueMinion(t, c, "newcomer")
		if st := r.auth(); st != crypto.StatusPending {
			t.Fatalf("status %s, want pending", st)
		}
		// Without a session the master must refuse anything but auth.
		_ = r.conn.Send([]byte(wire.KindSealed), []byte("give me jobs"))
		_ = r.conn.Send([]byte("pillar"), []byte("web0"))
		c.mlog.waitFor(t, "unauthenticated peer asked for something other than auth")
	})

	t.Run("rejected key", func(t *testing.T) {
		r := newRogueMinion(t, c, "intruder")
		if st := r.auth(); st != crypto.StatusPending {
			t.Fatalf("status %s, want pending", st)
		}
		if _, err := c.client.KeyAction(ctx, "reject", "intruder", false); err != nil {
			t.Fatal(err)
		}
		r2 := newRogueMinion(t, c, "intruder")
		r2.key = r.key
		if st := r2.auth(); st != crypto.StatusRejected {
			t.Fatalf("status %s, want rejected", st)
		}
		_ = r2.conn.Send([]byte(wire.KindSealed), []byte("anything"))
		c.mlog.waitFor(t, "minion key rejected")
	})

	t.Run("second key for an accepted id is denied", func(t *testing.T) {
		r := newRogueMinion(t, c, "web0")
		if st := r.auth(); st != crypto.StatusDenied {
			t.Fatalf("impostor got %s, want denied", st)
		}
		c.mlog.waitFor(t, "DENIED")
		ks, err := c.client.Keys(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var denied, accepted bool
		for _, k := range ks {
			denied = denied || k.ID == "web0" && k.State == "denied"
			accepted = accepted || k.ID == "web0" && k.State == "accepted"
		}
		if !denied || !accepted {
			t.Fatalf("want web0 both accepted (real) and denied (impostor), keys: %+v", ks)
		}
		// The real web0 keeps working.
		jr := c.run(&master.RunRequest{Target: "web0", Fun: "test.ping"})
		if jr.returns["web0"].Return != true {
			t.Fatalf("real web0 after impostor: %+v", jr.states)
		}
	})

	t.Run("malformed and oversized frames", func(t *testing.T) {
		for _, port := range []int{c.pub, c.ret} {
			sendGarbage(t, port)
		}
		jr := c.run(&master.RunRequest{Target: "*", Fun: "test.ping"})
		if len(jr.returns) != 2 {
			t.Fatalf("after garbage, %d of 2 minions answered: %v", len(jr.returns), jr.states)
		}
	})
}

// sendGarbage opens raw TCP connections to port and sends what a broken or
// hostile peer might: random bytes, a bad greeting, a frame announcing
// 2^62 bytes after a valid handshake, and undecodable auth bodies.
func sendGarbage(t *testing.T, port int) {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	greeting := make([]byte, 64)
	greeting[0], greeting[9], greeting[10] = 0xff, 0x7f, 3
	copy(greeting[12:], "NULL")
	ready := func(typ string) []byte {
		body := []byte{5}
		body = append(body, "READY"...)
		body = append(body, byte(len("Socket-Type")))
		body = append(body, "Socket-Type"...)
		body = binary.BigEndian.AppendUint32(body, uint32(len(typ)))
		body = append(body, typ...)
		return append([]byte{0x04, byte(len(body))}, body...)
	}
	huge := binary.BigEndian.AppendUint64([]byte{0x02}, 1<<62)
	authGarbage := append([]byte{0x01, 4}, "auth"...)
	authGarbage = append(authGarbage, 0x00, 5, 0xff, 0xff, 0xff, 0xff, 0xff)
	payloads := [][]byte{
		[]byte("GET / HTTP/1.1\r\n\r\n"),
		append(bytes.Repeat([]byte{0}, 64), 1, 2, 3),
		append(append(append([]byte{}, greeting...), ready("DEALER")...), huge...),
		append(append(append([]byte{}, greeting...), ready("SUB")...), huge...),
		append(append(append([]byte{}, greeting...), ready("DEALER")...), authGarbage...),
	}
	for _, p := range payloads {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = nc.Write(p)
		_ = nc.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, _ = io.Copy(io.Discard, nc) // until the server closes us (or the deadline)
		nc.Close()
	}
}
