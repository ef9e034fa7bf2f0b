package minion

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/wire"
)

// ErrDaemonRunning means another process holds the minion's cache lock:
// a `halite-minion serve` with the same cache_dir.
var ErrDaemonRunning = errors.New("a halite-minion daemon runs with this cache_dir")

// lockPath is the file a serving minion holds locked (flock).
func lockPath(cfg config.Minion) string { return filepath.Join(cfg.CacheDir, "minion.lock") }

// Lock takes the minion's cache lock without waiting: held by the daemon
// for its life, and by `halite-minion exec` while it delivers a report
// itself. ErrDaemonRunning when another process has it.
func Lock(cfg config.Minion) (unlock func(), err error) {
	if err := os.MkdirAll(cfg.CacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", cfg.CacheDir, err)
	}
	f, err := os.OpenFile(lockPath(cfg), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrDaemonRunning
		}
		return nil, fmt.Errorf("lock %s: %w", lockPath(cfg), err)
	}
	return func() { _ = f.Close() }, nil
}

// LockWait is Lock, retried for up to d: an exec delivering its report
// holds the lock for a few seconds at most.
func LockWait(ctx context.Context, cfg config.Minion, d time.Duration) (func(), error) {
	deadline := time.Now().Add(d)
	for {
		unlock, err := Lock(cfg)
		if !errors.Is(err, ErrDaemonRunning) || time.Now().After(deadline) {
			return unlock, err
		}
		if !waitOrDone(ctx, 100*time.Millisecond) {
			return nil, ctx.Err()
		}
	}
}

// SpoolReport writes a report into the minion's spool, durably (written,
// synced, renamed into place), where the daemon or the next delivery
// finds it.
func SpoolReport(cfg config.Minion, r *wire.Return) error {
	dir := filepath.Join(cfg.CacheDir, "returns")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create spool: %w", err)
	}
	fitReturn(r, maxReturnBytes, hclog.NewNullLogger())
	b, err := codec.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	final := filepath.Join(dir, filepath.Base(r.JID)+".ret")
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("write spool: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write spool: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("sync spool: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return err
	}
	// The rename is durable only once the directory is: exec's command
	// has finished and nothing else will record that it ran.
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Deliver connects as this minion only to send what its spool holds, and
// returns once the master has acknowledged all of it, or when ctx ends
// (what is left stays in the spool). It neither subscribes to jobs nor
// runs a schedule: `halite-minion exec` uses it when no daemon runs.
func Deliver(ctx context.Context, cfg config.Minion, log hclog.Logger) (left int, err error) {
	m, err := New(ctx, cfg, log, Options{})
	if err != nil {
		return 0, err
	}
	m.deliverOnly = true
	if len(m.spool.pending()) == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.runLinks(ctx, false)
	}()
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for len(m.spool.pending()) > 0 {
		select {
		case <-ctx.Done():
		case <-t.C:
			continue
		}
		break
	}
	cancel()
	<-done
	m.bg.Wait()
	return len(m.spool.pending()), nil
}
