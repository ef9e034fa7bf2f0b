package crypto

import (
	"bytes"
	"crypto/ecdh"
	"errors"
	"reflect"
	"testing"
	"time"
)

// The fuzz targets use fixed keys so that the committed corpus under
// testdata/fuzz stays valid: seeds built with these keys still open.

func fuzzPublishKey() PublishKey {
	return PublishKey{Epoch: 7, key: [32]byte(bytes.Repeat([]byte{0x42}, 32))}
}

func fuzzRequestKey() RequestKey {
	return RequestKey{key: [32]byte(bytes.Repeat([]byte{0x24}, 32))}
}

// fuzzRequest is a fixed, validly signed auth request and its ephemeral
// private key.
func fuzzRequest(t testing.TB) (*AuthRequest, *EphemeralPrivate) {
	eph, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{0x11}, 32))
	if err != nil {
		t.Fatal(err)
	}
	minion := testMinion(2)
	r := &AuthRequest{
		ID:        "web1",
		Public:    minion.Public(),
		Ephemeral: [32]byte(eph.PublicKey().Bytes()),
		Timestamp: testNow.UnixNano(),
		Nonce:     [16]byte(bytes.Repeat([]byte{0x33}, 16)),
	}
	r.Sig = minion.Sign(r.signedBytes())
	return r, &EphemeralPrivate{k: eph}
}

func FuzzUnmarshalAuthRequest(f *testing.F) {
	req, _ := fuzzRequest(f)
	good, err := req.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{})
	f.Add([]byte{0x86, 0x60, 0x40, 0x40, 0x00, 0x40, 0x40}) // six empty fields
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := UnmarshalAuthRequest(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		// Only the minion's key makes a valid request: whatever the fuzzer
		// builds verifies only if it says what the seed says.
		if err := r.Verify(testNow, time.Hour); err == nil && !bytes.Equal(r.signedBytes(), req.signedBytes()) {
			t.Fatalf("forged request verifies: %+v", r)
		}
		again, err := r.Marshal()
		if err != nil {
			t.Fatalf("decoded request does not encode: %v", err)
		}
		r2, err := UnmarshalAuthRequest(again)
		if err != nil {
			t.Fatalf("re-encoded request does not decode: %v", err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the request: %+v vs %+v", r, r2)
		}
	})
}

func FuzzUnmarshalAuthReply(f *testing.F) {
	master := testMaster(1)
	req, eph := fuzzRequest(f)
	for _, st := range []AuthStatus{StatusAccepted, StatusPending, StatusDenied} {
		var keys *SessionKeys
		if st == StatusAccepted {
			keys = &SessionKeys{Publish: fuzzPublishKey(), Request: fuzzRequestKey()}
		}
		r, err := SealAuthReply(master, req, st, keys, testNow)
		if err != nil {
			f.Fatal(err)
		}
		b, err := r.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x86})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := UnmarshalAuthReply(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		keys, err := r.Open(req, eph, PinMaster(master.Public()))
		switch {
		case err != nil:
			if !errors.Is(err, ErrUntrustedMaster) && !errors.Is(err, ErrBadSignature) &&
				!errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error class: %v", err)
			}
		case r.Status == StatusAccepted:
			if keys == nil || keys.Publish.IsZero() || keys.Request.IsZero() {
				t.Fatalf("accepted reply opened without keys")
			}
		case keys != nil:
			t.Fatalf("%s reply opened with keys", r.Status)
		}
		again, err := r.Marshal()
		if err != nil {
			t.Fatalf("decoded reply does not encode: %v", err)
		}
		r2, err := UnmarshalAuthReply(again)
		if err != nil {
			t.Fatalf("re-encoded reply does not decode: %v", err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the reply: %+v vs %+v", r, r2)
		}
	})
}

func FuzzOpenPublished(f *testing.F) {
	master := testMaster(1)
	k := fuzzPublishKey()
	for _, p := range []string{"", "test.ping", `{"jid":"20250314150926535897","fun":"cmd.run","arg":["uptime"]}`} {
		env, err := k.Seal(master, []byte(p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(env)
	}
	other, _ := PublishKey{Epoch: 8, key: k.key}.Seal(master, []byte("other epoch"))
	f.Add(other)
	f.Add([]byte{0x83, 0x07, 0x4c})
	f.Fuzz(func(t *testing.T, b []byte) {
		payload, epoch, err := OpenPublished(func(e uint32) (PublishKey, bool) { return k, e == k.Epoch }, master.Public(), b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnknownEpoch) &&
				!errors.Is(err, ErrDecrypt) && !errors.Is(err, ErrBadSignature) {
				t.Fatalf("unexpected error class: %v", err)
			}
			if payload != nil {
				t.Fatal("payload returned with an error")
			}
			return
		}
		if epoch != k.Epoch {
			t.Fatalf("opened at epoch %d", epoch)
		}
		if peeked, err := PeekEpoch(b); err != nil || peeked != epoch {
			t.Fatalf("PeekEpoch = %d, %v; OpenPublished said %d", peeked, err, epoch)
		}
	})
}

func FuzzChannelOpen(f *testing.F) {
	k := fuzzRequestKey()
	minion := NewChannel(k, "web1", ToMaster)
	for _, p := range []string{"", "ack", `{"jid":"20250314150926535897","return":true}`} {
		f.Add(minion.Seal([]byte(p)))
	}
	f.Add(NewChannel(k, "web1", ToMinion).Seal([]byte("wrong way")))
	f.Add([]byte{0x82, 0x00, 0x40})
	f.Fuzz(func(t *testing.T, b []byte) {
		master := NewChannel(k, "web1", ToMinion)
		_, err := master.Open(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrDecrypt) {
				t.Fatalf("unexpected error class on a fresh channel: %v", err)
			}
			return
		}
		if _, err := master.Open(b); !errors.Is(err, ErrReplay) {
			t.Fatalf("second Open of the same frame: %v, want ErrReplay", err)
		}
	})
}
