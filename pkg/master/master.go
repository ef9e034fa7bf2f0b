// Package master is the Halite master daemon as a library: the binary
// parses flags and calls New and Run; tests start it in-process on free
// loopback ports.
package master

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/halite/halite/pkg/acl"
	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/events"
	"github.com/halite/halite/pkg/fileserver"
	"github.com/halite/halite/pkg/gitfs"
	"github.com/halite/halite/pkg/hostdata"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/keys"
	"github.com/halite/halite/pkg/notify"
	"github.com/halite/halite/pkg/pillar"
	"github.com/halite/halite/pkg/reactor"
	"github.com/halite/halite/pkg/returner"
	"github.com/halite/halite/pkg/transport"
)

// Master is a running master. Create it with New, start it with Run.
type Master struct {
	cfg       config.Master
	log       hclog.Logger
	key       crypto.MasterPrivate
	keys      keys.Registry
	store     Store
	peers     peerBus     // the other masters on a shared store; nil with SQLite
	peerOut   *peerOutbox // returns stored here for their jobs, to tell them
	reportOut *peerOutbox // exec runs and scheduled values stored here
	// peerToken tells this master's notifications from the others' (they
	// reach it too).
	peerToken string
	batch     *jobstore.Batcher
	events    *events.Bus
	files     fileserver.Backend
	gitfs     []*gitfs.Repo // gitfs_remotes, in files too
	gitPillar []gitPillar   // git_pillar
	gitfsMu   sync.Mutex    // one update at a time
	gitfsMx   *gitfsMetrics
	pillar    *pillar.Cache
	redactor  *pillar.Redactor
	jids      jidSource

	pub *transport.Publisher
	ret *transport.Server
	api *http.Server
	// metricsSrv serves /metrics on metrics_listen, if set.
	metricsSrv *http.Server
	apiL       []net.Listener

	pubMu    sync.Mutex // serializes rotation and publishing
	keyring  *crypto.Keyring
	epoch    uint32
	rotation time.Time

	mu       sync.RWMutex
	sessions map[string]*session // authenticated minions by id
	pending  map[string]*peer    // pending-key minions waiting on an open connection
	accepted map[string]struct{} // accepted ids (cache of the registry)
	grains   map[string]cachedGrains
	secrets  map[string][]string  // secret pillar values sent to each minion
	live     map[string]*liveJob  // jobs whose caller is still waiting
	lastSeen map[string]time.Time // when disconnected minions were last heard (this run)

	ready chan struct{}

	expected       expectedSets // expected minions of recent jobs
	nonces         nonceCache   // auth nonces of accepted keys, see handleAuth
	refusalLog     logLimiter   // refused peer messages, rate-limited
	refusedReturns *prometheus.CounterVec
	mx             *masterMetrics
	metrics        *prometheus.Registry

	reactor    *reactorState         // reactor rules, see react
	forwarders []*returner.Forwarder // returners, see runReturners
	presence   presence              // minions up and down
	hostdata   *hostdata.Table       // scheduled values, exec runs, logins
	reported   recentKeys            // keys of stored reports, see handleReport
	returned   recentReturns         // returns received lately, see handleReturn

	maint       maintenanceSet     // minions in maintenance
	chat        chatState          // ChatOps confirmations and follow-ups
	localUsers  map[string]acl.ACL // api.allowed_users
	apiAuthFail authFailures       // failed API authentications by source

	work     chan func()   // message handling, see onWorker
	stopWork chan struct{} // closed after the servers stop
}

