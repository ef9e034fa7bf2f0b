package jobstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sync/semaphore"
)

// ErrBatcherClosed is returned by Add once the Batcher has stopped, and by
// Run when it is called a second time.
var ErrBatcherClosed = errors.New("jobstore: batcher stopped")

// Defaults for NewBatcher arguments that are zero or negative.
const (
	DefaultMaxBatch = 500
	DefaultMaxDelay = 10 * time.Millisecond
)

// DefaultMaxQueuedBytes bounds the encoded size of the returns waiting to
// be written (see AddThen): the queue's count bound alone would let 2,000
// returns of 16 MiB each wait in memory.
const DefaultMaxQueuedBytes = 256 << 20

// queueBatches is the queue length in batches: room for the next few
// batches while one is being written.
const queueBatches = 4

// writeTimeout bounds one batch write, retries included. Writes use a
// context detached from Run's so that returns queued at shutdown are still
// written.
const writeTimeout = 30 * time.Second

// retryDelays are the pauses before retrying a batch that failed for a
// reason other than bad input (a lock held too long by another process, a
// full disk). While the Batcher retries, the queue fills and Add blocks:
// the pressure reaches the request channel instead of returns being dropped.
var retryDelays = []time.Duration{100 * time.Millisecond, 400 * time.Millisecond, 1600 * time.Millisecond}

// Batcher turns a stream of returns into batched AddReturns transactions:
// a batch is written when it reaches maxBatch returns or maxDelay after its
// first return arrived, whichever comes first. Writing 500 returns in one
// transaction costs little more than writing one, which is what lets a
// master take in a whole fleet's answers within a second.
//
// One goroutine, Run, owns the batch; Add and Flush may be called from any
// goroutine.
type Batcher struct {
	store    Store
	maxBatch int
	maxDelay time.Duration
	log      hclog.Logger

	in       chan queued
	flushes  chan chan error
	bytes    *semaphore.Weighted // bytes of queued returns, see AddThen
	maxBytes int64
	stopCtx  context.Context // cancelled when Run starts shutting down
	stop     context.CancelFunc
	stopping chan struct{} // closed when Run starts shutting down
	done     chan struct{} // closed when Run has written everything and returned
	started  atomic.Bool

	// mu guards closed: Add holds it for reading while it enqueues, so Run
	// can wait out in-flight Adds before its last drain.
	mu     sync.RWMutex
	closed bool

	// errMu guards the count of returns given up on since they were last
	// reported, and the first error among them.
	errMu    sync.Mutex
	dropped  int
	firstErr error
}

// NewBatcher returns a Batcher writing to store. maxBatch and maxDelay
// default to DefaultMaxBatch and DefaultMaxDelay when not positive; log may
// be nil. The queue holds 4×maxBatch returns.
func NewBatcher(store Store, maxBatch int, maxDelay time.Duration, log hclog.Logger) *Batcher {
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	if maxDelay <= 0 {
		maxDelay = DefaultMaxDelay
	}
	if log == nil {
		log = hclog.NewNullLogger()
	}
	stopCtx, stop := context.WithCancel(context.Background())
	return &Batcher{
		store:    store,
		maxBatch: maxBatch,
		maxDelay: maxDelay,
		log:      log,
		in:       make(chan queued, queueBatches*maxBatch),
		flushes:  make(chan chan error),
		bytes:    semaphore.NewWeighted(DefaultMaxQueuedBytes),
		maxBytes: DefaultMaxQueuedBytes,
		stopCtx:  stopCtx,
		stop:     stop,
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// LimitQueuedBytes replaces DefaultMaxQueuedBytes; call it before the
// first Add.
func (b *Batcher) LimitQueuedBytes(n int64) {
	b.bytes, b.maxBytes = semaphore.NewWeighted(n), n
}

// queued is a return waiting to be written and whom to tell once it is.
type queued struct {
	r      Return
	size   int64 // bytes held in b.bytes until written
	stored func(error)
}

// Add queues r for writing; see AddThen.
func (b *Batcher) Add(r Return) error { return b.AddThen(r, 0, nil) }

// AddThen queues r, whose encoded size is size bytes, for writing and
// calls stored (when not nil) once the
// transaction holding r has committed, with nil, or once the Batcher has
// given up on r, with the reason. It is how the master acknowledges a
// return only when it is durable: the minion keeps its copy until then.
// stored runs on the Batcher's goroutine and must not block.
//
// AddThen queues r for writing. It returns at once while the queue has room;
// when the queue is full (the store is slower than returns arrive) it
// blocks until there is room. That back-pressure is deliberate: it slows
// the reader of the request channel rather than dropping returns or
// growing without bound.
//
// Add returns ErrBatcherClosed, without queueing r, once Run has begun to
// shut down. Returns added before that are written by Run before it
// returns. Before Run starts, Add queues until the queue is full.
//
// The queue is bounded in bytes as well as in returns: while the returns
// waiting hold the byte budget, AddThen waits too (the same back-pressure
// as Add's).
func (b *Batcher) AddThen(r Return, size int, stored func(error)) error {
	q := queued{r: r, size: min(int64(size), b.maxBytes), stored: stored}
	if q.size > 0 {
		// Taken before b.mu: a shutdown waits for Adds holding b.mu, and
		// only writes, which the shutdown does, give bytes back.
		if err := b.bytes.Acquire(b.stopCtx, q.size); err != nil {
			return ErrBatcherClosed
		}
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		b.release(q)
		return ErrBatcherClosed
	}
	select {
	case b.in <- q:
		return nil
	case <-b.stopping:
		// Run is waiting for us to leave; the queue may still have room,
		// in which case r is taken in the final drain.
		select {
		case b.in <- q:
			return nil
		default:
			b.release(q)
			return ErrBatcherClosed
		}
	}
}

// Flush waits until every return added before the call has been written
// (or given up on), then reports the returns that could not be stored since
// the previous Flush. It returns early with ctx's error when ctx is done.
// After Run has returned, Flush reports what the final write left unstored.
func (b *Batcher) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case b.flushes <- reply:
	case <-b.done:
		return b.takeErr()
	case <-ctx.Done():
		return fmt.Errorf("flush returns: %w", ctx.Err())
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return fmt.Errorf("flush returns: %w", ctx.Err())
	}
}

