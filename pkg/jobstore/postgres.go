package jobstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/halite/halite/pkg/pgdb"
)

// pgMigrations are the job store's PostgreSQL schema versions, recorded
// as component "jobstore". The tables mirror SQLite's (times in Unix
// nanoseconds, values as JSON text) so both stores read and write the same
// way; returns get a seq column in place of SQLite's rowid for returner
// cursors, and search uses a GIN index over a tsvector of the return.
var pgMigrations = []string{
	`CREATE TABLE jobs (
		jid         TEXT PRIMARY KEY,
		fun         TEXT NOT NULL,
		args        TEXT NOT NULL,
		kwargs      TEXT NOT NULL,
		target_type TEXT NOT NULL,
		target      TEXT NOT NULL,
		username    TEXT NOT NULL,
		created     BIGINT NOT NULL,
		meta        TEXT NOT NULL
	);
	CREATE INDEX jobs_created ON jobs (created);
	CREATE TABLE job_minions (
		jid      TEXT NOT NULL,
		id       TEXT NOT NULL,
		expected BOOLEAN NOT NULL,
		state    TEXT NOT NULL,
		PRIMARY KEY (jid, id)
	);
	CREATE INDEX job_minions_unfinished ON job_minions (id) WHERE state IN ('pending', 'timed-out');
	CREATE TABLE returns (
		seq         BIGSERIAL UNIQUE,
		jid         TEXT NOT NULL,
		id          TEXT NOT NULL,
		fun         TEXT NOT NULL,
		ret         TEXT NOT NULL,
		retcode     BIGINT NOT NULL,
		success     BOOLEAN NOT NULL,
		received    BIGINT NOT NULL,
		duration    BIGINT NOT NULL,
		pillar_hash TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (jid, id)
	);
	CREATE INDEX returns_fun ON returns (fun, received);
	CREATE INDEX returns_search ON returns USING GIN (to_tsvector('simple', ` + pgSearchBody + `))
		WHERE ` + pgSearchIndexed + `;
	CREATE TABLE audit (
		id       BIGSERIAL PRIMARY KEY,
		time     BIGINT NOT NULL,
		username TEXT NOT NULL,
		action   TEXT NOT NULL,
		target   TEXT NOT NULL,
		fun      TEXT NOT NULL,
		args     TEXT NOT NULL,
		kwargs   TEXT NOT NULL,
		jid      TEXT NOT NULL,
		outcome  TEXT NOT NULL
	);
	CREATE INDEX audit_time ON audit (time);
	CREATE TABLE grains (
		id      TEXT PRIMARY KEY,
		grains  TEXT NOT NULL,
		updated BIGINT NOT NULL
	);
	CREATE TABLE returner_cursors (
		name TEXT PRIMARY KEY,
		seq  BIGINT NOT NULL
	);
	CREATE TABLE api_tokens (
		name    TEXT PRIMARY KEY,
		hash    TEXT NOT NULL UNIQUE,
		acl     TEXT NOT NULL,
		created BIGINT NOT NULL,
		expires BIGINT NOT NULL,
		revoked BOOLEAN NOT NULL DEFAULT false
	);
	CREATE TABLE ops_log (
		id     BIGSERIAL PRIMARY KEY,
		time   BIGINT NOT NULL,
		author TEXT NOT NULL,
		text   TEXT NOT NULL,
		ticket TEXT NOT NULL,
		tags   TEXT NOT NULL,
		jids   TEXT NOT NULL
	);
	CREATE INDEX ops_log_time ON ops_log (time);
	CREATE TABLE maintenance (
		minion TEXT PRIMARY KEY,
		reason TEXT NOT NULL,
		author TEXT NOT NULL,
		since  BIGINT NOT NULL,
		until  BIGINT NOT NULL
	);
	CREATE TABLE mine (
		minion  TEXT NOT NULL,
		fun     TEXT NOT NULL,
		data    TEXT NOT NULL,
		updated BIGINT NOT NULL,
		PRIMARY KEY (minion, fun)
	);
	CREATE INDEX mine_fun ON mine (fun);`,
}

