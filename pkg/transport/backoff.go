package transport

import (
	"math/rand/v2"
	"time"
)

// Backoff produces jittered exponential delays for reconnects, so a fleet
// that lost its master does not return in one synchronized wave.
type Backoff struct {
	Min, Max time.Duration
	attempt  int
}

// Next returns the delay before the next attempt: a random value in
// [d/2, d) where d doubles from Min up to Max ("equal jitter").
func (b *Backoff) Next() time.Duration {
	d := b.Min << min(b.attempt, 30)
	if d > b.Max || d <= 0 {
		d = b.Max
	}
	b.attempt++
	half := d / 2
	return half + rand.N(d-half+1)
}

// Reset starts over after a success.
func (b *Backoff) Reset() { b.attempt = 0 }
