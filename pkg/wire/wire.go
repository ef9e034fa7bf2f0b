// Package wire defines the messages Halite's master and minions exchange
// and how they are framed. Every message crosses the network as CBOR
// through pkg/codec, whose decoder is bounded.
//
// Request channel (minion DEALER ↔ master ROUTER), two ZMTP frames:
//
//	["auth", AuthRequest]         minion → master, before a session exists
//	["auth", AuthReply]           master → minion
//	["req",  sealed Message]      either way, under the session's request key
//
// Publish channel (master PUB → minion SUB), one frame: a publish envelope
// (pkg/crypto) whose payload is an encoded Job.
package wire

import (
	"fmt"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/halite/halite/pkg/codec"
)

// Frame kinds on the request channel.
const (
	KindAuth   = "auth"
	KindSealed = "req"
	// KindPublished carries a published job envelope (exactly what the
	// publish port sends) on the request channel, to a minion with
	// `transport: single`.
	KindPublished = "pub"
)

// Message types inside the sealed request channel. The master accepts only
// the minion → master types, each with its own size limit (see MaxBody).
const (
	// minion → master
	TypeHeartbeat = "heartbeat"
	TypeGrains    = "grains"
	TypeAck       = "ack"
	TypeReturn    = "return"
	TypeFileList  = "file_list"
	TypeFileGet   = "file_get"
	TypePillar    = "pillar"
	// TypeMine sends the minion's mine data (a MineUpdate); TypeMineGet
	// asks for other minions' (a MineGetRequest).
	TypeMine    = "mine"
	TypeMineGet = "mine_get"
	// master → minion
	TypeHeartbeatAck = "heartbeat_ack"
	TypePublishKey   = "publish_key"
	TypeReturnAck    = "return_ack"
	TypeError        = "error"
	TypeReply        = "reply"
	TypeRefresh      = "refresh"
	// TypeJob carries a private job (a Job) to the one minion it is for,
	// on that minion's request channel instead of the publish stream.
	TypeJob = "job"
)

// MaxReturnValue is the budget of one return's encoded value; a minion
// truncates what is over it (see MaxBody[TypeReturn]).
const MaxReturnValue = 8 << 20

// MaxBody is the largest body accepted for each minion → master type.
// Anything not listed is refused.
var MaxBody = map[string]int{
	TypeHeartbeat: 1 << 10,
	TypeGrains:    1 << 20,
	TypeAck:       1 << 10,
	TypeReturn:    16 << 20,
	TypeFileList:  4 << 10,
	TypeFileGet:   4 << 10,
	TypePillar:    1 << 10,
	TypeMine:      4 << 20,
	TypeMineGet:   4 << 10,
}

// Message is the plaintext of a sealed request-channel frame.
type Message struct {
	Type string          `cbor:"1,keyasint"`
	Body cbor.RawMessage `cbor:"2,keyasint"`
}

// Encode wraps body as a Message of type typ.
func Encode(typ string, body any) ([]byte, error) {
	b, err := codec.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return codec.Marshal(Message{Type: typ, Body: b})
}

// Decode reads a Message (the body stays encoded until DecodeBody).
func Decode(b []byte) (Message, error) {
	var m Message
	if err := codec.Unmarshal(b, &m); err != nil {
		return Message{}, fmt.Errorf("decode message: %w", err)
	}
	return m, nil
}

// DecodeBody decodes m's body into v.
func (m Message) DecodeBody(v any) error {
	if err := codec.Unmarshal(m.Body, v); err != nil {
		return fmt.Errorf("decode %s body: %w", m.Type, err)
	}
	return nil
}

// Job is what the master publishes. The master signs it inside the
// publish encryption, so every field is authentic.
type Job struct {
	JID        string         `cbor:"1,keyasint"`
	TargetType string         `cbor:"2,keyasint"`
	Target     string         `cbor:"3,keyasint"`
	Fun        string         `cbor:"4,keyasint"`
	Args       []any          `cbor:"5,keyasint,omitempty"`
	Kwargs     map[string]any `cbor:"6,keyasint,omitempty"`
	// Time is when the master published (Unix nanoseconds); minions refuse
	// jobs outside their allowed clock skew.
	Time int64  `cbor:"7,keyasint"`
	User string `cbor:"8,keyasint,omitempty"`
	// Batch numbers the publishes of one batched job, so each is distinct
	// for replay protection while the jid stays the same.
	Batch int `cbor:"9,keyasint,omitempty"`
	// Nodegroups carries the master's nodegroup definitions when the
	// target needs them.
	Nodegroups map[string]any `cbor:"10,keyasint,omitempty"`
}