// pgSearchBody is what the search index reads a return's JSON through, as
// SQLite's ftsBody: escaped newlines, tabs and quotes become spaces. Then
// everything but letters and digits does too: PostgreSQL's parser would
// keep "/dev/sdb1" or "a.b@c" as one token, where SQLite's tokenizer (and
// a user) sees words.
var pgSearchBody = `regexp_replace(replace(replace(replace(replace(replace(` + pgCapped + `, '\n', ' '), '\r', ' '), '\t', ' '), '\"', ' '), '\\', ' '), '[^[:alnum:]]+', ' ', 'g')`

// pgCapped is the part of a return the index reads, as SQLite's ftsCapped:
// its head and tail (which also keeps the tsvector under PostgreSQL's
// 1 MB limit, whatever the output).
var pgCapped = fmt.Sprintf("(CASE WHEN length(ret) <= %[1]d THEN ret ELSE left(ret, %[2]d) || ' ' || right(ret, %[2]d) END)", 2*searchHead, searchHead)

// pgSearchIndexed keeps bare scalars (test.ping's true) out of the index,
// as SQLite's migration 7 does.
const pgSearchIndexed = `left(ret, 1) IN ('{', '[', '"')`

// PostgresStore is the Store on a PostgreSQL database shared by several
// masters (DESIGN §10).
type PostgresStore struct {
	db *pgdb.DB
}

var _ Store = (*PostgresStore)(nil)

// OpenPostgres brings the job store's tables in db up to date and returns
// the store. The store owns db from then on: Close closes it, so the
// master closes it last, after whatever else borrowed the pool.
func OpenPostgres(ctx context.Context, db *pgdb.DB) (*PostgresStore, error) {
	if err := db.Migrate(ctx, "jobstore", pgMigrations); err != nil {
		return nil, fmt.Errorf("open job store: %w", err)
	}
	return &PostgresStore{db: db}, nil
}

// pgText makes a string storable in a TEXT column: PostgreSQL refuses NUL
// and invalid UTF-8, which a peer may send in any string; they become
// U+FFFD rather than costing the whole record.
func pgText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// CheckFile implements the master's store check before each publish. A
// database server has no file to lose, and an unreachable one fails the
// job's CreateJob with the reason: no round trip is spent on it here.
func (s *PostgresStore) CheckFile() error { return nil }

// Close implements Store: it closes the pool.
func (s *PostgresStore) Close() error {
	s.db.Close()
	return nil
}

func (s *PostgresStore) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// CreateJob implements Store.
func (s *PostgresStore) CreateJob(ctx context.Context, j *Job) error {
	row, err := encodeJob(j)
	if err != nil {
		return err
	}
	if err := s.inTx(ctx, func(tx pgx.Tx) error { return pgInsertJob(ctx, tx, row) }); err != nil {
		return fmt.Errorf("create job %s: %w", j.JID, err)
	}
	return nil
}

func pgInsertJob(ctx context.Context, tx pgx.Tx, row jobRow) error {
	j := row.j
	tag, err := tx.Exec(ctx, `INSERT INTO jobs (jid, fun, args, kwargs, target_type, target, username, created, meta)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (jid) DO NOTHING`,
		pgText(j.JID), pgText(j.Fun), string(row.args), string(row.kwargs), pgText(j.TargetType),
		pgText(j.Target), pgText(j.User), row.created, string(row.meta))
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return ErrJobExists
	}
	if len(j.Expected) == 0 {
		return nil
	}
	ids := make([]string, len(j.Expected))
	for i, id := range j.Expected {
		ids[i] = pgText(id)
	}
	_, err = tx.Exec(ctx, `INSERT INTO job_minions (jid, id, expected, state)
		SELECT $1, id, true, 'pending' FROM unnest($2::text[]) AS id
		ON CONFLICT (jid, id) DO NOTHING`, pgText(j.JID), ids)
	return err
}