// Run writes batches until ctx is done, then writes everything still queued
// and returns nil. It returns ErrBatcherClosed if called more than once.
func (b *Batcher) Run(ctx context.Context) error {
	if !b.started.CompareAndSwap(false, true) {
		return fmt.Errorf("run batcher: %w", ErrBatcherClosed)
	}
	defer close(b.done)

	// Writes outlive ctx so that shutdown still stores what was queued.
	wctx := context.WithoutCancel(ctx)
	batch := make([]queued, 0, b.maxBatch)
	timer := time.NewTimer(b.maxDelay)
	timer.Stop()
	defer timer.Stop()
	var deadline <-chan time.Time

	write := func() {
		if len(batch) > 0 {
			b.write(wctx, batch)
			clear(batch) // drop references to written values
			batch = batch[:0]
		}
		timer.Stop()
		deadline = nil
	}
	add := func(q queued) {
		batch = append(batch, q)
		switch {
		case len(batch) >= b.maxBatch:
			write()
		case len(batch) == 1:
			timer.Reset(b.maxDelay)
			deadline = timer.C
		}
	}

	for {
		select {
		case r := <-b.in:
			add(r)
		case <-deadline:
			deadline = nil
			write()
		case reply := <-b.flushes:
			// Everything added before Flush was called is in the queue
			// already; take that much, not what keeps arriving.
			for n := len(b.in); n > 0; n-- {
				add(<-b.in)
			}
			write()
			reply <- b.takeErr()
		case <-ctx.Done():
			close(b.stopping)
			b.stop()
			b.mu.Lock() // waits for Adds in flight; none start after this
			b.closed = true
			b.mu.Unlock()
			for n := len(b.in); n > 0; n-- {
				add(<-b.in)
			}
			write()
			return nil
		}
	}
}

// write stores batch, retrying as retryDelays says. A batch refused for bad
// input (ErrInvalid: nothing was written) is retried one return at a time so
// one bad return does not cost the others.
func (b *Batcher) write(ctx context.Context, batch []queued) {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	rs := make([]Return, len(batch))
	for i := range batch {
		rs[i] = batch[i].r
	}
	err := b.store.AddReturns(ctx, rs)
	for i := 0; err != nil && !errors.Is(err, ErrInvalid) && i < len(retryDelays); i++ {
		b.log.Warn("writing returns failed, will retry", "returns", len(batch), "retry_in", retryDelays[i], "error", err)
		t := time.NewTimer(retryDelays[i])
		select {
		case <-t.C:
		case <-ctx.Done():
		}
		t.Stop()
		err = b.store.AddReturns(ctx, rs)
	}
	switch {
	case err == nil:
		for _, q := range batch {
			b.release(q)
			if q.stored != nil {
				q.stored(nil)
			}
		}
		return
	case errors.Is(err, ErrInvalid) && len(batch) > 1:
		b.log.Warn("batch of returns refused, writing one at a time", "returns", len(batch), "error", err)
		for i := range batch {
			b.write(ctx, batch[i:i+1])
		}
		return
	}
	for _, q := range batch {
		b.log.Error("return not stored", "jid", q.r.JID, "id", q.r.ID, "error", err)
		b.release(q)
		if q.stored != nil {
			q.stored(err)
		}
	}
	b.errMu.Lock()
	defer b.errMu.Unlock()
	if b.firstErr == nil {
		b.firstErr = err
	}
	b.dropped += len(batch)
}

// release gives back the bytes q held.
func (b *Batcher) release(q queued) {
	if q.size > 0 {
		b.bytes.Release(q.size)
	}
}

// takeErr reports and resets the returns dropped since the last call.
func (b *Batcher) takeErr() error {
	b.errMu.Lock()
	defer b.errMu.Unlock()
	if b.dropped == 0 {
		return nil
	}
	err := fmt.Errorf("%d returns not stored: %w", b.dropped, b.firstErr)
	b.dropped, b.firstErr = 0, nil
	return err
}
