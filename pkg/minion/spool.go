package minion

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/wire"
)

// spool keeps returns until the master confirms them: in memory, and on
// disk (one file per jid) when they could not be sent or the minion stops,
// so a return produced while the master is down is delivered later.
//
// Nothing leaves the spool in silence. A return the master refuses for
// good (it cannot decode or store it, or says the job never targeted this
// minion), and a spool file the minion cannot read back, move to the
// quarantine directory beside it with an error in the log; an operator
// can inspect them there.
type spool struct {
	dir        string
	quarantine string
	log        hclog.Logger

	mu sync.Mutex
	m  map[string]*spooled
}

// spooled is one return waiting for the master's ack.
type spooled struct {
	r      *wire.Return
	sent   time.Time // last handed to a session
	onDisk bool      // persisted: its file must go when it is acked
}

func openSpool(dir string, log hclog.Logger) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create spool %s: %w", dir, err)
	}
	s := &spool{dir: dir, quarantine: filepath.Join(dir, "quarantine"), log: log, m: map[string]*spooled{}}
	if err := s.rescan(); err != nil {
		return nil, err
	}
	return s, nil
}

// mtime is the spool directory's modification time (zero if unreadable):
// it changes when a file is added or removed.
func (s *spool) mtime() time.Time {
	st, err := os.Stat(s.dir)
	if err != nil {
		return time.Time{}
	}
	return st.ModTime()
}

// rescan takes in the spool files not held yet: at start, and later the
// reports `halite-minion exec` leaves for the running daemon.
func (s *spool) rescan() error {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("read spool %s: %w", s.dir, err)
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasSuffix(name, ".ret") {
			continue
		}
		s.mu.Lock()
		_, held := s.m[strings.TrimSuffix(name, ".ret")]
		s.mu.Unlock()
		if held {
			continue
		}
		p := filepath.Join(s.dir, name)
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue // delivered meanwhile by whoever wrote it
		}
		if err != nil {
			return fmt.Errorf("read spooled return %s: %w", p, err)
		}
		var r wire.Return
		if err := codec.Unmarshal(b, &r); err != nil || s.path(r.JID) != p {
			// Keep it for inspection, out of the way of the others.
			reason := "unreadable spool file"
			if err != nil {
				reason += ": " + err.Error()
			} else {
				reason += ": its name does not match its jid " + r.JID
			}
			s.toQuarantine(name, b, reason)
			continue
		}
		s.mu.Lock()
		if _, held := s.m[r.JID]; !held {
			s.m[r.JID] = &spooled{r: &r, onDisk: true}
		}
		s.mu.Unlock()
	}
	return nil
}

// toQuarantine keeps b (a return, or what was left of one) as name in the
// quarantine directory with a .reason file beside it, removes the spool
// file, and logs the move as an error.
func (s *spool) toQuarantine(name string, b []byte, reason string) {
	dst := filepath.Join(s.quarantine, name)
	err := os.MkdirAll(s.quarantine, 0o700)
	if err == nil {
		err = os.WriteFile(dst, b, 0o600)
	}
	if err == nil {
		err = os.WriteFile(dst+".reason", []byte(reason+"\n"), 0o600)
	}
	if err == nil {
		_ = os.Remove(filepath.Join(s.dir, name))
	}
	s.log.Error("return quarantined; it will not be sent again", "file", dst, "reason", reason, "error", err)
}

func (s *spool) path(jid string) string {
	// JIDs are digits; anything else cannot name a file outside dir.
	return filepath.Join(s.dir, filepath.Base(jid)+".ret")
}

// add holds r until the master acknowledges it. It counts as sent now:
// the caller sends it at once (or it waits for the next session, which
// sends everything held).
func (s *spool) add(r *wire.Return) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[r.JID] = &spooled{r: r, sent: time.Now()}
}

// markSent records that jid's return was handed to a session now.
func (s *spool) markSent(jid string, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[jid]; e != nil {
		e.sent = now
	}
}

// persist writes one held return to disk.
func (s *spool) persist(jid string) error {
	s.mu.Lock()
	e := s.m[jid]
	s.mu.Unlock()
	if e == nil {
		return nil
	}
	b, err := codec.Marshal(e.r)
	if err != nil {
		return err
	}
	tmp := s.path(jid) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write spool: %w", err)
	}
	if err := os.Rename(tmp, s.path(jid)); err != nil {
		return err
	}
	s.mu.Lock()
	e.onDisk = true
	s.mu.Unlock()
	return nil
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

// acked forgets a return the master has stored. Most returns never
// touched the disk: only those get an unlink.
func (s *spool) acked(jid string) {
	s.mu.Lock()
	e := s.m[jid]
	delete(s.m, jid)
	s.mu.Unlock()
	if e != nil && e.onDisk {
		_ = os.Remove(s.path(jid))
	}
}

// refused quarantines a return the master will never store.
func (s *spool) refused(jid, reason string) {
	s.mu.Lock()
	e := s.m[jid]
	delete(s.m, jid)
	s.mu.Unlock()
	if e == nil {
		return
	}
	b, err := codec.Marshal(e.r)
	if err != nil {
		b = []byte(err.Error())
	}
	s.toQuarantine(filepath.Base(s.path(jid)), b, "refused by the master: "+reason)
}

// pending lists unconfirmed returns, oldest jid first.
func (s *spool) pending() []*wire.Return { return s.due(time.Time{}) }

// due lists the unconfirmed returns last sent before cutoff (all of them
// for the zero time), oldest jid first.
func (s *spool) due(cutoff time.Time) []*wire.Return {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*wire.Return, 0, len(s.m))
	for _, e := range s.m {
		if cutoff.IsZero() || e.sent.Before(cutoff) {
			out = append(out, e.r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].JID < out[j].JID })
	return out
}
