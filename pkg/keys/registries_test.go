package keys

import (
	"context"
	"os"
	"reflect"
	"testing"

	"github.com/halite/halite/internal/pgtest"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/pgdb"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// harness opens an empty registry and returns it with a way to put a key
// in a state behind its back (as an operator or another master would) and
// its contents as "state/id" → fingerprint.
type harness func(t *testing.T, autoAccept bool) (r Registry, seed func(State, string, crypto.MinionPublic), contents func() map[string]string)

// eachRegistry runs fn on each implementation: key files and PostgreSQL
// (a real server, see internal/pgtest).
func eachRegistry(t *testing.T, fn func(t *testing.T, h harness)) {
	t.Run("file", func(t *testing.T) {
		fn(t, func(t *testing.T, autoAccept bool) (Registry, func(State, string, crypto.MinionPublic), func() map[string]string) {
			r, dir := newRegistry(t, autoAccept)
			return r, func(s State, id string, k crypto.MinionPublic) { seed(t, dir, s, id, k) },
				func() map[string]string { return onDisk(t, dir) }
		})
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, func(t *testing.T, autoAccept bool) (Registry, func(State, string, crypto.MinionPublic), func() map[string]string) {
			ctx := context.Background()
			db, err := pgdb.Open(ctx, pgtest.DB(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(db.Close)
			r, err := NewPostgresRegistry(ctx, db, autoAccept)
			if err != nil {
				t.Fatal(err)
			}
			seedKey := func(s State, id string, k crypto.MinionPublic) {
				text, _ := k.MarshalText()
				if _, err := db.Pool.Exec(ctx, `INSERT INTO minion_keys (id, state, pub) VALUES ($1, $2, $3)`, id, string(s), string(text)); err != nil {
					t.Fatal(err)
				}
			}
			contents := func() map[string]string {
				es, err := r.List(ctx)
				if err != nil {
					t.Fatal(err)
				}
				out := map[string]string{}
				for _, e := range es {
					out[string(e.State)+"/"+e.ID] = e.Fingerprint
				}
				return out
			}
			return r, seedKey, contents
		})
	})
}

// Every change of state is announced on NotifyChannel once committed, so
// the other masters act on it; a pending key is not a change they act on.
func TestPostgresAnnouncesChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db, err := pgdb.Open(ctx, pgtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := NewPostgresRegistry(ctx, db, false)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan pgdb.Notification, 16)
	ready := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Listen(ctx, []string{NotifyChannel}, func() { close(ready) }, func(n pgdb.Notification) { got <- n })
	}()
	defer func() { cancel(); <-done }()
	<-ready
	if _, err := r.Check(ctx, "web1", newKey(t)); err != nil {
		t.Fatal(err)
	}
	steps := []func() error{
		func() error { _, err := r.Accept(ctx, "web1"); return err },
		func() error { _, err := r.Reject(ctx, "web1"); return err },
		func() error { _, err := r.Delete(ctx, "web1"); return err },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
		n := <-got
		if n.Channel != NotifyChannel || n.Payload != "web1" {
			t.Errorf("step %d: notification %+v, want web1 on %s", i, n, NotifyChannel)
		}
	}
	select {
	case n := <-got:
		t.Errorf("unexpected notification %+v (a new pending key is not announced)", n)
	default:
	}
}

// A master moving to the shared store brings its key files: into an
// empty registry only, every state kept.
func TestPostgresImportsKeyFiles(t *testing.T) {
	ctx := context.Background()
	files, dir := newRegistry(t, false)
	ka, kp, kr := newKey(t), newKey(t), newKey(t)
	seed(t, dir, StateAccepted, "web1", ka)
	seed(t, dir, StatePending, "new1", kp)
	seed(t, dir, StateRejected, "bad1", kr)
	db, err := pgdb.Open(ctx, pgtest.DB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := NewPostgresRegistry(ctx, db, false)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.ImportFrom(ctx, files); err != nil || n != 3 {
		t.Fatalf("ImportFrom = %d, %v; want 3", n, err)
	}
	want, _ := files.List(ctx)
	got, err := r.List(ctx)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("imported %+v, %v; want %+v", got, err, want)
	}
	if st, err := r.Check(ctx, "web1", ka); err != nil || st != StateAccepted {
		t.Errorf("imported accepted key: Check = %s, %v", st, err)
	}
	seed(t, dir, StateAccepted, "web2", newKey(t))
	if n, err := r.ImportFrom(ctx, files); err != nil || n != 0 {
		t.Errorf("second ImportFrom = %d, %v; want 0 (the registry holds keys)", n, err)
	}
}
