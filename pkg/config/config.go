// Package config reads the master and minion YAML configuration. Every key
// has a default, so an empty file works; an unknown key is an error that
// names it. Relative paths are resolved against the config file's
// directory.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/halite/halite/pkg/beacons"
	"github.com/halite/halite/pkg/logging"
	"github.com/halite/halite/pkg/schedule"
)

// Duration is a time.Duration written as "10s", "168h" in YAML.
type Duration time.Duration

// UnmarshalYAML accepts Go duration strings and plain seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: duration: %w", n.Line, err)
	}
	if v, err := ParseDuration(s); err == nil {
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := n.Decode(&secs); err == nil {
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	return fmt.Errorf("line %d: invalid duration %q (want e.g. 30s, 24h)", n.Line, s)
}

// ParseDuration reads what users write for a duration: Go's forms (90s,
// 1h30m), days and weeks (30d, 2w, 1d12h), or plain seconds (10, 2.5).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(secs, 0) && !math.IsNaN(secs) && math.Abs(secs) < 1e9 {
		return time.Duration(secs * float64(time.Second)), nil
	}
	// Leading days and weeks, then Go's units for the rest.
	var total time.Duration
	rest := s
	for _, unit := range []struct {
		suffix string
		d      time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}} {
		i := strings.Index(rest, unit.suffix)
		if i <= 0 {
			continue
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n < 0 || n > 100000 {
			return 0, fmt.Errorf("invalid duration %q (want e.g. 30s, 24h, 30d)", s)
		}
		total += time.Duration(n) * unit.d
		rest = rest[i+1:]
	}
	if rest == s {
		return 0, fmt.Errorf("invalid duration %q (want e.g. 30s, 24h, 30d)", s)
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q (want e.g. 30s, 24h, 30d)", s)
		}
		total += d
	}
	return total, nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) {
	// 168h and 5m, not 168h0m0s and 5m0s.
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s, nil
}

// D returns the duration as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// API configures the master's HTTP API beyond its Unix socket.
type API struct {
	// Listen is an optional TCP address (host:port), served over TLS;
	// requests there carry "Authorization: Bearer <token>": the static
	// Token, or one made with `halite-master token create`.
	Listen string `yaml:"listen"`
	// Token is the static operator token: everything is allowed with it.
	Token string `yaml:"token"`
	// TLSCert and TLSKey are the certificate for Listen; without them the
	// master generates one in pki_dir (api.crt, api.key) whose fingerprint
	// `halite-master api fingerprint` prints.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// AllowedUsers lets named local users use the Unix socket under an
	// ACL ({allow: {TARGET: [FUNGLOB...]}, areas: [...]}); the socket is
	// then open to every local user, each checked by its credentials.
	AllowedUsers map[string]any `yaml:"allowed_users"`
}

// ChatOps configures the Slack and Mattermost slash-command endpoints.
type ChatOps struct {
	// SlackSigningSecret verifies Slack's X-Slack-Signature.
	SlackSigningSecret string `yaml:"slack_signing_secret"`
	// MattermostToken is the slash command's token.
	MattermostToken string `yaml:"mattermost_token"`
	// ConfirmOver: commands that would change more minions than this ask
	// for "confirm CODE" first (default 10).
	ConfirmOver int `yaml:"confirm_over"`
	// Users maps a chat user name to an ACL ({allow: ..., areas: ...}).
	Users map[string]any `yaml:"users"`
	// Groups maps a group name to {members: [USER...], allow: ..., areas: ...}.
	Groups map[string]any `yaml:"groups"`
}

// Notify sends events whose tag matches one of Tags to a chat webhook.
type Notify struct {
	URL    string   `yaml:"url"`
	Format string   `yaml:"format"` // slack or mattermost
	Tags   []string `yaml:"tags"`
	// Batch is how long events are gathered into one message (default 5s).
	Batch Duration `yaml:"batch"`
}

// The minion's transports (its transport key).
const (
	TransportDual   = "dual"
	TransportSingle = "single"
)

// GitfsRemote is one gitfs_remotes entry, read.
type GitfsRemote struct {
	URL, Name, Base, Root, Mountpoint string
	// Credentials (Salt's gitfs options): user and password for https,
	// privkey (a key file) and passphrase for ssh. Never logged.
	User, Password, PrivKey, Passphrase string
}

