package crypto

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/halite/halite/pkg/codec"
)

// publishDomain separates publish signatures and AAD from every other use
// of the master key and of AES-GCM.
const publishDomain = "halite publish v1\x00"

// publishNonceSize is the AES-GCM nonce length of a publish envelope.
const publishNonceSize = 12

// PublishKey is the AES-256 key shared by the master and every accepted
// minion, numbered by Epoch. Publishing encrypts once under it and sends the
// same bytes to all. It encodes (MarshalBinary, hence in pkg/codec) as
// epoch‖key: treat encoded forms as secrets.
type PublishKey struct {
	Epoch uint32
	key   [32]byte
}

// NewPublishKey returns a random publish key for epoch.
func NewPublishKey(epoch uint32) (PublishKey, error) {
	k := PublishKey{Epoch: epoch}
	rand.Read(k.key[:]) // never fails (see crypto/rand.Read)
	return k, nil
}

// IsZero reports whether k holds no key (whatever its Epoch).
func (k PublishKey) IsZero() bool {
	var zero [32]byte
	return subtle.ConstantTimeCompare(k.key[:], zero[:]) == 1
}

// Equal reports whether k and other are the same epoch and key, in
// constant time for the key.
func (k PublishKey) Equal(other PublishKey) bool {
	return k.Epoch == other.Epoch && subtle.ConstantTimeCompare(k.key[:], other.key[:]) == 1
}

// MarshalBinary encodes k as the big-endian epoch followed by the key.
func (k PublishKey) MarshalBinary() ([]byte, error) {
	if k.IsZero() {
		return nil, errors.New("marshal publish key: zero key")
	}
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(k.key)), k.Epoch)
	return append(b, k.key[:]...), nil
}

// UnmarshalBinary decodes the form written by MarshalBinary.
func (k *PublishKey) UnmarshalBinary(b []byte) error {
	if len(b) != 4+len(k.key) {
		return fmt.Errorf("unmarshal publish key: %d bytes, want %d", len(b), 4+len(k.key))
	}
	var n PublishKey
	n.Epoch = binary.BigEndian.Uint32(b)
	copy(n.key[:], b[4:])
	if n.IsZero() {
		return errors.New("unmarshal publish key: zero key")
	}
	*k = n
	return nil
}

// String prints the epoch, never the key.
func (k PublishKey) String() string {
	return fmt.Sprintf("PublishKey{Epoch: %d, key: %s}", k.Epoch, redacted)
}

