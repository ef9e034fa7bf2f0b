package template

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchSetup loads the 200-line benchmark SLS (bench/init.sls in the
// formula corpus: map.jinja import, macros, loops, filters, salt calls).
func benchSetup(b *testing.B) (*Engine, []byte, map[string]any) {
	b.Helper()
	tc := corpusCase{Name: "bench", Template: "bench/init.sls", Context: "debian", SLS: "bench"}
	src, err := os.ReadFile(filepath.Join(corpusDir, "root", tc.Template))
	if err != nil {
		b.Fatal(err)
	}
	if n := strings.Count(string(src), "\n"); n != 200 {
		b.Fatalf("benchmark template has %d lines, want 200", n)
	}
	c := loadContext(b, tc.Context)
	e := New(DirLoader(filepath.Join(corpusDir, "root")), corpusFuncs(c))
	return e, src, corpusVars(tc, c)
}

// BenchmarkRender200Lines renders the 200-line formula template the way a
// minion does on every state run: sources parsed once and cached.
func BenchmarkRender200Lines(b *testing.B) {
	e, src, vars := benchSetup(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.Render(ctx, "bench/init.sls", src, vars); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/render")
}

// BenchmarkRender200LinesCold includes lexing and parsing every template
// (a fresh Engine per render, so no parse cache).
func BenchmarkRender200LinesCold(b *testing.B) {
	_, src, vars := benchSetup(b)
	c := loadContext(b, "debian")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e := New(DirLoader(filepath.Join(corpusDir, "root")), corpusFuncs(c))
		if _, err := e.Render(ctx, "bench/init.sls", src, vars); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/render")
}
