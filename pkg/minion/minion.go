// Package minion is the Halite minion daemon as a library: it keeps a
// request channel (DEALER) and a subscription (SUB) to its master,
// authenticates, runs the jobs that target it and returns their results.
// The binary wraps it; tests and the swarm start many in one process.
package minion

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/grains"
	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/targeting"
	"github.com/halite/halite/pkg/version"
	"github.com/halite/halite/pkg/wire"
)

// publishKeyGrace is how long a rotated-out publish key still opens jobs
// that were in flight at rotation.
const publishKeyGrace = 30 * time.Second

// Minion is one minion. Create it with New and start it with Run.
type Minion struct {
	cfg     config.Minion
	log     hclog.Logger
	key     crypto.MinionPrivate
	links   []*link // one per master; one for failover
	seen    *seenJobs
	spool   *spool
	queued  atomic.Int64 // jobs waiting for a slot (see maxQueued)
	active  activeJobs   // jobs running or waiting for a slot
	metrics *minionMetrics
	env     *modules.Env
	jobs    chan struct{} // semaphore bounding running jobs

	grainsMu sync.RWMutex
	grains   map[string]any

	mu       sync.Mutex
	keyState string
	authed   chan struct{} // closed while some link has a session

	calls   calls
	files   *fileClient
	pillar  *pillarState
	bg      sync.WaitGroup // background requests (pillar refresh)
	running atomic.Int64
	started atomic.Bool // a session has started since this process began
	// deliverOnly: a short-lived connection that only sends the spool
	// (see Deliver); it is not the minion's start.
	deliverOnly bool

	callSock string // see Options.CallSocket

	matchersMu sync.Mutex
	matchers   map[string]targeting.Matcher
	jobWG      sync.WaitGroup
}

// session is the authenticated request channel.
type session struct {
	conn   sender
	ch     *crypto.Channel
	sentAt atomic.Int64 // Unix nanos of the last message sent
}

type sender interface {
	SendWait(ctx context.Context, frames ...[]byte) error
	Close() error
}

// sendTimeout bounds how long a message waits for room in the queue to
// the master before the connection is considered stuck.
const sendTimeout = 30 * time.Second

func (s *session) send(typ string, body any) error {
	b, err := wire.Encode(typ, body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	s.sentAt.Store(time.Now().UnixNano())
	return s.conn.SendWait(ctx, []byte(wire.KindSealed), s.ch.Seal(b))
}

// Options adjust a minion beyond its config; the zero value is fine.
type Options struct {
	// Key, when set, is used instead of loading or creating pki_dir/minion.key
	// (the swarm hands each minion its own).
	Key *crypto.MinionPrivate
	// Grains, when set, replaces grain collection (the swarm collects once).
	Grains map[string]any
	// CallSocket, when set, is where Run answers `halite-minion call`
	// (CallSocket(cfg) for the daemon).
	CallSocket string
}

// New prepares a minion: key, grains, spool. Nothing connects until Run.
func New(ctx context.Context, cfg config.Minion, log hclog.Logger, opts Options) (*Minion, error) {
	for _, d := range []string{cfg.PKIDir, cfg.CacheDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	var key crypto.MinionPrivate
	if opts.Key != nil {
		key = *opts.Key
	} else {
		k, err := crypto.LoadOrGenerateMinionKey(cfg.PKIDir)
		if err != nil {
			return nil, fmt.Errorf("minion key: %w", err)
		}
		key = k
	}
	sp, err := openSpool(filepath.Join(cfg.CacheDir, "returns"), log.Named("spool"))
	if err != nil {
		return nil, err
	}
	m := &Minion{
		cfg:      cfg,
		log:      log,
		key:      key,
		seen:     newSeenJobs(2 * cfg.ClockSkew.D()),
		spool:    sp,
		jobs:     make(chan struct{}, cfg.MaxJobs),
		authed:   make(chan struct{}),
		matchers: map[string]targeting.Matcher{},
		callSock: opts.CallSocket,
	}
	hosts := cfg.Master.List()
	if len(hosts) == 0 {
		return nil, errors.New("master: no master given")
	}
	if cfg.MasterType == config.MasterTypeFailover {
		hosts = hosts[:1]
	}
	for _, h := range hosts {
		m.links = append(m.links, newLink(h))
	}
	if cfg.MetricsListen != "" {
		// Only when served: a swarm of thousands in one process would
		// otherwise carry thousands of registries.
		m.metrics = newMinionMetrics(m)
	}
	g := opts.Grains
	if g == nil {
		if g, err = grains.Collect(ctx, cfg.ID, cfg.Grains); err != nil {
			return nil, fmt.Errorf("collect grains: %w", err)
		}
	}
	m.grains = g
	m.files = &fileClient{m: m, dir: filepath.Join(cfg.CacheDir, "files")}
	m.pillar = newPillarState()
	m.env = &modules.Env{
		Files:         m.files,
		StateFiles:    remoteStates{remoteSource(m.files), remoteLoader(m.files)},
		ID:            cfg.ID,
		Logger:        log.Named("exec"),
		Grains:        m.Grains,
		RefreshGrains: m.refreshGrains,
		Pillar:        m.Pillar,
		PillarError:   m.PillarError,
		RefreshPillar: m.refreshPillar,
		CurrentPillar: m.currentPillar,
		Opts:          cfg.OptsAs("salt-minion"),
		Mine:          mineClient{m},
	}
	return m, nil
}

// ID is the minion's id.
func (m *Minion) ID() string { return m.cfg.ID }

// Public is the minion's public key.
func (m *Minion) Public() crypto.MinionPublic { return m.key.Public() }

// Grains returns the current grains.
func (m *Minion) Grains() map[string]any {
	m.grainsMu.RLock()
	defer m.grainsMu.RUnlock()
	return m.grains
}

func (m *Minion) refreshGrains(ctx context.Context) (map[string]any, error) {
	g, err := grains.Collect(ctx, m.cfg.ID, m.cfg.Grains)
	if err != nil {
		return nil, err
	}
	m.grainsMu.Lock()
	m.grains = g
	m.grainsMu.Unlock()
	// Every master targets by grains: each hears of the change.
	for _, s := range m.sessions() {
		if err := s.send(wire.TypeGrains, wire.Grains{Grains: g, Version: version.Version}); err != nil {
			return g, fmt.Errorf("send grains to master: %w", err)
		}
	}
	return g, nil
}

// Authenticated returns a channel that is closed once the minion holds a
// session (already closed if it does now).
func (m *Minion) Authenticated() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.authed
}

// KeyState is the last key state the master reported ("" before contact).
func (m *Minion) KeyState() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.keyState
}

