package pillar

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halite/halite/pkg/template"
)

// countingCompiler returns a Compiler over root whose every compile calls
// salt['count.compile'] once (from top.sls), and the counter.
func countingCompiler(t *testing.T, files map[string]string) (*Compiler, string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	files["top.sls"] = "{% do salt['count.compile']() %}\n" + files["top.sls"]
	root := writeTree(t, files)
	c := NewCompiler(map[string][]string{"base": {root}}, Options{Funcs: map[string]template.Func{
		"count.compile": func(context.Context, []any, map[string]any) (any, error) { n.Add(1); return nil, nil },
	}})
	return c, root, &n
}

// touch rewrites a file with new content and moves its mtime forward, so
// the change shows even where the file system's clock is coarse.
func touch(t *testing.T, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	var old time.Time
	if st, err := os.Stat(p); err == nil {
		old = st.ModTime()
	}
	writeFile(t, root, name, content)
	if !old.IsZero() {
		if err := os.Chtimes(p, old.Add(time.Second), old.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCacheHitsAndInvalidation(t *testing.T) {
	c, root, compiles := countingCompiler(t, map[string]string{
		"top.sls":    lines("base:", "  '*':", "    - app", "  'os:Debian':", "    - match: grain", "    - debian"),
		"app.sls":    "version: 1\n",
		"debian.sls": "apt: true\n",
	})
	cache := NewCache(c)
	ctx := context.Background()
	get := func(id string, grains map[string]any) map[string]any {
		t.Helper()
		p, err := cache.Get(ctx, id, grains)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	expectCompiles := func(step string, want int64) {
		t.Helper()
		if got := compiles.Load(); got != want {
			t.Fatalf("%s: %d compiles, want %d", step, got, want)
		}
	}

	assertEqual(t, get("m1", debian), map[string]any{"version": 1, "apt": true})
	assertEqual(t, get("m1", debian), map[string]any{"version": 1, "apt": true})
	expectCompiles("second Get", 1)

	// Equal grains decoded differently (a copy, other integer types) hit.
	g := map[string]any{"os": "Debian", "os_family": "Debian", "roles": []any{"web"}, "ipv4": []any{"10.0.0.5"}}
	get("m1", g)
	expectCompiles("equal grains", 1)

	// The caller owns what Get returns.
	p := get("m1", debian)
	p["version"] = "mutated"
	assertEqual(t, get("m1", debian)["version"], 1)

	// Changed grains recompile.
	assertEqual(t, get("m1", redhat), map[string]any{"version": 1})
	expectCompiles("grains changed", 2)

	// A changed file recompiles.
	touch(t, root, "app.sls", "version: 2\n")
	assertEqual(t, get("m1", redhat), map[string]any{"version": 2})
	expectCompiles("file changed", 3)

	// A new file in the tree recompiles too (the top file may glob it).
	writeFile(t, root, "unrelated/new.sls", "x: 1\n")
	get("m1", redhat)
	expectCompiles("file added", 4)

	// Invalidate one; InvalidateAll.
	get("m2", redhat)
	expectCompiles("second minion", 5)
	cache.Invalidate("m1")
	get("m1", redhat)
	get("m2", redhat)
	expectCompiles("after Invalidate(m1)", 6)
	cache.InvalidateAll()
	get("m1", redhat)
	get("m2", redhat)
	expectCompiles("after InvalidateAll", 8)
	if cache.Len() != 2 {
		t.Errorf("Len = %d, want 2", cache.Len())
	}
}

func TestCacheDoesNotKeepErrors(t *testing.T) {
	c, root, compiles := countingCompiler(t, map[string]string{
		"top.sls": lines("base:", "  '*':", "    - app"),
		"app.sls": "broken: [\n",
	})
	cache := NewCache(c)
	for i := 0; i < 2; i++ {
		if _, err := cache.Get(context.Background(), "m1", nil); !errors.Is(err, ErrYAML) {
			t.Fatalf("want ErrYAML, got %v", err)
		}
	}
	if compiles.Load() != 2 {
		t.Fatalf("a failed compile was cached (%d compiles)", compiles.Load())
	}
	touch(t, root, "app.sls", "fixed: true\n")
	p, err := cache.Get(context.Background(), "m1", nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, p, map[string]any{"fixed": true})
}

func TestCacheConcurrentGetsShareOneCompile(t *testing.T) {
	c, _, compiles := countingCompiler(t, map[string]string{
		"top.sls": lines("base:", "  '*':", "    - app"),
		"app.sls": "{% for i in range(2000) %}{% endfor %}a: {{ grains.os }}\n",
	})
	cache := NewCache(c)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			p, err := cache.Get(context.Background(), id, debian)
			if err == nil && p["a"] != "Debian" {
				err = errors.New("wrong pillar")
			}
			errs <- err
		}([]string{"m1", "m2"}[i%2])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := compiles.Load(); n != 2 {
		t.Fatalf("32 concurrent Gets for 2 minions compiled %d times, want 2", n)
	}
}

func TestCacheTreeCheckInterval(t *testing.T) {
	c, root, _ := countingCompiler(t, map[string]string{
		"top.sls": lines("base:", "  '*':", "    - app"),
		"app.sls": "v: 1\n",
	})
	cache := NewCache(c)
	cache.SetTreeCheckInterval(time.Hour)
	ctx := context.Background()
	if _, err := cache.Get(ctx, "m1", nil); err != nil {
		t.Fatal(err)
	}
	touch(t, root, "app.sls", "v: 2\n")
	p, _ := cache.Get(ctx, "m1", nil)
	assertEqual(t, p["v"], 1) // within the interval the earlier walk is trusted
	cache.SetTreeCheckInterval(0)
	p, _ = cache.Get(ctx, "m1", nil)
	assertEqual(t, p["v"], 2)
}

func TestCacheCancelled(t *testing.T) {
	c, _, _ := countingCompiler(t, map[string]string{"top.sls": lines("base:", "  '*':", "    - app"), "app.sls": "v: 1\n"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cache := NewCache(c)
	if _, err := cache.Get(ctx, "m1", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	// A cancelled compile is not kept: a live caller compiles.
	if p, err := cache.Get(context.Background(), "m1", nil); err != nil || p["v"] != 1 {
		t.Fatalf("after a cancelled Get: %v, %v", p, err)
	}
}

func TestGrainsSum(t *testing.T) {
	a := map[string]any{"n": 1, "l": []any{"x", 2}, "m": map[string]any{"k": true}}
	b := map[string]any{"m": map[string]any{"k": true}, "l": []any{"x", int64(2)}, "n": uint64(1)}
	if grainsSum(a) != grainsSum(b) {
		t.Error("equal grains with other integer types hash differently")
	}
	for _, c := range []map[string]any{
		{"n": 2, "l": []any{"x", 2}, "m": map[string]any{"k": true}},
		{"n": 1, "l": []any{2, "x"}, "m": map[string]any{"k": true}},
		{"n": 1, "l": []any{"x", 2}, "m": map[string]any{"k": "true"}},
		{"n": "1", "l": []any{"x", 2}, "m": map[string]any{"k": true}},
		{"n": 1, "l": []any{"x", 2}, "m": map[string]any{"k": true}, "extra": nil},
	} {
		if grainsSum(a) == grainsSum(c) {
			t.Errorf("different grains hash equal: %v", c)
		}
	}
	if grainsSum(nil) != grainsSum(map[string]any{}) {
		t.Error("nil and empty grains differ")
	}
}

func TestFingerprint(t *testing.T) {
	root := writeTree(t, map[string]string{"top.sls": "base: {}\n", "a/b.sls": "x: 1\n", ".git/HEAD": "ref\n"})
	envs, roots := []string{"base"}, map[string][]string{"base": {root}}
	sum := func() [32]byte {
		t.Helper()
		s, err := fingerprint(context.Background(), envs, roots)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := sum()
	if sum() != first {
		t.Fatal("fingerprint is not stable")
	}
	writeFile(t, root, ".git/objects/ab/cdef", "blob")
	touch(t, root, ".git/HEAD", "other\n")
	if sum() != first {
		t.Error("a change under .git changed the fingerprint")
	}
	if err := os.Rename(filepath.Join(root, "a", "b.sls"), filepath.Join(root, "a", "c.sls")); err != nil {
		t.Fatal(err)
	}
	renamed := sum()
	if renamed == first {
		t.Error("a rename did not change the fingerprint")
	}
	if err := os.Remove(filepath.Join(root, "a", "c.sls")); err != nil {
		t.Fatal(err)
	}
	if sum() == renamed {
		t.Error("a removal did not change the fingerprint")
	}
	missing, err := fingerprint(context.Background(), envs, map[string][]string{"base": {filepath.Join(root, "nope")}})
	if err != nil || missing == first {
		t.Errorf("a missing root: %x, %v", missing, err)
	}
}
