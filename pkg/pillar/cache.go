package pillar

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	"reflect"
	"sort"
	"sync"
	"time"
)

// Cache keeps each minion's compiled pillar and compiles again only when
// it may have changed: when the pillar tree changed (any file or directory
// under the roots added, removed, or given another size or mtime), when
// the minion's grains differ from those it was compiled with, or after
// Invalidate. It is safe for concurrent use; concurrent Gets for one
// minion share one compile. Failed compiles are not cached.
//
// Data a template fetches from elsewhere (salt['cmd.run'], a secret
// store) is not tracked: Invalidate when it changes.
type Cache struct {
	comp *Compiler

	mu      sync.Mutex
	entries map[string]*cacheEntry

	tree treeWatch

	observe func(time.Duration, error) // see Observe
}

// cacheEntry is one minion's compiled pillar, or a compile in flight.
type cacheEntry struct {
	tree, grains [32]byte
	done         chan struct{} // closed when pillar and err are set
	pillar       map[string]any
	err          error
}

// NewCache returns an empty cache over c.
func NewCache(c *Compiler) *Cache {
	return &Cache{comp: c, entries: map[string]*cacheEntry{}, tree: treeWatch{comp: c}}
}

// Observe has f called after every compile (not cache hit) with its
// duration and error, for metrics. Set it before the first Get.
func (c *Cache) Observe(f func(time.Duration, error)) { c.observe = f }

// SetTreeCheckInterval lets Get reuse a check of the pillar tree made up
// to d before it was called, instead of walking the tree on every call.
// The default, 0, walks it for every Get (concurrent Gets share walks),
// so an edit is seen by the next Get; a master serving thousands of
// minions may accept a second of staleness to save the walks.
func (c *Cache) SetTreeCheckInterval(d time.Duration) {
	c.tree.mu.Lock()
	c.tree.interval = d
	c.tree.mu.Unlock()
}

// Get returns the pillar of minion id with grains, compiling it when the
// cached copy is missing or out of date. The map returned is the
// caller's own copy.
func (c *Cache) Get(ctx context.Context, id string, grains map[string]any) (map[string]any, error) {
	return c.get(ctx, id, grains, c.tree.maxAge())
}

// GetCurrent is Get with the pillar tree checked now: a cached pillar is
// served only if the tree is what it was compiled from at this moment.
func (c *Cache) GetCurrent(ctx context.Context, id string, grains map[string]any) (map[string]any, error) {
	return c.get(ctx, id, grains, 0)
}

func (c *Cache) get(ctx context.Context, id string, grains map[string]any, maxAge time.Duration) (map[string]any, error) {
	tree, err := c.tree.sum(ctx, maxAge)
	if err != nil {
		return nil, fmt.Errorf("pillar cache: %w", err)
	}
	gsum := grainsSum(grains)
	for {
		c.mu.Lock()
		e := c.entries[id]
		if e != nil && e.tree == tree && e.grains == gsum {
			c.mu.Unlock()
			select {
			case <-e.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if e.err == nil {
				return deepCopy(e.pillar).(map[string]any), nil
			}
			if isContextErr(e.err) && ctx.Err() == nil {
				continue // the caller that compiled gave up; compile again
			}
			return nil, e.err
		}
		e = &cacheEntry{tree: tree, grains: gsum, done: make(chan struct{})}
		c.entries[id] = e
		c.mu.Unlock()

		began := time.Now()
		p, err := c.comp.Compile(ctx, id, grains)
		if c.observe != nil {
			c.observe(time.Since(began), err)
		}
		e.pillar, e.err = p, err
		close(e.done)
		if err != nil {
			c.mu.Lock()
			if c.entries[id] == e {
				delete(c.entries, id)
			}
			c.mu.Unlock()
			return nil, err
		}
		return deepCopy(p).(map[string]any), nil
	}
}

// Invalidate drops minion id's pillar, so the next Get compiles it (for
// example after its key was deleted, or on saltutil.refresh_pillar).
func (c *Cache) Invalidate(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}

// InvalidateAll drops every minion's pillar.
func (c *Cache) InvalidateAll() {
	c.mu.Lock()
	c.entries = map[string]*cacheEntry{}
	c.mu.Unlock()
}

// Len returns the number of minions with a cached (or compiling) pillar.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// treeWatch computes the pillar tree's fingerprint, sharing walks between
// concurrent callers without ever handing a caller a walk that started
// before it asked (more than interval before).
type treeWatch struct {
	comp     *Compiler
	mu       sync.Mutex
	interval time.Duration
	cur      *treeWalk
}

type treeWalk struct {
	start time.Time
	done  chan struct{}
	sum   [32]byte
	err   error
}

func (w *treeWatch) maxAge() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.interval
}

