package minion

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/wire"
)

// spool keeps returns until the master confirms them: in memory, and on
// disk (one file per jid) when they could not be sent or the minion stops,
// so a return produced while the master is down is delivered later.
type spool struct {
	dir string
	mu  sync.Mutex
	m   map[string]*wire.Return
}

func openSpool(dir string) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool %s: %w", dir, err)
	}
	s := &spool{dir: dir, m: map[string]*wire.Return{}}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read spool %s: %w", dir, err)
	}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".ret") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read spooled return %s: %w", p, err)
		}
		var r wire.Return
		if err := codec.Unmarshal(b, &r); err != nil {
			// Keep the file for inspection but do not let it block others.
			_ = os.Rename(p, p+".corrupt")
			continue
		}
		s.m[r.JID] = &r
	}
	return s, nil
}

func (s *spool) path(jid string) string {
	// JIDs are digits; anything else cannot name a file outside dir.
	return filepath.Join(s.dir, filepath.Base(jid)+".ret")
}

func (s *spool) add(r *wire.Return) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[r.JID] = r
}

// persist writes one held return to disk.
func (s *spool) persist(jid string) error {
	s.mu.Lock()
	r := s.m[jid]
	s.mu.Unlock()
	if r == nil {
		return nil
	}
	b, err := codec.Marshal(r)
	if err != nil {
		return err
	}
	tmp := s.path(jid) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write spool: %w", err)
	}
	return os.Rename(tmp, s.path(jid))
}

// persistAll writes every unconfirmed return (on shutdown).
func (s *spool) persistAll() error {
	s.mu.Lock()
	jids := make([]string, 0, len(s.m))
	for jid := range s.m {
		jids = append(jids, jid)
	}
	s.mu.Unlock()
	for _, jid := range jids {
		if err := s.persist(jid); err != nil {
			return err
		}
	}
	return nil
}

// acked forgets a return the master has stored.
func (s *spool) acked(jid string) {
	s.mu.Lock()
	delete(s.m, jid)
	s.mu.Unlock()
	_ = os.Remove(s.path(jid))
}

// pending lists unconfirmed returns, oldest jid first.
func (s *spool) pending() []*wire.Return {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*wire.Return, 0, len(s.m))
	for _, r := range s.m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JID < out[j].JID })
	return out
}