// New prepares a master: it loads or creates its key, opens the key
// registry and the job store. Nothing listens until Run.
func New(ctx context.Context, cfg config.Master, log hclog.Logger) (*Master, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data_dir: %w", err)
	}
	// MkdirAll leaves an existing directory as it was; the data dir holds
	// every job's arguments and returns, and the API socket.
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	if err := os.MkdirAll(cfg.PKIDir, 0o700); err != nil {
		return nil, fmt.Errorf("create pki_dir: %w", err)
	}
	files, repos, err := fileBackends(cfg)
	if err != nil {
		return nil, err
	}
	gitPillar, pillarRoots, err := gitPillars(cfg)
	if err != nil {
		return nil, err
	}
	key, err := crypto.LoadOrGenerateMasterKey(cfg.PKIDir)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	store, reg, peers, err := openStore(ctx, cfg, key, log)
	if err != nil {
		return nil, err
	}
	m := &Master{
		cfg:  cfg,
		log:  log,
		key:  key,
		keys: reg,

		nonces:     nonceCache{ttl: 2 * cfg.ClockSkew.D()},
		refusalLog: logLimiter{burst: 10},
		localUsers: map[string]acl.ACL{},
		store:      store,
		peers:      peers,
		peerOut:    newPeerOutbox(returnsChannel),
		reportOut:  newPeerOutbox(reportsChannel),
		peerToken:  rand.Text(),
		events:     events.New(),
		gitfsMx:    newGitfsMetrics(),
		files:      files,
		gitfs:      repos,
		gitPillar:  gitPillar,
		pillar: pillar.NewCache(pillar.NewCompiler(pillarRoots, pillar.Options{
			MergeLists: cfg.PillarMergeLists,
			Nodegroups: cfg.Nodegroups,
		})),
		redactor: pillar.NewRedactor(cfg.PillarSecretKeys),
		keyring:  crypto.NewKeyring(0),
		// Epochs continue across restarts (seconds since 1970 at start), so
		// a minion never mistakes a new master's first key for an old one.
		epoch:    uint32(time.Now().Unix()),
		sessions: map[string]*session{},
		pending:  map[string]*peer{},
		accepted: map[string]struct{}{},
		grains:   map[string]cachedGrains{},
		secrets:  map[string][]string{},
		live:     map[string]*liveJob{},
		lastSeen: map[string]time.Time{},
		ready:    make(chan struct{}),
		hostdata: hostdata.New(hostdata.Limits{Funs: cfg.MetricsMinionValues.Funs, MaxSeries: cfg.MetricsMinionValues.MaxSeries}),
		work:     make(chan func()),
		stopWork: make(chan struct{}),
	}
	rules, err := reactor.Parse(cfg.Reactor)
	if err != nil {
		store.Close()
		return nil, err
	}
	m.reactor = newReactorState(rules)
	m.metrics = m.newMetrics()
	if err := m.newForwarders(); err != nil {
		store.Close()
		return nil, err
	}
	m.batch = jobstore.NewBatcher(store, 1000, 20*time.Millisecond, log.Named("store"))
	entries, err := reg.List(ctx)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("list keys: %w", err)
	}
	for _, e := range entries {
		if e.State == keys.StateAccepted {
			m.accepted[e.ID] = struct{}{}
		}
	}
	all, err := store.AllGrains(ctx)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("load grains cache: %w", err)
	}
	for id, g := range all {
		if c, err := encodeGrains(g); err == nil {
			m.grains[id] = c
		}
	}
	if err := m.restoreExecs(ctx); err != nil {
		store.Close()
		return nil, err
	}
	if err := m.loadMaintenance(ctx); err != nil {
		store.Close()
		return nil, err
	}
	// The pillar tree is walked for changes at most once a second, not on
	// every lookup.
	m.pillar.SetTreeCheckInterval(time.Second)
	if err := m.rotateLocked("start"); err != nil {
		store.Close()
		return nil, err
	}
	return m, nil
}

// Ready is closed once every listener is up.
func (m *Master) Ready() <-chan struct{} { return m.ready }

// PublishAddr and RetAddr are the bound addresses (after Ready).
func (m *Master) PublishAddr() net.Addr { return m.pub.Addr() }

// RetAddr is the request channel's bound address (after Ready).
func (m *Master) RetAddr() net.Addr { return m.ret.Addr() }

// SocketPath is the Unix socket of the operator API.
func (m *Master) SocketPath() string { return filepath.Join(m.cfg.DataDir, "master.sock") }

