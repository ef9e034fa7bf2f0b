package jobstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Token is an API token as stored: its name, the hex SHA-256 of its
// secret, and its ACL as JSON (the acl package's shape).
type Token struct {
	Name    string          `json:"name"`
	Hash    string          `json:"-"`
	ACL     json.RawMessage `json:"acl"`
	Created time.Time       `json:"created"`
	Expires time.Time       `json:"expires,omitzero"`
	Revoked bool            `json:"revoked"`
}

// OpsEntry is one note in the operators' log.
type OpsEntry struct {
	ID     int64     `json:"id"`
	Time   time.Time `json:"time"`
	Author string    `json:"author"`
	Text   string    `json:"text"`
	Ticket string    `json:"ticket,omitempty"`
	Tags   []string  `json:"tags,omitempty"`
	JIDs   []string  `json:"jids,omitempty"`
}

// Maintenance is a minion's maintenance window.
type Maintenance struct {
	Minion string    `json:"minion"`
	Reason string    `json:"reason,omitempty"`
	Author string    `json:"author"`
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until,omitzero"`
}

func nanosOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func timeOrZero(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return fromNanos(ns)
}

// CreateToken implements Store.
func (s *SQLiteStore) CreateToken(ctx context.Context, t *Token) error {
	if t == nil || t.Name == "" || len(t.Hash) != 64 {
		return invalidf("create token: a name and a 64-character hash are required")
	}
	if t.Created.IsZero() {
		t.Created = time.Now().UTC()
	}
	acl := []byte(t.ACL)
	if len(acl) == 0 {
		acl = []byte("{}")
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO api_tokens (name, hash, acl, created, expires, revoked) VALUES (?, ?, ?, ?, ?, 0)`,
		t.Name, t.Hash, string(acl), t.Created.UnixNano(), nanosOrZero(t.Expires))
	if err != nil && strings.Contains(err.Error(), "UNIQUE") {
		return fmt.Errorf("create token %s: %w", t.Name, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	return nil
}

// scanToken reads name, hash, acl, created, expires, revoked (a row of
// either store).
func scanToken(sc interface{ Scan(...any) error }) (Token, error) {
	var t Token
	var acl string
	var created, expires int64
	if err := sc.Scan(&t.Name, &t.Hash, &acl, &created, &expires, &t.Revoked); err != nil {
		return t, err
	}
	t.ACL = json.RawMessage(acl)
	t.Created, t.Expires = fromNanos(created), timeOrZero(expires)
	return t, nil
}

func scanTokenRow(r rowIter) (Token, error) { return scanToken(r) }

// TokenByHash implements Store.
func (s *SQLiteStore) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT name, hash, acl, created, expires, revoked FROM api_tokens WHERE hash = ?`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("token lookup: %w", err)
	}
	return &t, nil
}

// ListTokens implements Store.
func (s *SQLiteStore) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT name, hash, acl, created, expires, revoked FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out, err := collect(rows, scanTokenRow)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken implements Store.
func (s *SQLiteStore) RevokeToken(ctx context.Context, name string) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE api_tokens SET revoked = 1 WHERE name = ?`, name)
	if err != nil {
		return false, fmt.Errorf("revoke token %s: %w", name, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// AddOpsLog implements Store.
func (s *SQLiteStore) AddOpsLog(ctx context.Context, e *OpsEntry) error {
	if e == nil || strings.TrimSpace(e.Text) == "" {
		return invalidf("ops log: empty text")
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	tags, _ := json.Marshal(orEmptyStrings(e.Tags))
	jids, _ := json.Marshal(orEmptyStrings(e.JIDs))
	res, err := s.w.ExecContext(ctx, `INSERT INTO ops_log (time, author, text, ticket, tags, jids) VALUES (?, ?, ?, ?, ?, ?)`,
		e.Time.UnixNano(), clip(e.Author), clip(e.Text), clip(e.Ticket), string(tags), string(jids))
	if err != nil {
		return fmt.Errorf("ops log: %w", err)
	}
	e.ID, _ = res.LastInsertId()
	return nil
}

func orEmptyStrings(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// ListOpsLog implements Store.
func (s *SQLiteStore) ListOpsLog(ctx context.Context, since time.Time, limit int) ([]OpsEntry, error) {
	if limit < 0 {
		return nil, invalidf("list ops log: negative limit %d", limit)
	}
	lim := int64(limit)
	if lim == 0 {
		lim = -1
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, time, author, text, ticket, tags, jids FROM
		(SELECT * FROM ops_log WHERE time >= ? ORDER BY id DESC LIMIT ?) ORDER BY id`, nanosOrZero(since), lim)
	if err != nil {
		return nil, fmt.Errorf("list ops log: %w", err)
	}
	defer rows.Close()
	out, err := collect(rows, scanOps)
	if err != nil {
		return nil, fmt.Errorf("list ops log: %w", err)
	}
	return out, nil
}