// Gitfs reads gitfs_remotes in Salt's shapes.
func (c Master) Gitfs() ([]GitfsRemote, error) {
	return c.remotes("gitfs_remotes", c.GitfsRemotes)
}

// GitPillars reads git_pillar, in the same shapes.
func (c Master) GitPillars() ([]GitfsRemote, error) {
	return c.remotes("git_pillar", c.GitPillar)
}

func (c Master) remotes(key string, entries []any) ([]GitfsRemote, error) {
	var out []GitfsRemote
	for i, e := range entries {
		r := GitfsRemote{Base: c.GitfsBase}
		switch v := e.(type) {
		case string:
			r.URL = v
		case map[string]any:
			if len(v) != 1 {
				return nil, fmt.Errorf(key+"[%d]: want URL: [options], got %d keys", i, len(v))
			}
			for url, opts := range v {
				r.URL = url
				list, ok := opts.([]any)
				if !ok && opts != nil {
					return nil, fmt.Errorf(key+"[%d] (%s): options are a list of one-key mappings", i, url)
				}
				for _, o := range list {
					om, ok := o.(map[string]any)
					if !ok || len(om) != 1 {
						return nil, fmt.Errorf(key+"[%d] (%s): options are a list of one-key mappings", i, url)
					}
					for k, val := range om {
						sv := fmt.Sprint(val)
						switch k {
						case "base":
							r.Base = sv
						case "root":
							r.Root = sv
						case "mountpoint":
							r.Mountpoint = sv
						case "name":
							r.Name = sv
						case "user":
							r.User = sv
						case "password":
							r.Password = sv
						case "privkey":
							r.PrivKey = sv
						case "passphrase":
							r.Passphrase = sv
						default:
							return nil, fmt.Errorf(key+"[%d] (%s): unknown option %q (base, root, mountpoint, name, user, password, privkey, passphrase)", i, url, k)
						}
					}
				}
			}
		default:
			return nil, fmt.Errorf(key+"[%d]: want a URL or URL: [options]", i)
		}
		if r.URL == "" {
			return nil, fmt.Errorf(key+"[%d]: empty URL", i)
		}
		out = append(out, r)
	}
	return out, nil
}

// Logging is where and how a daemon logs (both daemons).
type Logging struct {
	// LogLevel is trace, debug, info, warning, error or off.
	LogLevel string `yaml:"log_level"`
	// LogFile, when set, is appended to instead of standard error; SIGHUP
	// reopens it (logrotate).
	LogFile string `yaml:"log_file"`
	// LogFormat is text or json (one JSON object per line, for log
	// shippers).
	LogFormat string `yaml:"log_format"`
	// LogGranularLevels sets the level of a subsystem by the name its log
	// lines show, as Salt's log_granular_levels: {returns: debug}.
	LogGranularLevels map[string]string `yaml:"log_granular_levels"`
}

// Validate checks the logging keys.
func (l Logging) Validate() []error {
	var errs []error
	if !logging.Levels[l.LogLevel] {
		errs = append(errs, fmt.Errorf("log_level: unknown level %q", l.LogLevel))
	}
	if !logging.Formats[l.LogFormat] {
		errs = append(errs, fmt.Errorf("log_format: %q is not text or json", l.LogFormat))
	}
	for name, lv := range l.LogGranularLevels {
		if !logging.Levels[lv] {
			errs = append(errs, fmt.Errorf("log_granular_levels.%s: unknown level %q", name, lv))
		}
	}
	return errs
}

// Log is the logging config of the daemon called name.
func (l Logging) Log(name string) logging.Config {
	return logging.Config{Name: name, Level: l.LogLevel, Format: l.LogFormat, File: l.LogFile, Granular: l.LogGranularLevels}
}