// Fingerprint is the master key's fingerprint.
func (m *Master) Fingerprint() string { return m.key.Public().Fingerprint() }

// Run listens and serves until ctx is cancelled, then shuts everything
// down: listeners, connections, the API, the store. It returns only after
// every goroutine it started has ended.
func (m *Master) Run(ctx context.Context) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		if cerr := m.store.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()

	wg.Add(1)
	batchCtx, stopBatch := context.WithCancel(context.Background())
	go func() { defer wg.Done(); m.batch.Run(batchCtx) }()
	defer stopBatch() // after the servers: flush what they handed in
	wg.Add(1)
	go func() { defer wg.Done(); m.workers(messageWorkers) }()
	defer close(m.stopWork) // after the servers: their readers wait on workers

	if m.peers != nil {
		// Listening before serving: a key another master changes from now
		// on is acted on here.
		listening := make(chan struct{})
		wg.Add(2)
		go func() { defer wg.Done(); m.listenPeers(ctx, func() { close(listening) }) }()
		go func() {
			defer wg.Done()
			m.peerOut.run(ctx, m.peers, func(err error) { m.log.Warn("tell the other masters about returns", "error", err) })
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.reportOut.run(ctx, m.peers, func(err error) { m.log.Warn("tell the other masters about reports", "error", err) })
		}()
		select {
		case <-listening:
		case <-ctx.Done():
			return ctx.Err()
		}
		// Keys changed while this master was down.
		m.syncKeys(ctx)
	}
	// Trees and pillar from git are fetched before any minion can ask.
	m.startGitfs(ctx, &wg)
	opts := transport.DefaultOptions()
	host := m.cfg.Interface
	m.pub, err = transport.ListenPub(ctx, net.JoinHostPort(host, strconv.Itoa(m.cfg.PublishPort)), opts, m.log.Named("publish"), m.slowSubscriber)
	if err != nil {
		return err
	}
	defer m.pub.Close()
	retOpts := opts
	retOpts.MaxMessage = maxPreAuthMessage
	m.ret, err = transport.Listen(ctx, net.JoinHostPort(host, strconv.Itoa(m.cfg.RetPort)), "ROUTER", retOpts, m.log.Named("ret"), m.servePeer)
	if err != nil {
		return err
	}
	defer m.ret.Close()
	if err := m.startAPI(ctx, &wg); err != nil {
		return err
	}
	defer m.stopAPI() // and the metrics listener
	if err := m.startMetrics(&wg); err != nil {
		return err
	}

	if len(m.cfg.Notify) > 0 {
		sinks := make([]notify.Sink, len(m.cfg.Notify))
		for i, n := range m.cfg.Notify {
			sinks[i] = notify.Sink{URL: n.URL, Format: n.Format, Tags: n.Tags, Batch: n.Batch.D()}
		}
		sub := m.events.Subscribe(8192)
		n := notify.New(sinks, m.log.Named("notify"))
		wg.Add(1)
		go func() { defer wg.Done(); defer sub.Close(); n.Run(ctx, sub.C) }()
	}
	wg.Add(1)
	go func() { defer wg.Done(); m.housekeeping(ctx) }()
	wg.Add(1)
	go func() { defer wg.Done(); m.watchFleet(ctx) }()
	if len(m.reactor.rules) > 0 {
		wg.Add(1)
		go func() { defer wg.Done(); m.react(ctx) }()
	}
	if len(m.forwarders) > 0 {
		if m.peers != nil {
			// The store's returns go out once, from one master at a time.
			var leading atomic.Bool
			for _, f := range m.forwarders {
				f.SetGate(leading.Load)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				m.peers.Lead(ctx, "returners", func(l bool) {
					leading.Store(l)
					m.log.Info("returners", "forwarding", l)
				})
			}()
		}
		wg.Add(1)
		go func() { defer wg.Done(); m.runReturners(ctx) }()
	}

	m.log.Info("master ready", "publish", m.pub.Addr(), "ret", m.ret.Addr(), "socket", m.SocketPath(), "fingerprint", m.Fingerprint())
	close(m.ready)
	<-ctx.Done()
	m.log.Info("master shutting down")
	return nil
}

