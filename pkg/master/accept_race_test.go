package master

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/keys"
	"github.com/halite/halite/pkg/minion"
)

// acceptInWindow is a key registry where the operator accepts a key right
// after the master has recorded it pending and before the master has
// registered the waiting connection: the window a busy master opens.
type acceptInWindow struct {
	keys.Registry
	m    *Master
	done bool
}

func (r *acceptInWindow) Check(ctx context.Context, id string, pub crypto.MinionPublic) (keys.State, error) {
	st, err := r.Registry.Check(ctx, id, pub)
	if err == nil && st == keys.StatePending && !r.done {
		r.done = true
		if _, aerr := r.m.AcceptKeys(ctx, id, false); aerr != nil {
			return st, aerr
		}
	}
	return st, err
}

// Regression: a key accepted while its minion's auth request was between
// the key check and the master's record of the waiting connection left
// the minion waiting for an acceptance that was never pushed (CI saw
// "not authenticated after accept").
func TestAcceptBetweenCheckAndWait(t *testing.T) {
	dir := t.TempDir()
	cfg := config.DefaultMaster()
	cfg.Interface = "127.0.0.1"
	cfg.PublishPort, cfg.RetPort = 0, 0
	cfg.PKIDir = filepath.Join(dir, "master", "pki")
	cfg.DataDir = filepath.Join(dir, "master", "data")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := New(ctx, cfg, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	m.keys = &acceptInWindow{Registry: m.keys, m: m}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	<-m.Ready()

	mcfg := config.DefaultMinion()
	mcfg.ID = "racer"
	mcfg.Master = "127.0.0.1"
	mcfg.PublishPort = m.PublishAddr().(*net.TCPAddr).Port
	mcfg.RetPort = m.RetAddr().(*net.TCPAddr).Port
	mcfg.PKIDir = filepath.Join(dir, "minion", "pki")
	mcfg.CacheDir = filepath.Join(dir, "minion", "cache")
	mctx, mcancel := context.WithCancel(ctx)
	mn, err := minion.New(mctx, mcfg, hclog.NewNullLogger(), minion.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mdone := make(chan error, 1)
	go func() { mdone <- mn.Run(mctx) }()
	defer func() { mcancel(); <-mdone }()
	select {
	case <-mn.Authenticated():
	case <-time.After(10 * time.Second):
		t.Fatal("minion accepted during its auth is still waiting for the acceptance")
	}
}