// Master is halite-master's configuration.
type Master struct {
	// Interface is the address the publish and ret ports listen on.
	Interface string `yaml:"interface"`
	// PublishPort carries jobs to minions (Salt's 4505).
	PublishPort int `yaml:"publish_port"`
	// RetPort carries authentication, returns and file/pillar requests
	// (Salt's 4506).
	RetPort int `yaml:"ret_port"`
	// PKIDir holds the master's keys and the minions' accepted keys.
	PKIDir string `yaml:"pki_dir"`
	// DataDir holds the job store and the CLI's socket (master.sock).
	DataDir string `yaml:"data_dir"`
	// Store is where jobs, returns, keys, grains, the mine and the audit
	// and ops logs live: empty for the embedded SQLite file in data_dir, or
	// postgres://USER@HOST:PORT/DB?sslmode=disable for a PostgreSQL
	// database that several masters share (they need the same master.key).
	Store string `yaml:"store"`
	// AutoAccept accepts every new minion key without an operator: for
	// labs and demos only.
	AutoAccept bool `yaml:"auto_accept"`
	Logging    `yaml:",inline"`
	// Nodegroups maps a name to a compound expression or a list of ids.
	Nodegroups map[string]any `yaml:"nodegroups"`
	// KeepJobs is how long jobs and their returns are kept.
	KeepJobs Duration `yaml:"keep_jobs"`
	// MaxPendingKeys bounds the keys waiting for acceptance (0: no bound).
	MaxPendingKeys int `yaml:"max_pending_keys"`
	// KeepAudit is how long audit records are kept.
	KeepAudit Duration `yaml:"keep_audit"`
	// PublishKeyRotation is the period of routine publish-key rotation.
	PublishKeyRotation Duration `yaml:"publish_key_rotation"`
	// ClockSkew is how far a minion's auth timestamp may be off.
	ClockSkew Duration `yaml:"clock_skew"`
	// AckTimeout is how long a connected minion has to acknowledge a job
	// before it is reported as no-ack.
	AckTimeout Duration `yaml:"ack_timeout"`
	// API is the operator API: the CLI's Unix socket, and optionally TLS.
	API API `yaml:"api"`
	// ChatOps answers Slack and Mattermost slash commands.
	ChatOps ChatOps `yaml:"chatops"`
	// MineACL says which minions may read which mine functions with
	// mine.get: {MINION_TARGET: [FUNGLOB...]} (compound targets). Without
	// it every minion reads every function, as in Salt.
	MineACL map[string][]string `yaml:"mine_acl"`
	// Notify sends events to chat webhooks: [{url, format: slack|mattermost,
	// tags: [GLOB...], batch: 5s}].
	Notify []Notify `yaml:"notify"`
	// FileRoots is Salt's file_roots: saltenv → directories, first match wins.
	FileRoots map[string][]string `yaml:"file_roots"`
	// FileserverBackend lists where state trees come from, in order:
	// roots (file_roots) and gitfs (gitfs_remotes), as Salt's key.
	FileserverBackend []string `yaml:"fileserver_backend"`
	// GitfsRemotes are Salt's gitfs_remotes: a URL, or {URL: [{base: BRANCH},
	// {root: DIR}, {mountpoint: PATH}, {name: NAME}]}. Branches and tags are
	// saltenvs; base is gitfs_base (or the remote's base).
	GitfsRemotes []any `yaml:"gitfs_remotes"`
	// GitPillar is pillar from git: entries as gitfs_remotes ({URL:
	// [{base: BRANCH}, {root: DIR}, {name: NAME}]}); the branch's tree
	// (at root) is a pillar root of saltenv base, after pillar_roots.
	GitPillar []any `yaml:"git_pillar"`
	// GitfsBase is the branch served as saltenv base.
	GitfsBase string `yaml:"gitfs_base"`
	// GitfsUpdateInterval is how often the remotes are fetched.
	GitfsUpdateInterval Duration `yaml:"gitfs_update_interval"`
	// PillarRoots is Salt's pillar_roots.
	PillarRoots map[string][]string `yaml:"pillar_roots"`
	// PillarMergeLists appends lists when merging pillar instead of replacing.
	PillarMergeLists bool `yaml:"pillar_merge_lists"`
	// PillarTrustGrains lets pillar targeting and templates use the grains
	// a minion reports about itself, as Salt does. A minion controls its
	// own grains: with it, a compromised minion can claim `role: db` and
	// receive the db pillar. false compiles pillar from the minion id (and
	// nodegroups of ids) only.
	PillarTrustGrains bool `yaml:"pillar_trust_grains"`
	// PillarSecretKeys are globs of pillar keys whose values are secret.
	PillarSecretKeys []string `yaml:"pillar_secret_keys"`
	// MetricsListen, when set, serves Prometheus /metrics (no token) on
	// this address, e.g. 127.0.0.1:9745.
	MetricsListen string `yaml:"metrics_listen"`
	// PprofListen, when set, serves net/http/pprof on this loopback address.
	PprofListen string `yaml:"pprof_listen"`
	// PprofAllowRemote lets pprof_listen be a non-loopback address (pprof
	// has no authentication: it shows memory and command lines).
	PprofAllowRemote bool `yaml:"pprof_allow_remote"`
	// Returners send every return (and, opt-in, every event) on to a
	// JSON-lines file, Elasticsearch or syslog.
	Returners []Returner `yaml:"returners"`
	// Reactor maps event tag globs to actions: {tag, run: {tgt, tgt_type,
	// fun, arg, kwarg}}, {tag, apply: {tgt, sls}} or {tag, webhook: URL}.
	Reactor []map[string]any `yaml:"reactor"`
	// MetricsStateIDs adds the state ID as a label of
	// halite_state_results_total (bounded to 1000 IDs).
	MetricsStateIDs bool `yaml:"metrics_state_ids"`
	// MetricsMinionValues bounds halite_minion_value (scheduled host data).
	MetricsMinionValues MinionValues `yaml:"metrics_minion_values"`
}

