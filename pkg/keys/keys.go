// Package keys is the master's registry of minion keys: which minion ids
// are accepted, which wait for an operator, which were rejected, and which
// presented a key other than the one on record (DESIGN §3).
//
// The Registry interface is what the master uses, so the registry can move
// to a shared database when several masters serve one fleet (DESIGN §10).
// FileRegistry, the embedded default, keeps Salt's layout: one file per
// minion id in a directory per state under pki_dir.
package keys

import (
	"context"
	"errors"

	"github.com/halite/halite/pkg/crypto"
)

// State is where a minion key stands.
type State string

// Key states. A key starts pending (or accepted, with auto_accept or when
// an operator pre-seeds it) and an operator moves it on. Denied is never
// chosen by an operator: it records a key that showed up for an id whose
// key is already on record, which is how impersonation looks.
const (
	StateAccepted State = "accepted"
	StatePending  State = "pending"
	StateRejected State = "rejected"
	StateDenied   State = "denied"
)

// stateOrder lists every state in the order List and Get sort by.
var stateOrder = [...]State{StateAccepted, StatePending, StateRejected, StateDenied}

// Valid reports whether s is one of the defined states.
func (s State) Valid() bool { return s.rank() >= 0 }

// rank orders states for sorting: the order of stateOrder.
func (s State) rank() int {
	switch s {
	case StateAccepted:
		return 0
	case StatePending:
		return 1
	case StateRejected:
		return 2
	case StateDenied:
		return 3
	}
	return -1
}

// Errors callers branch on. They are wrapped with context; test with
// errors.Is.
var (
	// ErrNotFound means the id has no key in the state(s) the call needs.
	ErrNotFound = errors.New("keys: no such key")
	// ErrInvalidID means an id is not a valid minion id (see ValidID). It
	// is crypto.ErrBadID, so the handshake and the registry agree.
	ErrInvalidID = crypto.ErrBadID
	// ErrBadKeyFile means a file in the registry is not a minion public
	// key in text form. The error names the file.
	ErrBadKeyFile = errors.New("keys: bad key file")
	// ErrTooManyPending means a new id was not recorded: the pending keys
	// are at their bound (max_pending_keys).
	ErrTooManyPending = errors.New("keys: too many pending keys")
)

// ValidID reports whether id may name a minion: 1 to 255 bytes of
// [A-Za-z0-9._@-], and neither "." nor "..". Ids become file names, so this
// is what keeps every key file inside its directory. The error wraps
// ErrInvalidID.
func ValidID(id string) error { return crypto.ValidateID(id) }

// Entry is one key of one minion id in one state. An id can have entries in
// more than one state: an accepted key and the denied key of an impostor.
type Entry struct {
	ID          string
	State       State
	Public      crypto.MinionPublic
	Fingerprint string
	// Prior is the state the key was in before the call, for entries
	// returned by Accept, AcceptAll and Reject: the master rotates the
	// publish key when a rejected key had been accepted. It is empty
	// otherwise.
	Prior State
}

// Registry is the master's record of minion keys. Implementations are safe
// for concurrent use.
type Registry interface {
	// Check is called on every authentication attempt and returns the
	// state of (id, pub), recording pub on first sight:
	//
	//   - unknown id: pub is stored pending (accepted with auto-accept);
	//   - accepted id, same key: accepted;
	//   - accepted id, different key: pub is stored denied and StateDenied
	//     is returned; the accepted key is untouched;
	//   - rejected id: rejected, whatever the key;
	//   - pending id, same key: pending (accepted, and moved there, with
	//     auto-accept);
	//   - pending id, different key: pub is stored denied and StateDenied
	//     is returned; the first key stays pending, so an impostor cannot
	//     replace a key an operator is about to accept;
	//   - id known only as denied: denied for that same key, otherwise
	//     treated as unknown.
	//
	// A denied result is not an error: the caller logs it loudly and emits
	// an event. Errors are for invalid input and storage failures.
	Check(ctx context.Context, id string, pub crypto.MinionPublic) (State, error)
	// List returns every key in every state, sorted by state (accepted,
	// pending, rejected, denied) then id.
	List(ctx context.Context) ([]Entry, error)
	// Get returns the keys of id in every state it has one, sorted by
	// state, or ErrNotFound.
	Get(ctx context.Context, id string) ([]Entry, error)
	// Accept moves the pending key of id (or, with none pending, its
	// rejected key) to accepted. ErrNotFound if there is neither.
	Accept(ctx context.Context, id string) (Entry, error)
	// AcceptAll accepts every pending key and returns them sorted by id.
	AcceptAll(ctx context.Context) ([]Entry, error)
	// Reject moves the accepted key of id (or, with none accepted, its
	// pending key) to rejected; Entry.Prior says which it was. ErrNotFound
	// if there is neither.
	Reject(ctx context.Context, id string) (Entry, error)
	// Delete removes id from every state and returns what it removed, each
	// entry in the state it was in. ErrNotFound if there was nothing.
	Delete(ctx context.Context, id string) ([]Entry, error)
}
