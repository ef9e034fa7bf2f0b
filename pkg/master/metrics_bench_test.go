package master

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The metrics' cost per return on the master's return path: counting the
// outcome and latency of a test.ping, and the states of a 20-state run.
func BenchmarkReturnMetrics(b *testing.B) {
	jm := newMasterMetrics(prometheus.NewRegistry(), false)
	created := time.Now()
	b.Run("ping", func(b *testing.B) {
		for b.Loop() {
			jm.returned("test.ping", true, created)
			jm.stateRun("test.ping", true)
		}
	})
	states := map[string]any{}
	for i := range 20 {
		states[fmt.Sprintf("file_|-f%d_|-/etc/f%d_|-managed", i, i)] = map[string]any{"result": true, "changes": map[string]any{}, "comment": "ok"}
	}
	b.Run("state.apply-20-states", func(b *testing.B) {
		for b.Loop() {
			jm.returned("state.apply", true, created)
			jm.stateRun("state.apply", states)
		}
	})
}
