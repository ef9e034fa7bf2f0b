package jobstore

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// What both stores do with a row once they have read its columns: the
// tables are the same in SQLite and PostgreSQL (times in Unix nanoseconds,
// values as JSON text), only the drivers differ.

// decodeJobRow fills rec from the columns of its jobs row.
func decodeJobRow(rec *JobRecord, args, kwargs, meta []byte, created int64) (err error) {
	rec.Created = fromNanos(created)
	if rec.Args, err = decodeList(args); err != nil {
		return fmt.Errorf("args: %w", err)
	}
	if rec.Kwargs, err = decodeMap(kwargs); err != nil {
		return fmt.Errorf("kwargs: %w", err)
	}
	if rec.Meta, err = decodeMap(meta); err != nil {
		return fmt.Errorf("meta: %w", err)
	}
	return nil
}

// decodeReturnRow completes a Return from the columns of its returns row.
func decodeReturnRow(r *Return, ret []byte, retcode, received, duration int64) (err error) {
	if r.Return, err = decodeValue(ret); err != nil {
		return fmt.Errorf("return of %s in %s: %w", r.ID, r.JID, err)
	}
	r.Retcode, r.Received, r.Duration = int(retcode), fromNanos(received), time.Duration(duration)
	return nil
}

// results gathers a job's minion rows and returns into its JobRecord.
type results struct {
	rec   *JobRecord
	found bool // the jobs row exists
	byID  map[string]*MinionResult
	nret  int
}

func newResults(rec *JobRecord, found bool) *results {
	if !found {
		rec.Created = JIDTime(rec.JID)
	}
	return &results{rec: rec, found: found, byID: map[string]*MinionResult{}}
}

func (s *results) minion(id string, expected bool, state string) {
	if expected {
		s.rec.Expected = append(s.rec.Expected, id)
	}
	s.byID[id] = &MinionResult{ID: id, State: MinionState(state)}
}

func (s *results) ret(r *Return) {
	s.byID[r.ID] = &MinionResult{ID: r.ID, State: StateReturned, Return: r}
	if !s.found && s.rec.Fun == "" {
		s.rec.Fun = r.Fun
	}
	s.nret++
}

// minions reads id, expected, state rows of the job's minions.
func (s *results) minions(rows rowIter) error {
	for rows.Next() {
		var id, state string
		var expected bool
		if err := rows.Scan(&id, &expected, &state); err != nil {
			return err
		}
		s.minion(id, expected, state)
	}
	return rows.Err()
}

// returns reads id, fun, ret, retcode, success, received, duration,
// pillar_hash rows of the job's returns.
func (s *results) returns(rows rowIter) error {
	for rows.Next() {
		r := Return{JID: s.rec.JID}
		var ret []byte
		var retcode, received, duration int64
		if err := rows.Scan(&r.ID, &r.Fun, &ret, &retcode, &r.Success, &received, &duration, &r.PillarHash); err != nil {
			return err
		}
		if err := decodeReturnRow(&r, ret, retcode, received, duration); err != nil {
			return err
		}
		s.ret(&r)
	}
	return rows.Err()
}

// record is the JobRecord, results sorted by minion id; ErrNotFound when
// neither the job nor any return is recorded.
func (s *results) record() (*JobRecord, error) {
	if !s.found && s.nret == 0 {
		return nil, ErrNotFound
	}
	s.rec.Results = make([]MinionResult, 0, len(s.byID))
	for _, r := range s.byID {
		s.rec.Results = append(s.rec.Results, *r)
	}
	sort.Slice(s.rec.Results, func(i, j int) bool { return s.rec.Results[i].ID < s.rec.Results[j].ID })
	return s.rec, nil
}

// sinceNanos is a filter's Since in nanoseconds; the zero time lets
// everything through.
func sinceNanos(t time.Time) (int64, error) {
	if t.IsZero() {
		return math.MinInt64, nil
	}
	return toNanos(t)
}

