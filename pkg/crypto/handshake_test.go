package crypto

import (
	"bytes"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/codec"
	xhkdf "golang.org/x/crypto/hkdf"
)

var testNow = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

const testSkew = 2 * time.Minute

func trustAll(MasterPublic) error { return nil }

func testSessionKeys(t testing.TB, epoch uint32) *SessionKeys {
	t.Helper()
	pk, err := NewPublishKey(epoch)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := NewRequestKey()
	if err != nil {
		t.Fatal(err)
	}
	return &SessionKeys{Publish: pk, Request: rk}
}

// wire sends v through its Marshal and Unmarshal, as the transport will.
func wireRequest(t *testing.T, r *AuthRequest) *AuthRequest {
	t.Helper()
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalAuthRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func wireReply(t *testing.T, r *AuthReply) *AuthReply {
	t.Helper()
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalAuthReply(b)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestHandshakeAccepted(t *testing.T) {
	master, minion := testMaster(1), testMinion(2)
	req, eph, err := NewAuthRequest(minion, "web1.example.com", testNow)
	if err != nil {
		t.Fatal(err)
	}

	// Master side.
	got := wireRequest(t, req)
	if err := got.Verify(testNow.Add(time.Second), testSkew); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.ID != "web1.example.com" || got.Public != minion.Public() || got.Timestamp != testNow.UnixNano() {
		t.Fatalf("request fields changed on the wire: %+v", got)
	}
	keys := testSessionKeys(t, 7)
	reply, err := SealAuthReply(master, got, StatusAccepted, keys, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(reply.Sealed), string(keys.Request.key[:8])) {
		t.Fatal("request key visible in the sealed reply")
	}

	// Minion side.
	var trusted MasterPublic
	opened, err := wireReply(t, reply).Open(req, eph, func(m MasterPublic) error { trusted = m; return nil })
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if trusted != master.Public() {
		t.Error("trust was not asked about the master's key")
	}
	if !opened.Publish.Equal(keys.Publish) || !opened.Request.Equal(keys.Request) || opened.Publish.Epoch != 7 {
		t.Error("opened session keys differ from the sealed ones")
	}
}

func TestHandshakeOtherStatuses(t *testing.T) {
	master, minion := testMaster(1), testMinion(2)
	for _, st := range []AuthStatus{StatusPending, StatusRejected, StatusDenied} {
		t.Run(string(st), func(t *testing.T) {
			req, eph, err := NewAuthRequest(minion, "db1", testNow)
			if err != nil {
				t.Fatal(err)
			}
			reply, err := SealAuthReply(master, req, st, nil, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if len(reply.Sealed) != 0 || reply.Ephemeral != [32]byte{} {
				t.Error("non-accepted reply carries key material")
			}
			r := wireReply(t, reply)
			keys, err := r.Open(req, eph, PinMaster(master.Public()))
			if err != nil || keys != nil {
				t.Fatalf("Open = %v, %v; want nil, nil", keys, err)
			}
			if r.Status != st {
				t.Errorf("status %q, want %q", r.Status, st)
			}
			// A pending reply is still signed: forging one fails.
			r.Status = StatusRejected
			if st == StatusRejected {
				r.Status = StatusPending
			}
			if _, err := r.Open(req, eph, trustAll); !errors.Is(err, ErrBadSignature) {
				t.Errorf("status changed in transit: err %v, want ErrBadSignature", err)
			}
		})
	}
}

func TestAuthRequestVerify(t *testing.T) {
	minion, other := testMinion(2), testMinion(3)
	fresh := func(t *testing.T) *AuthRequest {
		req, _, err := NewAuthRequest(minion, "web1", testNow)
		if err != nil {
			t.Fatal(err)
		}
		return req
	}
	tests := []struct {
		name   string
		now    time.Time
		modify func(r *AuthRequest)
		want   error
	}{
		{"valid", testNow, nil, nil},
		{"at skew in the past", testNow.Add(testSkew), nil, nil},
		{"at skew in the future", testNow.Add(-testSkew), nil, nil},
		{"too old", testNow.Add(testSkew + time.Nanosecond), nil, ErrClockSkew},
		{"from the future", testNow.Add(-testSkew - time.Nanosecond), nil, ErrClockSkew},
		{"from the far future", testNow, func(r *AuthRequest) { r.Timestamp = 1<<63 - 1 }, ErrClockSkew},
		{"from the far past", testNow, func(r *AuthRequest) { r.Timestamp = -1 << 63 }, ErrClockSkew},
		{"id changed", testNow, func(r *AuthRequest) { r.ID = "web2" }, ErrBadSignature},
		{"key changed", testNow, func(r *AuthRequest) { r.Public = other.Public() }, ErrBadSignature},
		{"ephemeral changed", testNow, func(r *AuthRequest) { r.Ephemeral[0] ^= 1 }, ErrBadSignature},
		{"timestamp changed", testNow, func(r *AuthRequest) { r.Timestamp++ }, ErrBadSignature},
		{"nonce changed", testNow, func(r *AuthRequest) { r.Nonce[15] ^= 0x80 }, ErrBadSignature},
		{"sig flipped", testNow, func(r *AuthRequest) { r.Sig[10] ^= 1 }, ErrBadSignature},
		{"sig truncated", testNow, func(r *AuthRequest) { r.Sig = r.Sig[:32] }, ErrBadSignature},
		{"signed by another key", testNow, func(r *AuthRequest) { r.Sig = other.Sign(r.signedBytes()) }, ErrBadSignature},
		{"bad id", testNow, func(r *AuthRequest) { r.ID = "../etc" }, ErrBadID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fresh(t)
			if tt.modify != nil {
				tt.modify(r)
			}
			err := r.Verify(tt.now, testSkew)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestValidateID(t *testing.T) {
	good := []string{"a", "web1", "web1.example.com", "db_2", "user@host", "a-b", "..a", ".hidden", "A.B-C_D@E9", strings.Repeat("x", 255)}
	bad := []string{"", ".", "..", "a/b", "../x", "a b", "a\x00b", "web1\n", "é", "a:b", "*", strings.Repeat("x", 256)}
	for _, id := range good {
		if err := ValidateID(id); err != nil {
			t.Errorf("ValidateID(%q) = %v", id, err)
		}
	}
	for _, id := range bad {
		if err := ValidateID(id); !errors.Is(err, ErrBadID) {
			t.Errorf("ValidateID(%q) = %v, want ErrBadID", id, err)
		}
		if _, _, err := NewAuthRequest(testMinion(1), id, testNow); !errors.Is(err, ErrBadID) {
			t.Errorf("NewAuthRequest(%q) = %v, want ErrBadID", id, err)
		}
	}
}

func TestAuthReplyOpenErrors(t *testing.T) {
	master, otherMaster, minion := testMaster(1), testMaster(4), testMinion(2)
	req, eph, err := NewAuthRequest(minion, "web1", testNow)
	if err != nil {
		t.Fatal(err)
	}
	req2, eph2, err := NewAuthRequest(minion, "web1", testNow)
	if err != nil {
		t.Fatal(err)
	}
	keys := testSessionKeys(t, 1)
	seal := func(t *testing.T) *AuthReply {
		r, err := SealAuthReply(master, req, StatusAccepted, keys, testNow)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	pinErr := errors.New("fingerprint mismatch")

	tests := []struct {
		name   string
		modify func(r *AuthReply)
		req    *AuthRequest
		eph    *EphemeralPrivate
		trust  func(MasterPublic) error
		want   error
	}{
		{"pinning refuses", nil, req, eph, func(MasterPublic) error { return pinErr }, ErrUntrustedMaster},
		{"pinned other master", nil, req, eph, PinMaster(otherMaster.Public()), ErrUntrustedMaster},
		{"reply to another request", nil, req2, eph2, trustAll, ErrBadSignature},
		{"status changed", func(r *AuthReply) { r.Status = StatusDenied; r.Ephemeral = [32]byte{}; r.Sealed = nil }, req, eph, trustAll, ErrBadSignature},
		{"sealed tampered", func(r *AuthReply) { r.Sealed[0] ^= 1 }, req, eph, trustAll, ErrBadSignature},
		{"ephemeral tampered", func(r *AuthReply) { r.Ephemeral[5] ^= 1 }, req, eph, trustAll, ErrBadSignature},
		{"timestamp tampered", func(r *AuthReply) { r.Timestamp++ }, req, eph, trustAll, ErrBadSignature},
		{"master swapped", func(r *AuthReply) { r.Master = otherMaster.Public() }, req, eph, trustAll, ErrBadSignature},
		{"re-signed by another master", func(r *AuthReply) {
			r.Master = otherMaster.Public()
			r.Sig = otherMaster.Sign(r.signedBytes(req))
		}, req, eph, PinMaster(master.Public()), ErrUntrustedMaster},
		{"validly signed, undecryptable", func(r *AuthReply) {
			r.Sealed[len(r.Sealed)-1] ^= 1
			r.Sig = master.Sign(r.signedBytes(req))
		}, req, eph, trustAll, ErrDecrypt},
		{"validly signed, sealed to another ephemeral", func(r *AuthReply) {
			other, err := SealAuthReply(master, req2, StatusAccepted, keys, testNow)
			if err != nil {
				t.Fatal(err)
			}
			r.Ephemeral, r.Sealed = other.Ephemeral, other.Sealed
			r.Sig = master.Sign(r.signedBytes(req))
		}, req, eph, trustAll, ErrDecrypt},
		{"unknown status", func(r *AuthReply) { r.Status = "maybe" }, req, eph, trustAll, ErrMalformed},
		{"short sig", func(r *AuthReply) { r.Sig = r.Sig[:63] }, req, eph, trustAll, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := seal(t)
			if tt.modify != nil {
				tt.modify(r)
			}
			keys, err := r.Open(tt.req, tt.eph, tt.trust)
			if !errors.Is(err, tt.want) || keys != nil {
				t.Errorf("Open = %v, %v; want %v", keys, err, tt.want)
			}
		})
	}

	t.Run("trust error is wrapped", func(t *testing.T) {
		_, err := seal(t).Open(req, eph, func(MasterPublic) error { return pinErr })
		if !errors.Is(err, pinErr) {
			t.Errorf("err %v does not wrap the trust error", err)
		}
	})
	t.Run("wrong ephemeral private key", func(t *testing.T) {
		if _, err := seal(t).Open(req, eph2, trustAll); err == nil {
			t.Error("opened with another request's ephemeral key")
		}
	})
	t.Run("nil arguments", func(t *testing.T) {
		r := seal(t)
		if _, err := r.Open(req, nil, trustAll); err == nil {
			t.Error("nil ephemeral accepted")
		}
		if _, err := r.Open(req, eph, nil); err == nil {
			t.Error("nil trust accepted")
		}
		if _, err := r.Open(nil, eph, trustAll); err == nil {
			t.Error("nil request accepted")
		}
	})
}

// A captured reply cannot be replayed to the same minion's next request,
// even though the id, key and master are the same.
func TestAuthReplyReplay(t *testing.T) {
	master, minion := testMaster(1), testMinion(2)
	old, _, _ := NewAuthRequest(minion, "web1", testNow)
	captured, err := SealAuthReply(master, old, StatusAccepted, testSessionKeys(t, 1), testNow)
	if err != nil {
		t.Fatal(err)
	}
	next, eph, _ := NewAuthRequest(minion, "web1", testNow.Add(time.Minute))
	if _, err := wireReply(t, captured).Open(next, eph, trustAll); !errors.Is(err, ErrBadSignature) {
		t.Errorf("replayed reply: %v, want ErrBadSignature", err)
	}
}

// The reply is bound to each field of the request on its own: changing any
// one of them (as a different request with some fields equal would) breaks
// the signature.
func TestAuthReplyBoundToEachRequestField(t *testing.T) {
	master, minion := testMaster(1), testMinion(2)
	req, eph, _ := NewAuthRequest(minion, "web1", testNow)
	reply, err := SealAuthReply(master, req, StatusAccepted, testSessionKeys(t, 1), testNow)
	if err != nil {
		t.Fatal(err)
	}
	for name, modify := range map[string]func(r *AuthRequest){
		"nonce":     func(r *AuthRequest) { r.Nonce[0] ^= 1 },
		"ephemeral": func(r *AuthRequest) { r.Ephemeral[0] ^= 1 },
		"id":        func(r *AuthRequest) { r.ID = "web2" },
		"public":    func(r *AuthRequest) { r.Public = testMinion(3).Public() },
		"timestamp": func(r *AuthRequest) { r.Timestamp++ },
	} {
		other := *req
		modify(&other)
		if _, err := reply.Open(&other, eph, trustAll); !errors.Is(err, ErrBadSignature) {
			t.Errorf("request %s changed: %v, want ErrBadSignature", name, err)
		}
	}
}

func TestSealAuthReplyErrors(t *testing.T) {
	master, minion := testMaster(1), testMinion(2)
	req, _, _ := NewAuthRequest(minion, "web1", testNow)
	keys := testSessionKeys(t, 1)
	lowOrder := *req
	lowOrder.Ephemeral = [32]byte{} // the all-zero X25519 point has low order
	tests := []struct {
		name   string
		master MasterPrivate
		req    *AuthRequest
		status AuthStatus
		keys   *SessionKeys
	}{
		{"zero master", MasterPrivate{}, req, StatusAccepted, keys},
		{"nil request", master, nil, StatusAccepted, keys},
		{"accepted without keys", master, req, StatusAccepted, nil},
		{"accepted with zero request key", master, req, StatusAccepted, &SessionKeys{Publish: keys.Publish}},
		{"accepted with zero publish key", master, req, StatusAccepted, &SessionKeys{Request: keys.Request}},
		{"pending with keys", master, req, StatusPending, keys},
		{"unknown status", master, req, "maybe", nil},
		{"empty status", master, req, "", nil},
		{"low-order ephemeral", master, &lowOrder, StatusAccepted, keys},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r, err := SealAuthReply(tt.master, tt.req, tt.status, tt.keys, testNow); err == nil {
				t.Errorf("SealAuthReply = %+v, want error", r)
			}
		})
	}
	if _, _, err := NewAuthRequest(MinionPrivate{}, "web1", testNow); err == nil {
		t.Error("NewAuthRequest with a zero key succeeded")
	}
}

func TestUnmarshalAuthRequestErrors(t *testing.T) {
	req, _, _ := NewAuthRequest(testMinion(2), "web1", testNow)
	good := authRequestWire{ID: req.ID, Public: req.Public.k[:], Ephemeral: req.Ephemeral[:], Timestamp: req.Timestamp, Nonce: req.Nonce[:], Sig: req.Sig}
	tests := []struct {
		name   string
		modify func(w *authRequestWire)
	}{
		{"short public", func(w *authRequestWire) { w.Public = w.Public[:31] }},
		{"zero public", func(w *authRequestWire) { w.Public = make([]byte, 32) }},
		{"long ephemeral", func(w *authRequestWire) { w.Ephemeral = append(w.Ephemeral, 0) }},
		{"short nonce", func(w *authRequestWire) { w.Nonce = w.Nonce[:8] }},
		{"missing sig", func(w *authRequestWire) { w.Sig = nil }},
		{"long sig", func(w *authRequestWire) { w.Sig = append(w.Sig, 0) }},
		{"long id", func(w *authRequestWire) { w.ID = strings.Repeat("a", 256) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := good
			tt.modify(&w)
			b, err := codec.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := UnmarshalAuthRequest(b); !errors.Is(err, ErrMalformed) {
				t.Errorf("err %v, want ErrMalformed", err)
			}
		})
	}
	b, _ := req.Marshal()
	for name, in := range map[string][]byte{
		"empty":          nil,
		"truncated":      b[:len(b)-1],
		"trailing bytes": append(append([]byte{}, b...), 0),
		"a reply":        mustMarshalReply(t),
		"cbor map":       {0xa0},
		"oversized":      append(append([]byte{}, b...), make([]byte, maxAuthMessageSize)...),
	} {
		if _, err := UnmarshalAuthRequest(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", name, err)
		}
	}
}

func mustMarshalReply(t *testing.T) []byte {
	req, _, _ := NewAuthRequest(testMinion(2), "web1", testNow)
	r, err := SealAuthReply(testMaster(1), req, StatusPending, nil, testNow)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUnmarshalAuthReplyErrors(t *testing.T) {
	req, _, _ := NewAuthRequest(testMinion(2), "web1", testNow)
	r, _ := SealAuthReply(testMaster(1), req, StatusAccepted, testSessionKeys(t, 1), testNow)
	good := authReplyWire{Status: string(r.Status), Master: r.Master.k[:], Ephemeral: r.Ephemeral[:], Sealed: r.Sealed, Timestamp: r.Timestamp, Sig: r.Sig}
	tests := []struct {
		name   string
		modify func(w *authReplyWire)
	}{
		{"unknown status", func(w *authReplyWire) { w.Status = "ACCEPTED" }},
		{"short master", func(w *authReplyWire) { w.Master = w.Master[:16] }},
		{"zero master", func(w *authReplyWire) { w.Master = make([]byte, 32) }},
		{"no ephemeral", func(w *authReplyWire) { w.Ephemeral = nil }},
		{"zero ephemeral", func(w *authReplyWire) { w.Ephemeral = make([]byte, 32) }},
		{"accepted without sealed keys", func(w *authReplyWire) { w.Sealed = nil }},
		{"sealed shorter than a tag", func(w *authReplyWire) { w.Sealed = w.Sealed[:16] }},
		{"sealed too long", func(w *authReplyWire) { w.Sealed = make([]byte, 4096) }},
		{"pending with sealed keys", func(w *authReplyWire) { w.Status = string(StatusPending) }},
		{"pending with ephemeral", func(w *authReplyWire) { w.Status = string(StatusPending); w.Sealed = nil }},
		{"short sig", func(w *authReplyWire) { w.Sig = w.Sig[:10] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := good
			tt.modify(&w)
			b, err := codec.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := UnmarshalAuthReply(b); !errors.Is(err, ErrMalformed) {
				t.Errorf("err %v, want ErrMalformed", err)
			}
		})
	}
	b, _ := req.Marshal()
	if _, err := UnmarshalAuthReply(b); !errors.Is(err, ErrMalformed) {
		t.Errorf("a request decoded as a reply: %v", err)
	}
	if _, err := UnmarshalAuthReply(make([]byte, maxAuthMessageSize+1)); !errors.Is(err, ErrMalformed) {
		t.Errorf("oversized reply: %v", err)
	}
}

func TestSessionKeysCodec(t *testing.T) {
	keys := testSessionKeys(t, 42)
	b, err := codec.Marshal(keys)
	if err != nil {
		t.Fatal(err)
	}
	var got SessionKeys
	if err := codec.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Publish.Equal(keys.Publish) || !got.Request.Equal(keys.Request) {
		t.Error("session keys changed through the codec")
	}
	// Zero keys do not encode, and wrong-length keys do not decode.
	if _, err := codec.Marshal(SessionKeys{}); err == nil {
		t.Error("encoded zero session keys")
	}
	type fake struct {
		Publish []byte `cbor:"1,keyasint"`
		Request []byte `cbor:"2,keyasint"`
	}
	for name, f := range map[string]fake{
		"short publish": {Publish: make([]byte, 35), Request: keys.Request.key[:]},
		"zero publish":  {Publish: make([]byte, 36), Request: keys.Request.key[:]},
		"long request":  {Publish: mustBinary(t, keys.Publish), Request: make([]byte, 33)},
		"zero request":  {Publish: mustBinary(t, keys.Publish), Request: make([]byte, 32)},
	} {
		b, _ := codec.Marshal(f)
		if err := codec.Unmarshal(b, &got); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func mustBinary(t *testing.T, k PublishKey) []byte {
	b, err := k.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The session key derivation checked against RFC 7748 §6.1's X25519 vector
// and golang.org/x/crypto/hkdf, an implementation independent of the
// standard library's crypto/hkdf that sessionAEAD uses.
func TestSessionKeyDerivationKnownAnswer(t *testing.T) {
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	alicePriv := unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	alicePub := [32]byte(unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"))
	bobPriv := unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
	bobPub := [32]byte(unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"))
	shared := unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")

	// Alice is the minion (request ephemeral), Bob the master.
	salt := append(append([]byte{}, alicePub[:]...), bobPub[:]...)
	key := make([]byte, 32)
	if _, err := io.ReadFull(xhkdf.New(sha256.New, shared, salt, []byte("halite auth v1web1")), key); err != nil {
		t.Fatal(err)
	}
	want, err := newGCM(key)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("session keys")
	wantCT := want.Seal(nil, sessionNonce[:], plain, nil)

	alice, _ := ecdh.X25519().NewPrivateKey(alicePriv)
	bob, _ := ecdh.X25519().NewPrivateKey(bobPriv)
	for name, side := range map[string]struct {
		priv *ecdh.PrivateKey
		peer [32]byte
	}{"minion": {alice, bobPub}, "master": {bob, alicePub}} {
		aead, err := sessionAEAD(side.priv, side.peer, alicePub, bobPub, "web1")
		if err != nil {
			t.Fatal(err)
		}
		if got := aead.Seal(nil, sessionNonce[:], plain, nil); !bytes.Equal(got, wantCT) {
			t.Errorf("%s side derives another key", name)
		}
	}
	// The id is part of the derivation.
	aead, _ := sessionAEAD(alice, bobPub, alicePub, bobPub, "web2")
	if _, err := aead.Open(nil, sessionNonce[:], wantCT, nil); err == nil {
		t.Error("key for web2 opens web1's seal")
	}
}
