package crypto

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
)

// Text prefixes of the four key kinds. Each ends in ':' and none is a
// prefix of another, so a prefix match identifies the kind exactly.
const (
	masterPrivatePrefix = "halite-master-private:"
	masterPublicPrefix  = "halite-master:"
	minionPrivatePrefix = "halite-minion-private:"
	minionPublicPrefix  = "halite-minion:"
)

// knownPrefixes lets a parse error say which kind of key it was given.
var knownPrefixes = [...]string{masterPrivatePrefix, masterPublicPrefix, minionPrivatePrefix, minionPublicPrefix}

// redacted is what every secret prints as. It contains characters outside
// the base64 alphabet so it can never be mistaken for (or parsed as) a key.
const redacted = "[redacted]"

// MasterPrivate is a master's Ed25519 identity key. It signs auth replies
// and every published job.
//
// The zero value is not a key: Public and Sign panic on it (a programming
// error, caught early instead of signing with garbage). Use Equal, not ==,
// which does not compile.
type MasterPrivate struct {
	_ [0]func() // incomparable: compare secrets with Equal, in constant time
	k edPrivate
}

// MasterPublic is a master's Ed25519 public key, pinned by minions.
// It is comparable and usable as a map key.
type MasterPublic struct {
	k edPublic
}

// MinionPrivate is a minion's Ed25519 identity key. It signs the minion's
// auth requests. The zero value is not a key (see MasterPrivate).
type MinionPrivate struct {
	_ [0]func() // incomparable: compare secrets with Equal, in constant time
	k edPrivate
}

// MinionPublic is a minion's Ed25519 public key, as accepted (or not) by the
// master. It is comparable and usable as a map key.
type MinionPublic struct {
	k edPublic
}

// edPrivate is crypto/ed25519's private key layout: the 32-byte seed
// followed by the 32-byte public key, kept whole so Sign does not re-derive
// the public key every time.
type edPrivate [ed25519.PrivateKeySize]byte

// edPublic is a raw Ed25519 public key.
type edPublic [ed25519.PublicKeySize]byte

// GenerateMasterKey returns a new random master key.
func GenerateMasterKey() (MasterPrivate, error) {
	k, err := generateEd()
	if err != nil {
		return MasterPrivate{}, fmt.Errorf("generate master key: %w", err)
	}
	return MasterPrivate{k: k}, nil
}

// GenerateMinionKey returns a new random minion key.
func GenerateMinionKey() (MinionPrivate, error) {
	k, err := generateEd()
	if err != nil {
		return MinionPrivate{}, fmt.Errorf("generate minion key: %w", err)
	}
	return MinionPrivate{k: k}, nil
}

// IsZero reports whether k is the zero value (no key).
func (k MasterPrivate) IsZero() bool { return k.k.isZero() }

// Equal reports whether k and other are the same key, in constant time.
func (k MasterPrivate) Equal(other MasterPrivate) bool { return k.k.equal(&other.k) }

// Public returns the public half of k. It panics if k is zero.
func (k MasterPrivate) Public() MasterPublic {
	k.k.mustNotBeZero("MasterPrivate.Public")
	return MasterPublic{k: k.k.public()}
}

// Sign returns the Ed25519 signature of msg. It panics if k is zero.
// Callers sign domain-separated messages only (see the handshake and
// publish code), so one signature can never be replayed as another kind.
func (k MasterPrivate) Sign(msg []byte) []byte {
	k.k.mustNotBeZero("MasterPrivate.Sign")
	return ed25519.Sign(k.k[:], msg)
}

// MarshalText returns the key as "halite-master-private:" + base64 of the
// 32-byte seed. This is the private key file format: it is the secret.
func (k MasterPrivate) MarshalText() ([]byte, error) {
	return k.k.marshalText(masterPrivatePrefix)
}

// UnmarshalText parses the form written by MarshalText. Any other kind of
// key is an error wrapping ErrWrongKeyKind.
func (k *MasterPrivate) UnmarshalText(text []byte) error {
	return k.k.unmarshalText(masterPrivatePrefix, text)
}

// String never prints key material, so a key in a log line or %v is safe.
func (k MasterPrivate) String() string { return masterPrivatePrefix + redacted }

// Format makes every fmt verb (%x, %d, %#v included) print String, so the
// seed cannot leak through fmt's reflection on unexported fields.
func (k MasterPrivate) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// IsZero reports whether k is the zero value (no key).
func (k MinionPrivate) IsZero() bool { return k.k.isZero() }

// Equal reports whether k and other are the same key, in constant time.
func (k MinionPrivate) Equal(other MinionPrivate) bool { return k.k.equal(&other.k) }

// Public returns the public half of k. It panics if k is zero.
func (k MinionPrivate) Public() MinionPublic {
	k.k.mustNotBeZero("MinionPrivate.Public")
	return MinionPublic{k: k.k.public()}
}

// Sign returns the Ed25519 signature of msg. It panics if k is zero.
func (k MinionPrivate) Sign(msg []byte) []byte {
	k.k.mustNotBeZero("MinionPrivate.Sign")
	return ed25519.Sign(k.k[:], msg)
}

