// Package jobstore is the master's record of jobs: what was published, to
// whom, what every minion answered, who asked for it (audit), and the grains
// cache used to compute expected sets.
//
// Everything goes through the Store interface so that a fleet that outgrows
// one master can move the record to a shared database (DESIGN §10) without
// touching its callers. SQLiteStore, an embedded SQLite file at
// data_dir/halite.db, is the default. Batcher sits in front of a Store and
// turns the stream of returns coming off the request channel into batched
// transactions.
//
// Values that come from users and minions (arguments, returns, grains) are
// JSON-like: maps with string keys, lists, strings, numbers, booleans and nil.
// They are stored as JSON text and come back with integral numbers as int64
// (float64 otherwise), so a retcode or a test.fib result reads back as the
// integer it was.
package jobstore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Errors callers branch on. They are wrapped with context; test with
// errors.Is.
var (
	// ErrNotFound means no job (and no return) is recorded under the jid.
	ErrNotFound = errors.New("jobstore: not found")
	// ErrExists means a name (a token's) is already recorded.
	ErrExists = errors.New("jobstore: already exists")
	// ErrJobExists means CreateJob was given a jid that is already recorded.
	ErrJobExists = errors.New("jobstore: job already exists")
	// ErrInvalid means the caller passed something the store cannot record:
	// an empty jid or minion id, an unknown minion state, a value that is not
	// JSON-like, a negative limit.
	ErrInvalid = errors.New("jobstore: invalid argument")
)

// MinionState is where a targeted minion stands in a job's return
// accounting (DESIGN §4). Every expected minion ends in exactly one of the
// final states; StatePending means the job is still waiting for it.
type MinionState string

// Minion states.
const (
	StatePending  MinionState = "pending"   // published, waiting
	StateReturned MinionState = "returned"  // its return is in (success or failure)
	StateOffline  MinionState = "offline"   // not connected at publish time
	StateNoAck    MinionState = "no-ack"    // connected, never acknowledged
	StateTimedOut MinionState = "timed-out" // acked, still running at the deadline
	StateLost     MinionState = "lost"      // acked, then the minion restarted without it
	StateSkipped  MinionState = "skipped"   // a batched rollout stopped before reaching it
	// StateMaintenance: the minion was in maintenance; the job was not
	// sent to it.
	StateMaintenance MinionState = "maintenance"
)

// Valid reports whether s is one of the defined states.
func (s MinionState) Valid() bool {
	switch s {
	case StatePending, StateReturned, StateOffline, StateNoAck, StateTimedOut, StateLost, StateSkipped, StateMaintenance:
		return true
	}
	return false
}

// Job is what the master published: the function call, its target, who asked
// and which minions were expected to answer.
type Job struct {
	JID        string         `json:"jid"`
	Fun        string         `json:"fun"`
	Args       []any          `json:"arg,omitempty"`
	Kwargs     map[string]any `json:"kwarg,omitempty"`
	TargetType string         `json:"tgt_type"`
	Target     string         `json:"tgt"`
	User       string         `json:"user"`
	// Created is when the job was published. CreateJob fills in the current
	// time when it is zero. Stored and returned in UTC.
	Created time.Time `json:"created"`
	// Expected lists the ids of the targeted minions. GetJob returns them
	// sorted.
	Expected []string `json:"expected"`
	// Meta carries optional extras such as batch settings.
	Meta map[string]any `json:"meta,omitempty"`
}

// Return is one minion's answer to one job.
type Return struct {
	JID     string `json:"jid"`
	ID      string `json:"id"`
	Fun     string `json:"fun"`
	Return  any    `json:"return"`
	Retcode int    `json:"retcode"`
	Success bool   `json:"success"`
	// Received is when the master got the return; AddReturns fills in the
	// current time when it is zero. Stored and returned in UTC.
	Received time.Time     `json:"received"`
	Duration time.Duration `json:"duration_ns"`
	// PillarHash is the hash of the pillar a state run compiled
	// ("sha256:<hex>" of its canonical encoding), not the pillar.
	PillarHash string `json:"pillar_hash,omitempty"`
	// Job, when set, is recorded in the same transaction as the return
	// (unless its jid is already recorded): a return the minion produced
	// on its own, from its schedule or an exec run, brings its job along.
	Job *Job `json:"-"`
}

// MinionResult is one targeted (or answering) minion's standing in a job.
type MinionResult struct {
	ID    string      `json:"id"`
	State MinionState `json:"state"`
	// Return is nil unless the return has been stored. State can be
	// StateReturned with a nil Return when the master marked the minion
	// returned before the return itself was written.
	Return *Return `json:"return,omitempty"`
}

// JobRecord is a job with every minion's result, sorted by minion id. The
// results cover the expected minions and any minion that returned without
// being expected (the master's grains cache can lag behind a minion).
//
// A job whose record was pruned but which received a late return still has a
// JobRecord: its Job holds only the JID, the function from the return and,
// when the jid is in Salt's format, the creation time it encodes.
type JobRecord struct {
	Job
	Results []MinionResult `json:"results"`
}

// JobFilter selects jobs for ListJobs. Zero fields do not filter.
type JobFilter struct {
	// Limit caps the number of jobs returned; 0 means no cap.
	Limit int
	// Fun keeps jobs whose function is exactly Fun.
	Fun string
	// Target keeps jobs whose target expression is exactly Target.
	Target string
	// Since keeps jobs created at or after Since.
	Since time.Time
}