// encodeAudit prepares an audit entry for its row: its time (now when
// zero) and its arguments, clipped.
func encodeAudit(e *AuditEntry) (t time.Time, ns int64, args, kwargs []byte, err error) {
	if e == nil {
		return t, 0, nil, nil, invalidf("add audit: nil entry")
	}
	t = e.Time
	if t.IsZero() {
		t = time.Now().UTC()
	}
	if ns, err = toNanos(t); err != nil {
		return t, 0, nil, nil, fmt.Errorf("add audit: %w", err)
	}
	if args, err = encodeValue(e.Args); err != nil {
		return t, 0, nil, nil, fmt.Errorf("add audit: args: %w", err)
	}
	if kwargs, err = encodeValue(e.Kwargs); err != nil {
		return t, 0, nil, nil, fmt.Errorf("add audit: kwargs: %w", err)
	}
	return t, ns, clipJSON(args, true), clipJSON(kwargs, false), nil
}

// decodeAudit completes an audit entry from its row's columns.
func decodeAudit(e *AuditEntry, t int64, args, kwargs []byte) (err error) {
	e.Time = fromNanos(t)
	if e.Args, err = decodeList(args); err != nil {
		return fmt.Errorf("entry %d: args: %w", e.ID, err)
	}
	if e.Kwargs, err = decodeMap(kwargs); err != nil {
		return fmt.Errorf("entry %d: kwargs: %w", e.ID, err)
	}
	return nil
}

// searchTerm is a word (matched as a prefix) or a quoted phrase of the
// text given to jobs search.
type searchTerm struct {
	words  []string
	phrase bool
}

// searchTerms splits search text: "quoted phrases" are phrases, every
// other word is a prefix; all must match.
func searchTerms(text string) []searchTerm {
	var out []searchTerm
	add := func(ws []string, phrase bool) {
		if len(ws) == 0 {
			return
		}
		if phrase {
			out = append(out, searchTerm{words: ws, phrase: true})
			return
		}
		for _, w := range ws {
			out = append(out, searchTerm{words: []string{w}})
		}
	}
	rest := text
	for {
		i := strings.IndexByte(rest, '"')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i+1:], '"')
		if j < 0 {
			break
		}
		add(words(rest[:i]), false)
		add(words(rest[i+1:i+1+j]), true)
		rest = rest[i+2+j:]
	}
	add(words(rest), false)
	return out
}

// decodeOps completes an ops log entry from its row's columns (tags and
// jids are JSON lists the store wrote itself).
func decodeOps(e *OpsEntry, t int64, tags, jids string) {
	e.Time = fromNanos(t)
	_ = json.Unmarshal([]byte(tags), &e.Tags)
	_ = json.Unmarshal([]byte(jids), &e.JIDs)
}

