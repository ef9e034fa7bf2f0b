package master

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"gopkg.in/yaml.v3"

	"github.com/halite/halite/pkg/acl"
	"github.com/halite/halite/pkg/atomicfile"
	"github.com/halite/halite/pkg/jobstore"
)

// connInfo is who is on the other end of an API connection.
type connInfo struct {
	unix   bool
	uid    int
	user   string // the Unix user of a socket peer
	remote string // the address of a TCP peer
}

const connKey ctxKey = 1
const principalKey ctxKey = 2

func connInfoOf(c net.Conn) connInfo {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return connInfo{remote: c.RemoteAddr().String(), uid: -1}
	}
	ci := connInfo{unix: true, uid: -1, user: "unknown"}
	raw, err := uc.SyscallConn()
	if err != nil {
		return ci
	}
	var cred *unix.Ucred
	_ = raw.Control(func(fd uintptr) {
		cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil || cred == nil {
		return ci
	}
	ci.uid = int(cred.Uid)
	ci.user = "uid:" + strconv.Itoa(ci.uid)
	if u, err := user.LookupId(strconv.Itoa(ci.uid)); err == nil {
		ci.user = u.Username
	}
	return ci
}

// principal is an authenticated caller and what it may do.
type principal struct {
	// Name is what the audit log shows: a local user, "api.token",
	// "token:NAME", "slack:USER", "mattermost:USER".
	Name   string
	Source string // the peer address; "unix" for the socket
	ACL    acl.ACL
}

// who is the principal as the audit log names it.
func (p *principal) who() string {
	if p.Source == "" || p.Source == "unix" {
		return p.Name
	}
	return p.Name + "@" + p.Source
}

func principalOf(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey).(*principal)
	if p == nil {
		return &principal{Name: "unknown"}
	}
	return p
}

// aclFrom reads an ACL given in configuration ({allow: ..., areas: ...}).
func aclFrom(v any) (acl.ACL, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return acl.ACL{}, err
	}
	return acl.ParseFile(b)
}

// authFailures limits failed authentications per source address: after
// maxAuthFailures within authFailureWindow every request from it is
// refused until the window ends, whatever it carries.
type authFailures struct {
	mu sync.Mutex
	m  map[string]*failWindow
}

type failWindow struct {
	start time.Time
	n     int
}

const (
	maxAuthFailures   = 10
	authFailureWindow = time.Minute
)

func sourceIP(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

func (a *authFailures) blocked(src string, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	w := a.m[src]
	return w != nil && now.Sub(w.start) < authFailureWindow && w.n >= maxAuthFailures
}

func (a *authFailures) fail(src string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.m == nil {
		a.m = map[string]*failWindow{}
	}
	if len(a.m) > 10000 { // forget expired windows before growing further
		for k, w := range a.m {
			if now.Sub(w.start) >= authFailureWindow {
				delete(a.m, k)
			}
		}
	}
	w := a.m[src]
	if w == nil || now.Sub(w.start) >= authFailureWindow {
		w = &failWindow{start: now}
		a.m[src] = w
	}
	w.n++
}

// errAuth is an authentication failure with the reason logged and
// evented (the caller only learns that it failed).
type errAuth struct{ reason string }

func (e errAuth) Error() string { return e.reason }

// HashToken is how a token's secret is stored: hex SHA-256. The secret is
// 256 random bits, so a plain hash is enough (nothing to brute-force).
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// tokenPrefix marks Halite tokens, so that a leaked one is recognisable.
const tokenPrefix = "halite_"

// newTokenSecret returns a fresh secret.
func newTokenSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return tokenPrefix + hex.EncodeToString(b), nil
}

