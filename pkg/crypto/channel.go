package crypto

import (
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/halite/halite/pkg/codec"
)

// requestDomain separates request-channel AAD from every other AES-GCM use.
const requestDomain = "halite request v1\x00"

// ReplayWindow is how far behind the newest accepted counter a frame may
// be and still be accepted (once): frames reordered by less than this are
// fine, older ones are refused as replays.
const ReplayWindow = 1024

// RequestKey is the AES-256 key of one minion's request channel, fresh per
// session. It encodes (MarshalBinary, hence in pkg/codec) as the raw key:
// treat encoded forms as secrets.
type RequestKey struct {
	key [32]byte
}

// NewRequestKey returns a random request key.
func NewRequestKey() (RequestKey, error) {
	var k RequestKey
	rand.Read(k.key[:]) // never fails (see crypto/rand.Read)
	return k, nil
}

// IsZero reports whether k holds no key.
func (k RequestKey) IsZero() bool {
	var zero [32]byte
	return subtle.ConstantTimeCompare(k.key[:], zero[:]) == 1
}

// Equal reports whether k and other are the same key, in constant time.
func (k RequestKey) Equal(other RequestKey) bool {
	return subtle.ConstantTimeCompare(k.key[:], other.key[:]) == 1
}

// MarshalBinary returns the raw key.
func (k RequestKey) MarshalBinary() ([]byte, error) {
	if k.IsZero() {
		return nil, errors.New("marshal request key: zero key")
	}
	return append([]byte(nil), k.key[:]...), nil
}

// UnmarshalBinary decodes the form written by MarshalBinary.
func (k *RequestKey) UnmarshalBinary(b []byte) error {
	if len(b) != len(k.key) {
		return fmt.Errorf("unmarshal request key: %d bytes, want %d", len(b), len(k.key))
	}
	var n RequestKey
	copy(n.key[:], b)
	if n.IsZero() {
		return errors.New("unmarshal request key: zero key")
	}
	*k = n
	return nil
}

// String never prints the key.
func (k RequestKey) String() string { return "RequestKey{" + redacted + "}" }

// Format makes every fmt verb print String.
func (k RequestKey) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// Direction is which way a request-channel frame travels. It is part of
// every nonce and AAD, so a frame cannot be reflected back to its sender.
type Direction uint8

// The two directions. Zero is not a direction.
const (
	ToMaster Direction = 1 // minion → master
	ToMinion Direction = 2 // master → minion
)

// String returns "to-master" or "to-minion".
func (d Direction) String() string {
	switch d {
	case ToMaster:
		return "to-master"
	case ToMinion:
		return "to-minion"
	}
	return fmt.Sprintf("Direction(%d)", uint8(d))
}

func (d Direction) opposite() Direction {
	if d == ToMaster {
		return ToMinion
	}
	return ToMaster
}

// Channel encrypts one side of one minion's request channel: it seals
// frames travelling in its send direction and opens frames travelling the
// other way, refusing replays. The master holds one per minion (send
// ToMinion), the minion one (send ToMaster). It is safe for concurrent use.
type Channel struct {
	aead    cipher.AEAD
	send    Direction
	sendAAD []byte // domain‖id‖send, the counter follows
	recvAAD []byte // domain‖id‖opposite, the counter follows

	sent atomic.Uint64 // last counter sealed

	mu     sync.Mutex
	window replayWindow
}

// channelFrame is a sealed frame on the wire.
type channelFrame struct {
	_          struct{} `cbor:",toarray"`
	Counter    uint64
	Ciphertext []byte
}

// NewChannel returns the channel of minion id under key, sealing in
// direction send. It panics on a zero key or an invalid direction: both are
// programming errors (keys come from a verified handshake), and failing
// early beats encrypting under a zero key.
func NewChannel(key RequestKey, id string, send Direction) *Channel {
	if key.IsZero() {
		panic("crypto: NewChannel with a zero RequestKey")
	}
	if send != ToMaster && send != ToMinion {
		panic(fmt.Sprintf("crypto: NewChannel with invalid %v", send))
	}
	aead, err := newGCM(key.key[:])
	if err != nil {
		panic("crypto: NewChannel: " + err.Error()) // unreachable: the key is 32 bytes
	}
	prefix := appendLenPrefixed([]byte(requestDomain), id)
	return &Channel{
		aead:    aead,
		send:    send,
		sendAAD: append(prefix[:len(prefix):len(prefix)], byte(send)),
		recvAAD: append(prefix[:len(prefix):len(prefix)], byte(send.opposite())),
	}
}

