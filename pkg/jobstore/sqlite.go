package jobstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// busyTimeout is how long a connection waits for a lock another process
// (a backup, an operator's sqlite3 shell) holds before failing.
const busyTimeout = 5 * time.Second

// readers is the size of the read pool. WAL lets readers run beside the one
// writer; a few are enough for the API and the CLI.
const readers = 4

// pruneChunk is how many jobs Prune deletes per transaction, so that a large
// prune does not hold the writer (and with it returns ingest) for long.
const pruneChunk = 500

// migrations are the schema versions in order; migrations[i] brings the
// database to version i+1. Append, never edit: a database records the
// version it is at.
var migrations = []string{
	`CREATE TABLE jobs (
		jid         TEXT PRIMARY KEY,
		fun         TEXT NOT NULL,
		args        TEXT NOT NULL, -- JSON
		kwargs      TEXT NOT NULL, -- JSON
		target_type TEXT NOT NULL,
		target      TEXT NOT NULL,
		username    TEXT NOT NULL,
		created     INTEGER NOT NULL, -- Unix nanoseconds
		meta        TEXT NOT NULL -- JSON
	);
	CREATE INDEX jobs_created ON jobs (created);
	-- Expected minions and return-accounting states. A row in returns
	-- overrides the state here: a minion with a stored return is returned.
	CREATE TABLE job_minions (
		jid      TEXT NOT NULL,
		id       TEXT NOT NULL,
		expected INTEGER NOT NULL,
		state    TEXT NOT NULL,
		PRIMARY KEY (jid, id)
	) WITHOUT ROWID;
	-- No foreign key to jobs: a late return for a pruned job is kept.
	CREATE TABLE returns (
		jid      TEXT NOT NULL,
		id       TEXT NOT NULL,
		fun      TEXT NOT NULL,
		ret      TEXT NOT NULL, -- JSON
		retcode  INTEGER NOT NULL,
		success  INTEGER NOT NULL,
		received INTEGER NOT NULL, -- Unix nanoseconds
		duration INTEGER NOT NULL, -- nanoseconds
		PRIMARY KEY (jid, id)
	);
	CREATE TABLE audit (
		id       INTEGER PRIMARY KEY AUTOINCREMENT,
		time     INTEGER NOT NULL, -- Unix nanoseconds
		username TEXT NOT NULL,
		action   TEXT NOT NULL,
		target   TEXT NOT NULL,
		fun      TEXT NOT NULL,
		args     TEXT NOT NULL, -- JSON
		kwargs   TEXT NOT NULL, -- JSON
		jid      TEXT NOT NULL,
		outcome  TEXT NOT NULL
	);
	CREATE TABLE grains (
		id      TEXT PRIMARY KEY,
		grains  TEXT NOT NULL, -- JSON object
		updated INTEGER NOT NULL -- Unix nanoseconds
	) WITHOUT ROWID;`,
	// 2: finding a reconnecting minion's timed-out jobs (lost-job detection).
	`CREATE INDEX job_minions_unfinished ON job_minions (id) WHERE state IN ('pending', 'timed-out');`,
	// 3: full-text search of returns (jobs search). The index reads a view
	// that turns JSON's escapes back into separators ("a\nb" is two
	// words, not "a" and "nb"); triggers keep it in step.
	`CREATE VIEW returns_text AS SELECT rowid AS rid, ` + ftsBody("ret") + ` AS body FROM returns;
	CREATE VIRTUAL TABLE returns_fts USING fts5(body, content='returns_text', content_rowid='rid');
	CREATE TRIGGER returns_fts_ai AFTER INSERT ON returns BEGIN
		INSERT INTO returns_fts (rowid, body) VALUES (new.rowid, ` + ftsBody("new.ret") + `);
	END;
	CREATE TRIGGER returns_fts_ad AFTER DELETE ON returns BEGIN
		INSERT INTO returns_fts (returns_fts, rowid, body) VALUES ('delete', old.rowid, ` + ftsBody("old.ret") + `);
	END;
	CREATE TRIGGER returns_fts_au AFTER UPDATE OF ret ON returns BEGIN
		INSERT INTO returns_fts (returns_fts, rowid, body) VALUES ('delete', old.rowid, ` + ftsBody("old.ret") + `);
		INSERT INTO returns_fts (rowid, body) VALUES (new.rowid, ` + ftsBody("new.ret") + `);
	END;
	INSERT INTO returns_fts (returns_fts) VALUES ('rebuild');`,
	// 4: where each returner (jsonl, Elasticsearch, syslog) is in the
	// stream of returns: the job store is their lossless queue.
	`CREATE TABLE returner_cursors (
		name TEXT PRIMARY KEY,
		seq  INTEGER NOT NULL -- rowid in returns of the last return sent
	) WITHOUT ROWID;`,
	// 5: API tokens (hashes only), the operators' log, maintenance.
	`CREATE TABLE api_tokens (
		name    TEXT PRIMARY KEY,
		hash    TEXT NOT NULL UNIQUE, -- hex SHA-256 of the secret
		acl     TEXT NOT NULL,        -- JSON
		created INTEGER NOT NULL,     -- Unix nanoseconds
		expires INTEGER NOT NULL,     -- Unix nanoseconds; 0 never
		revoked INTEGER NOT NULL DEFAULT 0
	);
	CREATE TABLE ops_log (
		id     INTEGER PRIMARY KEY AUTOINCREMENT,
		time   INTEGER NOT NULL,
		author TEXT NOT NULL,
		text   TEXT NOT NULL,
		ticket TEXT NOT NULL,
		tags   TEXT NOT NULL, -- JSON list
		jids   TEXT NOT NULL  -- JSON list
	);
	CREATE INDEX ops_log_time ON ops_log (time);
	CREATE TABLE maintenance (
		minion TEXT PRIMARY KEY,
		reason TEXT NOT NULL,
		author TEXT NOT NULL,
		since  INTEGER NOT NULL,
		until  INTEGER NOT NULL -- 0: until stopped
	) WITHOUT ROWID;`,
	// 6: the mine: each minion's latest result of each mine function.
	`CREATE TABLE mine (
		minion  TEXT NOT NULL,
		fun     TEXT NOT NULL,
		data    TEXT NOT NULL, -- JSON
		updated INTEGER NOT NULL,
		PRIMARY KEY (minion, fun)
	) WITHOUT ROWID;
	CREATE INDEX mine_fun ON mine (fun);`,
	// 7: the search index leaves out returns that are a bare true, false,
	// null or number (test.ping's true): nothing to search for in them,
	// and indexing them was most of the cost of storing a ping's returns.
	// The view, the triggers and a rebuild agree on which rows are in.
	`DROP TRIGGER returns_fts_ai;
	DROP TRIGGER returns_fts_ad;
	DROP TRIGGER returns_fts_au;
	DROP VIEW returns_text;
	CREATE VIEW returns_text AS SELECT rowid AS rid, ` + ftsBody("ret") + ` AS body FROM returns WHERE ` + ftsIndexed("ret") + `;
	CREATE TRIGGER returns_fts_ai AFTER INSERT ON returns WHEN ` + ftsIndexed("new.ret") + ` BEGIN
		INSERT INTO returns_fts (rowid, body) VALUES (new.rowid, ` + ftsBody("new.ret") + `);
	END;
	CREATE TRIGGER returns_fts_ad AFTER DELETE ON returns WHEN ` + ftsIndexed("old.ret") + ` BEGIN
		INSERT INTO returns_fts (returns_fts, rowid, body) VALUES ('delete', old.rowid, ` + ftsBody("old.ret") + `);
	END;
	CREATE TRIGGER returns_fts_au AFTER UPDATE OF ret ON returns BEGIN
		INSERT INTO returns_fts (returns_fts, rowid, body) SELECT 'delete', old.rowid, ` + ftsBody("old.ret") + ` WHERE ` + ftsIndexed("old.ret") + `;
		INSERT INTO returns_fts (rowid, body) SELECT new.rowid, ` + ftsBody("new.ret") + ` WHERE ` + ftsIndexed("new.ret") + `;
	END;
	INSERT INTO returns_fts (returns_fts) VALUES ('rebuild');`,
	// 8: the hash of the pillar a state run compiled (not the pillar).
	`ALTER TABLE returns ADD COLUMN pillar_hash TEXT NOT NULL DEFAULT '';`,
	// 9: the search index reads the head and tail of a return, not all of
	// it (see searchHead): indexing megabytes of output made storing one
	// such return take seconds.
	`DROP TRIGGER returns_fts_ai;
	DROP TRIGGER returns_fts_ad;
	DROP TRIGGER returns_fts_au;
	DROP VIEW returns_text;
	CREATE VIEW returns_text AS SELECT rowid AS rid, ` + ftsBody(ftsCapped("ret")) + ` AS body FROM returns WHERE ` + ftsIndexed("ret") + `;
	CREATE TRIGGER returns_fts_ai AFTER INSERT ON returns WHEN ` + ftsIndexed("new.ret") + ` BEGIN
		INSERT INTO returns_fts (rowid, body) VALUES (new.rowid, ` + ftsBody(ftsCapped("new.ret")) + `);
	END;
	CREATE TRIGGER returns_fts_ad AFTER DELETE ON returns WHEN ` + ftsIndexed("old.ret") + ` BEGIN
		INSERT INTO returns_fts (returns_fts, rowid, body) VALUES ('delete', old.rowid, ` + ftsBody(ftsCapped("old.ret")) + `);
	END;
	CREATE TRIGGER returns_fts_au AFTER UPDATE OF ret ON returns BEGIN
		INSERT INTO returns_fts (returns_fts, rowid, body) SELECT 'delete', old.rowid, ` + ftsBody(ftsCapped("old.ret")) + ` WHERE ` + ftsIndexed("old.ret") + `;
		INSERT INTO returns_fts (rowid, body) SELECT new.rowid, ` + ftsBody(ftsCapped("new.ret")) + ` WHERE ` + ftsIndexed("new.ret") + `;
	END;
	INSERT INTO returns_fts (returns_fts) VALUES ('rebuild');`,
}

