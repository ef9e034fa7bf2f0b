package master

import (
	"testing"
	"time"
)

// A session whose heartbeats are late because the master is busy (a herd
// of reconnections) is not closed as silent before minSilence: closing it
// would bring one more reconnection into the herd.
func TestSlowHeartbeatsAreNotSilence(t *testing.T) {
	m := &Master{sessions: map[string]*session{}}
	s := &session{id: "busy"} // no connection: closing it would panic
	s.heartbeat.Store(int64(time.Second))
	s.lastSeen.Store(time.Now().Add(-10 * time.Second).UnixNano())
	m.sessions["busy"] = s
	m.closeSilent(time.Now())
}

func TestPresenceDownAndUp(t *testing.T) {
	var p presence
	if back := p.connected("a"); back {
		t.Fatal("a first connection is not a return")
	}
	p.disconnected("a", time.Second)
	if due := p.due(time.Now()); len(due) != 0 {
		t.Fatalf("down at once: %v", due)
	}
	if due := p.due(time.Now().Add(2 * time.Second)); len(due) != 1 || p.isUp("a") {
		t.Fatalf("not down after its heartbeat: %v", due)
	}
	if due := p.due(time.Now().Add(time.Minute)); len(due) != 0 {
		t.Fatalf("declared down twice: %v", due)
	}
	if back := p.connected("a"); !back || !p.isUp("a") {
		t.Fatal("its return is not an up")
	}
	// A quick restart (back within the interval) is no down at all.
	p.disconnected("a", time.Second)
	p.connected("a")
	if due := p.due(time.Now().Add(time.Minute)); len(due) != 0 {
		t.Fatalf("a quick restart was declared down: %v", due)
	}
}