// sum returns the tree's fingerprint from a walk that started at most
// maxAge before the call.
func (w *treeWatch) sum(ctx context.Context, maxAge time.Duration) ([32]byte, error) {
	asked := time.Now()
	for {
		w.mu.Lock()
		cur := w.cur
		if cur != nil && !cur.start.Before(asked.Add(-maxAge)) {
			w.mu.Unlock()
			return cur.wait(ctx)
		}
		if cur != nil {
			select {
			case <-cur.done:
			default:
				// A walk that began too early is running: wait for it
				// to end, then share (or start) the next one.
				w.mu.Unlock()
				if _, err := cur.wait(ctx); err != nil && ctx.Err() != nil {
					return [32]byte{}, err
				}
				continue
			}
		}
		walk := &treeWalk{start: time.Now(), done: make(chan struct{})}
		w.cur = walk
		w.mu.Unlock()
		// The walk is shared: it must not stop because this caller
		// gives up.
		walk.sum, walk.err = fingerprint(context.WithoutCancel(ctx), w.comp.envs, w.comp.roots)
		close(walk.done)
		return walk.sum, walk.err
	}
}

func (t *treeWalk) wait(ctx context.Context) ([32]byte, error) {
	select {
	case <-t.done:
		return t.sum, t.err
	case <-ctx.Done():
		return [32]byte{}, ctx.Err()
	}
}

// grainsSum hashes grains canonically: map keys sorted, every integer
// type the same, so grains decoded from YAML (int) and CBOR (int64,
// uint64) that are equal hash equal.
func grainsSum(grains map[string]any) [32]byte {
	h := sha256.New()
	hashValue(h, grains, 0)
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

func hashValue(h hash.Hash, v any, depth int) {
	var num [9]byte
	tagged := func(tag byte, n uint64) {
		num[0] = tag
		binary.LittleEndian.PutUint64(num[1:], n)
		h.Write(num[:])
	}
	str := func(tag byte, s string) {
		tagged(tag, uint64(len(s)))
		io.WriteString(h, s)
	}
	if depth > 64 {
		tagged('X', 0)
		return
	}
	switch t := v.(type) {
	case nil:
		tagged('n', 0)
	case bool:
		if t {
			tagged('b', 1)
		} else {
			tagged('b', 0)
		}
	case string:
		str('s', t)
	case int:
		tagged('i', uint64(int64(t)))
	case int64:
		tagged('i', uint64(t))
	case int32:
		tagged('i', uint64(int64(t)))
	case uint64:
		if t <= math.MaxInt64 {
			tagged('i', t)
		} else {
			tagged('u', t)
		}
	case float64:
		tagged('f', math.Float64bits(t))
	case []any:
		tagged('l', uint64(len(t)))
		for _, x := range t {
			hashValue(h, x, depth+1)
		}
	case []string:
		tagged('l', uint64(len(t)))
		for _, x := range t {
			str('s', x)
		}
	case map[string]any:
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tagged('m', uint64(len(t)))
		for _, k := range keys {
			str('s', k)
			hashValue(h, t[k], depth+1)
		}
	default:
		hashReflect(h, reflect.ValueOf(v), depth, str)
	}
}

// hashReflect covers the shapes decoders other than ours produce
// (map[any]any, []map[string]any, other integer widths).
func hashReflect(h hash.Hash, rv reflect.Value, depth int, str func(byte, string)) {
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		hashValue(h, rv.Int(), depth)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		hashValue(h, rv.Uint(), depth)
	case reflect.Float32:
		hashValue(h, rv.Float(), depth)
	case reflect.String:
		hashValue(h, rv.String(), depth)
	case reflect.Slice, reflect.Array:
		l := make([]any, rv.Len())
		for i := range l {
			l[i] = rv.Index(i).Interface()
		}
		hashValue(h, l, depth)
	case reflect.Map:
		m := make(map[string]any, rv.Len())
		iter := rv.MapRange()
		for iter.Next() {
			m[fmt.Sprint(iter.Key().Interface())] = iter.Value().Interface()
		}
		hashValue(h, m, depth)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			hashValue(h, nil, depth)
			return
		}
		hashValue(h, rv.Elem().Interface(), depth+1)
	default:
		str('?', fmt.Sprintf("%T:%v", rv.Interface(), rv.Interface()))
	}
}

// TreeSum returns the current fingerprint of the pillar tree (a walk of
// the roots, reused within the check interval). The master compares
// successive sums to tell minions that their pillar may have changed.
func (c *Cache) TreeSum(ctx context.Context) ([32]byte, error) {
	return c.tree.sum(ctx, c.tree.maxAge())
}
