package crypto

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// RFC 8032 §7.1, TEST 1: a known seed, its public key and the signature of
// the empty message. Ed25519 is deterministic, so these pin our key
// handling to the standard rather than to our own output.
const (
	rfcSeedB64   = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A="
	rfcPublicB64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
	rfcSigHex    = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
	// sha256 of the RFC public key, computed outside Go (python hashlib).
	rfcFingerprint = "21:fe:31:df:a1:54:a2:61:62:6b:f8:54:04:6f:d2:27:1b:7b:ed:4b:6a:be:45:aa:58:87:7e:f4:7f:97:21:b9"
)

// testMaster and testMinion return deterministic keys for tests and fuzz
// corpora; different seeds give different keys.
func testMaster(seed byte) MasterPrivate {
	return MasterPrivate{k: edPrivate(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize)))}
}

func testMinion(seed byte) MinionPrivate {
	return MinionPrivate{k: edPrivate(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize)))}
}

func TestRFC8032Vector(t *testing.T) {
	var mk MasterPrivate
	if err := mk.UnmarshalText([]byte(masterPrivatePrefix + rfcSeedB64)); err != nil {
		t.Fatal(err)
	}
	if got, want := mk.Public().String(), masterPublicPrefix+rfcPublicB64; got != want {
		t.Errorf("public key = %s, want %s", got, want)
	}
	if got := hex.EncodeToString(mk.Sign(nil)); got != rfcSigHex {
		t.Errorf("signature of empty message = %s, want %s", got, rfcSigHex)
	}
	if got := mk.Public().Fingerprint(); got != rfcFingerprint {
		t.Errorf("fingerprint = %s, want %s", got, rfcFingerprint)
	}

	var nk MinionPrivate
	if err := nk.UnmarshalText([]byte(minionPrivatePrefix + rfcSeedB64)); err != nil {
		t.Fatal(err)
	}
	if got, want := nk.Public().String(), minionPublicPrefix+rfcPublicB64; got != want {
		t.Errorf("minion public key = %s, want %s", got, want)
	}
	if got := nk.Public().Fingerprint(); got != rfcFingerprint {
		t.Errorf("minion fingerprint = %s, want %s", got, rfcFingerprint)
	}
}

func TestGenerateSignVerify(t *testing.T) {
	m1, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	n1, err := GenerateMinionKey()
	if err != nil {
		t.Fatal(err)
	}
	if m1.IsZero() || n1.IsZero() || m1.Public().IsZero() || n1.Public().IsZero() {
		t.Fatal("generated key is zero")
	}
	if m1.Equal(m2) || m1.Public().Equal(m2.Public()) {
		t.Fatal("two generated keys are equal")
	}
	if !m1.Equal(m1) || !m1.Public().Equal(m1.Public()) {
		t.Fatal("key not equal to itself")
	}

	msg := []byte("test.ping")
	sig := m1.Sign(msg)
	tests := []struct {
		name string
		ok   bool
	}{
		{"right key", m1.Public().Verify(msg, sig)},
		{"other master", m2.Public().Verify(msg, sig)},
		{"other message", m1.Public().Verify([]byte("test.pong"), sig)},
		{"short signature", m1.Public().Verify(msg, sig[:63])},
		{"nil signature", m1.Public().Verify(msg, nil)},
		{"zero key", MasterPublic{}.Verify(msg, sig)},
		{"minion sig", n1.Public().Verify(msg, n1.Sign(msg))},
		{"minion sig, master key", m1.Public().Verify(msg, n1.Sign(msg))},
	}
	want := map[string]bool{"right key": true, "minion sig": true}
	for _, tt := range tests {
		if tt.ok != want[tt.name] {
			t.Errorf("%s: Verify = %v, want %v", tt.name, tt.ok, want[tt.name])
		}
	}
}

func TestZeroKeyPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"MasterPrivate.Public": func() { MasterPrivate{}.Public() },
		"MasterPrivate.Sign":   func() { MasterPrivate{}.Sign(nil) },
		"MinionPrivate.Public": func() { MinionPrivate{}.Public() },
		"MinionPrivate.Sign":   func() { MinionPrivate{}.Sign(nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), "zero key") {
					t.Errorf("recovered %v, want a zero key panic", r)
				}
			}()
			f()
		})
	}
}