// pillarCheckEvery is how often the pillar tree is checked for edits that
// connected minions should hear about.
const pillarCheckEvery = 5 * time.Second

// messageWorkers is how many goroutines handle minions' messages.
var messageWorkers = max(4, 2*runtime.GOMAXPROCS(0))

// housekeeping rotates the publish key on schedule and prunes old jobs.
func (m *Master) housekeeping(ctx context.Context) {
	prune := time.NewTicker(time.Hour)
	defer prune.Stop()
	rotate := time.NewTicker(time.Minute)
	defer rotate.Stop()
	pillarCheck := time.NewTicker(pillarCheckEvery)
	defer pillarCheck.Stop()
	lastTree, _ := m.pillar.TreeSum(ctx)
	storeCheck := time.NewTicker(storeCheckEvery)
	defer storeCheck.Stop()
	m.pruneJobs(ctx)
	m.pruneAudit(ctx)
	storeGone := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-prune.C:
			m.pruneJobs(ctx)
			m.pruneAudit(ctx)
		case <-storeCheck.C:
			err := m.store.CheckFile()
			if err != nil && !storeGone {
				m.log.Error("the job store's file is gone: jobs and returns from now on will not survive a restart; restart the master to open a new store", "error", err)
				m.events.Publish("halite/master/store", map[string]any{"error": err.Error()})
			}
			storeGone = err != nil
		case <-pillarCheck.C:
			sum, err := m.pillar.TreeSum(ctx)
			if err == nil && sum != lastTree {
				lastTree = sum
				m.signalPillarChange()
			}
		case <-rotate.C:
			if period := m.cfg.PublishKeyRotation.D(); period > 0 {
				m.pubMu.Lock()
				due := time.Since(m.rotation) >= period
				m.pubMu.Unlock()
				if due {
					if err := m.rotatePublishKey("scheduled", ""); err != nil {
						m.log.Error("scheduled publish key rotation failed", "error", err)
					}
				}
			}
		}
	}
}

func (m *Master) pruneJobs(ctx context.Context) {
	keep := m.cfg.KeepJobs.D()
	if keep <= 0 {
		return
	}
	n, err := m.store.Prune(ctx, time.Now().Add(-keep))
	if err != nil && !errors.Is(err, context.Canceled) {
		m.log.Error("prune jobs", "error", err)
		return
	}
	if n > 0 {
		m.log.Info("pruned old jobs", "count", n, "keep_jobs", keep)
	}
}

func (m *Master) pruneAudit(ctx context.Context) {
	if keep := m.cfg.KeepAudit.D(); keep > 0 {
		n, err := m.store.PruneAudit(ctx, time.Now().Add(-keep))
		if err != nil && !errors.Is(err, context.Canceled) {
			m.log.Error("prune audit", "error", err)
		} else if n > 0 {
			m.log.Info("pruned old audit records", "count", n, "keep_audit", keep)
		}
	}
}

// storeCheckEvery is how often the master checks that its store's file is
// still the one it opened (F20: a deleted halite.db went unnoticed).
const storeCheckEvery = 10 * time.Second

// Store is what the master needs of its job store: the store itself, and
// a way to tell that its file was deleted or replaced underneath it.
type Store interface {
	jobstore.Store
	CheckFile() error
	ReturnsOf(ctx context.Context, fun string, since time.Time) ([]jobstore.Return, error)
	Search(ctx context.Context, f jobstore.SearchFilter) ([]jobstore.Hit, error)
	Stats(ctx context.Context) (jobstore.Stats, error)
	returner.Source
}

func (m *Master) slowSubscriber(identity string, addr net.Addr) {
	m.log.Warn("minion stopped reading published jobs; disconnected it", "id", identity, "remote", addr)
	m.events.Publish("halite/minion/"+identity+"/slow", map[string]any{"id": identity, "remote": addr.String()})
}
