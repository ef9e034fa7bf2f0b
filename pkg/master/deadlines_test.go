package master

import (
	"slices"
	"testing"
	"time"
)

// deadlines answers the earliest deadline and the expired minions as a
// scan of every minion would.
func TestDeadlines(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var d deadlines
	far := t0.Add(time.Hour)
	if got := d.earliest(far); !got.Equal(far) {
		t.Fatalf("empty: %v", got)
	}
	for i, id := range []string{"a", "b", "c", "d"} {
		d.set(id, t0.Add(time.Duration(i%2+1)*time.Second)) // a,c at +1s; b,d at +2s
	}
	if got := d.earliest(far); !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("earliest: %v", got)
	}
	d.set("a", t0.Add(3*time.Second)) // moved, not duplicated
	if !d.remove("c") || d.remove("c") || d.len() != 3 {
		t.Fatalf("remove: len %d", d.len())
	}
	if got := d.earliest(far); !got.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("after moving a and removing c: %v", got)
	}
	exp := d.expired(t0.Add(2 * time.Second))
	slices.Sort(exp)
	if !slices.Equal(exp, []string{"b", "d"}) || d.len() != 1 || !d.has("a") {
		t.Fatalf("expired %v, left %d", exp, d.len())
	}
	if got := d.earliest(far); !got.Equal(t0.Add(3 * time.Second)) {
		t.Fatalf("last: %v", got)
	}
}