func TestKeyTextRoundTrip(t *testing.T) {
	mk, nk := testMaster(1), testMinion(2)

	text, err := mk.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var mk2 MasterPrivate
	if err := mk2.UnmarshalText(text); err != nil || !mk2.Equal(mk) {
		t.Errorf("MasterPrivate round trip: err %v, equal %v", err, mk2.Equal(mk))
	}

	text, err = nk.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	var nk2 MinionPrivate
	if err := nk2.UnmarshalText(text); err != nil || !nk2.Equal(nk) {
		t.Errorf("MinionPrivate round trip: err %v, equal %v", err, nk2.Equal(nk))
	}

	var mp MasterPublic
	if err := mp.UnmarshalText([]byte(mk.Public().String())); err != nil || mp != mk.Public() {
		t.Errorf("MasterPublic round trip: err %v, got %v", err, mp)
	}
	var np MinionPublic
	if err := np.UnmarshalText([]byte(nk.Public().String())); err != nil || np != nk.Public() {
		t.Errorf("MinionPublic round trip: err %v, got %v", err, np)
	}

	// A zero public key round trips (like Tailscale's), so structs holding
	// one can be encoded; key files and the wire refuse it separately.
	var zp MinionPublic
	if err := zp.UnmarshalText([]byte(MinionPublic{}.String())); err != nil || !zp.IsZero() {
		t.Errorf("zero MinionPublic round trip: err %v", err)
	}
	if _, err := (MasterPrivate{}).MarshalText(); err == nil {
		t.Error("MarshalText of zero MasterPrivate: want error")
	}
}

func TestKeyTextErrors(t *testing.T) {
	mk, nk := testMaster(1), testMinion(2)
	mkText, _ := mk.MarshalText()
	nkText, _ := nk.MarshalText()
	mpText, _ := mk.Public().MarshalText()
	npText, _ := nk.Public().MarshalText()
	zeroSeed := base64.StdEncoding.EncodeToString(make([]byte, 32))

	parsers := map[string]func([]byte) error{
		"MasterPrivate": func(b []byte) error { var k MasterPrivate; return k.UnmarshalText(b) },
		"MinionPrivate": func(b []byte) error { var k MinionPrivate; return k.UnmarshalText(b) },
		"MasterPublic":  func(b []byte) error { var k MasterPublic; return k.UnmarshalText(b) },
		"MinionPublic":  func(b []byte) error { var k MinionPublic; return k.UnmarshalText(b) },
	}
	texts := map[string][]byte{
		"MasterPrivate": mkText, "MinionPrivate": nkText,
		"MasterPublic": mpText, "MinionPublic": npText,
	}
	// Every parser accepts its own kind and refuses the three others with
	// ErrWrongKeyKind.
	for parser, parse := range parsers {
		for kind, text := range texts {
			err := parse(text)
			switch {
			case parser == kind && err != nil:
				t.Errorf("%s parsing its own kind: %v", parser, err)
			case parser != kind && !errors.Is(err, ErrWrongKeyKind):
				t.Errorf("%s parsing a %s: err = %v, want ErrWrongKeyKind", parser, kind, err)
			}
		}
	}

	bad := []struct {
		name, parser, text string
	}{
		{"empty", "MasterPublic", ""},
		{"no prefix", "MasterPublic", rfcPublicB64},
		{"other prefix", "MasterPublic", "ssh-ed25519:" + rfcPublicB64},
		{"prefix only", "MinionPublic", minionPublicPrefix},
		{"short", "MinionPublic", minionPublicPrefix + rfcPublicB64[:40]},
		{"long", "MinionPublic", minionPublicPrefix + rfcPublicB64 + "AAAA"},
		{"unpadded", "MinionPublic", minionPublicPrefix + strings.TrimRight(rfcPublicB64, "=")},
		{"url alphabet", "MinionPublic", minionPublicPrefix + strings.NewReplacer("/", "_", "+", "-").Replace(rfcPublicB64)},
		{"bad char", "MasterPublic", masterPublicPrefix + "!" + rfcPublicB64[1:]},
		{"trailing space", "MasterPublic", masterPublicPrefix + rfcPublicB64 + " "},
		{"non-canonical padding bits", "MasterPublic", masterPublicPrefix + rfcPublicB64[:42] + "p="},
		{"zero seed", "MasterPrivate", masterPrivatePrefix + zeroSeed},
		{"private too long", "MinionPrivate", minionPrivatePrefix + base64.StdEncoding.EncodeToString(make([]byte, 64))},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			err := parsers[tt.parser]([]byte(tt.text))
			if err == nil {
				t.Fatalf("%s.UnmarshalText(%q) succeeded", tt.parser, tt.text)
			}
			if errors.Is(err, ErrWrongKeyKind) {
				t.Errorf("error %v claims a wrong kind", err)
			}
		})
	}
}

func TestUnmarshalTextErrorDoesNotLeakSecret(t *testing.T) {
	// A private key text with a flaw near the end: the error must not echo
	// the (mostly valid) secret.
	text := masterPrivatePrefix + rfcSeedB64[:40] + "!!!="
	var k MasterPrivate
	err := k.UnmarshalText([]byte(text))
	if err == nil {
		t.Fatal("want error")
	}
	if strings.Contains(err.Error(), rfcSeedB64[:20]) {
		t.Errorf("error leaks the seed: %v", err)
	}
}

