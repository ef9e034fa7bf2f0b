package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// /metrics at 1,000 minions with 4 scheduled functions each: the time of
// one scrape over the master's socket, its size and its series.
func BenchmarkScrapeHostData(b *testing.B) {
	const n = 1000
	e := newEnv(b, "")
	sched := "schedule:\n" +
		"  load: {function: status.loadavg, seconds: 5, splay: 2}\n" +
		"  mem: {function: status.meminfo, seconds: 5, splay: 2}\n" +
		"  disk: {function: disk.usage, seconds: 5, splay: 2}\n" +
		"  up: {function: status.uptime, seconds: 5, splay: 2}\n"
	start(b, "halite-minion", "swarm", "--count", fmt.Sprint(n), "--id-prefix", "sc", "-c", e.minionConfig("swarm", "log_level: warn\n"+sched))
	e.acceptAll(n)
	e.waitConnected(n)
	// Three intervals: every function has reported (what is over
	// max_series is counted, not exported).
	time.Sleep(15 * time.Second)
	var text string
	b.ResetTimer()
	for b.Loop() {
		text = e.scrape()
	}
	b.StopTimer()
	series := strings.Count(text, "\nhalite_minion_value{")
	b.ReportMetric(float64(len(text))/1e6, "MB/scrape")
	b.ReportMetric(float64(series), "minion_value_series")
	dropped, _ := metric(text, "halite_minion_values_dropped_total")
	b.ReportMetric(dropped, "dropped_leaves")
}
