package master

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/keys"
	"github.com/halite/halite/pkg/pgdb"
	"github.com/halite/halite/pkg/wire"
)

// peerBus is how masters that share a PostgreSQL store hear each other
// (DESIGN §10): LISTEN/NOTIFY on the shared database.
type peerBus interface {
	Notify(ctx context.Context, channel, payload string) error
	Listen(ctx context.Context, channels []string, ready func(), fn func(pgdb.Notification))
	Lead(ctx context.Context, name string, set func(leading bool))
}

// returnsChannel carries "jid\tid" lines: returns a master stored for a
// job another master published, so the publisher's waiting caller sees
// them live.
const returnsChannel = "halite_returns"

// reportsChannel carries "jid\tid\ttoken" lines (token: the storing
// master's, see Master.peerToken): exec runs and scheduled values
// a master stored, so every master's host data (exec list, deadman,
// halite_minion_value) is whole, whichever master a minion reported to.
const reportsChannel = "halite_reports"

// maintenanceChannel says a master changed who is in maintenance: the
// others reload it from the store (each keeps it in memory, consulted on
// every publish).
const maintenanceChannel = "halite_maintenance"

// tellPeers notifies the other masters, if there are any; a failure is
// logged (they catch up on their next resync or restart).
func (m *Master) tellPeers(channel, payload string) {
	if m.peers == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.peers.Notify(ctx, channel, payload); err != nil {
		m.log.Warn("tell the other masters", "channel", channel, "error", err)
	}
}

// openStore opens the job store and the key registry the config names:
// the embedded SQLite file and key files, or a PostgreSQL database shared
// with other masters (then peers is its notification bus).
func openStore(ctx context.Context, cfg config.Master, key crypto.MasterPrivate, log hclog.Logger) (Store, keys.Registry, peerBus, error) {
	if !pgdb.IsURL(cfg.Store) {
		reg, err := keys.NewFileRegistry(cfg.PKIDir, cfg.AutoAccept)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("key registry: %w", err)
		}
		reg.LimitPending(cfg.MaxPendingKeys)
		store, err := jobstore.OpenSQLite(ctx, filepath.Join(cfg.DataDir, "halite.db"))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("job store: %w", err)
		}
		return store, reg, nil, nil
	}
	db, err := pgdb.Open(ctx, cfg.Store)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("job store: %w", err)
	}
	if err := db.ClaimIdentity(ctx, key.Public().Fingerprint()); err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	reg, err := keys.NewPostgresRegistry(ctx, db, cfg.AutoAccept)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	reg.LimitPending(cfg.MaxPendingKeys)
	// The first master on the database brings the keys it had in
	// pki_dir: its minions stay accepted.
	if files, err := keys.NewFileRegistry(cfg.PKIDir, false); err == nil {
		if n, err := reg.ImportFrom(ctx, files); err != nil {
			db.Close()
			return nil, nil, nil, err
		} else if n > 0 {
			log.Info("imported the minion keys of pki_dir into the shared store", "keys", n)
		}
	}
	store, err := jobstore.OpenPostgres(ctx, db) // owns db from here
	if err != nil {
		db.Close()
		return nil, nil, nil, fmt.Errorf("job store: %w", err)
	}
	return store, reg, db, nil
}

// listenPeers acts on what the other masters announce until ctx ends:
// key changes (an accepted key lets its minion in here too; a removed key
// ends its session here and rotates this master's publish key) and
// returns stored for this master's jobs.
func (m *Master) listenPeers(ctx context.Context, ready func()) {
	m.peers.Listen(ctx, []string{keys.NotifyChannel, returnsChannel, reportsChannel, maintenanceChannel}, ready, func(n pgdb.Notification) {
		switch {
		case n.Resync:
			m.syncKeys(ctx)
			m.reloadMaintenance(ctx)
		case n.Channel == maintenanceChannel:
			m.reloadMaintenance(ctx)
		case n.Channel == keys.NotifyChannel:
			m.peerKeyChanged(ctx, n.Payload)
		case n.Channel == returnsChannel:
			m.peerReturns(ctx, n.Payload)
		case n.Channel == reportsChannel:
			m.peerReports(ctx, n.Payload)
		}
	})
}

func (m *Master) reloadMaintenance(ctx context.Context) {
	if err := m.loadMaintenance(ctx); err != nil {
		m.log.Error("reload maintenance another master changed", "error", err)
	}
}

