package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/halite/halite/pkg/codec"
)

// Domain separation: every signature and derived key of the handshake is
// tied to its purpose, so no signed or sealed value can be reused as another.
const (
	authRequestDomain = "halite auth request v1\x00"
	authReplyDomain   = "halite auth reply v1\x00"
	// authKDFInfo is the HKDF info prefix; the minion id follows it.
	authKDFInfo = "halite auth v1"
)

// MaxIDLength is the longest minion id, in bytes.
const MaxIDLength = 255

// maxAuthMessageSize bounds encoded auth requests and replies, the only
// messages an unauthenticated peer can send: a real one is well under 1.5
// KiB, so larger input is refused before it is decoded.
const maxAuthMessageSize = 4 << 10

// maxSealedKeys bounds AuthReply.Sealed: sealed SessionKeys are under 100
// bytes, so anything far larger is not a reply this package wrote.
const maxSealedKeys = 1 << 10

// ValidateID reports whether id is a valid minion id: 1 to MaxIDLength
// bytes of [A-Za-z0-9._@-], and not "." or "..". Ids name key files in
// pki_dir, so this is also what keeps them inside it. The error wraps ErrBadID.
func ValidateID(id string) error {
	if len(id) == 0 || len(id) > MaxIDLength {
		return fmt.Errorf("%w: length %d, want 1 to %d bytes", ErrBadID, len(id), MaxIDLength)
	}
	if id == "." || id == ".." {
		return fmt.Errorf("%w: %q", ErrBadID, id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.', c == '_', c == '@', c == '-':
		default:
			return fmt.Errorf("%w: byte %#02x at offset %d is not one of [A-Za-z0-9._@-]", ErrBadID, c, i)
		}
	}
	return nil
}

// AuthRequest is the first message a minion sends on the request channel:
// who it is, its identity key, a fresh X25519 key for this session, and
// when, all signed by the identity key.
type AuthRequest struct {
	ID        string
	Public    MinionPublic
	Ephemeral [32]byte // X25519 public key, fresh per request
	Timestamp int64    // unix nanoseconds
	Nonce     [16]byte // random; the master's reply is bound to it
	Sig       []byte   // Ed25519 by Public over all fields above
}

// EphemeralPrivate is the X25519 private key of one auth request. The minion
// keeps it only until it has opened the reply.
type EphemeralPrivate struct {
	_ [0]func() // incomparable
	k *ecdh.PrivateKey
}

// Public returns the public half, as sent in AuthRequest.Ephemeral.
func (e *EphemeralPrivate) Public() [32]byte { return [32]byte(e.k.PublicKey().Bytes()) }

// String never prints key material.
func (e *EphemeralPrivate) String() string { return "crypto.EphemeralPrivate" + redacted }

// Format makes every fmt verb print String.
func (e *EphemeralPrivate) Format(f fmt.State, _ rune) { io.WriteString(f, e.String()) }

// NewAuthRequest builds and signs an auth request for id at time now. The
// returned EphemeralPrivate is needed to open the reply.
func NewAuthRequest(key MinionPrivate, id string, now time.Time) (*AuthRequest, *EphemeralPrivate, error) {
	if key.IsZero() {
		return nil, nil, errors.New("new auth request: zero minion key")
	}
	if err := ValidateID(id); err != nil {
		return nil, nil, fmt.Errorf("new auth request: %w", err)
	}
	eph, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("new auth request: %w", err)
	}
	r := &AuthRequest{
		ID:        id,
		Public:    key.Public(),
		Ephemeral: [32]byte(eph.PublicKey().Bytes()),
		Timestamp: now.UnixNano(),
	}
	rand.Read(r.Nonce[:]) // never fails (see crypto/rand.Read)
	r.Sig = key.Sign(r.signedBytes())
	return r, &EphemeralPrivate{k: eph}, nil
}

// Verify checks, cheapest first, that the id is valid, that the timestamp is
// within ±skew of now, and that the signature is by r.Public. It does not
// say whether r.Public is accepted for r.ID: that is the key registry's job.
func (r *AuthRequest) Verify(now time.Time, skew time.Duration) error {
	if err := ValidateID(r.ID); err != nil {
		return fmt.Errorf("verify auth request: %w", err)
	}
	// Sub saturates instead of overflowing, whatever Timestamp holds.
	if off := now.Sub(time.Unix(0, r.Timestamp)); off > skew || off < -skew {
		return fmt.Errorf("verify auth request from %s: clock is %v off, allowed %v: %w", r.ID, off, skew, ErrClockSkew)
	}
	if !r.Public.Verify(r.signedBytes(), r.Sig) {
		return fmt.Errorf("verify auth request from %s: %w", r.ID, ErrBadSignature)
	}
	return nil
}

