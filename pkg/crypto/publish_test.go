package crypto

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/halite/halite/pkg/codec"
)

func mustPublishKey(t testing.TB, epoch uint32) PublishKey {
	t.Helper()
	k, err := NewPublishKey(epoch)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// only returns a lookup function that knows exactly the given keys.
func only(keys ...PublishKey) func(uint32) (PublishKey, bool) {
	return func(epoch uint32) (PublishKey, bool) {
		for _, k := range keys {
			if k.Epoch == epoch {
				return k, true
			}
		}
		return PublishKey{}, false
	}
}

func TestPublishRoundTrip(t *testing.T) {
	master := testMaster(1)
	k := mustPublishKey(t, 3)
	for _, size := range []int{0, 1, 2048, 1 << 20} {
		payload := bytes.Repeat([]byte{'j'}, size)
		env, err := k.Seal(master, payload)
		if err != nil {
			t.Fatal(err)
		}
		if size >= 16 && bytes.Contains(env, payload[:16]) {
			t.Fatalf("size %d: payload visible in the envelope", size)
		}
		got, epoch, err := OpenPublished(only(k), master.Public(), env)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(got, payload) || got == nil || epoch != 3 {
			t.Errorf("size %d: got %d bytes at epoch %d", size, len(got), epoch)
		}
		if e, err := PeekEpoch(env); err != nil || e != 3 {
			t.Errorf("PeekEpoch = %d, %v", e, err)
		}
	}
	// Two seals of one payload differ (random nonce) and both open.
	a, _ := k.Seal(master, []byte("x"))
	b, _ := k.Seal(master, []byte("x"))
	if bytes.Equal(a, b) {
		t.Error("two envelopes are identical: nonce reused")
	}
}

// rewrap decodes an envelope, lets modify change the outer or inner layer,
// and re-encodes, re-encrypting under key when key is non-zero (the power of
// a minion that holds the publish key).
func rewrap(t *testing.T, env []byte, key PublishKey, modifyInner func(*publishInner), modifyOuter func(*publishOuter)) []byte {
	t.Helper()
	var outer publishOuter
	if err := codec.Unmarshal(env, &outer); err != nil {
		t.Fatal(err)
	}
	if modifyInner != nil {
		aead, _ := newGCM(key.key[:])
		plain, err := aead.Open(nil, outer.Nonce, outer.Ciphertext, publishAAD(outer.Epoch))
		if err != nil {
			t.Fatal(err)
		}
		var inner publishInner
		if err := codec.Unmarshal(plain, &inner); err != nil {
			t.Fatal(err)
		}
		modifyInner(&inner)
		plain, _ = codec.Marshal(inner)
		outer.Ciphertext = aead.Seal(nil, outer.Nonce, plain, publishAAD(outer.Epoch))
	}
	if modifyOuter != nil {
		modifyOuter(&outer)
	}
	b, err := codec.Marshal(outer)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenPublishedErrors(t *testing.T) {
	master, otherMaster := testMaster(1), testMaster(2)
	k5, k6 := mustPublishKey(t, 5), mustPublishKey(t, 6)
	payload := []byte(`{"fun":"cmd.run","arg":["reboot"]}`)
	env, err := k5.Seal(master, payload)
	if err != nil {
		t.Fatal(err)
	}
	sameKeyOtherEpoch := PublishKey{Epoch: 6, key: k5.key}

	tests := []struct {
		name   string
		env    []byte
		lookup func(uint32) (PublishKey, bool)
		master MasterPublic
		want   error
	}{
		{"other master pinned", env, only(k5), otherMaster.Public(), ErrBadSignature},
		{"zero master", env, only(k5), MasterPublic{}, ErrBadSignature},
		{"minion forges with the publish key", rewrap(t, env, k5, func(in *publishInner) {
			in.Payload = []byte(`{"fun":"cmd.run","arg":["rm -rf /"]}`)
			in.Sig = otherMaster.Sign(publishSigned(5, in.Payload))
		}, nil), only(k5), master.Public(), ErrBadSignature},
		{"minion edits payload, keeps signature", rewrap(t, env, k5, func(in *publishInner) {
			in.Payload = []byte(`{"fun":"cmd.run","arg":["halt"]}`)
		}, nil), only(k5), master.Public(), ErrBadSignature},
		{"signature for another epoch", rewrap(t, env, k5, func(in *publishInner) {
			in.Sig = master.Sign(publishSigned(4, in.Payload))
		}, nil), only(k5), master.Public(), ErrBadSignature},
		{"signature stripped", rewrap(t, env, k5, func(in *publishInner) { in.Sig = nil }, nil), only(k5), master.Public(), ErrMalformed},
		{"ciphertext bit flipped", rewrap(t, env, k5, nil, func(o *publishOuter) { o.Ciphertext[3] ^= 1 }), only(k5), master.Public(), ErrDecrypt},
		{"tag bit flipped", rewrap(t, env, k5, nil, func(o *publishOuter) { o.Ciphertext[len(o.Ciphertext)-1] ^= 1 }), only(k5), master.Public(), ErrDecrypt},
		{"nonce bit flipped", rewrap(t, env, k5, nil, func(o *publishOuter) { o.Nonce[0] ^= 1 }), only(k5), master.Public(), ErrDecrypt},
		{"epoch changed to an unknown one", rewrap(t, env, k5, nil, func(o *publishOuter) { o.Epoch = 99 }), only(k5), master.Public(), ErrUnknownEpoch},
		{"epoch changed to another known one", rewrap(t, env, k5, nil, func(o *publishOuter) { o.Epoch = 6 }), only(k5, k6), master.Public(), ErrDecrypt},
		{"epoch changed, same key bytes", rewrap(t, env, k5, nil, func(o *publishOuter) { o.Epoch = 6 }), only(sameKeyOtherEpoch), master.Public(), ErrDecrypt},
		{"unknown epoch", env, only(k6), master.Public(), ErrUnknownEpoch},
		{"lookup returns a zero key", env, func(uint32) (PublishKey, bool) { return PublishKey{Epoch: 5}, true }, master.Public(), ErrUnknownEpoch},
		{"wrong key for the epoch", env, func(uint32) (PublishKey, bool) { return PublishKey{Epoch: 5, key: k6.key}, true }, master.Public(), ErrDecrypt},
		{"short nonce", rewrap(t, env, k5, nil, func(o *publishOuter) { o.Nonce = o.Nonce[:8] }), only(k5), master.Public(), ErrMalformed},
		{"ciphertext shorter than tag", rewrap(t, env, k5, nil, func(o *publishOuter) { o.Ciphertext = o.Ciphertext[:15] }), only(k5), master.Public(), ErrMalformed},
		{"truncated", env[:len(env)-1], only(k5), master.Public(), ErrMalformed},
		{"trailing byte", append(append([]byte{}, env...), 0), only(k5), master.Public(), ErrMalformed},
		{"empty", nil, only(k5), master.Public(), ErrMalformed},
		{"not cbor", []byte("hello"), only(k5), master.Public(), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := OpenPublished(tt.lookup, tt.master, tt.env)
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("OpenPublished = %q, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestPublishSealErrors(t *testing.T) {
	if _, err := (PublishKey{Epoch: 1}).Seal(testMaster(1), nil); err == nil {
		t.Error("sealed with a zero publish key")
	}
	if _, err := mustPublishKey(t, 1).Seal(MasterPrivate{}, nil); err == nil {
		t.Error("sealed with a zero master key")
	}
	if _, err := PeekEpoch([]byte{0xff}); !errors.Is(err, ErrMalformed) {
		t.Errorf("PeekEpoch of garbage: %v", err)
	}
}

func TestPublishKeyBinary(t *testing.T) {
	k := mustPublishKey(t, 0xdeadbeef)
	b, err := k.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 36 || !bytes.Equal(b[:4], []byte{0xde, 0xad, 0xbe, 0xef}) {
		t.Errorf("encoding % x: want big-endian epoch then 32 key bytes", b[:4])
	}
	var got PublishKey
	if err := got.UnmarshalBinary(b); err != nil || !got.Equal(k) {
		t.Fatalf("round trip: %v", err)
	}
	// Through the codec, as in key pushes.
	cb, err := codec.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var viaCodec PublishKey
	if err := codec.Unmarshal(cb, &viaCodec); err != nil || !viaCodec.Equal(k) {
		t.Fatalf("codec round trip: %v", err)
	}
	for name, in := range map[string][]byte{"short": b[:35], "long": append(b, 0), "zero key": make([]byte, 36), "empty": nil} {
		prev := got
		if err := got.UnmarshalBinary(in); err == nil {
			t.Errorf("%s: decoded", name)
		}
		if !got.Equal(prev) {
			t.Errorf("%s: failed decode modified the key", name)
		}
	}
	if _, err := (PublishKey{}).MarshalBinary(); err == nil {
		t.Error("zero publish key encoded")
	}
	if k2 := mustPublishKey(t, 0xdeadbeef); k2.Equal(k) || k2.IsZero() {
		t.Error("NewPublishKey is not random")
	}
}

// fakeClock is a time source for Keyring tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestKeyring(t *testing.T) {
	clock := &fakeClock{t: testNow}
	r := NewKeyring(time.Minute)
	r.now = clock.now

	if !r.Current().IsZero() {
		t.Fatal("new keyring has a current key")
	}
	if _, ok := r.Lookup(0); ok {
		t.Fatal("empty keyring found epoch 0")
	}
	if err := r.Set(PublishKey{Epoch: 1}); err == nil {
		t.Fatal("keyring accepted a zero key")
	}

	k1, k2, k3 := mustPublishKey(t, 1), mustPublishKey(t, 2), mustPublishKey(t, 3)
	lookups := func(want ...uint32) {
		t.Helper()
		for e := uint32(0); e <= 4; e++ {
			k, ok := r.Lookup(e)
			expect := false
			for _, w := range want {
				expect = expect || w == e
			}
			if ok != expect || (ok && k.Epoch != e) {
				t.Errorf("Lookup(%d) = %v, %v; want found=%v", e, k, ok, expect)
			}
		}
	}

	r.Set(k1)
	lookups(1)
	r.Set(k2) // rotation: 1 stays for the grace period
	if !r.Current().Equal(k2) {
		t.Error("Current is not the newest key")
	}
	lookups(1, 2)
	clock.advance(59 * time.Second)
	lookups(1, 2)
	clock.advance(time.Second)
	lookups(2)

	r.Set(k3)
	r.Set(k3) // a repeated push of the current key changes nothing
	lookups(2, 3)
	k3b := PublishKey{Epoch: 3, key: k1.key}
	r.Set(k3b) // same epoch, new key bytes: replaced, epoch 2 still in grace
	if got, _ := r.Lookup(3); !got.Equal(k3b) {
		t.Error("same-epoch Set did not replace the key")
	}
	lookups(2, 3)
	r.Set(k1) // a rotation drops the older previous key at once
	lookups(1, 3)
}

func TestKeyringZeroGrace(t *testing.T) {
	var r Keyring
	r.Set(mustPublishKey(t, 1))
	r.Set(mustPublishKey(t, 2))
	if _, ok := r.Lookup(1); ok {
		t.Error("zero Keyring kept the previous key")
	}
	if _, ok := r.Lookup(2); !ok {
		t.Error("zero Keyring lost the current key")
	}
}

// The master seals while pushes rotate the key and minions open: run under
// -race to check Keyring's locking; every envelope opens under the key it
// was sealed with as long as rotations stay inside the grace period.
func TestKeyringConcurrent(t *testing.T) {
	master := testMaster(1)
	r := NewKeyring(time.Hour)
	r.Set(mustPublishKey(t, 1))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for e := uint32(2); e < 50; e++ {
			r.Set(mustPublishKey(t, e))
		}
	}()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				k := r.Current()
				env, err := k.Seal(master, []byte("job"))
				if err != nil {
					t.Error(err)
					return
				}
				_, _, err = OpenPublished(r.Lookup, master.Public(), env)
				// Two rotations between Seal and Open legitimately drop
				// the key; anything else is a bug.
				if err != nil && !errors.Is(err, ErrUnknownEpoch) {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if r.Current().Epoch != 49 {
		t.Errorf("current epoch %d, want 49", r.Current().Epoch)
	}
}
