package targeting

import (
	"fmt"
	"testing"
)

const benchFleetSize = 10000

// benchFleet builds a fleet of n minions with grains and pillar shaped like
// a real one: a mix of operating systems, role lists, nested interfaces.
func benchFleet(n int) []*Minion {
	oses := []string{"Debian", "Ubuntu", "CentOS", "FreeBSD"}
	kinds := []string{"web", "db", "cache", "lb"}
	envRoles := []string{"web", "db", "legacy", "cache", "web"}
	fleet := make([]*Minion, n)
	for i := range fleet {
		kind := kinds[i%len(kinds)]
		ip := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		fleet[i] = &Minion{
			ID: fmt.Sprintf("%s%d.dc%d.example.com", kind, i, i%3),
			Grains: map[string]any{
				"os":            oses[i%len(oses)],
				"os_family":     "Debian",
				"roles":         []any{kind, "monitored"},
				"num_cpus":      int64(2 << (i % 4)),
				"ipv4":          []any{ip, "127.0.0.1"},
				"ip_interfaces": map[string]any{"eth0": []any{ip}, "lo": []any{"127.0.0.1"}},
			},
			Pillar: map[string]any{"role": envRoles[i%len(envRoles)], "env": "prod"},
		}
	}
	return fleet
}

// BenchmarkMatchCompound evaluates DESIGN §5's example target over a
// 10,000-minion fleet, as the master does to compute the expected set, and
// reports the cost per minion.
func BenchmarkMatchCompound(b *testing.B) {
	fleet := benchFleet(benchFleetSize)
	for _, expr := range []string{
		"G@os:Debian and web* or L@db1,db2 and not I@role:legacy",
		"G@ip_interfaces:eth0:10.0.1.* or P@os:(free|open)bsd",
		"S@10.0.0.0/20 and not E@cache\\d+",
	} {
		b.Run(expr, func(b *testing.B) {
			m, err := Compile(Compound, expr, Options{})
			if err != nil {
				b.Fatal(err)
			}
			matched := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				matched = 0
				for _, mn := range fleet {
					if m.Match(mn) {
						matched++
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(fleet)), "ns/minion")
			b.ReportMetric(float64(matched), "matched")
		})
	}
}

// BenchmarkListIDs compares the two ways the master can compute the
// expected set of a 100-id list target on a 10,000-minion fleet: ListIDs
// plus one lookup per listed id, or Match on every minion. Both report the
// cost divided by the fleet size, so the figures compare directly.
func BenchmarkListIDs(b *testing.B) {
	fleet := benchFleet(benchFleetSize)
	byID := make(map[string]*Minion, len(fleet))
	for _, mn := range fleet {
		byID[mn.ID] = mn
	}
	expr := "L@"
	for i := 0; i < 100; i++ {
		if i > 0 {
			expr += ","
		}
		expr += fleet[i*97].ID
	}
	m, err := Compile(Compound, expr, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("ListIDs", func(b *testing.B) {
		b.ReportAllocs()
		found := 0
		for b.Loop() {
			ids, ok := ListIDs(m)
			if !ok {
				b.Fatal("a list target has a known id set")
			}
			found = 0
			for _, id := range ids {
				if _, ok := byID[id]; ok {
					found++
				}
			}
		}
		if found != 100 {
			b.Fatalf("found %d of 100 listed minions", found)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(fleet)), "ns/minion")
	})
	b.Run("Scan", func(b *testing.B) {
		b.ReportAllocs()
		found := 0
		for b.Loop() {
			found = 0
			for _, mn := range fleet {
				if m.Match(mn) {
					found++
				}
			}
		}
		if found != 100 {
			b.Fatalf("matched %d of 100 listed minions", found)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(fleet)), "ns/minion")
	})
}

// BenchmarkCompile measures what a minion pays per received job.
func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(Compound, "G@os:Debian and web* or L@db1,db2 and not I@role:legacy", Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