// AddReturns implements Store: one multi-row upsert per batch.
func (s *PostgresStore) AddReturns(ctx context.Context, rs []Return) error {
	if len(rs) == 0 {
		return nil
	}
	now := time.Now()
	var jobs []jobRow
	// A batch may hold two returns of one minion for one job (a resend);
	// one statement may not upsert a row twice, and the later one wins.
	last := make(map[[2]string]int, len(rs))
	order := make([][2]string, 0, len(rs))
	type col struct {
		ret                string
		received           int64
		retcode, duration  int64
		success            bool
		fun, hash, jid, id string
	}
	cols := make([]col, len(rs))
	for i := range rs {
		r := &rs[i]
		e, err := encodeReturn(i, r, now)
		if err != nil {
			return err
		}
		if e.job != nil {
			jobs = append(jobs, *e.job)
		}
		cols[i] = col{ret: string(e.ret), received: e.received, retcode: int64(r.Retcode), duration: int64(r.Duration),
			success: r.Success, fun: pgText(r.Fun), hash: pgText(r.PillarHash), jid: pgText(r.JID), id: pgText(r.ID)}
		k := [2]string{cols[i].jid, cols[i].id}
		if _, seen := last[k]; !seen {
			order = append(order, k)
		}
		last[k] = i
	}
	n := len(order)
	jids, ids, funs, rets, hashes := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	retcodes, received, durations := make([]int64, n), make([]int64, n), make([]int64, n)
	success := make([]bool, n)
	for i, k := range order {
		c := cols[last[k]]
		jids[i], ids[i], funs[i], rets[i], hashes[i] = c.jid, c.id, c.fun, c.ret, c.hash
		retcodes[i], received[i], durations[i], success[i] = c.retcode, c.received, c.duration, c.success
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// One writer of returns at a time, across masters: seq values
		// then become visible in the order they were taken, so a
		// returner's cursor never passes a return still being committed
		// (a sequence alone gives no such order).
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7214834)`); err != nil {
			return err
		}
		for _, jr := range jobs {
			if err := pgInsertJob(ctx, tx, jr); err != nil && !errors.Is(err, ErrJobExists) {
				return fmt.Errorf("job %s: %w", jr.j.JID, err)
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO returns (jid, id, fun, ret, retcode, success, received, duration, pillar_hash)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::boolean[],
				$7::bigint[], $8::bigint[], $9::text[])
			ON CONFLICT (jid, id) DO UPDATE SET fun = excluded.fun, ret = excluded.ret,
				retcode = excluded.retcode, success = excluded.success,
				received = excluded.received, duration = excluded.duration, pillar_hash = excluded.pillar_hash`,
			jids, ids, funs, rets, retcodes, success, received, durations, hashes)
		return err
	})
	if err != nil {
		return fmt.Errorf("add %d returns: %w", len(rs), err)
	}
	return nil
}

// SetStates implements Store.
func (s *PostgresStore) SetStates(ctx context.Context, jid string, states map[string]MinionState) error {
	ids, err := stateIDs(jid, states)
	if err != nil {
		return err
	}
	sts := make([]string, len(ids))
	for i, id := range ids {
		sts[i] = string(states[id])
		ids[i] = pgText(id)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM jobs WHERE jid = $1`, pgText(jid)).Scan(&one); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO job_minions (jid, id, expected, state)
			SELECT $1, id, false, st FROM unnest($2::text[], $3::text[]) AS u(id, st)
			ON CONFLICT (jid, id) DO UPDATE SET state = excluded.state
			WHERE job_minions.state <> 'returned'`, pgText(jid), ids, sts)
		return err
	})
	if err != nil {
		return fmt.Errorf("set states of job %s: %w", jid, err)
	}
	return nil
}

// GetJob implements Store, reading in one repeatable-read transaction so
// the job and its results are a consistent snapshot.
func (s *PostgresStore) GetJob(ctx context.Context, jid string) (*JobRecord, error) {
	if jid == "" {
		return nil, fmt.Errorf("get job: %w", invalidf("empty jid"))
	}
	rec, err := s.getJob(ctx, pgText(jid))
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", jid, err)
	}
	return rec, nil
}