// searchHead is how much of the start, and again of the end, of a
// return's JSON the search index reads (characters): "which host printed
// this error" is answered from the first and last lines of an output, and
// indexing megabytes of it cost seconds per return (and, in PostgreSQL,
// failed past its 1 MB tsvector limit).
const searchHead = 32 << 10

// ftsCapped is the SQL expression of the part of col the index reads: all
// of it up to 2×searchHead characters, else its head and tail.
func ftsCapped(col string) string {
	return fmt.Sprintf("(CASE WHEN length(%[1]s) <= %[2]d THEN %[1]s ELSE substr(%[1]s, 1, %[3]d) || ' ' || substr(%[1]s, -%[3]d) END)",
		"CAST("+col+" AS TEXT)", 2*searchHead, searchHead)
}

// ftsIndexed is the SQL condition for a return to be in the search
// index: its JSON is an object, a list or a string (a byte check, whatever
// the size of the return).
func ftsIndexed(col string) string {
	return "substr(CAST(" + col + " AS BLOB), 1, 1) IN (CAST('{' AS BLOB), CAST('[' AS BLOB), CAST('\"' AS BLOB))"
}

// ftsBody is the SQL expression the search index reads a return's JSON
// through: escaped newlines, tabs and quotes become spaces.
func ftsBody(col string) string {
	e := "CAST(" + col + " AS TEXT)"
	for _, esc := range []string{`\n`, `\r`, `\t`, `\"`, `\\`} {
		e = "replace(" + e + ", '" + esc + "', ' ')"
	}
	return e
}

