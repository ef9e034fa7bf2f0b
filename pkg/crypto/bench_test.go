package crypto

import (
	"bytes"
	"testing"
)

// BenchmarkPublishSeal is the master's cost per published job (2 KB), paid
// once whatever the number of minions.
func BenchmarkPublishSeal(b *testing.B) {
	master, k := testMaster(1), mustPublishKey(b, 1)
	payload := bytes.Repeat([]byte{'j'}, 2048)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := k.Seal(master, payload); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpenPublished is each minion's cost per received job (2 KB).
func BenchmarkOpenPublished(b *testing.B) {
	master, k := testMaster(1), mustPublishKey(b, 1)
	payload := bytes.Repeat([]byte{'j'}, 2048)
	env, err := k.Seal(master, payload)
	if err != nil {
		b.Fatal(err)
	}
	pub := master.Public()
	r := NewKeyring(DefaultKeyringGrace)
	r.Set(k)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := OpenPublished(r.Lookup, pub, env); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChannelSealOpen is one 1 KB request-channel message, sealed by
// one side and opened by the other.
func BenchmarkChannelSealOpen(b *testing.B) {
	minion, master := channelPair(b, "web1")
	msg := bytes.Repeat([]byte{'r'}, 1024)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := master.Open(minion.Seal(msg)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandshake is one full authentication, both sides: what the
// master pays (Verify + SealAuthReply) plus what the minion pays
// (NewAuthRequest + Open). It bounds how fast a master can re-admit a fleet
// after a restart.
func BenchmarkHandshake(b *testing.B) {
	master, minion := testMaster(1), testMinion(2)
	keys := testSessionKeys(b, 1)
	trust := PinMaster(master.Public())
	b.ReportAllocs()
	for b.Loop() {
		req, eph, err := NewAuthRequest(minion, "web1", testNow)
		if err != nil {
			b.Fatal(err)
		}
		if err := req.Verify(testNow, testSkew); err != nil {
			b.Fatal(err)
		}
		reply, err := SealAuthReply(master, req, StatusAccepted, keys, testNow)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := reply.Open(req, eph, trust); err != nil {
			b.Fatal(err)
		}
	}
}
