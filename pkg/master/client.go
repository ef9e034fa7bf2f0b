package master

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"github.com/halite/halite/pkg/events"
	"github.com/halite/halite/pkg/jobstore"
)

// ErrUnavailable means the master daemon could not be reached.
var ErrUnavailable = errors.New("master is not running or its socket is not reachable")

// Client talks to a running master over its operator API.
type Client struct {
	hc    *http.Client
	base  string
	token string // bearer token, for a remote API
}

// NewClient returns a client for the master's Unix socket.
func NewClient(socketPath string) *Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, "unix", socketPath)
			return c, socketError(socketPath, err)
		},
	}
	return &Client{hc: &http.Client{Transport: tr}, base: "http://halite"}
}

func (c *Client) do(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var se *SocketError
		if errors.As(err, &se) {
			return nil, se
		}
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		var e APIError
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&e); err != nil || e.Error == "" {
			return nil, &StatusError{Code: resp.StatusCode, Msg: resp.Status}
		}
		return nil, &StatusError{Code: resp.StatusCode, Msg: e.Error}
	}
	return resp, nil
}

// StatusError is an error answer from the master.
type StatusError struct {
	Code int
	Msg  string
}

func (e *StatusError) Error() string { return e.Msg }

func (c *Client) getJSON(ctx context.Context, path string, into any) error {
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	return dec.Decode(into)
}

// Keys lists every minion key.
func (c *Client) Keys(ctx context.Context) ([]KeyInfo, error) {
	var out []KeyInfo
	return out, c.getJSON(ctx, "/v1/keys", &out)
}