// ErrSchemaTooNew means the database was migrated by a newer Halite than
// this one; opening it could corrupt data the newer version relies on.
var ErrSchemaTooNew = errors.New("jobstore: database schema is newer than this program")

// SQLiteStore is the embedded Store: one SQLite file in WAL mode, written
// through a single connection (SQLite allows one writer at a time; one
// connection in this process means writers queue in Go rather than spin on
// SQLITE_BUSY) and read through a small separate pool.
//
// Durability: synchronous=NORMAL. In WAL mode a committed transaction
// survives a crash of the process; a power loss can lose the last few
// commits but never corrupts the file.
type SQLiteStore struct {
	path string
	file os.FileInfo // the database file as opened, for CheckFile
	w    *sql.DB     // exactly one connection
	r    *sql.DB     // query_only pool

	// Writer statements.
	insJob, insExpected, insReturn, setState, jobExists *sql.Stmt
	insAudit, putGrains                                 *sql.Stmt
	pruneReturns, pruneMinions, pruneJobs, pruneOrphans *sql.Stmt
	pruneAudit, unfinished                              *sql.Stmt
	// Reader statements.
	selJob, selMinions, selReturns, listJobs, listAudit, allGrains *sql.Stmt
}

var _ Store = (*SQLiteStore)(nil)