func (s *PostgresStore) getJob(ctx context.Context, jid string) (*JobRecord, error) {
	tx, err := s.db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rec := &JobRecord{Job: Job{JID: jid}}
	var args, kwargs, meta string
	var created int64
	err = tx.QueryRow(ctx, `SELECT fun, args, kwargs, target_type, target, username, created, meta
		FROM jobs WHERE jid = $1`, jid).Scan(&rec.Fun, &args, &kwargs, &rec.TargetType, &rec.Target, &rec.User, &created, &meta)
	found := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, err
	}
	if found {
		if err := decodeJobRow(rec, []byte(args), []byte(kwargs), []byte(meta), created); err != nil {
			return nil, err
		}
	}
	res := newResults(rec, found)
	rows, err := tx.Query(ctx, `SELECT id, expected, state FROM job_minions WHERE jid = $1 ORDER BY id`, jid)
	if err != nil {
		return nil, err
	}
	err = res.minions(rows)
	rows.Close()
	if err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `SELECT id, fun, ret, retcode, success, received, duration, pillar_hash
		FROM returns WHERE jid = $1 ORDER BY id`, jid)
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
func (s *PostgresStore) ListJobs(ctx context.Context, f JobFilter) ([]JobSummary, error) {
	if f.Limit < 0 {
		return nil, invalidf("list jobs: negative limit %d", f.Limit)
	}
	var limit *int64
	if f.Limit > 0 {
		l := int64(f.Limit)
		limit = &l
	}
	since, err := sinceNanos(f.Since)
	if err != nil {
		return nil, fmt.Errorf("list jobs: since: %w", err)
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT j.jid, j.fun, j.target_type, j.target, j.username, j.created,
			(SELECT count(*) FROM job_minions m WHERE m.jid = j.jid AND m.expected),
			(SELECT count(*) FROM returns r WHERE r.jid = j.jid) +
				(SELECT count(*) FROM job_minions m WHERE m.jid = j.jid AND m.state = 'returned'
					AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.jid = m.jid AND r.id = m.id)),
			(SELECT count(*) FROM returns r WHERE r.jid = j.jid AND NOT r.success)
		FROM jobs j
		WHERE ($1 = '' OR j.fun = $1) AND ($2 = '' OR j.target = $2) AND j.created >= $3
		ORDER BY j.created DESC, j.jid DESC
		LIMIT $4`, pgText(f.Fun), pgText(f.Target), since, limit)
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
func (s *PostgresStore) AddAudit(ctx context.Context, e *AuditEntry) error {
	t, ns, args, kwargs, err := encodeAudit(e)
	if err != nil {
		return err
	}
	var id int64
	err = s.db.Pool.QueryRow(ctx, `INSERT INTO audit (time, username, action, target, fun, args, kwargs, jid, outcome)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		ns, pgText(clip(e.User)), pgText(clip(e.Action)), pgText(clip(e.Target)), pgText(clip(e.Fun)),
		string(args), string(kwargs), pgText(clip(e.JID)), pgText(clip(e.Outcome))).Scan(&id)
	if err != nil {
		return fmt.Errorf("add audit: %w", err)
	}
	e.ID, e.Time = id, t
	return nil
}

// ListAudit implements Store.
func (s *PostgresStore) ListAudit(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit < 0 {
		return nil, invalidf("list audit: negative limit %d", limit)
	}
	var lim *int64
	if limit > 0 {
		l := int64(limit)
		lim = &l
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT id, time, username, action, target, fun, args, kwargs, jid, outcome
		FROM audit ORDER BY id DESC LIMIT $1`, lim)
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

// PruneAudit implements Store.
func (s *PostgresStore) PruneAudit(ctx context.Context, olderThan time.Time) (int, error) {
	cutoff, err := toNanos(olderThan)
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	tag, err := s.db.Pool.Exec(ctx, `DELETE FROM audit WHERE time < $1`, cutoff)
	if err != nil {
		return 0, fmt.Errorf("prune audit: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// Unfinished implements Store.
func (s *PostgresStore) Unfinished(ctx context.Context, id string) ([]string, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT jid FROM job_minions WHERE id = $1 AND state IN ('pending', 'timed-out')
		AND NOT EXISTS (SELECT 1 FROM returns r WHERE r.jid = job_minions.jid AND r.id = job_minions.id)
		ORDER BY jid`, pgText(id))
	if err != nil {
		return nil, fmt.Errorf("unfinished jobs of %s: %w", id, err)
	}
	jids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("unfinished jobs of %s: %w", id, err)
	}
	return jids, nil
}

// PutGrains implements Store.
func (s *PostgresStore) PutGrains(ctx context.Context, id string, grains map[string]any) error {
	if id == "" {
		return invalidf("put grains: empty minion id")
	}
	b, err := encodeValue(orEmptyMap(grains))
	if err != nil {
		return fmt.Errorf("put grains of %s: %w", id, err)
	}
	if _, err := s.db.Pool.Exec(ctx, `INSERT INTO grains (id, grains, updated) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET grains = excluded.grains, updated = excluded.updated`,
		pgText(id), string(b), time.Now().UnixNano()); err != nil {
		return fmt.Errorf("put grains of %s: %w", id, err)
	}
	return nil
}

