package master

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/halite/halite/pkg/acl"
	"github.com/halite/halite/pkg/jobstore"
)

// authorizer checks a run request against the caller's ACL, the targets
// of its rules resolved on the master's cache like any target.
func (m *Master) authorizer(ctx context.Context, p *principal, req *RunRequest) func([]string) error {
	return func(matched []string) error {
		return p.ACL.Check(p.Name, req.Fun, req.Target, matched, func(target string) ([]string, error) {
			ids, _, err := m.matchTarget(ctx, &RunRequest{Target: target, TargetType: "compound"})
			return ids, err
		})
	}
}

// TokenRequest asks for a new API token.
type TokenRequest struct {
	Name string  `json:"name"`
	ACL  acl.ACL `json:"acl"`
	// Expires is a duration from now ("30d", "12h"); empty never.
	Expires string `json:"expires,omitempty"`
}

// TokenCreated is the answer: the secret, shown this once.
type TokenCreated struct {
	Name    string    `json:"name"`
	Token   string    `json:"token"`
	Expires time.Time `json:"expires,omitzero"`
}

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$`)

func (m *Master) apiCreateToken(w http.ResponseWriter, r *http.Request) {
	var req TokenRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad token request: %w", err))
		return
	}
	if !tokenName.MatchString(req.Name) {
		writeError(w, http.StatusBadRequest, fmt.Errorf("token name %q: want letters, digits and . _ @ - (at most 64)", req.Name))
		return
	}
	req.ACL.All = false
	if err := req.ACL.Validate(); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	var expires time.Time
	if req.Expires != "" {
		d, err := parseTimeout(req.Expires)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Errorf("expires %q: want a duration such as 30d or 12h", req.Expires))
			return
		}
		expires = time.Now().Add(d).UTC()
	}
	secret, err := newTokenSecret()
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	aclJSON, _ := json.Marshal(req.ACL)
	t := &jobstore.Token{Name: req.Name, Hash: HashToken(secret), ACL: aclJSON, Expires: expires}
	if err := m.store.CreateToken(r.Context(), t); errors.Is(err, jobstore.ErrExists) {
		writeError(w, http.StatusConflict, fmt.Errorf("a token named %s exists (revoked ones keep their name)", req.Name))
		return
	} else if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	m.events.Publish("halite/api/token/created", map[string]any{"name": req.Name, "by": principalOf(r.Context()).who()})
	writeJSON(w, TokenCreated{Name: req.Name, Token: secret, Expires: expires})
}

func (m *Master) apiListTokens(w http.ResponseWriter, r *http.Request) {
	l, err := m.store.ListTokens(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if l == nil {
		l = []jobstore.Token{}
	}
	writeJSON(w, l)
}

func (m *Master) apiRevokeToken(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ok, err := m.store.RevokeToken(r.Context(), name)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Errorf("no token %q", name))
		return
	}
	m.events.Publish("halite/api/token/revoked", map[string]any{"name": name, "by": principalOf(r.Context()).who()})
	writeJSON(w, map[string]any{"name": name, "revoked": true})
}
