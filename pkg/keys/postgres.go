package keys

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/pgdb"
)

// NotifyChannel is the PostgreSQL channel a PostgresRegistry announces
// every change of a key on, with the minion id as payload, so that every
// master sharing the registry acts on it at once (a deleted key closes
// that minion's sessions and rotates the publish key on all of them).
const NotifyChannel = "halite_keys"

var pgMigrations = []string{
	`CREATE TABLE minion_keys (
		id      TEXT NOT NULL,
		state   TEXT NOT NULL CHECK (state IN ('accepted', 'pending', 'rejected', 'denied')),
		pub     TEXT NOT NULL, -- the key in text form, as in a key file
		changed TIMESTAMPTZ NOT NULL DEFAULT now(),
		PRIMARY KEY (id, state)
	);`,
}

// PostgresRegistry is the Registry on the database several masters share
// (DESIGN §10): a key accepted on one master is accepted on all. Every
// call on one id runs in a transaction holding a lock on that id, so two
// masters seeing the same new minion at once record it once.
type PostgresRegistry struct {
	db         *pgdb.DB
	autoAccept bool
	maxPending int
}

var _ Registry = (*PostgresRegistry)(nil)

// NewPostgresRegistry brings the registry's table in db up to date. The
// registry borrows db: closing it is the caller's.
func NewPostgresRegistry(ctx context.Context, db *pgdb.DB, autoAccept bool) (*PostgresRegistry, error) {
	if err := db.Migrate(ctx, "keys", pgMigrations); err != nil {
		return nil, fmt.Errorf("key registry: %w", err)
	}
	return &PostgresRegistry{db: db, autoAccept: autoAccept}, nil
}

// LimitPending bounds the pending keys (max_pending_keys); 0 lifts it.
// Call it before use.
func (r *PostgresRegistry) LimitPending(n int) { r.maxPending = n }

// inID runs fn in a transaction that holds the lock of id.
func (r *PostgresRegistry) inID(ctx context.Context, id string, fn func(tx pgx.Tx) error) error {
	tx, err := r.db.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7214832, hashtext($1))`, id); err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// keysOf reads the keys of id by state.
func keysOf(ctx context.Context, tx pgx.Tx, id string) (map[State]crypto.MinionPublic, error) {
	rows, err := tx.Query(ctx, `SELECT state, pub FROM minion_keys WHERE id = $1`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[State]crypto.MinionPublic{}
	for rows.Next() {
		var st, text string
		if err := rows.Scan(&st, &text); err != nil {
			return nil, err
		}
		var pub crypto.MinionPublic
		if err := pub.UnmarshalText([]byte(text)); err != nil {
			return nil, fmt.Errorf("%w: minion_keys row (%s, %s): %v", ErrBadKeyFile, id, st, err)
		}
		out[State(st)] = pub
	}
	return out, rows.Err()
}

func put(ctx context.Context, tx pgx.Tx, id string, s State, pub crypto.MinionPublic) error {
	text, err := pub.MarshalText()
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO minion_keys (id, state, pub) VALUES ($1, $2, $3)
		ON CONFLICT (id, state) DO UPDATE SET pub = excluded.pub, changed = now()`, id, string(s), string(text))
	return err
}

// move changes the state of id's key from one state to another and
// announces it.
func move(ctx context.Context, tx pgx.Tx, id string, from, to State) error {
	if _, err := tx.Exec(ctx, `DELETE FROM minion_keys WHERE id = $1 AND state = $2`, id, string(to)); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE minion_keys SET state = $3, changed = now() WHERE id = $1 AND state = $2`,
		id, string(from), string(to)); err != nil {
		return err
	}
	return announce(ctx, tx, id)
}

// announce tells every master, once the transaction commits.
func announce(ctx context.Context, tx pgx.Tx, id string) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, id)
	return err
}

// Check implements Registry.
func (r *PostgresRegistry) Check(ctx context.Context, id string, pub crypto.MinionPublic) (State, error) {
	if err := ValidID(id); err != nil {
		return "", fmt.Errorf("check key of %q: %w", id, err)
	}
	if pub.IsZero() {
		return "", fmt.Errorf("check key of %q: zero key", id)
	}
	var st State
	err := r.inID(ctx, id, func(tx pgx.Tx) error {
		have, err := keysOf(ctx, tx, id)
		if err != nil {
			return err
		}
		if acc, ok := have[StateAccepted]; ok {
			if acc.Equal(pub) {
				st = StateAccepted
				return nil
			}
			st = StateDenied
			return put(ctx, tx, id, StateDenied, pub)
		}
		if _, ok := have[StateRejected]; ok {
			st = StateRejected
			return nil
		}
		if pend, ok := have[StatePending]; ok {
			switch {
			case !pend.Equal(pub):
				st = StateDenied
				return put(ctx, tx, id, StateDenied, pub)
			case r.autoAccept:
				st = StateAccepted
				return move(ctx, tx, id, StatePending, StateAccepted)
			}
			st = StatePending
			return nil
		}
		if den, ok := have[StateDenied]; ok && den.Equal(pub) {
			st = StateDenied
			return nil
		}
		if r.autoAccept {
			st = StateAccepted
			if err := put(ctx, tx, id, StateAccepted, pub); err != nil {
				return err
			}
			return announce(ctx, tx, id)
		}
		if r.maxPending > 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM minion_keys WHERE state = 'pending'`).Scan(&n); err != nil {
				return err
			}
			if n >= r.maxPending {
				return fmt.Errorf("%w: %d keys wait for acceptance", ErrTooManyPending, n)
			}
		}
		st = StatePending
		return put(ctx, tx, id, StatePending, pub)
	})
	if err != nil {
		return "", fmt.Errorf("check key of %q: %w", id, err)
	}
	return st, nil
}