// Format makes every fmt verb print String.
func (k PublishKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// publishOuter is the envelope on the wire.
type publishOuter struct {
	_          struct{} `cbor:",toarray"`
	Epoch      uint32
	Nonce      []byte
	Ciphertext []byte
}

// publishInner is the plaintext inside the envelope: the payload and the
// master's signature of it, so holding the shared key is not enough to
// publish.
type publishInner struct {
	_       struct{} `cbor:",toarray"`
	Payload []byte
	Sig     []byte
}

// Seal signs payload with signer and encrypts it under k, returning the
// envelope to publish to every minion. Nonces are random (96 bits), so a
// key must be rotated well before 2^32 envelopes; epochs make that cheap.
func (k PublishKey) Seal(signer MasterPrivate, payload []byte) ([]byte, error) {
	if k.IsZero() {
		return nil, errors.New("seal publish: zero publish key")
	}
	if signer.IsZero() {
		return nil, errors.New("seal publish: zero master key")
	}
	inner, err := codec.Marshal(publishInner{
		Payload: payload,
		Sig:     signer.Sign(publishSigned(k.Epoch, payload)),
	})
	if err != nil {
		return nil, fmt.Errorf("seal publish: %w", err)
	}
	aead, err := newGCM(k.key[:])
	if err != nil {
		return nil, fmt.Errorf("seal publish: %w", err)
	}
	nonce := make([]byte, publishNonceSize)
	rand.Read(nonce) // never fails (see crypto/rand.Read)
	env, err := codec.Marshal(publishOuter{
		Epoch:      k.Epoch,
		Nonce:      nonce,
		Ciphertext: aead.Seal(nil, nonce, inner, publishAAD(k.Epoch)),
	})
	if err != nil {
		return nil, fmt.Errorf("seal publish: %w", err)
	}
	if len(env) > codec.MaxMessageSize {
		return nil, fmt.Errorf("seal publish: envelope of %d bytes exceeds %d: %w", len(env), codec.MaxMessageSize, codec.ErrTooLarge)
	}
	return env, nil
}

// OpenPublished decrypts and verifies a publish envelope: lookup gives the
// key of the envelope's epoch, master is the pinned master key. It returns
// the payload and the epoch it was sealed under. Errors wrap ErrMalformed,
// ErrUnknownEpoch, ErrDecrypt or ErrBadSignature.
func OpenPublished(lookup func(epoch uint32) (PublishKey, bool), master MasterPublic, envelope []byte) (payload []byte, epoch uint32, err error) {
	var outer publishOuter
	if err := codec.Unmarshal(envelope, &outer); err != nil {
		return nil, 0, fmt.Errorf("open published: %w: %w", ErrMalformed, err)
	}
	if len(outer.Nonce) != publishNonceSize || len(outer.Ciphertext) < gcmTagSize {
		return nil, 0, fmt.Errorf("open published: %w: nonce %d bytes, ciphertext %d bytes", ErrMalformed, len(outer.Nonce), len(outer.Ciphertext))
	}
	key, ok := lookup(outer.Epoch)
	if !ok || key.IsZero() {
		return nil, outer.Epoch, fmt.Errorf("open published: epoch %d: %w", outer.Epoch, ErrUnknownEpoch)
	}
	aead, err := newGCM(key.key[:])
	if err != nil {
		return nil, outer.Epoch, fmt.Errorf("open published: %w", err)
	}
	plain, err := aead.Open(outer.Ciphertext[:0], outer.Nonce, outer.Ciphertext, publishAAD(outer.Epoch))
	if err != nil {
		return nil, outer.Epoch, fmt.Errorf("open published: epoch %d: %w", outer.Epoch, ErrDecrypt)
	}
	var inner publishInner
	if err := codec.Unmarshal(plain, &inner); err != nil {
		return nil, outer.Epoch, fmt.Errorf("open published: inner: %w: %w", ErrMalformed, err)
	}
	if len(inner.Sig) != ed25519.SignatureSize {
		return nil, outer.Epoch, fmt.Errorf("open published: %w: signature is %d bytes", ErrMalformed, len(inner.Sig))
	}
	if !master.Verify(publishSigned(outer.Epoch, inner.Payload), inner.Sig) {
		return nil, outer.Epoch, fmt.Errorf("open published: epoch %d: %w", outer.Epoch, ErrBadSignature)
	}
	return inner.Payload, outer.Epoch, nil
}

// PeekEpoch returns the epoch of an envelope without decrypting it, for
// logging and for noticing that a newer key is needed. It authenticates
// nothing.
func PeekEpoch(envelope []byte) (uint32, error) {
	var outer publishOuter
	if err := codec.Unmarshal(envelope, &outer); err != nil {
		return 0, fmt.Errorf("peek epoch: %w: %w", ErrMalformed, err)
	}
	return outer.Epoch, nil
}

// publishSigned is what the master signs: domain‖epoch‖payload.
func publishSigned(epoch uint32, payload []byte) []byte {
	b := make([]byte, 0, len(publishDomain)+4+len(payload))
	b = append(b, publishDomain...)
	b = binary.BigEndian.AppendUint32(b, epoch)
	return append(b, payload...)
}

// publishAAD binds the ciphertext to its epoch: domain‖epoch.
func publishAAD(epoch uint32) []byte {
	b := make([]byte, 0, len(publishDomain)+4)
	b = append(b, publishDomain...)
	return binary.BigEndian.AppendUint32(b, epoch)
}

// DefaultKeyringGrace is how long a Keyring keeps accepting the previous
// publish key after a rotation: long enough for jobs published just before
// the rotation to arrive, short enough that a rotated-out key soon opens
// nothing.
const DefaultKeyringGrace = 2 * time.Minute

// Keyring holds the current publish key and, for a grace period after a
// rotation, the previous one. The master seals with Current; a minion opens
// with Lookup. It is safe for concurrent use; the zero Keyring is empty and
// drops the previous key at once on rotation (use NewKeyring for a grace).
type Keyring struct {
	grace time.Duration
	now   func() time.Time // time.Now unless a test sets it

	mu        sync.RWMutex
	cur, prev PublishKey
	prevUntil time.Time
}

// NewKeyring returns an empty Keyring that keeps a rotated-out key usable
// for grace.
func NewKeyring(grace time.Duration) *Keyring {
	return &Keyring{grace: grace}
}

// Set makes k the current key. If k starts a new epoch, the old current key
// becomes the previous one for the grace period (replacing any older
// previous key); setting the current epoch again just replaces its key.
// A zero key is refused.
func (r *Keyring) Set(k PublishKey) error {
	if k.IsZero() {
		return errors.New("keyring: zero publish key")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.cur.IsZero() && r.cur.Epoch != k.Epoch {
		r.prev = r.cur
		r.prevUntil = r.clock().Add(r.grace)
	}
	r.cur = k
	return nil
}

// Current returns the current key; it is zero (IsZero) if none was set.
func (r *Keyring) Current() PublishKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cur
}

// Lookup returns the key of epoch: the current one, or the previous one
// while its grace period lasts. It has the signature OpenPublished wants.
func (r *Keyring) Lookup(epoch uint32) (PublishKey, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	switch {
	case !r.cur.IsZero() && r.cur.Epoch == epoch:
		return r.cur, true
	case !r.prev.IsZero() && r.prev.Epoch == epoch && r.clock().Before(r.prevUntil):
		return r.prev, true
	}
	return PublishKey{}, false
}

func (r *Keyring) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}