func TestPrivateKeysNeverPrint(t *testing.T) {
	mk, nk := testMaster(7), testMinion(7)
	seed := mk.k[:ed25519.SeedSize]
	pk, _ := NewPublishKey(9)
	rk, _ := NewRequestKey()
	_, eph, err := NewAuthRequest(nk, "web1", testNow)
	if err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{seed, pk.key[:], rk.key[:], eph.k.Bytes()}
	values := []any{mk, &mk, nk, pk, rk, eph,
		struct{ K MasterPrivate }{mk},
		SessionKeys{Publish: pk, Request: rk},
		&SessionKeys{Publish: pk, Request: rk},
	}
	for _, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%d", "%q"} {
			out := fmt.Sprintf(verb, v)
			for _, s := range secrets {
				for _, enc := range []string{
					base64.StdEncoding.EncodeToString(s),
					hex.EncodeToString(s), strings.ToUpper(hex.EncodeToString(s)),
					hex.EncodeToString(s[:4]),
					strings.Trim(fmt.Sprint(s), "[]"),
				} {
					if strings.Contains(out, enc) {
						t.Errorf("fmt %s of %T = %q: contains secret bytes %q", verb, v, out, enc)
					}
				}
			}
		}
	}
	if got := fmt.Sprint(mk); got != "halite-master-private:[redacted]" {
		t.Errorf("fmt.Sprint(MasterPrivate) = %q", got)
	}
	if got := fmt.Sprint(pk); !strings.Contains(got, "Epoch: 9") {
		t.Errorf("fmt.Sprint(PublishKey) = %q, want the epoch shown", got)
	}
}

func TestFingerprint(t *testing.T) {
	var pub MasterPublic
	if err := pub.UnmarshalText([]byte(masterPublicPrefix + rfcPublicB64)); err != nil {
		t.Fatal(err)
	}
	noColons := strings.ReplaceAll(rfcFingerprint, ":", "")
	tests := []struct {
		name, fp string
		ok       bool
	}{
		{"colons", rfcFingerprint, true},
		{"upper", strings.ToUpper(rfcFingerprint), true},
		{"no colons", noColons, true},
		{"no colons upper", strings.ToUpper(noColons), true},
		{"surrounding space", "  " + rfcFingerprint + "\n", true},
		{"other key", testMaster(3).Public().Fingerprint(), false},
		{"last byte differs", rfcFingerprint[:len(rfcFingerprint)-1] + "a", false},
		{"too short", rfcFingerprint[:len(rfcFingerprint)-3], false},
		{"too long", rfcFingerprint + ":00", false},
		{"some colons", noColons[:10] + ":" + noColons[10:], false},
		{"misplaced colons", "2:1fe" + rfcFingerprint[5:], false},
		{"not hex", strings.Replace(rfcFingerprint, "21", "zz", 1), false},
		{"sha256 prefix", "SHA256:" + noColons, false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FingerprintMatches(pub, tt.fp); got != tt.ok {
				t.Errorf("FingerprintMatches(%q) = %v, want %v", tt.fp, got, tt.ok)
			}
			f, err := ParseFingerprint(tt.fp)
			if tt.ok && (err != nil || f.String() != rfcFingerprint) {
				t.Errorf("ParseFingerprint(%q) = %v, %v", tt.fp, f, err)
			}
		})
	}
	// Minion keys have fingerprints in the same form.
	if np := testMinion(4).Public(); !FingerprintMatches(np, np.Fingerprint()) {
		t.Error("minion key does not match its own fingerprint")
	}
}

func TestPinning(t *testing.T) {
	m, other := testMaster(1).Public(), testMaster(2).Public()
	pinKey := PinMaster(m)
	if err := pinKey(m); err != nil {
		t.Errorf("PinMaster refuses the pinned key: %v", err)
	}
	if err := pinKey(other); err == nil {
		t.Error("PinMaster accepts another key")
	}
	if err := PinMaster(MasterPublic{})(MasterPublic{}); err == nil {
		t.Error("PinMaster of a zero key accepts the zero key")
	}

	pinFP, err := PinFingerprint(strings.ToUpper(m.Fingerprint()))
	if err != nil {
		t.Fatal(err)
	}
	if err := pinFP(m); err != nil {
		t.Errorf("PinFingerprint refuses the pinned key: %v", err)
	}
	if err := pinFP(other); err == nil || !strings.Contains(err.Error(), other.Fingerprint()) {
		t.Errorf("PinFingerprint on another key: %v, want an error naming its fingerprint", err)
	}
	if _, err := PinFingerprint("not a fingerprint"); err == nil {
		t.Error("PinFingerprint accepts garbage")
	}
}