// signedBytes is the canonical encoding of every field but Sig.
func (r *AuthRequest) signedBytes() []byte {
	b := make([]byte, 0, len(authRequestDomain)+4+len(r.ID)+32+32+8+16)
	b = append(b, authRequestDomain...)
	b = appendLenPrefixed(b, r.ID)
	b = append(b, r.Public.k[:]...)
	b = append(b, r.Ephemeral[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Timestamp))
	b = append(b, r.Nonce[:]...)
	return b
}

// authRequestWire is the encoded form of AuthRequest.
type authRequestWire struct {
	_         struct{} `cbor:",toarray"`
	ID        string
	Public    []byte
	Ephemeral []byte
	Timestamp int64
	Nonce     []byte
	Sig       []byte
}

// Marshal encodes r for the wire.
func (r *AuthRequest) Marshal() ([]byte, error) {
	return codec.Marshal(authRequestWire{
		ID:        r.ID,
		Public:    r.Public.k[:],
		Ephemeral: r.Ephemeral[:],
		Timestamp: r.Timestamp,
		Nonce:     r.Nonce[:],
		Sig:       r.Sig,
	})
}

// UnmarshalAuthRequest decodes an AuthRequest and checks its shape (field
// lengths, non-zero key). It verifies nothing: call Verify. Errors wrap
// ErrMalformed.
func UnmarshalAuthRequest(b []byte) (*AuthRequest, error) {
	if len(b) > maxAuthMessageSize {
		return nil, fmt.Errorf("unmarshal auth request: %w: %d bytes, limit %d", ErrMalformed, len(b), maxAuthMessageSize)
	}
	var w authRequestWire
	if err := codec.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("unmarshal auth request: %w: %w", ErrMalformed, err)
	}
	if len(w.ID) > MaxIDLength {
		return nil, fmt.Errorf("unmarshal auth request: %w: id is %d bytes", ErrMalformed, len(w.ID))
	}
	r := &AuthRequest{ID: w.ID, Timestamp: w.Timestamp, Sig: w.Sig}
	if err := copyExact(r.Public.k[:], w.Public, "public key"); err != nil {
		return nil, fmt.Errorf("unmarshal auth request: %w", err)
	}
	if r.Public.IsZero() {
		return nil, fmt.Errorf("unmarshal auth request: %w: zero public key", ErrMalformed)
	}
	if err := copyExact(r.Ephemeral[:], w.Ephemeral, "ephemeral key"); err != nil {
		return nil, fmt.Errorf("unmarshal auth request: %w", err)
	}
	if err := copyExact(r.Nonce[:], w.Nonce, "nonce"); err != nil {
		return nil, fmt.Errorf("unmarshal auth request: %w", err)
	}
	if len(r.Sig) != ed25519.SignatureSize {
		return nil, fmt.Errorf("unmarshal auth request: %w: signature is %d bytes, want %d", ErrMalformed, len(r.Sig), ed25519.SignatureSize)
	}
	return r, nil
}

// AuthStatus is the master's answer to an auth request, named like Salt's
// key states.
type AuthStatus string

// The auth statuses. Only an accepted reply carries session keys.
const (
	StatusAccepted AuthStatus = "accepted"
	StatusPending  AuthStatus = "pending"
	StatusRejected AuthStatus = "rejected"
	StatusDenied   AuthStatus = "denied"
	// StatusClockSkew: the request's timestamp is too far from the
	// master's clock; the reply's Timestamp tells the minion by how much.
	StatusClockSkew AuthStatus = "clock-skew"
)

func (s AuthStatus) known() bool {
	switch s {
	case StatusAccepted, StatusPending, StatusRejected, StatusDenied, StatusClockSkew:
		return true
	}
	return false
}

// SessionKeys are what an accepted minion receives, sealed to it: the
// shared publish key and its own request-channel key.
type SessionKeys struct {
	Publish PublishKey `cbor:"1,keyasint"`
	Request RequestKey `cbor:"2,keyasint"`
}

// AuthReply is the master's signed answer to one AuthRequest.
type AuthReply struct {
	Status    AuthStatus
	Master    MasterPublic
	Ephemeral [32]byte // master's X25519 public key; zero unless accepted
	Sealed    []byte   // AES-256-GCM of the encoded SessionKeys; empty unless accepted
	Timestamp int64    // unix nanoseconds
	Sig       []byte   // Ed25519 by Master over the above and the request
}