// OpenSQLite opens (creating if needed) the job store at path, usually
// data_dir/halite.db, and brings its schema up to date. The directory must
// exist.
func OpenSQLite(ctx context.Context, path string) (*SQLiteStore, error) {
	if path == "" || path == ":memory:" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("open job store %q: %w: want a file path without '?' or '#'", path, ErrInvalid)
	}
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	// The store holds job arguments and returns: readable by the master
	// only. SQLite gives -wal and -shm the database file's mode, so the
	// file is made 0600 before SQLite first opens it (and an older
	// install's files are tightened).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open job store %s: %w", path, err)
		}
	}
	ms := busyTimeout.Milliseconds()
	w, err := sql.Open("sqlite", fmt.Sprintf(
		"%s?_busy_timeout=%d&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate", path, ms))
	if err != nil {
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)

	s := &SQLiteStore{path: path, file: fi, w: w}
	if err := s.check(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}

	// The reader pool opens after the writer has switched the file to WAL
	// (a persistent setting), so readers never block the writer.
	r, err := sql.Open("sqlite", fmt.Sprintf("%s?_busy_timeout=%d&_query_only=1", path, ms))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	s.r = r

	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	return s, nil
}

// Audit records are bounded: whatever a caller sends (an unauthenticated
// request with a 1 MB query string, say) costs the log at most this much.
const (
	maxAuditField = 1 << 10
	maxAuditArgs  = 16 << 10
)

// clip shortens s to maxAuditField bytes (at a UTF-8 boundary), marking the
// cut.
func clip(s string) string {
	if len(s) <= maxAuditField {
		return s
	}
	cut := maxAuditField
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…[%d bytes more]", len(s)-cut)
}

// clipJSON replaces encoded arguments over maxAuditArgs with their clipped
// text, as the one element of a list (args) or under "truncated" (kwargs).
func clipJSON(b []byte, list bool) []byte {
	if len(b) <= maxAuditArgs {
		return b
	}
	text := strings.ToValidUTF8(fmt.Sprintf("%s…[%d bytes more]", b[:maxAuditArgs], len(b)-maxAuditArgs), "")
	var v any = map[string]any{"truncated": text}
	if list {
		v = []any{text}
	}
	out, _ := marshalJSON(v)
	return out
}

// Unfinished implements Store.
func (s *SQLiteStore) Unfinished(ctx context.Context, id string) ([]string, error) {
	rows, err := s.unfinished.QueryContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("unfinished jobs of %s: %w", id, err)
	}
	defer rows.Close()
	var jids []string
	for rows.Next() {
		var jid string
		if err := rows.Scan(&jid); err != nil {
			return nil, fmt.Errorf("unfinished jobs of %s: %w", id, err)
		}
		jids = append(jids, jid)
	}
	return jids, rows.Err()
}

