package jobstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// startBatcher runs b until the test ends (or stop is called) and returns
// stop, which waits for Run to return.
func startBatcher(t *testing.T, b *Batcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// returned counts the stored returns of jid.
func returned(t *testing.T, s Store, jid string) int {
	t.Helper()
	rec, err := s.GetJob(context.Background(), jid)
	if errors.Is(err, ErrNotFound) {
		return 0
	}
	if err != nil {
		t.Fatalf("GetJob: %v", err)
	}
	n := 0
	for _, r := range rec.Results {
		if r.Return != nil {
			n++
		}
	}
	return n
}

func ret(jid string, i int) Return {
	return Return{JID: jid, ID: fmt.Sprintf("m%05d", i), Fun: "test.ping", Return: true, Success: true}
}

func TestBatcherWritesFullBatches(t *testing.T) {
	s, _ := openStore(t)
	b := NewBatcher(s, 10, time.Hour, nil) // only size or Flush can trigger a write
	startBatcher(t, b)
	for i := 0; i < 25; i++ {
		if err := b.Add(ret("j", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "two full batches", func() bool { return returned(t, s, "j") == 20 })
	time.Sleep(30 * time.Millisecond)
	if n := returned(t, s, "j"); n != 20 {
		t.Fatalf("%d returns stored before Flush, want the 2 full batches (20)", n)
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if n := returned(t, s, "j"); n != 25 {
		t.Errorf("%d returns stored after Flush, want 25", n)
	}
}

func TestBatcherWritesAfterMaxDelay(t *testing.T) {
	s, _ := openStore(t)
	b := NewBatcher(s, 1000, 20*time.Millisecond, nil)
	startBatcher(t, b)
	start := time.Now()
	for i := 0; i < 3; i++ {
		if err := b.Add(ret("j", i)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the delayed write", func() bool { return returned(t, s, "j") == 3 })
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("partial batch written after %v, before maxDelay", d)
	}
}

// TestBatcherFlushSeesOwnReturn is the "jobs show" guarantee: whoever adds a
// return and then flushes finds it in the store, with other goroutines
// adding all the while.
func TestBatcherFlushSeesOwnReturn(t *testing.T) {
	s, _ := openStore(t)
	b := NewBatcher(s, 64, time.Hour, nil)
	startBatcher(t, b)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jid := fmt.Sprintf("j%d", w)
			for i := 0; i < 40; i++ {
				if err := b.Add(ret(jid, i)); err != nil {
					t.Error(err)
					return
				}
				if i%10 != 9 {
					continue
				}
				if err := b.Flush(ctx); err != nil {
					t.Error(err)
					return
				}
				if n := returned(t, s, jid); n != i+1 {
					t.Errorf("%s: %d returns stored after Flush, want %d", jid, n, i+1)
				}
			}
		}()
	}
	wg.Wait()
}

func TestBatcherShutdownWritesQueued(t *testing.T) {
	s, _ := openStore(t)
	b := NewBatcher(s, 500, time.Hour, nil)
	// Added before Run starts: queued, written once Run runs.
	for i := 0; i < 300; i++ {
		if err := b.Add(ret("j", i)); err != nil {
			t.Fatal(err)
		}
	}
	stop := startBatcher(t, b)
	stop()
	if n := returned(t, s, "j"); n != 300 {
		t.Errorf("%d returns stored after shutdown, want 300", n)
	}
	if err := b.Add(ret("j", 999)); !errors.Is(err, ErrBatcherClosed) {
		t.Errorf("Add after shutdown = %v, want ErrBatcherClosed", err)
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Errorf("Flush after clean shutdown = %v", err)
	}
	if err := b.Run(context.Background()); !errors.Is(err, ErrBatcherClosed) {
		t.Errorf("second Run = %v, want ErrBatcherClosed", err)
	}
}

// TestBatcherShutdownUnderLoad stops the Batcher while many goroutines are
// adding: every Add that reported success must be stored.
func TestBatcherShutdownUnderLoad(t *testing.T) {
	s, _ := openStore(t)
	b := NewBatcher(s, 50, time.Millisecond, nil)
	stop := startBatcher(t, b)
	var accepted atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if err := b.Add(ret(fmt.Sprintf("j%d", w), i)); err != nil {
					if !errors.Is(err, ErrBatcherClosed) {
						t.Error(err)
					}
					return
				}
				accepted.Add(1)
			}
		}()
	}
	waitFor(t, "some returns", func() bool { return accepted.Load() > 2000 })
	stop()
	wg.Wait()
	stored := 0
	for w := 0; w < 8; w++ {
		stored += returned(t, s, fmt.Sprintf("j%d", w))
	}
	if int64(stored) != accepted.Load() {
		t.Errorf("%d returns stored, %d accepted by Add", stored, accepted.Load())
	}
}

// blockingStore holds every AddReturns until release is closed.
type blockingStore struct {
	Store
	entered chan struct{}
	release chan struct{}
}

func (s *blockingStore) AddReturns(ctx context.Context, rs []Return) error {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-s.release
	return s.Store.AddReturns(ctx, rs)
}