// rowIter is what both drivers' result sets offer (database/sql's
// *sql.Rows, pgx.Rows): the stores' queries return the same columns in
// the same order, so one scanner per record serves both.
type rowIter interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// collect reads every row with scan.
func collect[T any](rows rowIter, scan func(rowIter) (T, error)) ([]T, error) {
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// scanSummary reads jid, fun, target_type, target, username, created and
// the expected, returned and failed counts.
func scanSummary(r rowIter) (JobSummary, error) {
	var js JobSummary
	var created, exp, ret, failed int64
	if err := r.Scan(&js.JID, &js.Fun, &js.TargetType, &js.Target, &js.User, &created, &exp, &ret, &failed); err != nil {
		return js, err
	}
	js.Created = fromNanos(created)
	js.Expected, js.Returned, js.Failed = int(exp), int(ret), int(failed)
	return js, nil
}

// scanAudit reads id, time, username, action, target, fun, args, kwargs,
// jid, outcome.
func scanAudit(r rowIter) (AuditEntry, error) {
	var e AuditEntry
	var t int64
	var args, kwargs []byte
	if err := r.Scan(&e.ID, &t, &e.User, &e.Action, &e.Target, &e.Fun, &args, &kwargs, &e.JID, &e.Outcome); err != nil {
		return e, err
	}
	return e, decodeAudit(&e, t, args, kwargs)
}

// scanMaintenance reads minion, reason, author, since, until.
func scanMaintenance(r rowIter) (Maintenance, error) {
	var m Maintenance
	var since, until int64
	if err := r.Scan(&m.Minion, &m.Reason, &m.Author, &since, &until); err != nil {
		return m, err
	}
	m.Since, m.Until = fromNanos(since), timeOrZero(until)
	return m, nil
}

// scanOps reads id, time, author, text, ticket, tags, jids.
func scanOps(r rowIter) (OpsEntry, error) {
	var e OpsEntry
	var t int64
	var tags, jids string
	if err := r.Scan(&e.ID, &t, &e.Author, &e.Text, &e.Ticket, &tags, &jids); err != nil {
		return e, err
	}
	decodeOps(&e, t, tags, jids)
	return e, nil
}

// scanHit reads jid, id, fun, received, success, snippet.
func scanHit(r rowIter) (Hit, error) {
	var h Hit
	var received int64
	if err := r.Scan(&h.JID, &h.ID, &h.Fun, &received, &h.Success, &h.Snippet); err != nil {
		return h, err
	}
	h.Received = fromNanos(received)
	return h, nil
}

// scanReturn reads jid, id, fun, ret, retcode, success, received,
// duration.
func scanReturn(r rowIter) (Return, error) {
	var ret Return
	var v []byte
	var retcode, received, duration int64
	if err := r.Scan(&ret.JID, &ret.ID, &ret.Fun, &v, &retcode, &ret.Success, &received, &duration); err != nil {
		return ret, err
	}
	return ret, decodeReturnRow(&ret, v, retcode, received, duration)
}

// scanFed reads a return's seq, its scanReturn columns, then the job's
// target, target type and user.
func scanFed(r rowIter) (Fed, error) {
	var f Fed
	var v []byte
	var retcode, received, duration int64
	if err := r.Scan(&f.Seq, &f.JID, &f.ID, &f.Fun, &v, &retcode, &f.Success, &received, &duration,
		&f.Target, &f.TargetType, &f.User); err != nil {
		return f, err
	}
	return f, decodeReturnRow(&f.Return, v, retcode, received, duration)
}

// collectGrains reads id, grains rows into the grains cache.
func collectGrains(rows rowIter) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	for rows.Next() {
		var id string
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return nil, err
		}
		g, err := decodeMap(b)
		if err != nil {
			return nil, fmt.Errorf("minion %s: %w", id, err)
		}
		if g == nil {
			g = map[string]any{}
		}
		out[id] = g
	}
	return out, rows.Err()
}

// encodedReturn is a Return made ready for its row: its value as JSON,
// its receive time (now when zero) and the job it brings along, if any.
type encodedReturn struct {
	ret      []byte
	received int64
	job      *jobRow
}

// encodeReturn checks and encodes the i-th return of a batch.
func encodeReturn(i int, r *Return, now time.Time) (encodedReturn, error) {
	if r.JID == "" || r.ID == "" {
		return encodedReturn{}, invalidf("add returns: return %d has jid %q, id %q: both are required", i, r.JID, r.ID)
	}
	b, err := encodeValue(r.Return)
	if err != nil {
		return encodedReturn{}, fmt.Errorf("add returns: jid %s id %s: %w", r.JID, r.ID, err)
	}
	t := r.Received
	if t.IsZero() {
		t = now
	}
	ns, err := toNanos(t)
	if err != nil {
		return encodedReturn{}, fmt.Errorf("add returns: jid %s id %s: %w", r.JID, r.ID, err)
	}
	e := encodedReturn{ret: b, received: ns}
	if r.Job != nil {
		jr, err := encodeJob(r.Job)
		if err != nil {
			return encodedReturn{}, fmt.Errorf("add returns: jid %s id %s: %w", r.JID, r.ID, err)
		}
		e.job = &jr
	}
	return e, nil
}

// stateIDs checks the states SetStates is given and returns their minion
// ids sorted (a stable write order makes runs reproducible).
func stateIDs(jid string, states map[string]MinionState) ([]string, error) {
	if jid == "" {
		return nil, invalidf("set states: empty jid")
	}
	ids := make([]string, 0, len(states))
	for id, st := range states {
		if id == "" {
			return nil, invalidf("set states of job %s: empty minion id", jid)
		}
		if !st.Valid() {
			return nil, invalidf("set states of job %s: minion %s: unknown state %q", jid, id, st)
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}
