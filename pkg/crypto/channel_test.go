package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/halite/halite/pkg/codec"
)

func mustRequestKey(t testing.TB) RequestKey {
	t.Helper()
	k, err := NewRequestKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// channelPair returns the minion's and the master's ends of one channel.
func channelPair(t testing.TB, id string) (minion, master *Channel) {
	k := mustRequestKey(t)
	return NewChannel(k, id, ToMaster), NewChannel(k, id, ToMinion)
}

func frameCounter(t *testing.T, frame []byte) uint64 {
	t.Helper()
	var f channelFrame
	if err := codec.Unmarshal(frame, &f); err != nil {
		t.Fatal(err)
	}
	return f.Counter
}

func TestChannelRoundTrip(t *testing.T) {
	minion, master := channelPair(t, "web1")
	for i, msg := range [][]byte{[]byte("ret 1"), nil, bytes.Repeat([]byte("pillar"), 1000)} {
		up := minion.Seal(msg)
		if got := frameCounter(t, up); got != uint64(i+1) {
			t.Errorf("frame %d has counter %d", i, got)
		}
		got, err := master.Open(up)
		if err != nil || !bytes.Equal(got, msg) || got == nil {
			t.Fatalf("to master: %q, %v", got, err)
		}
		down := master.Seal(append([]byte("ack "), msg...))
		got, err = minion.Open(down)
		if err != nil || !bytes.Equal(got, append([]byte("ack "), msg...)) {
			t.Fatalf("to minion: %q, %v", got, err)
		}
	}
	// The same plaintext never gives the same frame.
	if bytes.Equal(minion.Seal([]byte("x")), minion.Seal([]byte("x"))) {
		t.Error("two frames are identical")
	}
}

func TestChannelErrors(t *testing.T) {
	key := mustRequestKey(t)
	minion := NewChannel(key, "web1", ToMaster)
	master := NewChannel(key, "web1", ToMinion)
	frame := minion.Seal([]byte("return"))

	rewrite := func(modify func(*channelFrame)) []byte {
		var f channelFrame
		if err := codec.Unmarshal(frame, &f); err != nil {
			t.Fatal(err)
		}
		f.Ciphertext = append([]byte(nil), f.Ciphertext...)
		modify(&f)
		b, _ := codec.Marshal(f)
		return b
	}
	tests := []struct {
		name  string
		frame []byte
		open  *Channel
		want  error
	}{
		{"reflected to the sender", frame, minion, ErrDecrypt},
		{"sender's twin", frame, NewChannel(key, "web1", ToMaster), ErrDecrypt},
		{"another minion's channel", frame, NewChannel(key, "web2", ToMinion), ErrDecrypt},
		{"another key", frame, NewChannel(mustRequestKey(t), "web1", ToMinion), ErrDecrypt},
		{"ciphertext tampered", rewrite(func(f *channelFrame) { f.Ciphertext[0] ^= 1 }), master, ErrDecrypt},
		{"tag tampered", rewrite(func(f *channelFrame) { f.Ciphertext[len(f.Ciphertext)-1] ^= 1 }), master, ErrDecrypt},
		{"counter changed", rewrite(func(f *channelFrame) { f.Counter = 2 }), master, ErrDecrypt},
		{"counter zero", rewrite(func(f *channelFrame) { f.Counter = 0 }), master, ErrMalformed},
		{"short ciphertext", rewrite(func(f *channelFrame) { f.Ciphertext = f.Ciphertext[:15] }), master, ErrMalformed},
		{"truncated", frame[:len(frame)-1], master, ErrMalformed},
		{"trailing", append(append([]byte{}, frame...), 1), master, ErrMalformed},
		{"empty", nil, master, ErrMalformed},
		{"publish envelope", mustSealPublish(t), master, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.open.Open(tt.frame)
			if !errors.Is(err, tt.want) || got != nil {
				t.Errorf("Open = %q, %v; want %v", got, err, tt.want)
			}
		})
	}
	// None of the failures above used up the genuine frame's counter.
	if _, err := master.Open(frame); err != nil {
		t.Errorf("genuine frame after failures: %v", err)
	}
}