// Returner is one `returners:` entry (see package returner).
type Returner struct {
	Type string `yaml:"type"`
	// Name keys the sink's cursor; default type:path|url|address.
	Name string `yaml:"name"`
	// Events also sends every event (not only returns).
	Events bool `yaml:"events"`
	// jsonl
	Path     string `yaml:"path"`
	MaxBytes int64  `yaml:"max_bytes"` // rotate above this size (default 100 MiB)
	MaxFiles int    `yaml:"max_files"` // rotated files kept (default 5)
	// elasticsearch
	URL      string `yaml:"url"`
	Index    string `yaml:"index"` // with %Y %m %d (default halite-%Y.%m.%d)
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// syslog: address "udp://host:514", "tcp://host:514" or "" (local)
	Address string `yaml:"address"`
	Tag     string `yaml:"tag"`
}

// MinionValues selects the scheduled functions whose numeric results are
// exported as halite_minion_value, and bounds the series.
type MinionValues struct {
	// Funs are globs of function names; empty exports every function.
	Funs []string `yaml:"funs"`
	// MaxSeries bounds the series across the fleet (default 50000);
	// excess is counted in halite_minion_values_dropped_total.
	MaxSeries int `yaml:"max_series"`
}

// Master types (master_type).
const (
	MasterTypeStr      = "str"
	MasterTypeFailover = "failover"
)

// MasterHosts is the minion's master setting: one host, or several
// written as a YAML list. It holds the hosts joined by commas, so a single
// master is simply its name.
type MasterHosts string

// UnmarshalYAML takes a host or a list of hosts.
func (h *MasterHosts) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		var l []string
		if err := n.Decode(&l); err != nil {
			return fmt.Errorf("line %d: master: %w", n.Line, err)
		}
		for _, s := range l {
			if s = strings.TrimSpace(s); s == "" || strings.Contains(s, ",") {
				return fmt.Errorf("line %d: master: %q is not a host", n.Line, s)
			}
		}
		*h = MasterHosts(strings.Join(l, ","))
		return nil
	}
	var s string
	if err := n.Decode(&s); err != nil {
		return fmt.Errorf("line %d: master: %w", n.Line, err)
	}
	*h = MasterHosts(strings.TrimSpace(s))
	return nil
}

// MarshalYAML writes one host as a string, several as a list.
func (h MasterHosts) MarshalYAML() (any, error) {
	if l := h.List(); len(l) != 1 {
		return l, nil
	}
	return string(h), nil
}

