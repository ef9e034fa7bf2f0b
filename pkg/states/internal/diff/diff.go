// Package diff produces the unified diffs that file states put under the
// "diff" key of their changes. The layout is the one Salt shows (Python's
// difflib.unified_diff with empty file names and three lines of context),
// so people and tools that read Salt's output read ours.
//
// The line matching is Myers' O(ND) algorithm on the lines between the
// common prefix and suffix, with a bound on D: two large, thoroughly
// different files produce a diff that replaces the differing block whole
// instead of a search that takes seconds. The diff is always correct
// (applying it to the old text gives the new one); past the bound it is
// just not minimal.
package diff

import (
	"bytes"
	"fmt"
	"strings"
)

// MaxSize is the largest input that is diffed line by line; a state
// return is no place for megabytes.
const MaxSize = 1 << 20

// maxEdits bounds the Myers search (number of inserted plus deleted
// lines) before falling back to replacing the changed block whole.
const maxEdits = 1000

// context is the number of unchanged lines shown around each change.
const context = 3

// Unified returns the diff from old to new, "" when they are equal. Binary
// content and very large files get a one-line description instead, as in
// Salt ("Replace binary file").
func Unified(old, new []byte) string {
	if bytes.Equal(old, new) {
		return ""
	}
	oldBin, newBin := isBinary(old), isBinary(new)
	switch {
	case oldBin && newBin:
		return "Replace binary file"
	case oldBin:
		return "Replace binary file with text file"
	case newBin:
		return "Replace text file with binary file"
	}
	if len(old) > MaxSize || len(new) > MaxSize {
		return fmt.Sprintf("Diff skipped: file larger than %d bytes (old %d, new %d)", MaxSize, len(old), len(new))
	}
	a, b := SplitLines(string(old)), SplitLines(string(new))
	var out strings.Builder
	out.WriteString("--- \n+++ \n")
	for _, g := range group(opcodes(a, b)) {
		first, last := g[0], g[len(g)-1]
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", formatRange(first.i1, last.i2), formatRange(first.j1, last.j2))
		for _, op := range g {
			if op.tag == equal {
				for _, l := range a[op.i1:op.i2] {
					out.WriteString(" " + l)
				}
				continue
			}
			for _, l := range a[op.i1:op.i2] {
				out.WriteString("-" + l)
			}
			for _, l := range b[op.j1:op.j2] {
				out.WriteString("+" + l)
			}
		}
	}
	return out.String()
}

// SplitLines splits s into lines that keep their "\n". A last line without
// one is marked the way diff(1) marks it, so that "a" and "a\n" differ
// visibly and no two lines run together in the output.
func SplitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	} else {
		lines[len(lines)-1] += "\n\\ No newline at end of file\n"
	}
	return lines
}

func isBinary(b []byte) bool {
	n := len(b)
	if n > 8000 {
		n = 8000
	}
	return bytes.IndexByte(b[:n], 0) >= 0
}

// formatRange is difflib's _format_range_unified.
func formatRange(start, stop int) string {
	begin, length := start+1, stop-start
	if length == 1 {
		return fmt.Sprint(begin)
	}
	if length == 0 {
		begin--
	}
	return fmt.Sprintf("%d,%d", begin, length)
}

type tag int

const (
	equal tag = iota
	change
)

// opcode says a[i1:i2] becomes b[j1:j2]: unchanged (equal) or replaced
// (change; either side may be empty).
type opcode struct {
	tag            tag
	i1, i2, j1, j2 int
}

// opcodes computes the edit script from a to b.
func opcodes(a, b []string) []opcode {
	// Lines become small integers: comparisons in the search are cheap.
	ids := map[string]int{}
	enc := func(ls []string) []int {
		out := make([]int, len(ls))
		for i, l := range ls {
			id, ok := ids[l]
			if !ok {
				id = len(ids)
				ids[l] = id
			}
			out[i] = id
		}
		return out
	}
	x, y := enc(a), enc(b)
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	var ops []opcode
	add := func(t tag, i1, i2, j1, j2 int) {
		if i1 == i2 && j1 == j2 {
			return
		}
		if n := len(ops); n > 0 && ops[n-1].tag == t {
			ops[n-1].i2, ops[n-1].j2 = i2, j2
			return
		}
		ops = append(ops, opcode{t, i1, i2, j1, j2})
	}
	add(equal, 0, pre, 0, pre)
	midA, midB := x[pre:len(x)-suf], y[pre:len(y)-suf]
	if matches, ok := myers(midA, midB, maxEdits); ok {
		i, j := 0, 0
		for _, m := range matches {
			add(change, pre+i, pre+m[0], pre+j, pre+m[1])
			add(equal, pre+m[0], pre+m[0]+1, pre+m[1], pre+m[1]+1)
			i, j = m[0]+1, m[1]+1
		}
		add(change, pre+i, pre+len(midA), pre+j, pre+len(midB))
	} else {
		add(change, pre, pre+len(midA), pre, pre+len(midB))
	}
	add(equal, len(x)-suf, len(x), len(y)-suf, len(y))
	return ops
}

// myers returns the matched line pairs (index in a, index in b) of a
// shortest edit script, in order; ok is false when that script would need
// more than maxD edits.
func myers(a, b []int, maxD int) (matches [][2]int, ok bool) {
	n, m := len(a), len(b)
	if n == 0 || m == 0 {
		return nil, true
	}
	max := n + m
	if maxD > max {
		maxD = max
	}
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	// trace[d] is v for k in [-d-1, d+1] at the start of round d.
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		snap := make([]int, 2*d+3)
		copy(snap, v[off-d-1:off+d+2])
		trace = append(trace, snap)
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(trace, n, m), true
			}
		}
	}
	return nil, false
}

func backtrack(trace [][]int, n, m int) [][2]int {
	var rev [][2]int
	x, y := n, m
	for d := len(trace) - 1; d >= 0; d-- {
		snap := trace[d]
		at := func(k int) int { return snap[k+d+1] }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		if d == 0 {
			prevX, prevY = 0, 0
		}
		for x > prevX && y > prevY {
			x--
			y--
			rev = append(rev, [2]int{x, y})
		}
		x, y = prevX, prevY
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

// group splits opcodes into hunks with context lines around each change,
// as difflib's get_grouped_opcodes does.
func group(codes []opcode) [][]opcode {
	if len(codes) == 0 {
		return nil
	}
	codes = append([]opcode(nil), codes...)
	if c := &codes[0]; c.tag == equal {
		c.i1, c.j1 = max(c.i1, c.i2-context), max(c.j1, c.j2-context)
	}
	if c := &codes[len(codes)-1]; c.tag == equal {
		c.i2, c.j2 = min(c.i2, c.i1+context), min(c.j2, c.j1+context)
	}
	var groups [][]opcode
	var cur []opcode
	for _, c := range codes {
		if c.tag == equal && c.i2-c.i1 > 2*context {
			cur = append(cur, opcode{equal, c.i1, min(c.i2, c.i1+context), c.j1, min(c.j2, c.j1+context)})
			groups = append(groups, cur)
			cur = nil
			c.i1, c.j1 = max(c.i1, c.i2-context), max(c.j1, c.j2-context)
		}
		cur = append(cur, c)
	}
	if len(cur) > 0 && !(len(cur) == 1 && cur[0].tag == equal) {
		groups = append(groups, cur)
	}
	// A leading group made only of context (the file starts with a long
	// unchanged run) carries no change.
	out := groups[:0]
	for _, g := range groups {
		for _, c := range g {
			if c.tag != equal {
				out = append(out, g)
				break
			}
		}
	}
	return out
}