func scanEntries(rows pgx.Rows) ([]Entry, error) {
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var id, st, text string
		if err := rows.Scan(&id, &st, &text); err != nil {
			return nil, err
		}
		var pub crypto.MinionPublic
		if err := pub.UnmarshalText([]byte(text)); err != nil {
			return nil, fmt.Errorf("%w: minion_keys row (%s, %s): %v", ErrBadKeyFile, id, st, err)
		}
		out = append(out, entry(id, State(st), pub))
	}
	return out, rows.Err()
}

// stateRank is the SQL that sorts states as stateOrder does.
const stateRank = `CASE state WHEN 'accepted' THEN 0 WHEN 'pending' THEN 1 WHEN 'rejected' THEN 2 ELSE 3 END`

// List implements Registry.
func (r *PostgresRegistry) List(ctx context.Context) ([]Entry, error) {
	rows, err := r.db.Pool.Query(ctx, `SELECT id, state, pub FROM minion_keys ORDER BY `+stateRank+`, id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	out, err := scanEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	return out, nil
}

// Get implements Registry.
func (r *PostgresRegistry) Get(ctx context.Context, id string) ([]Entry, error) {
	if err := ValidID(id); err != nil {
		return nil, fmt.Errorf("get key: %w", err)
	}
	rows, err := r.db.Pool.Query(ctx, `SELECT id, state, pub FROM minion_keys WHERE id = $1 ORDER BY `+stateRank, id)
	if err != nil {
		return nil, fmt.Errorf("get key of %q: %w", id, err)
	}
	out, err := scanEntries(rows)
	if err != nil {
		return nil, fmt.Errorf("get key of %q: %w", id, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("get key of %q: %w", id, ErrNotFound)
	}
	return out, nil
}

// transition moves id's key from the first state of from that holds one.
func (r *PostgresRegistry) transition(ctx context.Context, id string, to State, from ...State) (Entry, error) {
	var e Entry
	err := r.inID(ctx, id, func(tx pgx.Tx) error {
		have, err := keysOf(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, s := range from {
			pub, ok := have[s]
			if !ok {
				continue
			}
			if err := move(ctx, tx, id, s, to); err != nil {
				return err
			}
			e = entry(id, to, pub)
			e.Prior = s
			return nil
		}
		names := make([]string, len(from))
		for i, s := range from {
			names[i] = string(s)
		}
		return fmt.Errorf("%w: no %s key", ErrNotFound, strings.Join(names, " or "))
	})
	return e, err
}

// Accept implements Registry.
func (r *PostgresRegistry) Accept(ctx context.Context, id string) (Entry, error) {
	if err := ValidID(id); err != nil {
		return Entry{}, fmt.Errorf("accept key: %w", err)
	}
	e, err := r.transition(ctx, id, StateAccepted, StatePending, StateRejected)
	if err != nil {
		return Entry{}, fmt.Errorf("accept key of %q: %w", id, err)
	}
	return e, nil
}

// AcceptAll implements Registry. On an error it returns the keys accepted
// before it.
func (r *PostgresRegistry) AcceptAll(ctx context.Context) ([]Entry, error) {
	rows, err := r.db.Pool.Query(ctx, `SELECT id FROM minion_keys WHERE state = 'pending' ORDER BY id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("accept all keys: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("accept all keys: %w", err)
	}
	var out []Entry
	for _, id := range ids {
		e, err := r.transition(ctx, id, StateAccepted, StatePending)
		if errors.Is(err, ErrNotFound) {
			continue // accepted or removed since, on another master
		}
		if err != nil {
			return out, fmt.Errorf("accept all keys: %s: %w", id, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Reject implements Registry.
func (r *PostgresRegistry) Reject(ctx context.Context, id string) (Entry, error) {
	if err := ValidID(id); err != nil {
		return Entry{}, fmt.Errorf("reject key: %w", err)
	}
	e, err := r.transition(ctx, id, StateRejected, StateAccepted, StatePending)
	if err != nil {
		return Entry{}, fmt.Errorf("reject key of %q: %w", id, err)
	}
	return e, nil
}

// Delete implements Registry.
func (r *PostgresRegistry) Delete(ctx context.Context, id string) ([]Entry, error) {
	if err := ValidID(id); err != nil {
		return nil, fmt.Errorf("delete key: %w", err)
	}
	var out []Entry
	err := r.inID(ctx, id, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM minion_keys WHERE id = $1 RETURNING id, state, pub`, id)
		if err != nil {
			return err
		}
		if out, err = scanEntries(rows); err != nil {
			return err
		}
		if len(out) == 0 {
			return ErrNotFound
		}
		return announce(ctx, tx, id)
	})
	if err != nil {
		return nil, fmt.Errorf("delete key of %q: %w", id, err)
	}
	sortEntries(out)
	return out, nil
}

func sortEntries(es []Entry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && (es[j].State.rank() < es[j-1].State.rank() ||
			es[j].State.rank() == es[j-1].State.rank() && es[j].ID < es[j-1].ID); j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// ImportFrom copies every key of src into an empty registry and reports
// how many it copied; a registry that holds keys already is left as it
// is. A master moving to a shared store brings its minions along: they
// keep their accepted keys and need no operator.
func (r *PostgresRegistry) ImportFrom(ctx context.Context, src Registry) (int, error) {
	es, err := src.List(ctx)
	if err != nil || len(es) == 0 {
		return 0, err
	}
	n := 0
	err = r.inID(ctx, "", func(tx pgx.Tx) error {
		var have int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM minion_keys`).Scan(&have); err != nil {
			return err
		}
		if have > 0 {
			return nil
		}
		for _, e := range es {
			if err := put(ctx, tx, e.ID, e.State, e.Public); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("import keys: %w", err)
	}
	return n, nil
}