// PruneAudit implements Store.
func (s *SQLiteStore) PruneAudit(ctx context.Context, olderThan time.Time) (int, error) {
	cutoff, err := toNanos(olderThan)
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	res, err := s.pruneAudit.ExecContext(ctx, cutoff)
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ErrCorrupt means the database file failed SQLite's integrity check, or
// is not a database at all.
var ErrCorrupt = errors.New("jobstore: database is corrupt")

// check runs SQLite's quick_check: a corrupt file is refused at start,
// instead of starting and failing every run later.
func (s *SQLiteStore) check(ctx context.Context) error {
	rows, err := s.w.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if line != "ok" && len(problems) < 5 {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrCorrupt, strings.Join(problems, "; "))
	}
	return nil
}

// ErrFileGone means the database file was deleted or replaced while the
// store had it open: what is written now will not be there after a
// restart.
var ErrFileGone = errors.New("jobstore: database file deleted or replaced")

// CheckFile reports ErrFileGone when the file at the store's path is no
// longer the one it opened.
func (s *SQLiteStore) CheckFile() error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrFileGone, s.path, err)
	}
	if !os.SameFile(fi, s.file) {
		return fmt.Errorf("%w: %s is another file now", ErrFileGone, s.path)
	}
	return nil
}

// migrate applies the migrations the database has not seen, each in its own
// transaction with the version it reaches.
func (s *SQLiteStore) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY,
		applied INTEGER NOT NULL
	)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	var have int
	if err := s.w.QueryRowContext(ctx,
		`SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("%w: database at version %d, this program knows %d", ErrSchemaTooNew, have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES (?, ?)`,
				v, time.Now().UnixNano())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate to schema version %d: %w", v, err)
		}
	}
	return nil
}

