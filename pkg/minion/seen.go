package minion

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// seenJobs remembers the jobs this minion ran, for as long as a replay
// could still pass the clock-skew check; older ones are refused by that
// check, so memory stays bounded. The set is also appended to a file, so
// a job recorded off the wire and replayed after a restart of the minion
// is refused too (F11).
type seenJobs struct {
	ttl  time.Duration
	path string // "" keeps the set in memory only
	log  hclog.Logger

	mu       sync.Mutex
	m        map[string]time.Time
	last     time.Time // last sweep
	appended int       // lines appended since the file was last rewritten
}

// compactAfter is how many appended lines (beyond twice the live ones)
// make a sweep rewrite the file.
const compactAfter = 1024

// newSeenJobs loads the entries of path younger than ttl.
func newSeenJobs(ttl time.Duration, path string, log hclog.Logger) (*seenJobs, error) {
	s := &seenJobs{ttl: ttl, path: path, log: log, m: map[string]time.Time{}}
	if path == "" {
		return s, nil
	}
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, fmt.Errorf("read seen jobs: %w", err)
	}
	now := time.Now()
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, ts, ok := bytes.Cut(sc.Bytes(), []byte(" "))
		ns, err := strconv.ParseInt(string(ts), 10, 64)
		if !ok || err != nil {
			continue // a torn last line after a crash
		}
		if t := time.Unix(0, ns); now.Sub(t) <= ttl {
			s.m[string(key)] = t
		}
	}
	if err := s.rewrite(); err != nil {
		return nil, err
	}
	return s, nil
}

// rewrite replaces the file with the live entries. s.mu must be held (or
// s not shared yet).
func (s *seenJobs) rewrite() error {
	var buf bytes.Buffer
	for k, t := range s.m {
		fmt.Fprintf(&buf, "%s %d\n", k, t.UnixNano())
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o600); err != nil {
		return fmt.Errorf("write seen jobs: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("write seen jobs: %w", err)
	}
	s.appended = 0
	return nil
}

// appendLine adds one entry to the file. The file is opened per entry, not
// held: a swarm of thousands of minions in one process would otherwise
// hold thousands of descriptors.
func (s *seenJobs) appendLine(key string, t time.Time) error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s %d\n", key, t.UnixNano())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	s.appended++
	return err
}

// add records (jid, batch) and reports whether it was new.
func (s *seenJobs) add(jid string, batch int, now time.Time) bool {
	key := jid + "/" + strconv.Itoa(batch)
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.last) > s.ttl/4 {
		for k, t := range s.m {
			if now.Sub(t) > s.ttl {
				delete(s.m, k)
			}
		}
		s.last = now
		if s.path != "" && s.appended > compactAfter && s.appended > 2*len(s.m) {
			if err := s.rewrite(); err != nil {
				s.log.Error("compact seen jobs", "error", err)
			}
		}
	}
	if _, dup := s.m[key]; dup {
		return false
	}
	s.m[key] = now
	if s.path != "" {
		if err := s.appendLine(key, now); err != nil {
			s.log.Error("record seen job; a replay after a restart would not be noticed", "jid", jid, "error", err)
		}
	}
	return true
}