// principalFor decides who an API request is from.
func (m *Master) principalFor(r *http.Request, ci connInfo) (*principal, error) {
	if ci.unix {
		if ci.uid == 0 || ci.uid == os.Getuid() {
			return &principal{Name: ci.user, Source: "unix", ACL: acl.ACL{All: true}}, nil
		}
		if a, ok := m.localUsers[ci.user]; ok {
			return &principal{Name: ci.user, Source: "unix", ACL: a}, nil
		}
		return nil, errAuth{reason: "local user " + ci.user + " is not in api.allowed_users"}
	}
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || secret == "" {
		return nil, errAuth{reason: "no bearer token"}
	}
	if m.cfg.API.Token != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(m.cfg.API.Token)) == 1 {
		return &principal{Name: "api.token", Source: ci.remote, ACL: acl.ACL{All: true}}, nil
	}
	hash := HashToken(secret)
	t, err := m.store.TokenByHash(r.Context(), hash)
	if errors.Is(err, jobstore.ErrNotFound) {
		return nil, errAuth{reason: "unknown token"}
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(hash), []byte(t.Hash)) != 1 {
		return nil, errAuth{reason: "unknown token"}
	}
	if t.Revoked {
		return nil, errAuth{reason: "revoked token " + t.Name}
	}
	if !t.Expires.IsZero() && time.Now().After(t.Expires) {
		return nil, errAuth{reason: "expired token " + t.Name}
	}
	var a acl.ACL
	if err := json.Unmarshal(t.ACL, &a); err != nil {
		return nil, fmt.Errorf("token %s: stored ACL: %w", t.Name, err)
	}
	a.All = false // only the static token and the socket's owner have it
	return &principal{Name: "token:" + t.Name, Source: ci.remote, ACL: a}, nil
}

// authFailed accounts for a refused request: counted, logged (rate
// limited), evented, audited.
func (m *Master) authFailed(r *http.Request, ci connInfo, reason string) {
	src := ci.remote
	if ci.unix {
		src = "unix:" + ci.user
	}
	m.apiAuthFail.fail(sourceIP(src), time.Now())
	m.mx.apiAuth.WithLabelValues("failed").Inc()
	m.refusalLog.warn(m.log.Named("api"), "API authentication failed", "source", src, "reason", reason, "path", r.URL.Path)
	m.events.Publish("halite/api/auth/failed", map[string]any{"source": src, "reason": reason, "path": r.URL.Path})
	m.auditAs(r, "unauthenticated@"+src, "denied: "+reason)
}

// apiCert loads the API's TLS certificate, generating one in pki_dir the
// first time when none is configured.
func (m *Master) apiCert() (tls.Certificate, error) {
	certPath, keyPath := APICertPaths(m.cfg.API.TLSCert, m.cfg.API.TLSKey, m.cfg.PKIDir)
	if _, err := os.Stat(certPath); os.IsNotExist(err) && m.cfg.API.TLSCert == "" {
		if err := generateAPICert(certPath, keyPath, m.cfg.API.Listen); err != nil {
			return tls.Certificate{}, fmt.Errorf("generate API certificate: %w", err)
		}
		m.log.Info("generated the API's TLS certificate", "cert", certPath)
	}
	return tls.LoadX509KeyPair(certPath, keyPath)
}

// APICertPaths is where the API's certificate and key are.
func APICertPaths(cert, key, pkiDir string) (string, string) {
	if cert != "" {
		return cert, key
	}
	return filepath.Join(pkiDir, "api.crt"), filepath.Join(pkiDir, "api.key")
}

// CertFingerprint is the SHA-256 of a PEM certificate's DER bytes, in
// colon-separated hex (what `halite-master api fingerprint` prints and a
// remote client pins).
func CertFingerprint(pemBytes []byte) (string, error) {
	b, _ := pem.Decode(pemBytes)
	if b == nil || b.Type != "CERTIFICATE" {
		return "", errors.New("no PEM certificate")
	}
	return derFingerprint(b.Bytes), nil
}

func derFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := hex.EncodeToString(sum[:])
	parts := make([]string, 0, len(h)/2)
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

func generateAPICert(certPath, keyPath, listen string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "halite-master " + host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if host != "" {
		tmpl.DNSNames = append(tmpl.DNSNames, host)
	}
	if h, _, err := net.SplitHostPort(listen); err == nil {
		if ip := net.ParseIP(h); ip != nil && !ip.IsUnspecified() {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := atomicfile.Write(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600, -1, -1); err != nil {
		return err
	}
	return atomicfile.Write(certPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644, -1, -1)
}