// SealAuthReply answers req with status, signed by master. For
// StatusAccepted, keys are required and sealed to req's ephemeral key; for
// any other status keys must be nil. The caller must have checked req with
// Verify first.
//
// The signature covers the request's nonce, ephemeral key, id, key and
// timestamp, so a reply answers exactly one request and cannot be replayed
// to another.
func SealAuthReply(master MasterPrivate, req *AuthRequest, status AuthStatus, keys *SessionKeys, now time.Time) (*AuthReply, error) {
	switch {
	case master.IsZero():
		return nil, errors.New("seal auth reply: zero master key")
	case req == nil:
		return nil, errors.New("seal auth reply: nil request")
	case !status.known():
		return nil, fmt.Errorf("seal auth reply: unknown status %q", status)
	case status == StatusAccepted && (keys == nil || keys.Publish.IsZero() || keys.Request.IsZero()):
		return nil, errors.New("seal auth reply: accepted needs a publish key and a request key")
	case status != StatusAccepted && keys != nil:
		return nil, fmt.Errorf("seal auth reply: keys given for status %q", status)
	}
	r := &AuthReply{Status: status, Master: master.Public(), Timestamp: now.UnixNano()}
	if status == StatusAccepted {
		plain, err := codec.Marshal(keys)
		if err != nil {
			return nil, fmt.Errorf("seal auth reply: %w", err)
		}
		eph, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("seal auth reply: %w", err)
		}
		r.Ephemeral = [32]byte(eph.PublicKey().Bytes())
		aead, err := sessionAEAD(eph, req.Ephemeral, req.Ephemeral, r.Ephemeral, req.ID)
		if err != nil {
			return nil, fmt.Errorf("seal auth reply to %s: %w", req.ID, err)
		}
		r.Sealed = aead.Seal(nil, sessionNonce[:], plain, nil)
	}
	r.Sig = master.Sign(r.signedBytes(req))
	return r, nil
}

// Open checks the reply to req and, if accepted, returns the session keys.
// In order: trust(r.Master) decides whether this master is the one the
// minion pins (an error wraps ErrUntrustedMaster and trust's error); the
// signature must be by r.Master and bound to req (ErrBadSignature); an
// accepted reply is decrypted with eph (ErrDecrypt). For any other status
// Open returns nil, nil once verified, and the caller reads r.Status.
func (r *AuthReply) Open(req *AuthRequest, eph *EphemeralPrivate, trust func(MasterPublic) error) (*SessionKeys, error) {
	if req == nil || trust == nil {
		return nil, errors.New("open auth reply: nil request or trust function")
	}
	if err := r.checkShape(); err != nil {
		return nil, fmt.Errorf("open auth reply: %w", err)
	}
	if err := trust(r.Master); err != nil {
		return nil, fmt.Errorf("open auth reply: %w: %w", ErrUntrustedMaster, err)
	}
	if !r.Master.Verify(r.signedBytes(req), r.Sig) {
		return nil, fmt.Errorf("open auth reply: %w", ErrBadSignature)
	}
	if r.Status != StatusAccepted {
		return nil, nil
	}
	if eph == nil || eph.k == nil {
		return nil, errors.New("open auth reply: nil ephemeral key")
	}
	if eph.Public() != req.Ephemeral {
		return nil, errors.New("open auth reply: ephemeral key is not the request's")
	}
	aead, err := sessionAEAD(eph.k, r.Ephemeral, req.Ephemeral, r.Ephemeral, req.ID)
	if err != nil {
		return nil, fmt.Errorf("open auth reply: %w: %w", ErrMalformed, err)
	}
	plain, err := aead.Open(nil, sessionNonce[:], r.Sealed, nil)
	if err != nil {
		return nil, fmt.Errorf("open auth reply: %w", ErrDecrypt)
	}
	var keys SessionKeys
	if err := codec.Unmarshal(plain, &keys); err != nil {
		return nil, fmt.Errorf("open auth reply: session keys: %w: %w", ErrMalformed, err)
	}
	if keys.Publish.IsZero() || keys.Request.IsZero() {
		return nil, fmt.Errorf("open auth reply: %w: zero session key", ErrMalformed)
	}
	return &keys, nil
}

// checkShape checks what UnmarshalAuthReply guarantees, so Open is safe on
// a hand-built reply too. Errors wrap ErrMalformed.
func (r *AuthReply) checkShape() error {
	switch {
	case !r.Status.known():
		return fmt.Errorf("%w: unknown status %q", ErrMalformed, r.Status)
	case r.Master.IsZero():
		return fmt.Errorf("%w: zero master key", ErrMalformed)
	case len(r.Sig) != ed25519.SignatureSize:
		return fmt.Errorf("%w: signature is %d bytes, want %d", ErrMalformed, len(r.Sig), ed25519.SignatureSize)
	case r.Status == StatusAccepted && r.Ephemeral == [32]byte{}:
		return fmt.Errorf("%w: accepted reply without ephemeral key", ErrMalformed)
	case r.Status == StatusAccepted && (len(r.Sealed) <= gcmTagSize || len(r.Sealed) > maxSealedKeys):
		return fmt.Errorf("%w: sealed keys are %d bytes", ErrMalformed, len(r.Sealed))
	case r.Status != StatusAccepted && (r.Ephemeral != [32]byte{} || len(r.Sealed) != 0):
		return fmt.Errorf("%w: %s reply carries keys", ErrMalformed, r.Status)
	}
	return nil
}