// Heartbeat is sent by a minion every heartbeat interval.
type Heartbeat struct {
	Time    int64  `cbor:"1,keyasint"`
	Version string `cbor:"2,keyasint,omitempty"`
	Running int    `cbor:"3,keyasint,omitempty"`
	// Interval (nanoseconds) is the minion's heartbeat interval: the
	// master takes a session silent for three of them as down.
	Interval int64 `cbor:"4,keyasint,omitempty"`
}

// Grains carries a minion's grains, sent after auth and on grains.refresh.
type Grains struct {
	Grains  map[string]any `cbor:"1,keyasint"`
	Version string         `cbor:"2,keyasint,omitempty"`
	// Jobs, sent when a session starts, lists the jids the minion is
	// running, waiting to run, or holding a return for: an acknowledged
	// job missing from it was lost (the minion restarted).
	Jobs    []string `cbor:"3,keyasint,omitempty"`
	Session bool     `cbor:"4,keyasint,omitempty"`
	// Start marks the first session of this minion process: the master
	// raises halite/minion/<id>/start for it (and .../connect for every
	// session), so a reactor on start does not fire on every reconnect.
	Start bool `cbor:"5,keyasint,omitempty"`
	// Heartbeat (nanoseconds) is the minion's heartbeat interval, told
	// at once so the master's down clock is right from the start.
	Heartbeat int64 `cbor:"6,keyasint,omitempty"`
	// Single (with Session): this minion has no subscription; the master
	// sends it the jobs it is targeted by on this connection.
	Single bool `cbor:"7,keyasint,omitempty"`
}

// Ack tells the master a minion has started a job that is still running.
type Ack struct {
	JID   string `cbor:"1,keyasint"`
	Batch int    `cbor:"2,keyasint,omitempty"`
}

// Return is one minion's result of one job.
type Return struct {
	JID     string `cbor:"1,keyasint"`
	Fun     string `cbor:"2,keyasint"`
	Return  any    `cbor:"3,keyasint"`
	Retcode int    `cbor:"4,keyasint"`
	Success bool   `cbor:"5,keyasint"`
	// Started is Unix nanoseconds; Duration nanoseconds.
	Started  int64 `cbor:"6,keyasint"`
	Duration int64 `cbor:"7,keyasint"`
	// Source is set on a return the minion produced on its own rather
	// than for a master's job: a scheduled function, an exec run, a
	// beacon. Its JID is then the minion's own key for it (what the ack
	// names); the master records it under a jid of its own.
	Source *Source `cbor:"8,keyasint,omitempty"`
	// PillarHash, on a state run's return, is the hash of the pillar it
	// compiled ("sha256:<hex>" of its canonical encoding).
	PillarHash string `cbor:"9,keyasint,omitempty"`
}

// Source says where a minion-originated return came from.
type Source struct {
	// Kind is one of the Source* constants.
	Kind string `cbor:"1,keyasint"`
	// Name is the schedule entry, exec name or beacon.
	Name string `cbor:"2,keyasint"`
	// ExpectEvery (nanoseconds) is how often an exec run is expected to
	// report; 0 when it has no deadman.
	ExpectEvery int64 `cbor:"3,keyasint,omitempty"`
}

// CheckSourceName is the rule for schedule, exec and beacon names: they
// end up in event tags and metric labels. 1–128 of [A-Za-z0-9._:@-].
func CheckSourceName(name string) error {
	if name == "" || len(name) > 128 {
		return fmt.Errorf("name %q: must be 1 to 128 characters", name[:min(len(name), 64)])
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-', r == ':', r == '@':
		default:
			return fmt.Errorf("name %q: only letters, digits and . _ - : @ are allowed", name[:min(len(name), 64)])
		}
	}
	return nil
}

// Kinds of minion-originated returns.
const (
	SourceSchedule = "schedule"
	SourceExec     = "exec"
	SourceBeacon   = "beacon"
	// SourceCall is `halite-minion call` (salt-call); Name is the Unix
	// user who ran it.
	SourceCall = "call"
)

// ReturnAck answers a return. Without Refused it says the return is
// durably stored and the minion may forget it. With Refused the master
// will never store it (it cannot be decoded, or the minion was not
// targeted): the minion quarantines it on disk and logs why, instead of
// sending it again.
type ReturnAck struct {
	JID     string `cbor:"1,keyasint"`
	Refused string `cbor:"2,keyasint,omitempty"`
}