// SetMaintenance implements Store.
func (s *SQLiteStore) SetMaintenance(ctx context.Context, ms []Maintenance) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		for _, m := range ms {
			if m.Minion == "" {
				return invalidf("maintenance: empty minion id")
			}
			if m.Since.IsZero() {
				m.Since = time.Now().UTC()
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO maintenance (minion, reason, author, since, until) VALUES (?, ?, ?, ?, ?)`,
				m.Minion, clip(m.Reason), clip(m.Author), m.Since.UnixNano(), nanosOrZero(m.Until)); err != nil {
				return fmt.Errorf("maintenance %s: %w", m.Minion, err)
			}
		}
		return nil
	})
}

// ClearMaintenance implements Store.
func (s *SQLiteStore) ClearMaintenance(ctx context.Context, ids []string) ([]string, error) {
	var cleared []string
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `DELETE FROM maintenance WHERE minion = ?`, id)
			if err != nil {
				return fmt.Errorf("maintenance %s: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				cleared = append(cleared, id)
			}
		}
		return nil
	})
	return cleared, err
}

// ListMaintenance implements Store.
func (s *SQLiteStore) ListMaintenance(ctx context.Context) ([]Maintenance, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT minion, reason, author, since, until FROM maintenance ORDER BY minion`)
	if err != nil {
		return nil, fmt.Errorf("list maintenance: %w", err)
	}
	defer rows.Close()
	out, err := collect(rows, scanMaintenance)
	if err != nil {
		return nil, fmt.Errorf("list maintenance: %w", err)
	}
	return out, nil
}

// PutMine implements Store.
func (s *SQLiteStore) PutMine(ctx context.Context, minion string, data map[string]any, clear bool, del []string) error {
	if minion == "" {
		return invalidf("mine: empty minion id")
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if clear {
			if _, err := tx.ExecContext(ctx, `DELETE FROM mine WHERE minion = ?`, minion); err != nil {
				return fmt.Errorf("mine %s: %w", minion, err)
			}
		}
		for _, f := range del {
			if _, err := tx.ExecContext(ctx, `DELETE FROM mine WHERE minion = ? AND fun = ?`, minion, f); err != nil {
				return fmt.Errorf("mine %s: %w", minion, err)
			}
		}
		now := time.Now().UnixNano()
		for f, v := range data {
			b, err := encodeValue(v)
			if err != nil {
				return fmt.Errorf("mine %s %s: %w", minion, f, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO mine (minion, fun, data, updated) VALUES (?, ?, ?, ?)`, minion, clip(f), b, now); err != nil {
				return fmt.Errorf("mine %s %s: %w", minion, f, err)
			}
		}
		return nil
	})
}

// GetMine implements Store.
func (s *SQLiteStore) GetMine(ctx context.Context, fun string, minions []string) (map[string]any, error) {
	want := make(map[string]bool, len(minions))
	for _, id := range minions {
		want[id] = true
	}
	rows, err := s.r.QueryContext(ctx, `SELECT minion, data FROM mine WHERE fun = ?`, fun)
	if err != nil {
		return nil, fmt.Errorf("mine get %s: %w", fun, err)
	}
	defer rows.Close()
	out := map[string]any{}
	for rows.Next() {
		var id string
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return nil, fmt.Errorf("mine get %s: %w", fun, err)
		}
		if !want[id] {
			continue
		}
		v, err := decodeValue(b)
		if err != nil {
			return nil, fmt.Errorf("mine get %s of %s: %w", fun, id, err)
		}
		out[id] = v
	}
	return out, rows.Err()
}

// DeleteMine implements Store.
func (s *SQLiteStore) DeleteMine(ctx context.Context, minion string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM mine WHERE minion = ?`, minion); err != nil {
		return fmt.Errorf("mine delete %s: %w", minion, err)
	}
	return nil
}