// signedBytes is the canonical encoding of every field but Sig, preceded by
// the request fields the reply is bound to.
func (r *AuthReply) signedBytes(req *AuthRequest) []byte {
	b := make([]byte, 0, len(authReplyDomain)+16+32+32+8+4+len(req.ID)+4+len(r.Status)+32+32+4+len(r.Sealed)+8)
	b = append(b, authReplyDomain...)
	b = append(b, req.Nonce[:]...)
	b = append(b, req.Ephemeral[:]...)
	b = append(b, req.Public.k[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(req.Timestamp))
	b = appendLenPrefixed(b, req.ID)
	b = appendLenPrefixed(b, string(r.Status))
	b = append(b, r.Master.k[:]...)
	b = append(b, r.Ephemeral[:]...)
	b = appendLenPrefixed(b, r.Sealed)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Timestamp))
	return b
}

// authReplyWire is the encoded form of AuthReply.
type authReplyWire struct {
	_         struct{} `cbor:",toarray"`
	Status    string
	Master    []byte
	Ephemeral []byte
	Sealed    []byte
	Timestamp int64
	Sig       []byte
}

// Marshal encodes r for the wire.
func (r *AuthReply) Marshal() ([]byte, error) {
	return codec.Marshal(authReplyWire{
		Status:    string(r.Status),
		Master:    r.Master.k[:],
		Ephemeral: r.Ephemeral[:],
		Sealed:    r.Sealed,
		Timestamp: r.Timestamp,
		Sig:       r.Sig,
	})
}

// UnmarshalAuthReply decodes an AuthReply and checks its shape (known
// status, field lengths, keys present exactly when accepted). It verifies
// nothing: call Open. Errors wrap ErrMalformed.
func UnmarshalAuthReply(b []byte) (*AuthReply, error) {
	if len(b) > maxAuthMessageSize {
		return nil, fmt.Errorf("unmarshal auth reply: %w: %d bytes, limit %d", ErrMalformed, len(b), maxAuthMessageSize)
	}
	var w authReplyWire
	if err := codec.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("unmarshal auth reply: %w: %w", ErrMalformed, err)
	}
	r := &AuthReply{Status: AuthStatus(w.Status), Sealed: w.Sealed, Timestamp: w.Timestamp, Sig: w.Sig}
	if err := copyExact(r.Master.k[:], w.Master, "master key"); err != nil {
		return nil, fmt.Errorf("unmarshal auth reply: %w", err)
	}
	if err := copyExact(r.Ephemeral[:], w.Ephemeral, "ephemeral key"); err != nil {
		return nil, fmt.Errorf("unmarshal auth reply: %w", err)
	}
	if len(r.Sealed) == 0 {
		r.Sealed = nil // one representation of "no keys"
	}
	if err := r.checkShape(); err != nil {
		return nil, fmt.Errorf("unmarshal auth reply: %w", err)
	}
	return r, nil
}

// sessionNonce is the AES-GCM nonce of AuthReply.Sealed. A fixed nonce is
// safe because every sealing key is used once: it derives from a fresh
// master ephemeral key.
var sessionNonce [12]byte

// sessionAEAD derives the AES-256-GCM key of an auth reply from one side's
// X25519 private key and the other side's public key peer:
// HKDF-SHA256(X25519, salt = reqEph‖masterEph, info = authKDFInfo‖id).
func sessionAEAD(priv *ecdh.PrivateKey, peer, reqEph, masterEph [32]byte, id string) (cipher.AEAD, error) {
	pub, err := ecdh.X25519().NewPublicKey(peer[:])
	if err != nil {
		return nil, err
	}
	shared, err := priv.ECDH(pub) // fails on low-order points
	if err != nil {
		return nil, err
	}
	salt := make([]byte, 0, 64)
	salt = append(append(salt, reqEph[:]...), masterEph[:]...)
	key, err := hkdf.Key(sha256.New, shared, salt, authKDFInfo+id, 32)
	if err != nil {
		return nil, err
	}
	return newGCM(key)
}

// gcmTagSize is the AES-GCM authentication tag length.
const gcmTagSize = 16

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// appendLenPrefixed appends s preceded by its length as a big-endian uint32,
// so variable-length fields cannot run into each other in signed bytes.
func appendLenPrefixed[T string | []byte](b []byte, s T) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// copyExact copies src into dst if it has exactly dst's length.
func copyExact(dst, src []byte, what string) error {
	if len(src) != len(dst) {
		return fmt.Errorf("%w: %s is %d bytes, want %d", ErrMalformed, what, len(src), len(dst))
	}
	copy(dst, src)
	return nil
}