// ReturnHead is a Return whose value is left encoded, so the master can
// name the job of a return whose value it cannot decode.
type ReturnHead struct {
	JID      string          `cbor:"1,keyasint"`
	Fun      string          `cbor:"2,keyasint"`
	Return   cbor.RawMessage `cbor:"3,keyasint"`
	Retcode  int             `cbor:"4,keyasint"`
	Success  bool            `cbor:"5,keyasint"`
	Started  int64           `cbor:"6,keyasint"`
	Duration int64           `cbor:"7,keyasint"`
	Source   *Source         `cbor:"8,keyasint,omitempty"`
	// PillarHash: see Return.
	PillarHash string `cbor:"9,keyasint,omitempty"`
}

// Error is the master's answer to a message it refused.
type Error struct {
	Message string `cbor:"1,keyasint"`
}

// Now is the wire's notion of time.
func Now() int64 { return time.Now().UnixNano() }

// FileListRequest asks for the files under Prefix in a saltenv.
type FileListRequest struct {
	ReqID   uint64 `cbor:"1,keyasint"`
	Saltenv string `cbor:"2,keyasint"`
	Prefix  string `cbor:"3,keyasint,omitempty"`
	// Rev, when set, reads the tree at a git revision (apply --rev).
	Rev string `cbor:"4,keyasint,omitempty"`
}

// FileGetRequest asks for one file; Hash is the minion's cached copy's
// hash, so an unchanged file is not sent again.
type FileGetRequest struct {
	ReqID   uint64 `cbor:"1,keyasint"`
	Saltenv string `cbor:"2,keyasint"`
	Path    string `cbor:"3,keyasint"`
	Hash    string `cbor:"4,keyasint,omitempty"`
	// Rev, when set, reads the tree at a git revision (apply --rev).
	Rev string `cbor:"5,keyasint,omitempty"`
}

// PillarRequest asks the master for this minion's compiled pillar.
type PillarRequest struct {
	ReqID uint64 `cbor:"1,keyasint"`
	// Fresh asks for a new compile rather than the master's cached one
	// (saltutil.refresh_pillar); at auth the cache is fine.
	Fresh bool `cbor:"2,keyasint,omitempty"`
	// Current asks for a pillar that is provably current: the master
	// checks its pillar tree now instead of trusting a check made up to a
	// second ago (a state run compiles its pillar, as in Salt).
	Current bool `cbor:"3,keyasint,omitempty"`
}

// MineUpdate stores a minion's mine data on the master: Data maps a mine
// function name to its latest result; Clear replaces everything the minion
// had; Delete removes functions.
type MineUpdate struct {
	ReqID  uint64         `cbor:"1,keyasint"`
	Data   map[string]any `cbor:"2,keyasint,omitempty"`
	Clear  bool           `cbor:"3,keyasint,omitempty"`
	Delete []string       `cbor:"4,keyasint,omitempty"`
}

// MineGetRequest asks for the mine data of Fun on the minions Target
// matches (the master's mine_acl decides what the asking minion sees).
type MineGetRequest struct {
	ReqID      uint64 `cbor:"1,keyasint"`
	Target     string `cbor:"2,keyasint"`
	TargetType string `cbor:"3,keyasint,omitempty"`
	Fun        string `cbor:"4,keyasint"`
}

// MineData answers a MineGetRequest: minion id to value.
type MineData struct {
	Data map[string]any `cbor:"1,keyasint"`
}

// FileInfo describes a served file.
type FileInfo struct {
	Path string `cbor:"1,keyasint"`
	Hash string `cbor:"2,keyasint"`
	Size int64  `cbor:"3,keyasint"`
	Mode uint32 `cbor:"4,keyasint"`
}

// FileList answers a FileListRequest.
type FileList struct {
	Files []FileInfo `cbor:"1,keyasint"`
}

// FileData answers a FileGetRequest.
type FileData struct {
	File      FileInfo `cbor:"1,keyasint"`
	Data      []byte   `cbor:"2,keyasint,omitempty"`
	Unchanged bool     `cbor:"3,keyasint,omitempty"`
}

// PillarData answers a PillarRequest.
type PillarData struct {
	Pillar map[string]any `cbor:"1,keyasint"`
}

// Reply answers a request by its ReqID: Error, or Body holding the typed
// answer.
type Reply struct {
	ReqID uint64          `cbor:"1,keyasint"`
	Error string          `cbor:"2,keyasint,omitempty"`
	Body  cbor.RawMessage `cbor:"3,keyasint,omitempty"`
	// NotFound marks an Error that means "no such file" (as opposed to a
	// refusal or a failure).
	NotFound bool `cbor:"4,keyasint,omitempty"`
}

// Refresh tells a minion that something it caches changed on the master.
type Refresh struct {
	What string `cbor:"1,keyasint"` // "pillar"
}
