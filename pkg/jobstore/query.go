package jobstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ReturnsOf returns the stored returns of function fun received at or
// after since, oldest first (the master rebuilds its exec table from
// them at start).
func (s *SQLiteStore) ReturnsOf(ctx context.Context, fun string, since time.Time) ([]Return, error) {
	from, err := toNanos(since)
	if err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT jid, id, fun, ret, retcode, success, received, duration
		FROM returns WHERE fun = ? AND received >= ? ORDER BY received`, fun, from)
	if err != nil {
		return nil, fmt.Errorf("returns of %s: %w", fun, err)
	}
	defer rows.Close()
	return collect(rows, scanReturn)
}

// SearchFilter narrows a full-text search of stored returns.
type SearchFilter struct {
	// Text is what to look for: words (all must appear, in any order, as
	// words or word prefixes) or a "quoted phrase".
	Text   string
	Minion string
	Fun    string
	Since  time.Time
	// Limit caps the hits; 0 means 100.
	Limit int
}

// Hit is one stored return that matched, with an excerpt around the match.
type Hit struct {
	JID      string    `json:"jid"`
	ID       string    `json:"id"`
	Fun      string    `json:"fun"`
	Received time.Time `json:"received"`
	Success  bool      `json:"success"`
	Snippet  string    `json:"snippet"`
}

// Search finds stored returns whose output contains the text (SQLite
// FTS5 over every return's JSON, kept in step by triggers), newest first.
func (s *SQLiteStore) Search(ctx context.Context, f SearchFilter) ([]Hit, error) {
	q := ftsQuery(f.Text)
	if q == "" {
		return nil, invalidf("search: nothing to search for")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	where := []string{"returns_fts MATCH ?"}
	args := []any{q}
	if f.Minion != "" {
		where = append(where, "r.id = ?")
		args = append(args, f.Minion)
	}
	if f.Fun != "" {
		where = append(where, "r.fun = ?")
		args = append(args, f.Fun)
	}
	if !f.Since.IsZero() {
		ns, err := toNanos(f.Since)
		if err != nil {
			return nil, err
		}
		where = append(where, "r.received >= ?")
		args = append(args, ns)
	}
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, `SELECT r.jid, r.id, r.fun, r.received, r.success,
			snippet(returns_fts, 0, '[', ']', '…', 16)
		FROM returns_fts JOIN returns r ON r.rowid = returns_fts.rowid
		WHERE `+strings.Join(where, " AND ")+`
		ORDER BY r.received DESC LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", f.Text, err)
	}
	defer rows.Close()
	return collect(rows, scanHit)
}

// ftsQuery turns what a user typed into an FTS5 query that cannot be a
// syntax error: every word becomes a quoted prefix term, a quoted phrase
// stays a phrase. Operators are not offered: "which host printed this
// error" is a search for words, and an error line is full of characters
// FTS5 would read as syntax.
func ftsQuery(text string) string {
	quote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	var terms []string
	for _, t := range searchTerms(text) {
		if t.phrase {
			terms = append(terms, quote(strings.Join(t.words, " ")))
		} else {
			terms = append(terms, quote(t.words[0])+"*")
		}
	}
	return strings.Join(terms, " ")
}

// words splits on what FTS5's unicode61 tokenizer treats as separators
// (anything not a letter or digit), so a term matches as the index has it.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80)
	})
}

// Stats is the size of the store for halite_jobstore_* metrics.
type Stats struct {
	Bytes   int64
	Jobs    int64
	Returns int64
}

// Stats reports the database's size and row counts. The counts read
// SQLite's own tables, so they cost a scan of an index, not of the data.
func (s *SQLiteStore) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	var pages, size int64
	if err := s.r.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return st, err
	}
	if err := s.r.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&size); err != nil {
		return st, err
	}
	st.Bytes = pages * size
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM jobs`).Scan(&st.Jobs); err != nil {
		return st, err
	}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM returns`).Scan(&st.Returns); err != nil {
		return st, err
	}
	return st, nil
}

// Fed is a stored return in the order returns were stored, with what its
// job says about it, for returners.
type Fed struct {
	// Seq orders returns as they were stored; a returner's cursor is the
	// Seq of the last return it delivered.
	Seq int64 `json:"-"`
	Return
	Target     string `json:"tgt,omitempty"`
	TargetType string `json:"tgt_type,omitempty"`
	User       string `json:"user,omitempty"`
}

// ReturnsAfter returns up to limit stored returns with Seq above seq, in
// order.
func (s *SQLiteStore) ReturnsAfter(ctx context.Context, seq int64, limit int) ([]Fed, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT r.rowid, r.jid, r.id, r.fun, r.ret, r.retcode, r.success, r.received, r.duration,
			coalesce(j.target, ''), coalesce(j.target_type, ''), coalesce(j.username, '')
		FROM returns r LEFT JOIN jobs j ON j.jid = r.jid
		WHERE r.rowid > ? ORDER BY r.rowid LIMIT ?`, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("returns after %d: %w", seq, err)
	}
	defer rows.Close()
	return collect(rows, scanFed)
}

// LastSeq is the Seq of the newest stored return (0 when none).
func (s *SQLiteStore) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(rowid), 0) FROM returns`).Scan(&seq)
	return seq, err
}

// Cursor returns returner name's position, and false when it has none
// yet.
func (s *SQLiteStore) Cursor(ctx context.Context, name string) (int64, bool, error) {
	var seq int64
	err := s.r.QueryRowContext(ctx, `SELECT seq FROM returner_cursors WHERE name = ?`, name).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return seq, err == nil, err
}

// SetCursor records returner name's position.
func (s *SQLiteStore) SetCursor(ctx context.Context, name string, seq int64) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO returner_cursors (name, seq) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`, name, seq)
	return err
}