func mustSealPublish(t *testing.T) []byte {
	env, err := mustPublishKey(t, 1).Seal(testMaster(1), []byte("job"))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func TestChannelReplay(t *testing.T) {
	minion, master := channelPair(t, "web1")
	frames := make([][]byte, 2*ReplayWindow+10)
	for i := range frames {
		frames[i] = minion.Seal([]byte(fmt.Sprint(i)))
	}
	open := func(i int) error {
		got, err := master.Open(frames[i])
		if err == nil && string(got) != fmt.Sprint(i) {
			t.Fatalf("frame %d opened as %q", i, got)
		}
		return err
	}

	// Reordered within the window: all accepted, once.
	for _, i := range []int{2, 0, 1, 5, 3, 4} {
		if err := open(i); err != nil {
			t.Errorf("frame %d (reordered): %v", i, err)
		}
	}
	for _, i := range []int{0, 2, 5} {
		if err := open(i); !errors.Is(err, ErrReplay) {
			t.Errorf("frame %d replayed: %v, want ErrReplay", i, err)
		}
	}

	// Jump ahead. Counters are index+1, so the newest counter is now
	// ReplayWindow+7: counter 7 (frame 6) is ReplayWindow behind, too old;
	// counter 8 (frame 7) is the oldest the window still takes.
	last := ReplayWindow + 6
	if err := open(last); err != nil {
		t.Fatal(err)
	}
	if err := open(6); !errors.Is(err, ErrReplay) {
		t.Errorf("frame just outside the window: %v, want ErrReplay", err)
	}
	if err := open(7); err != nil {
		t.Errorf("frame at the window's edge: %v", err)
	}
	if err := open(7); !errors.Is(err, ErrReplay) {
		t.Errorf("edge frame replayed: %v", err)
	}
	// Frames between the old and the new position still open once.
	for i := 8; i < last; i++ {
		if err := open(i); err != nil {
			t.Fatalf("frame %d inside the window: %v", i, err)
		}
	}
	// After a long jump the window starts ReplayWindow behind the new newest.
	if err := open(len(frames) - 1); err != nil {
		t.Fatal(err)
	}
	for i := len(frames) - ReplayWindow; i < len(frames)-1; i++ {
		if err := open(i); err != nil {
			t.Fatalf("frame %d after a long jump: %v", i, err)
		}
	}
	if err := open(len(frames) - ReplayWindow - 1); !errors.Is(err, ErrReplay) {
		t.Errorf("frame outside the window after a long jump: %v", err)
	}
}

// A forged frame with a huge counter must not move the window: the genuine
// traffic behind it keeps flowing.
// The two directions share one key, so their nonces must differ: with the
// same counter and plaintext, a reused nonce would give the same keystream
// and so the same ciphertext bytes.
func TestChannelDirectionsNeverShareANonce(t *testing.T) {
	minion, master := channelPair(t, "web1")
	plain := bytes.Repeat([]byte{0}, 64)
	var up, down channelFrame
	codec.Unmarshal(minion.Seal(plain), &up)
	codec.Unmarshal(master.Seal(plain), &down)
	if up.Counter != down.Counter {
		t.Fatalf("counters %d and %d, want equal", up.Counter, down.Counter)
	}
	if bytes.Equal(up.Ciphertext[:len(plain)], down.Ciphertext[:len(plain)]) {
		t.Error("both directions encrypted with the same keystream: nonce reuse")
	}
}

func TestChannelForgedCounterDoesNotAdvance(t *testing.T) {
	minion, master := channelPair(t, "web1")
	genuine := minion.Seal([]byte("ret"))
	var f channelFrame
	codec.Unmarshal(minion.Seal([]byte("x")), &f)
	f.Counter = 1 << 40
	forged, _ := codec.Marshal(f)
	if _, err := master.Open(forged); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("forged frame: %v", err)
	}
	if _, err := master.Open(genuine); err != nil {
		t.Errorf("genuine frame after a forged one: %v", err)
	}
}

