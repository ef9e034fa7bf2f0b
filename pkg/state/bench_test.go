package state

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time. The build box is shared,
// so wall-clock figures swing with the load; CPU time per operation is the
// steadier figure to compare.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchTree is a 30-state tree: a top file, three SLS files of ten states
// each, an include, requisites of every common kind, and names.
func benchTree() memSource {
	src := memSource{"top.sls": lines("base:", "  '*':", "    - core", "    - web", "    - app")}
	for _, sls := range []string{"core", "web", "app"} {
		var b strings.Builder
		if sls != "core" {
			b.WriteString("include:\n  - core\n")
		}
		for i := 0; i < 10; i++ {
			id := fmt.Sprintf("%s_%d", sls, i)
			switch i % 5 {
			case 0:
				fmt.Fprintf(&b, "%s:\n  t.succeed:\n    - mode: 644\n    - user: root\n", id)
			case 1:
				fmt.Fprintf(&b, "%s:\n  t.changes:\n    - require:\n      - t: %s_0\n", id, sls)
			case 2:
				fmt.Fprintf(&b, "%s:\n  t.service:\n    - watch:\n      - t: %s_1\n", id, sls)
			case 3:
				dep := "sls: core"
				if sls == "core" {
					dep = "t: core_0"
				}
				fmt.Fprintf(&b, "%s:\n  t.succeed:\n    - onchanges:\n      - t: %s_1\n    - require:\n      - %s\n", id, sls, dep)
			case 4:
				fmt.Fprintf(&b, "%s:\n  t.wait:\n    - watch:\n      - %s_3\n", id, sls)
			}
		}
		src[sls+".sls"] = b.String()
	}
	return src
}

func TestBenchTreeIs30States(t *testing.T) {
	c := &Compiler{Source: benchTree(), Matcher: grainMatcher}
	ret, err := c.Highstate(context.Background(), "", RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ret) != 30 || Retcode(ret) != 0 {
		t.Fatalf("bench tree: %d results, retcode %d", len(ret), Retcode(ret))
	}
}

// BenchmarkHighstate30 compiles (read, parse, include, requisites, order)
// and runs a 30-state tree, the whole of a highstate apart from the state
// functions' own work.
func BenchmarkHighstate30(b *testing.B) {
	c := &Compiler{Source: benchTree(), Matcher: grainMatcher}
	ctx := context.Background()
	b.ReportAllocs()
	start, cpu := time.Now(), cpuTime()
	for b.Loop() {
		ret, err := c.Highstate(ctx, "", RunOptions{})
		if err != nil || len(ret) != 30 {
			b.Fatalf("%d results, %v", len(ret), err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/highstate")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/highstate")
}

// BenchmarkRun30 runs already compiled chunks: the runner's own cost.
func BenchmarkRun30(b *testing.B) {
	c := &Compiler{Source: benchTree(), Matcher: grainMatcher}
	ctx := context.Background()
	chunks, err := c.ShowLowstate(ctx, "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	start, cpu := time.Now(), cpuTime()
	for b.Loop() {
		if _, err := Run(ctx, chunks, RunOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/run")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/run")
}