// Seal encrypts plaintext as the next frame in c's send direction. Every
// frame gets a new counter, so no nonce is ever reused under the key.
// Frames larger than codec.MaxMessageSize will not open: callers bound
// their messages well below it.
func (c *Channel) Seal(plaintext []byte) []byte {
	n := c.sent.Add(1)
	if n == 0 {
		// 2^64 frames: unreachable, but wrapping would reuse nonces.
		panic("crypto: request channel counter exhausted")
	}
	nonce := channelNonce(c.send, n)
	ct := c.aead.Seal(nil, nonce[:], plaintext, channelAAD(c.sendAAD, n))
	frame, err := codec.Marshal(channelFrame{Counter: n, Ciphertext: ct})
	if err != nil {
		panic("crypto: encode channel frame: " + err.Error()) // unreachable: uint64 and bytes always encode
	}
	return frame
}

// Open decrypts a frame sealed by the other side. Errors wrap ErrMalformed
// (not a frame), ErrReplay (counter already seen or older than
// ReplayWindow), or ErrDecrypt (tampered, wrong key, or sent in c's own
// direction).
func (c *Channel) Open(frame []byte) ([]byte, error) {
	var f channelFrame
	if err := codec.Unmarshal(frame, &f); err != nil {
		return nil, fmt.Errorf("open channel frame: %w: %w", ErrMalformed, err)
	}
	if f.Counter == 0 || len(f.Ciphertext) < gcmTagSize {
		return nil, fmt.Errorf("open channel frame: %w: counter %d, ciphertext %d bytes", ErrMalformed, f.Counter, len(f.Ciphertext))
	}
	// Refuse known replays before spending time on decryption, but mark the
	// counter seen only once the frame proved authentic, so forged frames
	// cannot move the window.
	c.mu.Lock()
	fresh := c.window.check(f.Counter)
	c.mu.Unlock()
	if !fresh {
		return nil, fmt.Errorf("open channel frame: counter %d: %w", f.Counter, ErrReplay)
	}
	recv := c.send.opposite()
	nonce := channelNonce(recv, f.Counter)
	plain, err := c.aead.Open(f.Ciphertext[:0], nonce[:], f.Ciphertext, channelAAD(c.recvAAD, f.Counter))
	if err != nil {
		return nil, fmt.Errorf("open channel frame: counter %d: %w", f.Counter, ErrDecrypt)
	}
	c.mu.Lock()
	fresh = c.window.accept(f.Counter) // a concurrent Open may have taken it
	c.mu.Unlock()
	if !fresh {
		return nil, fmt.Errorf("open channel frame: counter %d: %w", f.Counter, ErrReplay)
	}
	return plain, nil
}

// channelNonce is direction‖0 0 0‖counter: unique per direction and
// counter, so the two sides never collide under the shared key.
func channelNonce(d Direction, counter uint64) [12]byte {
	var n [12]byte
	n[0] = byte(d)
	binary.BigEndian.PutUint64(n[4:], counter)
	return n
}

func channelAAD(prefix []byte, counter uint64) []byte {
	b := make([]byte, 0, len(prefix)+8)
	b = append(b, prefix...)
	return binary.BigEndian.AppendUint64(b, counter)
}

// replayWindow is a sliding bitmap of recently accepted counters, like
// IPsec's and WireGuard's: a ring of 64-bit blocks, cleared block by block
// as the newest counter advances. The ring holds more than ReplayWindow
// bits so that every counter inside the window has its own bit.
type replayWindow struct {
	last uint64 // newest accepted counter; 0 before the first
	ring [replayRingBlocks]uint64
}

const replayRingBlocks = 2 * ReplayWindow / 64

// check reports whether n would be accepted, without recording it.
func (w *replayWindow) check(n uint64) bool {
	if n > w.last {
		return true
	}
	if w.last-n >= ReplayWindow {
		return false
	}
	return w.ring[(n/64)%replayRingBlocks]&(1<<(n%64)) == 0
}

// accept records n and reports whether it was new and inside the window.
func (w *replayWindow) accept(n uint64) bool {
	if !w.check(n) {
		return false
	}
	if n > w.last {
		cur, next := w.last/64, n/64
		for i := uint64(1); i <= min(next-cur, replayRingBlocks); i++ {
			w.ring[(cur+i)%replayRingBlocks] = 0
		}
		w.last = n
	}
	w.ring[(n/64)%replayRingBlocks] |= 1 << (n % 64)
	return true
}