// peerKeyChanged brings this master in line with the registry for id.
func (m *Master) peerKeyChanged(ctx context.Context, id string) {
	if keys.ValidID(id) != nil {
		return
	}
	es, err := m.keys.Get(ctx, id)
	if err != nil && !errors.Is(err, keys.ErrNotFound) {
		m.log.Error("read a key another master changed", "id", id, "error", err)
		return
	}
	var accepted *keys.Entry
	for i := range es {
		if es[i].State == keys.StateAccepted {
			accepted = &es[i]
		}
	}
	was := m.isAccepted(id)
	switch {
	case accepted != nil && !was:
		m.admit(*accepted)
	case accepted == nil && was:
		m.forget(id, "remove", true)
	}
}

// syncKeys reloads the accepted keys after notifications may have been
// missed (the listening connection broke).
func (m *Master) syncKeys(ctx context.Context) {
	es, err := m.keys.List(ctx)
	if err != nil {
		m.log.Error("reload keys after losing the shared store's notifications", "error", err)
		return
	}
	now := map[string]keys.Entry{}
	for _, e := range es {
		if e.State == keys.StateAccepted {
			now[e.ID] = e
		}
	}
	m.mu.RLock()
	var gone []string
	for id := range m.accepted {
		if _, ok := now[id]; !ok {
			gone = append(gone, id)
		}
	}
	var added []keys.Entry
	for id, e := range now {
		if _, ok := m.accepted[id]; !ok {
			added = append(added, e)
		}
	}
	m.mu.RUnlock()
	for _, id := range gone {
		m.forget(id, "remove", true)
	}
	for _, e := range added {
		m.admit(e)
	}
}

// peerReturns hands returns another master stored to this master's
// waiting callers.
func (m *Master) peerReturns(ctx context.Context, payload string) {
	byJob := map[string][]string{}
	for _, line := range strings.Split(payload, "\n") {
		jid, id, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		m.mu.RLock()
		_, live := m.live[jid]
		m.mu.RUnlock()
		if live {
			byJob[jid] = append(byJob[jid], id)
		}
	}
	for jid, ids := range byJob {
		rec, err := m.store.GetJob(ctx, jid)
		if err != nil {
			m.log.Warn("read returns another master stored", "jid", jid, "error", err)
			continue
		}
		want := toSet(ids)
		for _, res := range rec.Results {
			if _, ok := want[res.ID]; !ok || res.Return == nil {
				continue
			}
			if !m.returned.add(res.ID, jid) {
				continue
			}
			ret := *res.Return
			m.deliver(jid, minionEvent{id: res.ID, ret: &ret})
		}
	}
}

// peerReports takes the host data of reports another master stored.
func (m *Master) peerReports(ctx context.Context, payload string) {
	for _, line := range strings.Split(payload, "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || f[2] == m.peerToken {
			continue // malformed, or stored and applied here
		}
		jid, id := f[0], f[1]
		rec, err := m.store.GetJob(ctx, jid)
		if err != nil {
			m.log.Warn("read a report another master stored", "jid", jid, "error", err)
			continue
		}
		kind, _ := rec.Meta["source"].(string)
		for _, res := range rec.Results {
			if res.ID != id || res.Return == nil {
				continue
			}
			switch kind {
			case wire.SourceExec:
				m.putStoredExec(res.Return)
			case wire.SourceSchedule:
				if res.Return.Success {
					m.hostdata.PutValue(id, res.Return.Fun, res.Return.Return)
				}
			}
		}
	}
}

// peerOutbox batches the returns this master stored for jobs it did not
// publish into notifications to the others: one NOTIFY per batch, never
// on the return path itself.
type peerOutbox struct {
	channel string
	mu      sync.Mutex
	lines   []string
	wake    chan struct{}
}

func newPeerOutbox(channel string) *peerOutbox {
	return &peerOutbox{channel: channel, wake: make(chan struct{}, 1)}
}

// add queues a line of tab-separated fields.
func (o *peerOutbox) add(fields ...string) {
	o.mu.Lock()
	o.lines = append(o.lines, strings.Join(fields, "\t"))
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// maxNotifyPayload stays under PostgreSQL's 8000-byte payload limit.
const maxNotifyPayload = 7000

// run sends what was added until ctx ends, then what is left.
func (o *peerOutbox) run(ctx context.Context, bus peerBus, log func(error)) {
	flush := func(ctx context.Context) {
		o.mu.Lock()
		lines := o.lines
		o.lines = nil
		o.mu.Unlock()
		for len(lines) > 0 {
			n, size := 0, 0
			for n < len(lines) && size+len(lines[n])+1 <= maxNotifyPayload {
				size += len(lines[n]) + 1
				n++
			}
			n = max(n, 1)
			if err := bus.Notify(ctx, o.channel, strings.Join(lines[:n], "\n")); err != nil {
				log(err) // the publisher finds the returns in the store at its deadline
			}
			lines = lines[n:]
		}
	}
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			flush(sctx)
			cancel()
			return
		case <-o.wake:
			flush(ctx)
		}
	}
}
