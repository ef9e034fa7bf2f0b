// Package pgdb is the masters' shared PostgreSQL database (DESIGN §10):
// one connection pool per master, schema migrations applied at start under
// a lock so masters starting together migrate once, and LISTEN/NOTIFY, the
// channel masters tell each other about key changes, rotations and
// returns on.
//
// The job store (jobstore.PostgresStore) and the key registry
// (keys.PostgresRegistry) are built on a DB; each owns its tables and its
// migrations, recorded under its own component name.
package pgdb

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is an open pool on the shared database.
type DB struct {
	Pool *pgxpool.Pool
	url  string
}

// IsURL reports whether store names PostgreSQL.
func IsURL(store string) bool {
	return strings.HasPrefix(store, "postgres://") || strings.HasPrefix(store, "postgresql://")
}

// Redact returns the URL with its password replaced, for logs and errors.
func Redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}

// Open connects to the database at rawURL (a postgres:// URL) and checks
// that it answers.
func Open(ctx context.Context, rawURL string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(rawURL)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", Redact(rawURL), err)
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "halite-master"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", Redact(rawURL), err)
	}
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store %s: %w", Redact(rawURL), err)
	}
	return &DB{Pool: pool, url: rawURL}, nil
}

// Close closes the pool.
func (d *DB) Close() { d.Pool.Close() }

// ErrSchemaTooNew means the database was migrated by a newer Halite.
var ErrSchemaTooNew = errors.New("pgdb: database schema is newer than this program")

// Migrate brings component's tables to len(steps): steps[i] brings them to
// version i+1. It holds a transaction-scoped advisory lock, so of several
// masters starting at once one migrates and the others find it done.
// Append steps, never edit them.
func (d *DB) Migrate(ctx context.Context, component string, steps []string) error {
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	defer tx.Rollback(ctx)
	// One lock for every component: CREATE TABLE IF NOT EXISTS of the
	// versions table itself races otherwise.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7214831)`); err != nil {
		return fmt.Errorf("migrate %s: lock: %w", component, err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS halite_schema (
		component TEXT NOT NULL,
		version   INTEGER NOT NULL,
		applied   TIMESTAMPTZ NOT NULL DEFAULT now(),
		PRIMARY KEY (component, version))`); err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM halite_schema WHERE component = $1`,
		component).Scan(&have); err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	if have > len(steps) {
		return fmt.Errorf("%w: %s at version %d, this program knows %d", ErrSchemaTooNew, component, have, len(steps))
	}
	for v := have + 1; v <= len(steps); v++ {
		if _, err := tx.Exec(ctx, steps[v-1]); err != nil {
			return fmt.Errorf("migrate %s to version %d: %w", component, v, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO halite_schema (component, version) VALUES ($1, $2)`, component, v); err != nil {
			return fmt.Errorf("migrate %s to version %d: %w", component, v, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", component, err)
	}
	return nil
}

// Notify sends payload on channel to every listening master (this one
// included). PostgreSQL caps a payload at 8000 bytes: payloads are ids and
// jids, never data.
func (d *DB) Notify(ctx context.Context, channel, payload string) error {
	if _, err := d.Pool.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Notification is one message received by Listen. Resync (with empty
// Channel and Payload) means the listening connection was re-established
// and messages sent in between were missed: the receiver should reload
// what it caches.
type Notification struct {
	Channel, Payload string
	Resync           bool
}

// Listen receives the notifications on channels and calls fn for each,
// in order, until ctx ends. It holds one connection of its own and
// reconnects (with backoff) when it breaks, then calls fn with Resync.
// ready is called once the first LISTEN is in place.
func (d *DB) Listen(ctx context.Context, channels []string, ready func(), fn func(Notification)) {
	first := true
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := d.listenOnce(ctx, channels, func() {
			backoff = 100 * time.Millisecond
			if first {
				first = false
				if ready != nil {
					ready()
				}
				return
			}
			fn(Notification{Resync: true})
		}, fn)
		if ctx.Err() != nil {
			return
		}
		_ = err // the next attempt either works or fails the same way
		t := time.NewTimer(backoff + rand.N(backoff))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

func (d *DB) listenOnce(ctx context.Context, channels []string, up func(), fn func(Notification)) error {
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection that was LISTENing is not given back to the pool.
	defer func() { conn.Conn().Close(context.Background()); conn.Release() }()
	for _, ch := range channels {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			return err
		}
	}
	up()
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		fn(Notification{Channel: n.Channel, Payload: n.Payload})
	}
}

// Lead calls set(true) once this process holds the database-wide lock
// called name and set(false) when it no longer does, until ctx ends: of
// all the masters sharing the database one leads at a time (the returners
// run on it alone). The lock is a session lock on a connection of its
// own, so when the leader dies or loses the database its connection
// closes and another master takes over within a few seconds.
func (d *DB) Lead(ctx context.Context, name string, set func(leading bool)) {
	for ctx.Err() == nil {
		if d.leadOnce(ctx, name, set) {
			set(false)
		}
		t := time.NewTimer(time.Second)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// leadOnce tries for the lock on one connection until it breaks or ctx
// ends, and reports whether it held it.
func (d *DB) leadOnce(ctx context.Context, name string, set func(bool)) (held bool) {
	conn, err := d.Pool.Acquire(ctx)
	if err != nil {
		return false
	}
	// Closing the session releases the lock; the connection is not given
	// back to the pool holding it.
	defer func() { conn.Conn().Close(context.Background()); conn.Release() }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if !held {
			if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(7214833, hashtext($1))`, name).Scan(&held); err != nil {
				return false
			}
			if held {
				set(true)
			}
		} else if err := conn.Ping(ctx); err != nil {
			return true
		}
		select {
		case <-ctx.Done():
			return held
		case <-tick.C:
		}
	}
}

// IsUniqueViolation reports whether err is PostgreSQL's unique_violation.
func IsUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// ErrOtherIdentity means the database is shared by masters with another
// master key: minions pin one key, so every master must hold it.
var ErrOtherIdentity = errors.New("pgdb: the masters sharing this database use another master key")

// ClaimIdentity records fingerprint as the master key of the masters that
// share the database, or checks that it is the one recorded.
func (d *DB) ClaimIdentity(ctx context.Context, fingerprint string) error {
	if err := d.Migrate(ctx, "identity", []string{`CREATE TABLE master_identity (
		one         BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),
		fingerprint TEXT NOT NULL,
		claimed     TIMESTAMPTZ NOT NULL DEFAULT now())`}); err != nil {
		return err
	}
	if _, err := d.Pool.Exec(ctx, `INSERT INTO master_identity (fingerprint) VALUES ($1) ON CONFLICT DO NOTHING`, fingerprint); err != nil {
		return fmt.Errorf("master identity: %w", err)
	}
	var have string
	if err := d.Pool.QueryRow(ctx, `SELECT fingerprint FROM master_identity`).Scan(&have); err != nil {
		return fmt.Errorf("master identity: %w", err)
	}
	if have != fingerprint {
		return fmt.Errorf("%w: this master is %s, the others are %s (copy pki_dir/master.key and master.pub from one of them)", ErrOtherIdentity, fingerprint, have)
	}
	return nil
}