// List returns the hosts in order.
func (h MasterHosts) List() []string {
	var out []string
	for _, s := range strings.Split(string(h), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Minion is halite-minion's configuration.
type Minion struct {
	// Master is the master's host name or address (Salt's default: salt),
	// or a list of them: masters that share one PostgreSQL store.
	Master MasterHosts `yaml:"master"`
	// MasterType is str (with a list: connected to every master at once,
	// answering whichever publishes) or failover (one master at a time,
	// the next in the list when it stops answering), as in Salt.
	MasterType string `yaml:"master_type"`
	// MasterAliveInterval is how often a failover minion checks that its
	// master answers; it moves on after three missed checks. Default: the
	// heartbeat interval.
	MasterAliveInterval Duration `yaml:"master_alive_interval"`
	// PublishPort and RetPort are the master's two ports.
	PublishPort int `yaml:"publish_port"`
	RetPort     int `yaml:"ret_port"`
	// ID is this minion's id; empty means the host name.
	ID string `yaml:"id"`
	// PKIDir holds the minion's key and the pinned master key.
	PKIDir string `yaml:"pki_dir"`
	// CacheDir holds the file cache, the return spool and the call socket.
	CacheDir string `yaml:"cache_dir"`
	// Transport is dual (Salt's two connections: jobs on publish_port,
	// requests and returns on ret_port) or single (everything on
	// ret_port: half the connections and file descriptors on the master).
	Transport string `yaml:"transport"`
	// MasterFingerprint, when set, is the master key's fingerprint
	// (`halite-master keys fingerprint`); without it the first master
	// reached is trusted and pinned.
	MasterFingerprint string `yaml:"master_fingerprint"`
	Logging           `yaml:",inline"`
	// Grains are static grains added to the collected ones (Salt's grains
	// key in the minion config).
	Grains map[string]any `yaml:"grains"`
	// HeartbeatInterval is how often the minion tells the master it lives.
	HeartbeatInterval Duration `yaml:"heartbeat_interval"`
	// ClockSkew is how old (or how far in the future) a job may be.
	ClockSkew Duration `yaml:"clock_skew"`
	// ReconnectMin and ReconnectMax bound the jittered reconnect backoff.
	ReconnectMin Duration `yaml:"reconnect_min"`
	ReconnectMax Duration `yaml:"reconnect_max"`
	// MaxJobs bounds the jobs running at once.
	MaxJobs int `yaml:"max_jobs"`
	// MetricsListen, when set, serves the minion's Prometheus /metrics.
	MetricsListen string `yaml:"metrics_listen"`
	// PprofListen, when set, serves net/http/pprof on this loopback address.
	PprofListen string `yaml:"pprof_listen"`
	// PprofAllowRemote lets pprof_listen be a non-loopback address.
	PprofAllowRemote bool `yaml:"pprof_allow_remote"`
	// FileRoots and PillarRoots serve `halite-minion call --local`
	// (masterless), as in Salt.
	FileRoots   map[string][]string `yaml:"file_roots"`
	PillarRoots map[string][]string `yaml:"pillar_roots"`
	// Schedule is Salt's minion schedule: NAME → {function, args, kwargs,
	// seconds|minutes|hours|days, splay}. Entries under the pillar key
	// `schedule` are added to these.
	Schedule map[string]any `yaml:"schedule"`
	// Beacons is Salt's beacons: NAME → options (login, service,
	// diskusage, load).
	Beacons map[string]any `yaml:"beacons"`
	// MineFunctions are Salt's mine_functions: NAME → args (a list), or
	// {mine_function: FUN, KWARG: ...}; the pillar's mine_functions add to
	// them. Their results go to the master every MineInterval minutes.
	MineFunctions map[string]any `yaml:"mine_functions"`
	MineInterval  int            `yaml:"mine_interval"`
}

// DefaultMaster returns the master defaults (Salt's where Salt has one).
func DefaultMaster() Master {
	return Master{
		Interface:           "0.0.0.0",
		PublishPort:         4505,
		RetPort:             4506,
		PKIDir:              "/etc/halite/pki/master",
		DataDir:             "/var/lib/halite/master",
		Logging:             Logging{LogLevel: "info", LogFormat: "text"},
		KeepJobs:            Duration(168 * time.Hour),
		KeepAudit:           Duration(90 * 24 * time.Hour),
		MaxPendingKeys:      1000,
		PillarTrustGrains:   true,
		PublishKeyRotation:  Duration(24 * time.Hour),
		ClockSkew:           Duration(5 * time.Minute),
		AckTimeout:          Duration(5 * time.Second),
		FileRoots:           map[string][]string{"base": {"/srv/salt"}},
		PillarRoots:         map[string][]string{"base": {"/srv/pillar"}},
		FileserverBackend:   []string{"roots"},
		GitfsBase:           "master",
		GitfsUpdateInterval: Duration(60 * time.Second),
	}
}

// DefaultMinion returns the minion defaults.
func DefaultMinion() Minion {
	return Minion{
		Master:            "salt",
		MasterType:        MasterTypeStr,
		Transport:         TransportDual,
		PublishPort:       4505,
		RetPort:           4506,
		PKIDir:            "/etc/halite/pki/minion",
		CacheDir:          "/var/cache/halite/minion",
		Logging:           Logging{LogLevel: "info", LogFormat: "text"},
		HeartbeatInterval: Duration(15 * time.Second),
		ClockSkew:         Duration(5 * time.Minute),
		ReconnectMin:      Duration(200 * time.Millisecond),
		ReconnectMax:      Duration(10 * time.Second),
		MaxJobs:           64,
		MineInterval:      60,
		FileRoots:         map[string][]string{"base": {"/srv/salt"}},
		PillarRoots:       map[string][]string{"base": {"/srv/pillar"}},
	}
}

// LoadMaster reads path over the defaults; "" means defaults only.
func LoadMaster(path string) (Master, error) {
	c := DefaultMaster()
	if err := load(path, &c); err != nil {
		return Master{}, err
	}
	dir := baseDir(path)
	c.PKIDir = resolve(dir, c.PKIDir)
	c.DataDir = resolve(dir, c.DataDir)
	if c.LogFile != "" {
		c.LogFile = resolve(dir, c.LogFile)
	}
	resolveRoots(dir, c.FileRoots)
	resolveRoots(dir, c.PillarRoots)
	return c, c.Validate()
}

// LoadMinion reads path over the defaults; "" means defaults only.
func LoadMinion(path string) (Minion, error) {
	c := DefaultMinion()
	if err := load(path, &c); err != nil {
		return Minion{}, err
	}
	dir := baseDir(path)
	c.PKIDir = resolve(dir, c.PKIDir)
	c.CacheDir = resolve(dir, c.CacheDir)
	if c.LogFile != "" {
		c.LogFile = resolve(dir, c.LogFile)
	}
	resolveRoots(dir, c.FileRoots)
	resolveRoots(dir, c.PillarRoots)
	if c.ID == "" {
		h, err := os.Hostname()
		if err != nil {
			return Minion{}, fmt.Errorf("config %s: id not set and hostname unknown: %w", path, err)
		}
		c.ID = h
	}
	return c, c.Validate()
}

// Validate checks values that YAML types cannot.
func (c Master) Validate() error {
	var errs []error
	// Port 0 lets the kernel pick a free port (tests, the demo).
	if !validPort(c.PublishPort) && c.PublishPort != 0 {
		errs = append(errs, fmt.Errorf("publish_port: %d is not a port", c.PublishPort))
	}
	if !validPort(c.RetPort) && c.RetPort != 0 {
		errs = append(errs, fmt.Errorf("ret_port: %d is not a port", c.RetPort))
	}
	errs = append(errs, c.Logging.Validate()...)
	if c.Store != "" && c.Store != "sqlite" && !strings.HasPrefix(c.Store, "postgres://") && !strings.HasPrefix(c.Store, "postgresql://") {
		errs = append(errs, fmt.Errorf("store: %q is neither empty (SQLite in data_dir) nor a postgres:// URL", c.Store))
	}
	for _, b := range c.FileserverBackend {
		if b != "roots" && b != "gitfs" {
			errs = append(errs, fmt.Errorf("fileserver_backend: %q is not roots or gitfs", b))
		}
	}
	if _, err := c.Gitfs(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.GitPillars(); err != nil {
		errs = append(errs, err)
	}
	if c.API.Token != "" && len(c.API.Token) < 16 {
		errs = append(errs, errors.New("api.token: at least 16 characters are required"))
	}
	if (c.API.TLSCert == "") != (c.API.TLSKey == "") {
		errs = append(errs, errors.New("api.tls_cert and api.tls_key go together"))
	}
	if c.ChatOps.ConfirmOver < 0 {
		errs = append(errs, errors.New("chatops.confirm_over: must not be negative"))
	}
	for i, n := range c.Notify {
		if !strings.HasPrefix(n.URL, "http://") && !strings.HasPrefix(n.URL, "https://") {
			errs = append(errs, fmt.Errorf("notify[%d].url: want an http(s) URL", i))
		}
		if n.Format != "" && n.Format != "slack" && n.Format != "mattermost" {
			errs = append(errs, fmt.Errorf("notify[%d].format: want slack or mattermost", i))
		}
	}
	errs = append(errs,
		between("ack_timeout", c.AckTimeout, 100*time.Millisecond, time.Hour),
		between("clock_skew", c.ClockSkew, time.Second, 24*time.Hour),
		atLeast("keep_jobs", c.KeepJobs, 0),
		atLeast("keep_audit", c.KeepAudit, 0),
		atLeast("publish_key_rotation", c.PublishKeyRotation, 0),
		pprofAddr(c.PprofListen, c.PprofAllowRemote))
	return errors.Join(errs...)
}

// between is an error unless lo <= d <= hi.
func between(key string, d Duration, lo, hi time.Duration) error {
	if d.D() < lo || d.D() > hi {
		return fmt.Errorf("%s: %v is out of range (%v to %v)", key, d.D(), lo, hi)
	}
	return nil
}

// atLeast is an error unless d >= lo (0 turns the feature off).
func atLeast(key string, d Duration, lo time.Duration) error {
	if d.D() < lo {
		return fmt.Errorf("%s: %v is negative", key, d.D())
	}
	return nil
}

// pprofAddr: pprof has no authentication, so it binds loopback unless the
// operator says otherwise.
func pprofAddr(addr string, allowRemote bool) error {
	if addr == "" || allowRemote {
		return nil
	}
	if !IsLoopback(addr) {
		return fmt.Errorf("pprof_listen: %s is not a loopback address (pprof has no authentication; set pprof_allow_remote: true to serve it anyway)", addr)
	}
	return nil
}

// IsLoopback reports whether host:port names a loopback address.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

var validID = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,255}$`)

// Validate checks values that YAML types cannot.
func (c Minion) Validate() error {
	var errs []error
	if !validPort(c.PublishPort) {
		errs = append(errs, fmt.Errorf("publish_port: %d is not a port", c.PublishPort))
	}
	if !validPort(c.RetPort) {
		errs = append(errs, fmt.Errorf("ret_port: %d is not a port", c.RetPort))
	}
	if !validID.MatchString(c.ID) || c.ID == "." || c.ID == ".." {
		errs = append(errs, fmt.Errorf("id: %q is not a valid minion id (letters, digits, . _ @ -)", c.ID))
	}
	errs = append(errs, c.Logging.Validate()...)
	if c.Transport != TransportDual && c.Transport != TransportSingle {
		errs = append(errs, fmt.Errorf("transport: %q is not dual or single", c.Transport))
	}
	if c.MasterType != MasterTypeStr && c.MasterType != MasterTypeFailover {
		errs = append(errs, fmt.Errorf("master_type: %q is not str or failover", c.MasterType))
	}
	if len(c.Master.List()) == 0 {
		errs = append(errs, errors.New("master: no master given"))
	}
	if c.MasterAliveInterval != 0 {
		errs = append(errs, between("master_alive_interval", c.MasterAliveInterval, 100*time.Millisecond, time.Hour))
	}
	if c.MaxJobs < 1 || c.MaxJobs > 100000 {
		errs = append(errs, errors.New("max_jobs: must be between 1 and 100000"))
	}
	errs = append(errs,
		between("heartbeat_interval", c.HeartbeatInterval, 100*time.Millisecond, time.Hour),
		between("clock_skew", c.ClockSkew, time.Second, 24*time.Hour),
		between("reconnect_min", c.ReconnectMin, 10*time.Millisecond, time.Hour),
		between("reconnect_max", c.ReconnectMax, c.ReconnectMin.D(), time.Hour),
		pprofAddr(c.PprofListen, c.PprofAllowRemote))
	if _, err := schedule.Parse(c.Schedule); err != nil {
		errs = append(errs, err)
	}
	if _, err := beacons.Parse(c.Beacons, beacons.Env{}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func validPort(p int) bool { return p > 0 && p < 65536 }

func load(path string, into any) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(into); err != nil && !errors.Is(err, io.EOF) {
		var root yaml.Node
		_ = yaml.Unmarshal(data, &root)
		return fmt.Errorf("config %s: %w", path, explain(err, &root, reflect.TypeOf(into).Elem()))
	}
	return nil
}

var (
	fieldNotFound = regexp.MustCompile(`line (\d+): field (\S+) not found in type \S+`)
	cannotDecode  = regexp.MustCompile("line (\\d+): cannot unmarshal !!(\\w+)(?: `([^`]*)`)? into ([^\\n]+)")
)

// explain rewrites yaml.v3's Go-flavoured messages into the user's terms:
// an unknown key with the nearest known one, a value of the wrong type
// with the key it is under.
func explain(err error, root *yaml.Node, typ reflect.Type) error {
	keys := map[int]string{} // line -> the key whose value is there
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := prefix + n.Content[i].Value
				keys[n.Content[i].Line] = k
				if _, seen := keys[n.Content[i+1].Line]; !seen {
					keys[n.Content[i+1].Line] = k
				}
				walk(n.Content[i+1], k+".")
			}
		}
	}
	walk(root, "")
	known := yamlKeys(typ)
	msg := fieldNotFound.ReplaceAllStringFunc(err.Error(), func(m string) string {
		sm := fieldNotFound.FindStringSubmatch(m)
		out := fmt.Sprintf(`line %s: unknown key "%s"`, sm[1], sm[2])
		if near := nearest(sm[2], known); near != "" {
			out += fmt.Sprintf(" (did you mean %s?)", near)
		}
		return out
	})
	msg = cannotDecode.ReplaceAllStringFunc(msg, func(m string) string {
		sm := cannotDecode.FindStringSubmatch(m)
		line, _ := strconv.Atoi(sm[1])
		into := strings.TrimSpace(sm[4])
		want := map[string]string{"int": "a number", "uint": "a number", "bool": "true or false", "float64": "a number", "string": "a string"}[into]
		switch {
		case want != "":
		case strings.HasPrefix(into, "[]"):
			want = "a list"
		case strings.HasPrefix(into, "map["):
			want = "a mapping"
		default:
			want = "a " + into
		}
		got := fmt.Sprintf("%q", sm[3])
		if sm[3] == "" {
			got = map[string]string{"seq": "a list", "map": "a mapping", "str": "text"}[sm[2]]
			if got == "" {
				got = "a " + sm[2]
			}
		}
		key := keys[line]
		if strings.HasSuffix(key, "port") && want == "a number" {
			want = "a port"
		}
		if key == "" {
			return fmt.Sprintf("line %d: %s is not %s", line, got, want)
		}
		return fmt.Sprintf("line %d: %s: %s is not %s", line, key, got, want)
	})
	return errors.New(msg)
}