// AllGrains implements Store.
func (s *PostgresStore) AllGrains(ctx context.Context) (map[string]map[string]any, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT id, grains FROM grains`)
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

// Prune implements Store, in chunks of jobs so returns keep flowing in.
func (s *PostgresStore) Prune(ctx context.Context, olderThan time.Time) (int, error) {
	cutoff, err := toNanos(olderThan)
	if err != nil {
		return 0, fmt.Errorf("prune jobs: %w", err)
	}
	total := 0
	for {
		var n int64
		err := s.inTx(ctx, func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT jid FROM jobs WHERE created < $1 ORDER BY created, jid LIMIT $2`, cutoff, pruneChunk)
			if err != nil {
				return err
			}
			jids, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			for _, q := range []string{`DELETE FROM returns WHERE jid = ANY($1)`, `DELETE FROM job_minions WHERE jid = ANY($1)`} {
				if _, err := tx.Exec(ctx, q, jids); err != nil {
					return err
				}
			}
			tag, err := tx.Exec(ctx, `DELETE FROM jobs WHERE jid = ANY($1)`, jids)
			n = tag.RowsAffected()
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
	if _, err := s.db.Pool.Exec(ctx, `DELETE FROM returns WHERE received < $1
		AND NOT EXISTS (SELECT 1 FROM jobs WHERE jobs.jid = returns.jid)`, cutoff); err != nil {
		return total, fmt.Errorf("prune returns of unrecorded jobs: %w", err)
	}
	return total, nil
}

// CreateToken implements Store.
func (s *PostgresStore) CreateToken(ctx context.Context, t *Token) error {
	if t == nil || t.Name == "" || len(t.Hash) != 64 {
		return invalidf("create token: a name and a 64-character hash are required")
	}
	if t.Created.IsZero() {
		t.Created = time.Now().UTC()
	}
	acl := string(t.ACL)
	if acl == "" {
		acl = "{}"
	}
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO api_tokens (name, hash, acl, created, expires) VALUES ($1, $2, $3, $4, $5)`,
		pgText(t.Name), pgText(t.Hash), pgText(acl), t.Created.UnixNano(), nanosOrZero(t.Expires))
	if pgdb.IsUniqueViolation(err) {
		return fmt.Errorf("create token %s: %w", t.Name, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("create token %s: %w", t.Name, err)
	}
	return nil
}

// TokenByHash implements Store.
func (s *PostgresStore) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	t, err := scanToken(s.db.Pool.QueryRow(ctx, `SELECT name, hash, acl, created, expires, revoked
		FROM api_tokens WHERE hash = $1`, pgText(hash)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("token lookup: %w", err)
	}
	return &t, nil
}

// ListTokens implements Store.
func (s *PostgresStore) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT name, hash, acl, created, expires, revoked FROM api_tokens ORDER BY name`)
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
func (s *PostgresStore) RevokeToken(ctx context.Context, name string) (bool, error) {
	tag, err := s.db.Pool.Exec(ctx, `UPDATE api_tokens SET revoked = true WHERE name = $1`, pgText(name))
	if err != nil {
		return false, fmt.Errorf("revoke token %s: %w", name, err)
	}
	return tag.RowsAffected() > 0, nil
}

// AddOpsLog implements Store.
func (s *PostgresStore) AddOpsLog(ctx context.Context, e *OpsEntry) error {
	if e == nil || strings.TrimSpace(e.Text) == "" {
		return invalidf("ops log: empty text")
	}
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	tags, _ := json.Marshal(orEmptyStrings(e.Tags))
	jids, _ := json.Marshal(orEmptyStrings(e.JIDs))
	err := s.db.Pool.QueryRow(ctx, `INSERT INTO ops_log (time, author, text, ticket, tags, jids)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		e.Time.UnixNano(), pgText(clip(e.Author)), pgText(clip(e.Text)), pgText(clip(e.Ticket)), string(tags), string(jids)).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("ops log: %w", err)
	}
	return nil
}

// ListOpsLog implements Store.
func (s *PostgresStore) ListOpsLog(ctx context.Context, since time.Time, limit int) ([]OpsEntry, error) {
	if limit < 0 {
		return nil, invalidf("list ops log: negative limit %d", limit)
	}
	var lim *int64
	if limit > 0 {
		l := int64(limit)
		lim = &l
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT id, time, author, text, ticket, tags, jids FROM
		(SELECT * FROM ops_log WHERE time >= $1 ORDER BY id DESC LIMIT $2) o ORDER BY id`, nanosOrZero(since), lim)
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
func (s *PostgresStore) SetMaintenance(ctx context.Context, ms []Maintenance) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		for _, m := range ms {
			if m.Minion == "" {
				return invalidf("maintenance: empty minion id")
			}
			if m.Since.IsZero() {
				m.Since = time.Now().UTC()
			}
			if _, err := tx.Exec(ctx, `INSERT INTO maintenance (minion, reason, author, since, until) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (minion) DO UPDATE SET reason = excluded.reason, author = excluded.author,
					since = excluded.since, until = excluded.until`,
				pgText(m.Minion), pgText(clip(m.Reason)), pgText(clip(m.Author)), m.Since.UnixNano(), nanosOrZero(m.Until)); err != nil {
				return fmt.Errorf("maintenance %s: %w", m.Minion, err)
			}
		}
		return nil
	})
}