// JobSummary is one line of "jobs list".
type JobSummary struct {
	JID        string    `json:"jid"`
	Fun        string    `json:"fun"`
	TargetType string    `json:"tgt_type"`
	Target     string    `json:"tgt"`
	User       string    `json:"user"`
	Created    time.Time `json:"created"`
	// Expected counts the targeted minions, Returned the minions whose
	// return is in (expected or not), Failed the returns with Success false.
	Expected int `json:"expected"`
	Returned int `json:"returned"`
	Failed   int `json:"failed"`
}

// AuditEntry records one API call and its outcome (DESIGN §8).
type AuditEntry struct {
	// ID is assigned by AddAudit; later entries have larger ids.
	ID int64 `json:"id"`
	// Time is when the call was made; AddAudit fills in the current time
	// when it is zero.
	Time    time.Time      `json:"time"`
	User    string         `json:"user"`
	Action  string         `json:"action"`
	Target  string         `json:"target,omitempty"`
	Fun     string         `json:"fun,omitempty"`
	Args    []any          `json:"arg,omitempty"`
	Kwargs  map[string]any `json:"kwarg,omitempty"`
	JID     string         `json:"jid,omitempty"`
	Outcome string         `json:"outcome"`
}

// Store is the master's job record. Implementations are safe for concurrent
// use.
type Store interface {
	// CreateJob records a newly published job with every expected minion
	// pending. It fails with ErrJobExists if the jid is already recorded.
	CreateJob(ctx context.Context, j *Job) error
	// AddReturns stores a batch of returns in one transaction: all or none.
	// A later return from the same minion for the same job replaces the
	// earlier one. A return for a jid the store does not know (a late
	// return after pruning) is stored all the same and GetJob finds it.
	AddReturns(ctx context.Context, rs []Return) error
	// SetStates records the return-accounting state of minions of a job,
	// adding minions not yet listed. A minion that has returned stays
	// returned whatever state is set later. ErrNotFound if the job is not
	// recorded.
	SetStates(ctx context.Context, jid string, states map[string]MinionState) error
	// GetJob returns the job and every minion's result, or ErrNotFound.
	GetJob(ctx context.Context, jid string) (*JobRecord, error)
	// ListJobs returns summaries of the jobs that pass f, newest first.
	ListJobs(ctx context.Context, f JobFilter) ([]JobSummary, error)
	// AddAudit appends e to the audit log and sets e.ID (and e.Time when it
	// was zero).
	AddAudit(ctx context.Context, e *AuditEntry) error
	// Unfinished lists the jobs in which minion id is pending or
	// timed-out, without a return, oldest first.
	Unfinished(ctx context.Context, id string) ([]string, error)
	// PruneAudit deletes the audit records from before olderThan and
	// reports how many went.
	PruneAudit(ctx context.Context, olderThan time.Time) (int, error)
	// ListAudit returns the newest limit entries, newest first; limit 0
	// means all.
	ListAudit(ctx context.Context, limit int) ([]AuditEntry, error)
	// CreateToken records an API token (its hash, never its secret);
	// ErrExists if the name is taken.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash finds the token with that secret hash, or ErrNotFound.
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// ListTokens lists every token, revoked ones included.
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken marks the token revoked; false if there is none.
	RevokeToken(ctx context.Context, name string) (bool, error)
	// AddOpsLog records an operator's note; its ID and Time are set.
	AddOpsLog(ctx context.Context, e *OpsEntry) error
	// ListOpsLog lists notes since a time (zero: all), oldest first, at
	// most limit (0: all, the newest kept).
	ListOpsLog(ctx context.Context, since time.Time, limit int) ([]OpsEntry, error)
	// SetMaintenance puts minions in maintenance (replacing their entry).
	SetMaintenance(ctx context.Context, ms []Maintenance) error
	// ClearMaintenance takes minions out of maintenance and returns those
	// that were in it.
	ClearMaintenance(ctx context.Context, ids []string) ([]string, error)
	// ListMaintenance lists the minions in maintenance.
	ListMaintenance(ctx context.Context) ([]Maintenance, error)
	// PutMine stores a minion's mine data (function name to value);
	// clear first drops what it had, del drops those functions.
	PutMine(ctx context.Context, minion string, data map[string]any, clear bool, del []string) error
	// GetMine returns fun's data for the minions given, by minion id
	// (minions without it are left out).
	GetMine(ctx context.Context, fun string, minions []string) (map[string]any, error)
	// DeleteMine drops a minion's mine data (its key is gone).
	DeleteMine(ctx context.Context, minion string) error
	// PutGrains replaces the cached grains of minion id.
	PutGrains(ctx context.Context, id string, grains map[string]any) error
	// AllGrains returns the cached grains of every minion, keyed by id.
	AllGrains(ctx context.Context) (map[string]map[string]any, error)
	// Prune deletes the jobs created before olderThan, with their minion
	// states and returns, and returns how many jobs it deleted. Returns for
	// jobs that are not recorded are deleted once they were received
	// before olderThan.
	Prune(ctx context.Context, olderThan time.Time) (int, error)
	// Close releases the store. Calls after Close fail.
	Close() error
}

// JIDTime returns the creation time encoded in a Salt-format jid
// (YYYYMMDDhhmmssffffff, UTC) or the zero time when jid is not in that
// format.
func JIDTime(jid string) time.Time {
	if len(jid) != 20 {
		return time.Time{}
	}
	t, err := time.Parse("20060102150405.000000", jid[:14]+"."+jid[14:])
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// invalidf returns an error wrapping ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