// MarshalText returns the key as "halite-minion-private:" + base64 of the
// 32-byte seed. This is the private key file format: it is the secret.
func (k MinionPrivate) MarshalText() ([]byte, error) {
	return k.k.marshalText(minionPrivatePrefix)
}

// UnmarshalText parses the form written by MarshalText. Any other kind of
// key is an error wrapping ErrWrongKeyKind.
func (k *MinionPrivate) UnmarshalText(text []byte) error {
	return k.k.unmarshalText(minionPrivatePrefix, text)
}

// String never prints key material.
func (k MinionPrivate) String() string { return minionPrivatePrefix + redacted }

// Format makes every fmt verb print String (see MasterPrivate.Format).
func (k MinionPrivate) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// IsZero reports whether p is the zero value (no key).
func (p MasterPublic) IsZero() bool { return p.k.isZero() }

// Equal reports whether p and other are the same key.
func (p MasterPublic) Equal(other MasterPublic) bool { return p.k.equal(&other.k) }

// Verify reports whether sig is a valid signature of msg by p.
// A zero key verifies nothing.
func (p MasterPublic) Verify(msg, sig []byte) bool { return p.k.verify(msg, sig) }

// Fingerprint returns the SHA-256 of the raw key as lowercase hex bytes
// joined by ':', the form Salt prints and operators compare by eye.
func (p MasterPublic) Fingerprint() string { return p.k.fingerprint().String() }

// MarshalText returns "halite-master:" + base64 of the raw key.
func (p MasterPublic) MarshalText() ([]byte, error) { return p.k.marshalText(masterPublicPrefix), nil }

// UnmarshalText parses the form written by MarshalText. Any other kind of
// key is an error wrapping ErrWrongKeyKind.
func (p *MasterPublic) UnmarshalText(text []byte) error {
	return p.k.unmarshalText(masterPublicPrefix, text)
}

// String returns the text form.
func (p MasterPublic) String() string { return string(p.k.marshalText(masterPublicPrefix)) }

// IsZero reports whether p is the zero value (no key).
func (p MinionPublic) IsZero() bool { return p.k.isZero() }

// Equal reports whether p and other are the same key.
func (p MinionPublic) Equal(other MinionPublic) bool { return p.k.equal(&other.k) }

// Verify reports whether sig is a valid signature of msg by p.
// A zero key verifies nothing.
func (p MinionPublic) Verify(msg, sig []byte) bool { return p.k.verify(msg, sig) }

// Fingerprint returns the SHA-256 of the raw key as lowercase hex bytes
// joined by ':' (see MasterPublic.Fingerprint).
func (p MinionPublic) Fingerprint() string { return p.k.fingerprint().String() }

// MarshalText returns "halite-minion:" + base64 of the raw key.
func (p MinionPublic) MarshalText() ([]byte, error) { return p.k.marshalText(minionPublicPrefix), nil }

// UnmarshalText parses the form written by MarshalText. Any other kind of
// key is an error wrapping ErrWrongKeyKind.
func (p *MinionPublic) UnmarshalText(text []byte) error {
	return p.k.unmarshalText(minionPublicPrefix, text)
}

// String returns the text form.
func (p MinionPublic) String() string { return string(p.k.marshalText(minionPublicPrefix)) }

// Fingerprint is the SHA-256 digest of a raw public key. Its String form is
// the one operators see and put in config (master_fingerprint).
type Fingerprint [sha256.Size]byte

// String returns the lowercase hex bytes joined by ':'.
func (f Fingerprint) String() string {
	const digits = "0123456789abcdef"
	b := make([]byte, 0, len(f)*3-1)
	for i, c := range f {
		if i > 0 {
			b = append(b, ':')
		}
		b = append(b, digits[c>>4], digits[c&0x0f])
	}
	return string(b)
}

// ParseFingerprint parses a fingerprint in the form Fingerprint.String
// writes, case-insensitively; colons are optional (they may be all present
// or all absent) and surrounding space is ignored.
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	t := strings.TrimSpace(s)
	if strings.Contains(t, ":") {
		parts := strings.Split(t, ":")
		if len(parts) != len(f) {
			return f, fmt.Errorf("parse fingerprint %q: want %d colon-separated bytes, got %d", s, len(f), len(parts))
		}
		for _, p := range parts {
			if len(p) != 2 {
				return f, fmt.Errorf("parse fingerprint %q: %q is not one hex byte", s, p)
			}
		}
		t = strings.Join(parts, "")
	}
	if len(t) != hex.EncodedLen(len(f)) {
		return f, fmt.Errorf("parse fingerprint %q: want %d hex digits, got %d", s, hex.EncodedLen(len(f)), len(t))
	}
	if _, err := hex.Decode(f[:], []byte(t)); err != nil {
		return f, fmt.Errorf("parse fingerprint %q: %w", s, err)
	}
	return f, nil
}