// ClearMaintenance implements Store.
func (s *PostgresStore) ClearMaintenance(ctx context.Context, ids []string) ([]string, error) {
	var cleared []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		for _, id := range ids {
			tag, err := tx.Exec(ctx, `DELETE FROM maintenance WHERE minion = $1`, pgText(id))
			if err != nil {
				return fmt.Errorf("maintenance %s: %w", id, err)
			}
			if tag.RowsAffected() > 0 {
				cleared = append(cleared, id)
			}
		}
		return nil
	})
	return cleared, err
}

// ListMaintenance implements Store.
func (s *PostgresStore) ListMaintenance(ctx context.Context) ([]Maintenance, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT minion, reason, author, since, until FROM maintenance ORDER BY minion`)
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
func (s *PostgresStore) PutMine(ctx context.Context, minion string, data map[string]any, clear bool, del []string) error {
	if minion == "" {
		return invalidf("mine: empty minion id")
	}
	minion = pgText(minion)
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if clear {
			if _, err := tx.Exec(ctx, `DELETE FROM mine WHERE minion = $1`, minion); err != nil {
				return fmt.Errorf("mine %s: %w", minion, err)
			}
		}
		for _, f := range del {
			if _, err := tx.Exec(ctx, `DELETE FROM mine WHERE minion = $1 AND fun = $2`, minion, pgText(f)); err != nil {
				return fmt.Errorf("mine %s: %w", minion, err)
			}
		}
		now := time.Now().UnixNano()
		funs := make([]string, 0, len(data))
		for f := range data {
			funs = append(funs, f)
		}
		sort.Strings(funs)
		for _, f := range funs {
			b, err := encodeValue(data[f])
			if err != nil {
				return fmt.Errorf("mine %s %s: %w", minion, f, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO mine (minion, fun, data, updated) VALUES ($1, $2, $3, $4)
				ON CONFLICT (minion, fun) DO UPDATE SET data = excluded.data, updated = excluded.updated`,
				minion, pgText(clip(f)), string(b), now); err != nil {
				return fmt.Errorf("mine %s %s: %w", minion, f, err)
			}
		}
		return nil
	})
}

// GetMine implements Store.
func (s *PostgresStore) GetMine(ctx context.Context, fun string, minions []string) (map[string]any, error) {
	ids := make([]string, len(minions))
	for i, id := range minions {
		ids[i] = pgText(id)
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT minion, data FROM mine WHERE fun = $1 AND minion = ANY($2)`, pgText(fun), ids)
	if err != nil {
		return nil, fmt.Errorf("mine get %s: %w", fun, err)
	}
	defer rows.Close()
	out := map[string]any{}
	for rows.Next() {
		var id, b string
		if err := rows.Scan(&id, &b); err != nil {
			return nil, fmt.Errorf("mine get %s: %w", fun, err)
		}
		v, err := decodeValue([]byte(b))
		if err != nil {
			return nil, fmt.Errorf("mine get %s of %s: %w", fun, id, err)
		}
		out[id] = v
	}
	return out, rows.Err()
}

// DeleteMine implements Store.
func (s *PostgresStore) DeleteMine(ctx context.Context, minion string) error {
	if _, err := s.db.Pool.Exec(ctx, `DELETE FROM mine WHERE minion = $1`, pgText(minion)); err != nil {
		return fmt.Errorf("mine delete %s: %w", minion, err)
	}
	return nil
}

// ReturnsOf is SQLiteStore.ReturnsOf on PostgreSQL.
func (s *PostgresStore) ReturnsOf(ctx context.Context, fun string, since time.Time) ([]Return, error) {
	from, err := toNanos(since)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT jid, id, fun, ret, retcode, success, received, duration
		FROM returns WHERE fun = $1 AND received >= $2 ORDER BY received`, pgText(fun), from)
	if err != nil {
		return nil, fmt.Errorf("returns of %s: %w", fun, err)
	}
	defer rows.Close()
	return collect(rows, scanReturn)
}

