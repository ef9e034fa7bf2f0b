package minion

import (
	"strconv"
	"sync"
	"time"
)

// seenJobs remembers published jobs already handled, for as long as a
// replay could still pass the clock-skew check; older ones are refused by
// that check, so memory stays bounded.
type seenJobs struct {
	ttl  time.Duration
	mu   sync.Mutex
	m    map[string]time.Time
	last time.Time // last sweep
}

func newSeenJobs(ttl time.Duration) *seenJobs {
	return &seenJobs{ttl: ttl, m: map[string]time.Time{}}
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
	}
	if _, dup := s.m[key]; dup {
		return false
	}
	s.m[key] = now
	return true
}