// Fingerprinter is a public key that has a fingerprint: MasterPublic or
// MinionPublic.
type Fingerprinter interface {
	Fingerprint() string
}

// FingerprintMatches reports whether pub's fingerprint is fp, in any form
// ParseFingerprint accepts. An unparsable fp matches nothing.
func FingerprintMatches(pub Fingerprinter, fp string) bool {
	want, err := ParseFingerprint(fp)
	if err != nil {
		return false
	}
	got, err := ParseFingerprint(pub.Fingerprint())
	if err != nil {
		return false
	}
	return want == got
}

// PinMaster returns a trust function for AuthReply.Open that accepts only
// pinned (a master.pub read from disk, or remembered on first use).
func PinMaster(pinned MasterPublic) func(MasterPublic) error {
	return func(got MasterPublic) error {
		if pinned.IsZero() || !got.Equal(pinned) {
			return fmt.Errorf("master key %s does not match pinned key %s", got.Fingerprint(), pinned.Fingerprint())
		}
		return nil
	}
}

// PinFingerprint returns a trust function for AuthReply.Open that accepts
// only a master whose key has fingerprint fp (master_fingerprint in config).
func PinFingerprint(fp string) (func(MasterPublic) error, error) {
	want, err := ParseFingerprint(fp)
	if err != nil {
		return nil, err
	}
	return func(got MasterPublic) error {
		if got.k.fingerprint() != want {
			return fmt.Errorf("master key fingerprint %s does not match pinned fingerprint %s", got.Fingerprint(), want)
		}
		return nil
	}, nil
}

func generateEd() (edPrivate, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return edPrivate{}, err
	}
	return edPrivate(priv), nil
}

func (k *edPrivate) isZero() bool {
	var zero edPrivate
	return subtle.ConstantTimeCompare(k[:], zero[:]) == 1
}

func (k *edPrivate) equal(o *edPrivate) bool { return subtle.ConstantTimeCompare(k[:], o[:]) == 1 }

func (k *edPrivate) public() edPublic { return edPublic(k[ed25519.SeedSize:]) }

func (k *edPrivate) mustNotBeZero(op string) {
	if k.isZero() {
		panic("crypto: " + op + " on a zero key")
	}
}

func (k *edPrivate) marshalText(prefix string) ([]byte, error) {
	if k.isZero() {
		return nil, fmt.Errorf("marshal %skey: zero key", prefix)
	}
	return appendBase64([]byte(prefix), k[:ed25519.SeedSize]), nil
}

// unmarshalText parses prefix+base64(seed) and derives the full key from the
// seed, so a file can never hold a seed and public key that disagree. Errors
// never quote the text: it is a secret.
func (k *edPrivate) unmarshalText(prefix string, text []byte) error {
	raw, err := decodeKeyText(prefix, text, ed25519.SeedSize)
	if err != nil {
		return err
	}
	var zero [ed25519.SeedSize]byte
	if subtle.ConstantTimeCompare(raw, zero[:]) == 1 {
		return fmt.Errorf("parse %skey: all-zero seed", prefix)
	}
	*k = edPrivate(ed25519.NewKeyFromSeed(raw))
	return nil
}

func (p *edPublic) isZero() bool { return *p == edPublic{} }

func (p *edPublic) equal(o *edPublic) bool { return subtle.ConstantTimeCompare(p[:], o[:]) == 1 }

func (p *edPublic) verify(msg, sig []byte) bool {
	if p.isZero() || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(p[:], msg, sig)
}

func (p *edPublic) fingerprint() Fingerprint { return sha256.Sum256(p[:]) }

func (p *edPublic) marshalText(prefix string) []byte { return appendBase64([]byte(prefix), p[:]) }

func (p *edPublic) unmarshalText(prefix string, text []byte) error {
	raw, err := decodeKeyText(prefix, text, len(p))
	if err != nil {
		return err
	}
	*p = edPublic(raw)
	return nil
}

func appendBase64(dst, raw []byte) []byte {
	return base64.StdEncoding.AppendEncode(dst, raw)
}

// decodeKeyText checks the prefix and decodes exactly n bytes of padded
// standard base64 after it.
func decodeKeyText(prefix string, text []byte, n int) ([]byte, error) {
	s := string(text)
	if !strings.HasPrefix(s, prefix) {
		for _, other := range knownPrefixes {
			if strings.HasPrefix(s, other) {
				return nil, fmt.Errorf("parse %skey: got a %skey: %w", prefix, other, ErrWrongKeyKind)
			}
		}
		return nil, fmt.Errorf("parse %skey: missing %q prefix", prefix, prefix)
	}
	b64 := s[len(prefix):]
	if len(b64) != base64.StdEncoding.EncodedLen(n) {
		return nil, fmt.Errorf("parse %skey: want %d base64 characters, got %d", prefix, base64.StdEncoding.EncodedLen(n), len(b64))
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("parse %skey: bad base64: %w", prefix, err)
	}
	if len(raw) != n {
		return nil, fmt.Errorf("parse %skey: want %d bytes, got %d", prefix, n, len(raw))
	}
	return raw, nil
}
