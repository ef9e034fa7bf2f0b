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
