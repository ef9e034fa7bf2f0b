package minion

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/wire"
)

// pillarWait bounds how long a function waits for the first pillar after
// the minion starts.
const pillarWait = 30 * time.Second

// errPillarNotLoaded: no pillar has arrived from the master yet.
var errPillarNotLoaded = errors.New("pillar not received from the master yet")

// pillarState is the pillar the master compiled for this minion, kept in
// memory only (never on disk), and the error of the last compile.
type pillarState struct {
	mu     sync.Mutex
	data   map[string]any
	err    error
	loaded chan struct{} // closed on the first result, good or bad
	once   sync.Once
}

func newPillarState() *pillarState {
	return &pillarState{loaded: make(chan struct{}), err: errPillarNotLoaded}
}

func (p *pillarState) set(data map[string]any, err error) {
	p.mu.Lock()
	if err == nil {
		if data == nil {
			data = map[string]any{}
		}
		p.data, p.err = data, nil
	} else {
		// Keep the previous good pillar out of use: a failed compile must
		// fail state runs, not run them with stale or empty data.
		p.data, p.err = nil, err
	}
	p.mu.Unlock()
	p.once.Do(func() { close(p.loaded) })
}

// get waits (bounded) for the first pillar and returns it or the error.
func (p *pillarState) get() (map[string]any, error) {
	select {
	case <-p.loaded:
	case <-time.After(pillarWait):
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.data, p.err
}

// current is the pillar now, without waiting for the first one.
func (p *pillarState) current() (map[string]any, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.data, p.err
}

// Pillar returns the minion's pillar, or an empty map when there is none
// (PillarError says why).
func (m *Minion) Pillar() map[string]any {
	p, err := m.pillar.get()
	if err != nil || p == nil {
		return map[string]any{}
	}
	return p
}

// PillarError is the error of the last pillar fetch, nil when the pillar
// is good.
func (m *Minion) PillarError() error {
	_, err := m.pillar.get()
	return err
}

// refreshPillar asks the master for a freshly compiled pillar.
func (m *Minion) refreshPillar(ctx context.Context) (map[string]any, error) {
	return m.fetchPillar(ctx, wire.PillarRequest{Fresh: true})
}

// currentPillar asks the master for a pillar that is current now (before
// a state run) and makes it this minion's pillar.
func (m *Minion) currentPillar(ctx context.Context) (map[string]any, error) {
	return m.fetchPillar(ctx, wire.PillarRequest{Current: true})
}

// fetchPillar asks the master for this minion's pillar (see
// wire.PillarRequest for Fresh and Current).
func (m *Minion) fetchPillar(ctx context.Context, req wire.PillarRequest) (map[string]any, error) {
	var pd wire.PillarData
	err := m.request(ctx, wire.TypePillar, func(id uint64) any { req.ReqID = id; return req }, &pd)
	if err != nil {
		err = fmt.Errorf("pillar: %w", err)
		m.pillar.set(nil, err)
		m.log.Error("pillar refresh failed", "error", err)
		return nil, err
	}
	m.pillar.set(pd.Pillar, nil)
	return pd.Pillar, nil
}

// pillarHash is the hash of the pillar a state run just compiled with:
// the job's record says which pillar it ran with, without holding it.
func (m *Minion) pillarHash() string {
	p, err := m.pillar.current()
	if err != nil || p == nil {
		return ""
	}
	b, err := codec.Marshal(p) // deterministic: map keys sorted
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
