package pgdb_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/halite/halite/internal/pgtest"
	"github.com/halite/halite/pkg/pgdb"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t *testing.T, url string) *pgdb.DB {
	t.Helper()
	db, err := pgdb.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// Masters starting together migrate once; a newer schema is refused.
func TestMigrateConcurrentlyOnce(t *testing.T) {
	url := pgtest.DB(t)
	steps := []string{`CREATE TABLE t (n int)`, `ALTER TABLE t ADD COLUMN m int`}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		db := open(t, url)
		wg.Add(1)
		go func() { defer wg.Done(); errs <- db.Migrate(context.Background(), "c", steps) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	db := open(t, url)
	if err := db.Migrate(context.Background(), "c", steps[:1]); !errors.Is(err, pgdb.ErrSchemaTooNew) {
		t.Errorf("migrating back to version 1: %v, want ErrSchemaTooNew", err)
	}
}

// Every master sharing a database must hold the same master key.
func TestClaimIdentity(t *testing.T) {
	url := pgtest.DB(t)
	a, b := open(t, url), open(t, url)
	if err := a.ClaimIdentity(context.Background(), "aa:bb"); err != nil {
		t.Fatal(err)
	}
	if err := b.ClaimIdentity(context.Background(), "aa:bb"); err != nil {
		t.Errorf("the same key refused: %v", err)
	}
	if err := b.ClaimIdentity(context.Background(), "cc:dd"); !errors.Is(err, pgdb.ErrOtherIdentity) {
		t.Errorf("another key: %v, want ErrOtherIdentity", err)
	}
}

// A notification reaches every listener; a listener whose connection is
// killed reconnects and is told to resync.
func TestListenReconnectsAndResyncs(t *testing.T) {
	url := pgtest.DB(t)
	db := open(t, url)
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan pgdb.Notification, 8)
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Listen(ctx, []string{"ch"}, func() { close(ready) }, func(n pgdb.Notification) { got <- n })
	}()
	defer func() { cancel(); <-done }()
	<-ready
	other := open(t, url)
	if err := other.Notify(ctx, "ch", "hello"); err != nil {
		t.Fatal(err)
	}
	if n := <-got; n.Channel != "ch" || n.Payload != "hello" || n.Resync {
		t.Fatalf("got %+v", n)
	}
	// The server ends the listening connection (a restart, a network cut).
	if _, err := other.Pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	select {
	case n := <-got:
		if !n.Resync {
			t.Fatalf("after reconnecting: %+v, want a resync", n)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no resync after the listening connection was killed")
	}
	if err := other.Notify(ctx, "ch", "again"); err != nil {
		t.Fatal(err)
	}
	if n := <-got; n.Payload != "again" {
		t.Fatalf("after reconnecting: %+v", n)
	}
}
