package pillar

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

// benchFiles is a 50-SLS pillar tree of the kind a real fleet has: a top
// file assigning 40 SLS to every minion and 10 by grain (all Debian ones
// match), nested mappings, Jinja conditionals, loops and grains lookups,
// salt['pillar.get'] of earlier data, and includes.
func benchFiles() map[string]string {
	files := map[string]string{}
	var top strings.Builder
	top.WriteString("base:\n  '*':\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&top, "    - svc.s%02d\n", i)
	}
	top.WriteString("  'os_family:Debian':\n    - match: grain\n")
	for i := 40; i < 50; i++ {
		fmt.Fprintf(&top, "    - svc.s%02d\n", i)
	}
	files["top.sls"] = top.String()
	for i := 0; i < 50; i++ {
		var b strings.Builder
		if i%10 == 5 {
			fmt.Fprintf(&b, "include:\n  - .s%02d\n", i-5)
		}
		fmt.Fprintf(&b, "svc%02d:\n", i)
		b.WriteString("  enabled: True\n")
		b.WriteString("  host: {{ grains.id | default(opts.id) }}.example.com\n")
		b.WriteString("{% if grains.os_family == 'Debian' %}\n  pkg: svc-deb\n{% else %}\n  pkg: svc-rpm\n{% endif %}\n")
		b.WriteString("  ports:\n{% for p in range(4) %}\n    - {{ 8000 + p }}\n{% endfor %}\n")
		b.WriteString("  settings:\n    workers: {{ grains.num_cpus * 2 }}\n    log_level: info\n    timeout: 30\n")
		fmt.Fprintf(&b, "  password: pw-%02d-{{ grains.os | lower }}\n", i)
		if i > 0 {
			fmt.Fprintf(&b, "  prev_enabled: {{ salt['pillar.get']('svc%02d:enabled', False) }}\n", i-1)
		}
		b.WriteString("common:\n  tags:\n    - fleet\n    - {{ sls }}\n")
		files[fmt.Sprintf("svc/s%02d.sls", i)] = b.String()
	}
	return files
}

func benchGrains(i int) map[string]any {
	g := map[string]any{
		"id": fmt.Sprintf("m%04d", i), "os": "Debian", "os_family": "Debian", "num_cpus": 2 + i%6,
		"ipv4": []any{fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)}, "kernel": "Linux", "osrelease": "12",
		"mem_total": 4096, "roles": []any{"web", "app"},
	}
	if i%2 == 1 {
		g["os"], g["os_family"] = "Rocky", "RedHat"
	}
	return g
}

func TestBenchTreeCompiles(t *testing.T) {
	c := NewCompiler(map[string][]string{"base": {writeTree(t, benchFiles())}}, Options{})
	p := mustCompile(t, c, "m0000", benchGrains(0))
	if len(p) != 51 { // svc00..svc49 and common
		t.Fatalf("Debian minion got %d keys, want 51", len(p))
	}
	assertEqual(t, p["svc49"].(map[string]any)["prev_enabled"], true)
	assertEqual(t, p["svc03"].(map[string]any)["settings"], map[string]any{"workers": 4, "log_level": "info", "timeout": 30})
	if p := mustCompile(t, c, "m0001", benchGrains(1)); len(p) != 41 || p["svc00"].(map[string]any)["pkg"] != "svc-rpm" {
		t.Fatalf("RedHat minion got %d keys", len(p))
	}
}

// BenchmarkCompile50Files compiles the 50-file tree for one minion.
func BenchmarkCompile50Files(b *testing.B) {
	c := NewCompiler(map[string][]string{"base": {writeTree(b, benchFiles())}}, Options{})
	ctx := context.Background()
	grains := benchGrains(0)
	if _, err := c.Compile(ctx, "m0000", grains); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for i := 0; i < b.N; i++ {
		if _, err := c.Compile(ctx, "m0000", grains); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/minion")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/minion")
}

// BenchmarkCache500Minions gets the pillar of 500 minions with different
// grains through a Cache: cold (every minion compiles), warm (every
// minion is a hit; the tree is walked on every Get), and warm with a
// one-second tree check interval.
func BenchmarkCache500Minions(b *testing.B) {
	const minions = 500
	c := NewCompiler(map[string][]string{"base": {writeTree(b, benchFiles())}}, Options{})
	ctx := context.Background()
	grains := make([]map[string]any, minions)
	for i := range grains {
		grains[i] = benchGrains(i)
	}
	getAll := func(b *testing.B, cache *Cache) {
		for m := 0; m < minions; m++ {
			if _, err := cache.Get(ctx, fmt.Sprintf("m%04d", m), grains[m]); err != nil {
				b.Fatal(err)
			}
		}
	}
	run := func(name string, interval time.Duration, cold bool) {
		b.Run(name, func(b *testing.B) {
			cache := NewCache(c)
			cache.SetTreeCheckInterval(interval)
			getAll(b, cache)
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu := time.Now(), cpuTime()
			for i := 0; i < b.N; i++ {
				if cold {
					cache.InvalidateAll()
				}
				getAll(b, cache)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N*minions), "µs/minion")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N*minions), "cpu-µs/minion")
		})
	}
	run("cold", 0, true)
	run("warm", 0, false)
	run("warm_interval_1s", time.Second, false)
}