// yamlKeys lists the top-level keys of a config struct.
func yamlKeys(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if strings.HasSuffix(t.Field(i).Tag.Get("yaml"), ",inline") {
			out = append(out, yamlKeys(t.Field(i).Type)...)
			continue
		}
		if tag != "" && tag != "-" {
			out = append(out, tag)
		}
	}
	return out
}

// nearest is the known key closest to k (at most a third of it changed),
// or "".
func nearest(k string, known []string) string {
	best, bestD := "", len(k)/3+1
	for _, c := range known {
		if d := editDistance(k, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func baseDir(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Dir(path)
}

func resolveRoots(dir string, roots map[string][]string) {
	for env, dirs := range roots {
		for i, d := range dirs {
			dirs[i] = resolve(dir, d)
		}
		roots[env] = dirs
	}
}

func resolve(dir, p string) string {
	if p == "" || filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

// OptsAs is Opts as Salt's command cli (salt-minion for the daemon,
// salt-call for a local call) sees them: formulas read __cli to tell how
// they run (libsaltcli.jinja), and __role.
func (c Minion) OptsAs(cli string) map[string]any {
	m := c.Opts()
	m["__cli"] = cli
	m["__role"] = "minion"
	return m
}

// Opts returns the configuration as a plain map (Salt's `opts` in
// templates).
func (c Minion) Opts() map[string]any {
	b, err := yaml.Marshal(c)
	if err != nil {
		return map[string]any{}
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		return map[string]any{}
	}
	return m
}