func TestBatcherBackPressure(t *testing.T) {
	s, _ := openStore(t)
	bs := &blockingStore{Store: s, entered: make(chan struct{}, 1), release: make(chan struct{})}
	const maxBatch = 4
	b := NewBatcher(bs, maxBatch, time.Hour, nil)
	startBatcher(t, b)

	// One full batch is being written (and blocks); the queue holds
	// queueBatches more; the next Add must wait.
	capacity := maxBatch + queueBatches*maxBatch
	var added atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i <= capacity; i++ {
			if err := b.Add(ret("j", i)); err != nil {
				t.Error(err)
				return
			}
			added.Add(1)
		}
	}()
	<-bs.entered
	waitFor(t, "the queue to fill", func() bool { return added.Load() == int64(capacity) })
	select {
	case <-done:
		t.Fatalf("Add did not block with %d returns outstanding", capacity+1)
	case <-time.After(50 * time.Millisecond):
	}
	close(bs.release)
	<-done
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := returned(t, s, "j"); n != capacity+1 {
		t.Errorf("%d returns stored, want %d", n, capacity+1)
	}
}

func TestBatcherIsolatesBadReturn(t *testing.T) {
	s, _ := openStore(t)
	b := NewBatcher(s, 100, time.Hour, nil)
	startBatcher(t, b)
	for i := 0; i < 10; i++ {
		r := ret("j", i)
		if i == 4 {
			r.Return = make(chan int) // cannot be stored
		}
		if err := b.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	err := b.Flush(context.Background())
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "1 returns not stored") {
		t.Errorf("Flush = %v, want 1 return not stored (ErrInvalid)", err)
	}
	if n := returned(t, s, "j"); n != 9 {
		t.Errorf("%d returns stored, want the 9 good ones", n)
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Errorf("second Flush = %v: a failure is reported once", err)
	}
}

// failingStore fails the first n AddReturns calls with a non-input error.
type failingStore struct {
	Store
	fails atomic.Int64
}

func (s *failingStore) AddReturns(ctx context.Context, rs []Return) error {
	if s.fails.Add(-1) >= 0 {
		return errors.New("database is locked")
	}
	return s.Store.AddReturns(ctx, rs)
}

func TestBatcherRetriesTransientFailure(t *testing.T) {
	s, _ := openStore(t)
	fs := &failingStore{Store: s}
	fs.fails.Store(2)
	b := NewBatcher(fs, 10, time.Hour, nil)
	startBatcher(t, b)
	for i := 0; i < 10; i++ {
		if err := b.Add(ret("j", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Errorf("Flush = %v, want the retry to succeed", err)
	}
	if n := returned(t, s, "j"); n != 10 {
		t.Errorf("%d returns stored, want 10", n)
	}
}

func TestBatcherFlushHonoursContext(t *testing.T) {
	s, _ := openStore(t)
	b := NewBatcher(s, 10, time.Hour, nil) // never started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := b.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Flush without Run = %v, want DeadlineExceeded", err)
	}
}

// The master acknowledges a return when AddThen's callback says it is
// stored: the callback must come only after the commit, and say so when
// the store gave up on it.
func TestAddThenCallsBackAfterCommit(t *testing.T) {
	s, _ := openStore(t)
	b := NewBatcher(s, 100, time.Hour, nil) // nothing is written until Flush
	startBatcher(t, b)
	var stored atomic.Int32
	for i := range 5 {
		err := b.AddThen(ret("j", i), 0, func(err error) {
			if err != nil {
				t.Errorf("stored with error %v", err)
			}
			// The callback's claim must already be true.
			if n := returned(t, s, "j"); n < 5 {
				t.Errorf("callback before commit: %d of 5 returns in the store", n)
			}
			stored.Add(1)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond)
	if n := stored.Load(); n != 0 {
		t.Fatalf("%d callbacks before anything was written", n)
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := stored.Load(); n != 5 {
		t.Fatalf("%d of 5 callbacks after Flush", n)
	}
	// A return the store refuses for good is reported as such.
	var refused error
	if err := b.AddThen(Return{JID: "j", Fun: "x"}, 0, func(err error) { refused = err }); err != nil {
		t.Fatal(err)
	}
	_ = b.Flush(context.Background())
	if !errors.Is(refused, ErrInvalid) {
		t.Fatalf("refused return reported %v, want ErrInvalid", refused)
	}
}

// The queue is bounded in bytes too: while queued returns hold the byte
// budget, the next AddThen waits for a write to give bytes back.
func TestBatcherBytesBound(t *testing.T) {
	s, _ := openStore(t)
	bs := &blockingStore{Store: s, entered: make(chan struct{}, 1), release: make(chan struct{})}
	b := NewBatcher(bs, 1, time.Hour, nil)
	b.LimitQueuedBytes(100)
	startBatcher(t, b)
	if err := b.AddThen(ret("j", 0), 60, nil); err != nil {
		t.Fatal(err)
	}
	<-bs.entered // written, and held in the store
	second := make(chan error, 1)
	go func() { second <- b.AddThen(ret("j", 1), 60, nil) }()
	select {
	case err := <-second:
		t.Fatalf("a second 60-byte return was queued past a 100-byte budget (err %v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(bs.release)
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := returned(t, s, "j"); n != 2 {
		t.Fatalf("%d of 2 returns stored", n)
	}
	// One return larger than the whole budget still goes (alone).
	if err := b.AddThen(ret("j", 2), 1000, nil); err != nil {
		t.Fatal(err)
	}
}