// KeyAction accepts, rejects or deletes keys.
func (c *Client) KeyAction(ctx context.Context, action, id string, all bool) ([]KeyInfo, error) {
	resp, err := c.do(ctx, http.MethodPost, "/v1/keys/"+url.PathEscape(action), KeyActionRequest{ID: id, All: all})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []KeyInfo
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// JobsDiff lists what changed in the gitfs trees between two state runs.
func (c *Client) JobsDiff(ctx context.Context, a, b string) ([]TreeDiff, error) {
	var out []TreeDiff
	return out, c.getJSON(ctx, "/v1/jobs/diff?a="+url.QueryEscape(a)+"&b="+url.QueryEscape(b), &out)
}

// FileserverUpdate fetches the gitfs remotes now.
func (c *Client) FileserverUpdate(ctx context.Context) ([]UpdateResult, error) {
	resp, err := c.do(ctx, http.MethodPost, "/v1/fileserver/update", struct{}{})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []UpdateResult
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// Fingerprint returns the master's fingerprint (id "") or a minion's.
func (c *Client) Fingerprint(ctx context.Context, id string) ([]KeyInfo, error) {
	var out []KeyInfo
	return out, c.getJSON(ctx, "/v1/fingerprint?id="+url.QueryEscape(id), &out)
}

// Run starts a job and calls fn for every event until the job is done.
func (c *Client) Run(ctx context.Context, req *RunRequest, fn func(RunEvent) error) error {
	resp, err := c.do(ctx, http.MethodPost, "/v1/run", req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var probe struct {
			Type  string `json:"type"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &probe); err != nil {
			return fmt.Errorf("bad answer from master: %w", err)
		}
		if probe.Type == "error" {
			return errors.New(probe.Error)
		}
		var ev RunEvent
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		if err := dec.Decode(&ev); err != nil {
			return fmt.Errorf("bad answer from master: %w", err)
		}
		if err := fn(ev); err != nil {
			return err
		}
		if ev.Type == "done" || ev.Type == "explain" {
			return nil
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading job stream: %w", err)
	}
	if req.Async {
		return nil
	}
	return errors.New("master closed the job stream early")
}

// Jobs lists stored jobs, newest first.
func (c *Client) Jobs(ctx context.Context, f jobstore.JobFilter) ([]jobstore.JobSummary, error) {
	q := url.Values{}
	if f.Limit > 0 {
		q.Set("limit", strconv.Itoa(f.Limit))
	}
	if f.Fun != "" {
		q.Set("fun", f.Fun)
	}
	if f.Target != "" {
		q.Set("target", f.Target)
	}
	var out []jobstore.JobSummary
	return out, c.getJSON(ctx, "/v1/jobs?"+q.Encode(), &out)
}

// Job fetches one job with every minion's result.
func (c *Client) Job(ctx context.Context, jid string) (*jobstore.JobRecord, error) {
	var out jobstore.JobRecord
	if err := c.getJSON(ctx, "/v1/jobs/"+url.PathEscape(jid), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Minions lists minions with key state and connection.
func (c *Client) Minions(ctx context.Context) ([]MinionInfo, error) {
	var out []MinionInfo
	return out, c.getJSON(ctx, "/v1/minions", &out)
}

// Audit lists the newest audit entries.
func (c *Client) Audit(ctx context.Context, limit int) ([]jobstore.AuditEntry, error) {
	var out []jobstore.AuditEntry
	return out, c.getJSON(ctx, "/v1/audit?limit="+strconv.Itoa(limit), &out)
}

// Events streams the event bus until ctx ends or fn returns an error.
func (c *Client) Events(ctx context.Context, fn func(raw []byte, ev events.Event) error) error {
	return c.EventsMatching(ctx, "", fn)
}

// EventsMatching streams the events whose tag matches the glob tag (all
// for "").
func (c *Client) EventsMatching(ctx context.Context, tag string, fn func(raw []byte, ev events.Event) error) error {
	path := "/v1/events"
	if tag != "" {
		path += "?tag=" + url.QueryEscape(tag)
	}
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var ev events.Event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			return err
		}
		if err := fn(sc.Bytes(), ev); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}

// Pillar compiles a minion's pillar on the master; secret values are
// redacted unless reveal.
func (c *Client) Pillar(ctx context.Context, id string, reveal bool) (*PillarShow, error) {
	var out PillarShow
	q := ""
	if reveal {
		q = "?reveal=true"
	}
	if err := c.getJSON(ctx, "/v1/pillar/"+url.PathEscape(id)+q, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// NewRemoteClient returns a client for a master's TCP API (api.listen):
// TLS with the certificate pinned by its fingerprint (what `halite-master
// api fingerprint` prints; empty trusts the system's roots instead), and
// token as the bearer token.
func NewRemoteClient(addr, fingerprint, token string) *Client {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if fingerprint != "" {
		want := strings.ToLower(fingerprint)
		cfg.InsecureSkipVerify = true // replaced by the pin below
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || derFingerprint(raw[0]) != want {
				return errors.New("the master's API certificate does not match the pinned fingerprint")
			}
			return nil
		}
	}
	tr := &http.Transport{TLSClientConfig: cfg}
	return &Client{hc: &http.Client{Transport: tr}, base: "https://" + addr, token: token}
}

// CreateToken makes an API token; the answer holds its secret, once.
func (c *Client) CreateToken(ctx context.Context, req TokenRequest) (*TokenCreated, error) {
	resp, err := c.do(ctx, http.MethodPost, "/v1/tokens", req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out TokenCreated
	return &out, json.NewDecoder(resp.Body).Decode(&out)
}

// Tokens lists the API tokens, without secrets.
func (c *Client) Tokens(ctx context.Context) ([]jobstore.Token, error) {
	var out []jobstore.Token
	return out, c.getJSON(ctx, "/v1/tokens", &out)
}

// RevokeToken revokes a token at once.
func (c *Client) RevokeToken(ctx context.Context, name string) error {
	resp, err := c.do(ctx, http.MethodDelete, "/v1/tokens/"+url.PathEscape(name), nil)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// AddLog adds a note to the ops log.
func (c *Client) AddLog(ctx context.Context, e jobstore.OpsEntry) (*jobstore.OpsEntry, error) {
	resp, err := c.do(ctx, http.MethodPost, "/v1/log", e)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out jobstore.OpsEntry
	return &out, json.NewDecoder(resp.Body).Decode(&out)
}

// Log reads the ops log (since a duration ago, grep a regular expression).
func (c *Client) Log(ctx context.Context, since, grep string, limit int) ([]jobstore.OpsEntry, error) {
	q := url.Values{}
	if since != "" {
		q.Set("since", since)
	}
	if grep != "" {
		q.Set("grep", grep)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var out []jobstore.OpsEntry
	return out, c.getJSON(ctx, "/v1/log?"+q.Encode(), &out)
}

// Maintenance starts or stops maintenance.
func (c *Client) Maintenance(ctx context.Context, req MaintenanceRequest) (*MaintenanceResult, error) {
	resp, err := c.do(ctx, http.MethodPost, "/v1/maintenance", req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out MaintenanceResult
	return &out, json.NewDecoder(resp.Body).Decode(&out)
}

// Orchestrate runs an orchestrate SLS on the master and waits for it.
func (c *Client) Orchestrate(ctx context.Context, req OrchestrateRequest) (*OrchestrateResult, error) {
	resp, err := c.do(ctx, http.MethodPost, "/v1/orchestrate", req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		OrchestrateResult
		Error string `json:"error"`
	}
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	if out.Error != "" {
		return &out.OrchestrateResult, errors.New(out.Error)
	}
	return &out.OrchestrateResult, nil
}

// Mine reads fun's mine data of the minions target matches.
func (c *Client) Mine(ctx context.Context, target, fun, targetType string) (map[string]any, error) {
	q := url.Values{"tgt": {target}, "fun": {fun}}
	if targetType != "" {
		q.Set("tgt_type", targetType)
	}
	var out map[string]any
	return out, c.getJSON(ctx, "/v1/mine?"+q.Encode(), &out)
}

// SocketError is a socket the CLI cannot reach, with what to do about it.
// It is an ErrUnavailable.
type SocketError struct {
	Path, Hint string
	Err        error
}

func (e *SocketError) Error() string { return e.Path + ": " + e.Hint }

func (e *SocketError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// socketError says what to do about a socket the CLI cannot reach.
func socketError(path string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrPermission):
		return &SocketError{Path: path, Err: err, Hint: "permission denied: the master's socket is for the user the master runs as " +
			"(run this as that user, e.g. with sudo), or for the local users named in the master's api.allowed_users"}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
		return &SocketError{Path: path, Err: err, Hint: "the master is not running here: nothing listens on its socket (start `halite-master serve` with this config, or point -c at the config of the master that runs)"}
	}
	return err
}
