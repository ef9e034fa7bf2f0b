package master

import (
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
)

// logLimiter lets through at most burst lines per second and counts the
// rest, so junk from the network costs the log a few lines a second, not
// a line (or a kilobyte) per junk connection. The next line let through
// says how many were held back.
type logLimiter struct {
	burst int

	mu         sync.Mutex
	window     time.Time
	n          int
	suppressed int
}

func (l *logLimiter) warn(log hclog.Logger, msg string, args ...any) {
	now := time.Now()
	l.mu.Lock()
	if now.Sub(l.window) >= time.Second {
		l.window, l.n = now, 0
	}
	l.n++
	if l.n > l.burst {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	held := l.suppressed
	l.suppressed = 0
	l.mu.Unlock()
	if held > 0 {
		args = append(args, "similar_lines_suppressed", held)
	}
	log.Warn(msg, args...)
}

// nonceCache remembers the nonces of accepted auth requests for as long as
// their timestamps pass the clock-skew check, so a captured request cannot
// be replayed to take over a minion's session.
type nonceCache struct {
	ttl time.Duration

	mu   sync.Mutex
	seen map[[16]byte]time.Time
	last time.Time
}

// maxNonces bounds the cache; only accepted keys' requests enter it, so
// it holds at most the fleet's reconnects over twice the clock skew.
const maxNonces = 1 << 20

// add records nonce and reports whether it was new (false: a replay, or
// the cache is full and the request must wait).
func (c *nonceCache) add(nonce [16]byte, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[[16]byte]time.Time{}
	}
	if now.Sub(c.last) > c.ttl/8 || len(c.seen) >= maxNonces {
		for k, t := range c.seen {
			if now.Sub(t) > c.ttl {
				delete(c.seen, k)
			}
		}
		c.last = now
	}
	if _, dup := c.seen[nonce]; dup || len(c.seen) >= maxNonces {
		return false
	}
	c.seen[nonce] = now
	return true
}