func (s *SQLiteStore) prepare(ctx context.Context) error {
	stmts := []struct {
		db   *sql.DB
		dst  **sql.Stmt
		text string
	}{
		{s.w, &s.insJob, `INSERT INTO jobs (jid, fun, args, kwargs, target_type, target, username, created, meta)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (jid) DO NOTHING`},
		{s.w, &s.insExpected, `INSERT INTO job_minions (jid, id, expected, state) VALUES (?, ?, 1, 'pending')
			ON CONFLICT (jid, id) DO NOTHING`},
		{s.w, &s.insReturn, `INSERT INTO returns (jid, id, fun, ret, retcode, success, received, duration, pillar_hash)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (jid, id) DO UPDATE SET fun = excluded.fun, ret = excluded.ret,
				retcode = excluded.retcode, success = excluded.success,
				received = excluded.received, duration = excluded.duration, pillar_hash = excluded.pillar_hash`},
		{s.w, &s.setState, `INSERT INTO job_minions (jid, id, expected, state) VALUES (?, ?, 0, ?)
			ON CONFLICT (jid, id) DO UPDATE SET state = excluded.state
			WHERE job_minions.state <> 'returned'`},
		{s.w, &s.jobExists, `SELECT 1 FROM jobs WHERE jid = ?`},
		{s.w, &s.insAudit, `INSERT INTO audit (time, username, action, target, fun, args, kwargs, jid, outcome)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{s.w, &s.putGrains, `INSERT INTO grains (id, grains, updated) VALUES (?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET grains = excluded.grains, updated = excluded.updated`},
		// The three prune statements pick the same chunk of jobs inside
		// one transaction; jobs go last so the chunk is stable.
		{s.w, &s.pruneReturns, `DELETE FROM returns WHERE jid IN
			(SELECT jid FROM jobs WHERE created < ? ORDER BY created, jid LIMIT ?)`},
		{s.w, &s.pruneMinions, `DELETE FROM job_minions WHERE jid IN
			(SELECT jid FROM jobs WHERE created < ? ORDER BY created, jid LIMIT ?)`},
		{s.w, &s.pruneJobs, `DELETE FROM jobs WHERE jid IN
			(SELECT jid FROM jobs WHERE created < ? ORDER BY created, jid LIMIT ?)`},
		{s.w, &s.pruneOrphans, `DELETE FROM returns WHERE received < ?
			AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.jid = returns.jid)`},
		{s.w, &s.pruneAudit, `DELETE FROM audit WHERE time < ?`},
		{s.r, &s.unfinished, `SELECT jid FROM job_minions WHERE id = ? AND state IN ('pending', 'timed-out')
			AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.jid = job_minions.jid AND r.id = job_minions.id)
			ORDER BY jid`},

		{s.r, &s.selJob, `SELECT fun, args, kwargs, target_type, target, username, created, meta
			FROM jobs WHERE jid = ?`},
		{s.r, &s.selMinions, `SELECT id, expected, state FROM job_minions WHERE jid = ? ORDER BY id`},
		{s.r, &s.selReturns, `SELECT id, fun, ret, retcode, success, received, duration, pillar_hash
			FROM returns WHERE jid = ? ORDER BY id`},
		{s.r, &s.listJobs, `SELECT j.jid, j.fun, j.target_type, j.target, j.username, j.created,
			(SELECT count(*) FROM job_minions m WHERE m.jid = j.jid AND m.expected = 1),
			(SELECT count(*) FROM returns r WHERE r.jid = j.jid) +
				(SELECT count(*) FROM job_minions m WHERE m.jid = j.jid AND m.state = 'returned'
					AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.jid = m.jid AND r.id = m.id)),
			(SELECT count(*) FROM returns r WHERE r.jid = j.jid AND r.success = 0)
			FROM jobs j
			WHERE (?1 = '' OR j.fun = ?1) AND (?2 = '' OR j.target = ?2) AND j.created >= ?3
			ORDER BY j.created DESC, j.jid DESC
			LIMIT ?4`},
		{s.r, &s.listAudit, `SELECT id, time, username, action, target, fun, args, kwargs, jid, outcome
			FROM audit ORDER BY id DESC LIMIT ?`},
		{s.r, &s.allGrains, `SELECT id, grains FROM grains`},
	}
	for _, st := range stmts {
		p, err := st.db.PrepareContext(ctx, st.text)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", firstLine(st.text), err)
		}
		*st.dst = p
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// Close closes the store's statements and connections.
func (s *SQLiteStore) Close() error {
	for _, st := range []*sql.Stmt{
		s.insJob, s.insExpected, s.insReturn, s.setState, s.jobExists, s.insAudit, s.putGrains,
		s.pruneReturns, s.pruneMinions, s.pruneJobs, s.pruneOrphans, s.pruneAudit, s.unfinished,
		s.selJob, s.selMinions, s.selReturns, s.listJobs, s.listAudit, s.allGrains,
	} {
		if st != nil {
			st.Close()
		}
	}
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close job store %s: %w", s.path, err)
	}
	return nil
}

// inTx runs fn in a write transaction on the single writer connection.
func (s *SQLiteStore) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// CreateJob implements Store. A zero j.Created is set to the current time.
func (s *SQLiteStore) CreateJob(ctx context.Context, j *Job) error {
	row, err := encodeJob(j)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error { return s.insertJob(ctx, tx, row) })
	if err != nil {
		return fmt.Errorf("create job %s: %w", j.JID, err)
	}
	return nil
}

// jobRow is a Job encoded for its table.
type jobRow struct {
	j                  *Job
	args, kwargs, meta []byte
	created            int64
}

func encodeJob(j *Job) (jobRow, error) {
	if j == nil || j.JID == "" {
		return jobRow{}, invalidf("create job: empty jid")
	}
	for _, id := range j.Expected {
		if id == "" {
			return jobRow{}, invalidf("create job %s: empty minion id in expected", j.JID)
		}
	}
	if j.Created.IsZero() {
		j.Created = time.Now().UTC()
	}
	created, err := toNanos(j.Created)
	if err != nil {
		return jobRow{}, fmt.Errorf("create job %s: %w", j.JID, err)
	}
	row := jobRow{j: j, created: created}
	if row.args, err = encodeValue(j.Args); err != nil {
		return jobRow{}, fmt.Errorf("create job %s: args: %w", j.JID, err)
	}
	if row.kwargs, err = encodeValue(j.Kwargs); err != nil {
		return jobRow{}, fmt.Errorf("create job %s: kwargs: %w", j.JID, err)
	}
	if row.meta, err = encodeValue(j.Meta); err != nil {
		return jobRow{}, fmt.Errorf("create job %s: meta: %w", j.JID, err)
	}
	return row, nil
}

// insertJob writes a job and its expected minions inside tx; ErrJobExists
// when the jid is taken.
func (s *SQLiteStore) insertJob(ctx context.Context, tx *sql.Tx, row jobRow) error {
	j := row.j
	res, err := tx.StmtContext(ctx, s.insJob).ExecContext(ctx,
		j.JID, j.Fun, row.args, row.kwargs, j.TargetType, j.Target, j.User, row.created, row.meta)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrJobExists
	}
	ins := tx.StmtContext(ctx, s.insExpected)
	for _, id := range j.Expected {
		if _, err := ins.ExecContext(ctx, j.JID, id); err != nil {
			return err
		}
	}
	return nil
}

// AddReturns implements Store.
func (s *SQLiteStore) AddReturns(ctx context.Context, rs []Return) error {
	if len(rs) == 0 {
		return nil
	}
	rows := make([]encodedReturn, len(rs))
	now := time.Now()
	for i := range rs {
		e, err := encodeReturn(i, &rs[i], now)
		if err != nil {
			return err
		}
		rows[i] = e
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ins := tx.StmtContext(ctx, s.insReturn)
		for i := range rs {
			r := &rs[i]
			if rows[i].job != nil {
				if err := s.insertJob(ctx, tx, *rows[i].job); err != nil && !errors.Is(err, ErrJobExists) {
					return fmt.Errorf("job %s: %w", r.JID, err)
				}
			}
			if _, err := ins.ExecContext(ctx, r.JID, r.ID, r.Fun, rows[i].ret, r.Retcode,
				r.Success, rows[i].received, int64(r.Duration), r.PillarHash); err != nil {
				return fmt.Errorf("jid %s id %s: %w", r.JID, r.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add %d returns: %w", len(rs), err)
	}
	return nil
}

// SetStates implements Store.
func (s *SQLiteStore) SetStates(ctx context.Context, jid string, states map[string]MinionState) error {
	ids, err := stateIDs(jid, states)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		if err := tx.StmtContext(ctx, s.jobExists).QueryRowContext(ctx, jid).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		set := tx.StmtContext(ctx, s.setState)
		for _, id := range ids {
			if _, err := set.ExecContext(ctx, jid, id, string(states[id])); err != nil {
				return fmt.Errorf("minion %s: %w", id, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set states of job %s: %w", jid, err)
	}
	return nil
}

// GetJob implements Store. It reads in one read transaction, so the job and
// its results are a consistent snapshot.
func (s *SQLiteStore) GetJob(ctx context.Context, jid string) (*JobRecord, error) {
	rec, err := s.getJob(ctx, jid)
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", jid, err)
	}
	return rec, nil
}

func (s *SQLiteStore) getJob(ctx context.Context, jid string) (*JobRecord, error) {
	if jid == "" {
		return nil, invalidf("empty jid")
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	rec := &JobRecord{Job: Job{JID: jid}}
	var args, kwargs, meta []byte
	var created int64
	err = tx.StmtContext(ctx, s.selJob).QueryRowContext(ctx, jid).Scan(
		&rec.Fun, &args, &kwargs, &rec.TargetType, &rec.Target, &rec.User, &created, &meta)
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if found {
		if err := decodeJobRow(rec, args, kwargs, meta, created); err != nil {
			return nil, err
		}
	}
	res := newResults(rec, found)
	rows, err := tx.StmtContext(ctx, s.selMinions).QueryContext(ctx, jid)
	if err != nil {
		return nil, err
	}
	err = res.minions(rows)
	rows.Close()
	if err != nil {
		return nil, err
	}
	rows, err = tx.StmtContext(ctx, s.selReturns).QueryContext(ctx, jid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if err := res.returns(rows); err != nil {
		return nil, err
	}
	return res.record()
}

// ListJobs implements Store.
func (s *SQLiteStore) ListJobs(ctx context.Context, f JobFilter) ([]JobSummary, error) {
	if f.Limit < 0 {
		return nil, invalidf("list jobs: negative limit %d", f.Limit)
	}
	limit := int64(f.Limit)
	if limit == 0 {
		limit = -1 // SQLite: no limit
	}
	since, err := sinceNanos(f.Since)
	if err != nil {
		return nil, fmt.Errorf("list jobs: since: %w", err)
	}
	rows, err := s.listJobs.QueryContext(ctx, f.Fun, f.Target, since, limit)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	out, err := collect(rows, scanSummary)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	return out, nil
}

// AddAudit implements Store.
func (s *SQLiteStore) AddAudit(ctx context.Context, e *AuditEntry) error {
	t, ns, args, kwargs, err := encodeAudit(e)
	if err != nil {
		return err
	}
	res, err := s.insAudit.ExecContext(ctx, ns, clip(e.User), clip(e.Action), clip(e.Target), clip(e.Fun),
		args, kwargs, clip(e.JID), clip(e.Outcome))
	if err != nil {
		return fmt.Errorf("add audit: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("add audit: %w", err)
	}
	e.ID, e.Time = id, t
	return nil
}

// ListAudit implements Store.
func (s *SQLiteStore) ListAudit(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit < 0 {
		return nil, invalidf("list audit: negative limit %d", limit)
	}
	lim := int64(limit)
	if lim == 0 {
		lim = -1
	}
	rows, err := s.listAudit.QueryContext(ctx, lim)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	defer rows.Close()
	out, err := collect(rows, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	return out, nil
}

// PutGrains implements Store. Nil grains are stored as an empty map.
func (s *SQLiteStore) PutGrains(ctx context.Context, id string, grains map[string]any) error {
	if id == "" {
		return invalidf("put grains: empty minion id")
	}
	b, err := encodeValue(orEmptyMap(grains))
	if err != nil {
		return fmt.Errorf("put grains of %s: %w", id, err)
	}
	if _, err := s.putGrains.ExecContext(ctx, id, b, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("put grains of %s: %w", id, err)
	}
	return nil
}

// AllGrains implements Store.
func (s *SQLiteStore) AllGrains(ctx context.Context) (map[string]map[string]any, error) {
	rows, err := s.allGrains.QueryContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("read grains cache: %w", err)
	}
	defer rows.Close()
	out, err := collectGrains(rows)
	if err != nil {
		return nil, fmt.Errorf("read grains cache: %w", err)
	}
	return out, nil
}

// Prune implements Store. It works in chunks of jobs, one transaction each,
// so returns keep flowing in while it runs.
func (s *SQLiteStore) Prune(ctx context.Context, olderThan time.Time) (int, error) {
	cutoff, err := toNanos(olderThan)
	if err != nil {
		return 0, fmt.Errorf("prune jobs: %w", err)
	}
	total := 0
	for {
		var n int64
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			for _, st := range []*sql.Stmt{s.pruneReturns, s.pruneMinions} {
				if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, cutoff, pruneChunk); err != nil {
					return err
				}
			}
			res, err := tx.StmtContext(ctx, s.pruneJobs).ExecContext(ctx, cutoff, pruneChunk)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune jobs created before %s: %w", olderThan.UTC().Format(time.RFC3339), err)
		}
		total += int(n)
		if n < pruneChunk {
			break
		}
	}
	if _, err := s.pruneOrphans.ExecContext(ctx, cutoff); err != nil {
		return total, fmt.Errorf("prune returns of unrecorded jobs: %w", err)
	}
	return total, nil
}

// Times are stored as Unix nanoseconds, which cover the years 1678 to 2261.
func toNanos(t time.Time) (int64, error) {
	if y := t.Year(); y < 1678 || y > 2261 {
		return 0, invalidf("time %s out of range", t.Format(time.RFC3339))
	}
	return t.UnixNano(), nil
}

func fromNanos(ns int64) time.Time { return time.Unix(0, ns).UTC() }

func orEmptyMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}