// The replay window is compared with the obvious model (a set of seen
// counters and the highest one) on random sequences that jump, reorder and
// repeat.
func TestReplayWindowModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for run := range 20 {
		var w replayWindow
		seen := map[uint64]bool{}
		var last uint64
		next := uint64(1)
		for step := range 5000 {
			var n uint64
			switch r := rng.IntN(100); {
			case r < 50: // in order
				n = next
				next++
			case r < 80: // somewhere around the window's edge
				back := uint64(rng.IntN(2*ReplayWindow + 200))
				n = max(1, next-min(back, next-1))
			case r < 95: // repeat something seen
				n = max(1, last-min(last, uint64(rng.IntN(64))))
			default: // jump ahead
				next += uint64(rng.IntN(5000))
				n = next
			}
			want := n > last || (last-n < ReplayWindow && !seen[n])
			if got := w.accept(n); got != want {
				t.Fatalf("run %d step %d: accept(%d) with last %d = %v, want %v", run, step, n, last, got, want)
			}
			if want {
				seen[n] = true
				last = max(last, n)
			}
		}
	}
}

func TestChannelConcurrent(t *testing.T) {
	minion, master := channelPair(t, "web1")
	const senders, each = 4, 200
	frames := make(chan []byte, senders*each)
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				frames <- minion.Seal([]byte(fmt.Sprintf("%d/%d", s, i)))
			}
		}()
	}
	wg.Wait()
	close(frames)

	// Open every frame twice, concurrently: exactly one of each pair wins.
	var all [][]byte
	for f := range frames {
		all = append(all, f)
	}
	var opened, replays atomic.Int64
	seen := sync.Map{}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range all {
				f := all[(i+w*len(all)/4)%len(all)]
				got, err := master.Open(f)
				switch {
				case err == nil:
					opened.Add(1)
					if _, dup := seen.LoadOrStore(string(got), true); dup {
						t.Errorf("%q opened twice", got)
					}
				case errors.Is(err, ErrReplay):
					replays.Add(1)
				default:
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if opened.Load() != senders*each {
		t.Errorf("opened %d frames, want %d (replays %d)", opened.Load(), senders*each, replays.Load())
	}
}

// Many goroutines open the same frame at the same instant: exactly one may
// succeed, even though all of them pass the replay check before decrypting.
func TestChannelConcurrentSameFrame(t *testing.T) {
	minion, master := channelPair(t, "web1")
	const rounds, racers = 300, 4
	for i := range rounds {
		frame := minion.Seal([]byte(fmt.Sprint(i)))
		var ok atomic.Int32
		var ready, done sync.WaitGroup
		start := make(chan struct{})
		for range racers {
			ready.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				ready.Done()
				<-start
				if _, err := master.Open(frame); err == nil {
					ok.Add(1)
				} else if !errors.Is(err, ErrReplay) {
					t.Error(err)
				}
			}()
		}
		ready.Wait()
		close(start)
		done.Wait()
		if n := ok.Load(); n != 1 {
			t.Fatalf("round %d: frame opened %d times", i, n)
		}
	}
}

func TestNewChannelPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"zero key":          func() { NewChannel(RequestKey{}, "web1", ToMaster) },
		"invalid direction": func() { NewChannel(mustRequestKey(t), "web1", 0) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

func TestRequestKeyBinary(t *testing.T) {
	k := mustRequestKey(t)
	b, err := codec.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var got RequestKey
	if err := codec.Unmarshal(b, &got); err != nil || !got.Equal(k) {
		t.Fatalf("codec round trip: %v", err)
	}
	if k2 := mustRequestKey(t); k2.Equal(k) {
		t.Error("NewRequestKey is not random")
	}
	for name, in := range map[string][]byte{"short": make([]byte, 31), "long": make([]byte, 33), "zero": make([]byte, 32)} {
		if err := got.UnmarshalBinary(in); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if _, err := (RequestKey{}).MarshalBinary(); err == nil {
		t.Error("zero request key encoded")
	}
	if ToMaster.String() != "to-master" || ToMinion.String() != "to-minion" || Direction(7).String() != "Direction(7)" {
		t.Error("Direction.String")
	}
}