// Run connects and serves until ctx is cancelled. Returns still waiting
// for the master are spooled to disk before it returns.
func (m *Minion) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if m.cfg.MetricsListen != "" {
		stopped, err := m.serveMetrics(ctx, m.cfg.MetricsListen)
		if err != nil {
			return err
		}
		defer func() { cancel(); <-stopped }()
	}
	if m.callSock != "" {
		// Without it the daemon still serves its master; only local
		// calls fail, and say why.
		if stopped, err := m.serveCalls(ctx, m.callSock); err != nil {
			m.log.Error("halite-minion call will not reach this daemon", "error", err)
		} else {
			defer func() { cancel(); <-stopped }()
		}
	}
	var wg sync.WaitGroup
	wg.Add(4)
	// transport: single has no subscription: its jobs come on the
	// request channel.
	go func() { defer wg.Done(); m.runLinks(ctx, m.cfg.Transport != config.TransportSingle) }()
	go func() { defer wg.Done(); m.runSchedule(ctx) }()
	go func() { defer wg.Done(); m.runBeacons(ctx) }()
	go func() { defer wg.Done(); m.runMine(ctx) }()
	<-ctx.Done()
	wg.Wait()
	m.jobWG.Wait()
	m.bg.Wait()
	if err := m.spool.persistAll(); err != nil {
		m.log.Error("spool returns on shutdown", "error", err)
		return err
	}
	return nil
}

// masterAddrs names the masters' request ports, for messages.
func (m *Minion) masterAddrs() string {
	var out []string
	for _, h := range m.cfg.Master.List() {
		out = append(out, net.JoinHostPort(h, strconv.Itoa(m.cfg.RetPort)))
	}
	return strings.Join(out, ", ")
}

// trustMaster is the minion's pinning rule, checked before the master's
// reply is believed: a pinned key must match; otherwise a configured
// fingerprint must match; otherwise the first master is trusted (TOFU).
func (m *Minion) trustMaster(pub crypto.MasterPublic) error {
	pinned, err := crypto.ReadMasterPublicFile(m.pinPath())
	switch {
	case err == nil:
		if !pinned.Equal(pub) {
			return fmt.Errorf("master key changed: pinned %s, offered %s (remove %s only if the master was re-keyed on purpose)",
				pinned.Fingerprint(), pub.Fingerprint(), m.pinPath())
		}
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("read pinned master key: %w", err)
	}
	if fp := m.cfg.MasterFingerprint; fp != "" && !crypto.FingerprintMatches(pub, fp) {
		return fmt.Errorf("master fingerprint %s does not match master_fingerprint %s", pub.Fingerprint(), fp)
	}
	return nil
}

func (m *Minion) pinPath() string { return filepath.Join(m.cfg.PKIDir, "master.pub") }

// pinMaster records the master key after a fully verified reply.
func (m *Minion) pinMaster(pub crypto.MasterPublic) error {
	if _, err := os.Stat(m.pinPath()); err == nil {
		return nil
	}
	m.log.Info("pinned master key", "fingerprint", pub.Fingerprint())
	return crypto.WriteMasterPublicFile(m.pinPath(), pub)
}

// deadline-bound helper for tests and callers that want to wait.
func waitOrDone(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