// pgTSQuery turns search text into a tsquery with SQLite's ftsQuery rules
// (searchTerms). Words are letters and digits only, so nothing in them is
// tsquery syntax.
func pgTSQuery(text string) string {
	var terms []string
	for _, t := range searchTerms(text) {
		q := make([]string, len(t.words))
		for i, w := range t.words {
			q[i] = "'" + strings.ToLower(w) + "'"
		}
		if t.phrase {
			terms = append(terms, "("+strings.Join(q, " <-> ")+")")
		} else {
			terms = append(terms, q[0]+":*")
		}
	}
	return strings.Join(terms, " & ")
}

// Search is SQLiteStore.Search on PostgreSQL's full-text search.
func (s *PostgresStore) Search(ctx context.Context, f SearchFilter) ([]Hit, error) {
	q := pgTSQuery(pgText(f.Text))
	if q == "" {
		return nil, invalidf("search: nothing to search for")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	since, err := sinceNanos(f.Since)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Pool.Query(ctx, `SELECT jid, id, fun, received, success,
			ts_headline('simple', `+pgSearchBody+`, q, 'StartSel=[, StopSel=], MaxWords=16, MinWords=4')
		FROM returns, to_tsquery('simple', $1) q
		WHERE `+pgSearchIndexed+` AND to_tsvector('simple', `+pgSearchBody+`) @@ q
			AND ($2 = '' OR id = $2) AND ($3 = '' OR fun = $3) AND received >= $4
		ORDER BY received DESC LIMIT $5`, q, pgText(f.Minion), pgText(f.Fun), since, limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", f.Text, err)
	}
	defer rows.Close()
	return collect(rows, scanHit)
}

// Stats is SQLiteStore.Stats on PostgreSQL: the database's size.
func (s *PostgresStore) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	err := s.db.Pool.QueryRow(ctx, `SELECT pg_database_size(current_database()),
		(SELECT count(*) FROM jobs), (SELECT count(*) FROM returns)`).Scan(&st.Bytes, &st.Jobs, &st.Returns)
	return st, err
}

// ReturnsAfter is SQLiteStore.ReturnsAfter, by seq.
func (s *PostgresStore) ReturnsAfter(ctx context.Context, seq int64, limit int) ([]Fed, error) {
	rows, err := s.db.Pool.Query(ctx, `SELECT r.seq, r.jid, r.id, r.fun, r.ret, r.retcode, r.success, r.received, r.duration,
			coalesce(j.target, ''), coalesce(j.target_type, ''), coalesce(j.username, '')
		FROM returns r LEFT JOIN jobs j ON j.jid = r.jid
		WHERE r.seq > $1 ORDER BY r.seq LIMIT $2`, seq, limit)
	if err != nil {
		return nil, fmt.Errorf("returns after %d: %w", seq, err)
	}
	defer rows.Close()
	return collect(rows, scanFed)
}

// LastSeq is SQLiteStore.LastSeq.
func (s *PostgresStore) LastSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(max(seq), 0) FROM returns`).Scan(&seq)
	return seq, err
}

// Cursor is SQLiteStore.Cursor.
func (s *PostgresStore) Cursor(ctx context.Context, name string) (int64, bool, error) {
	var seq int64
	err := s.db.Pool.QueryRow(ctx, `SELECT seq FROM returner_cursors WHERE name = $1`, pgText(name)).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return seq, err == nil, err
}

// SetCursor is SQLiteStore.SetCursor.
func (s *PostgresStore) SetCursor(ctx context.Context, name string, seq int64) error {
	_, err := s.db.Pool.Exec(ctx, `INSERT INTO returner_cursors (name, seq) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET seq = excluded.seq`, pgText(name), seq)
	return err
}
