package diff

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"equal", "a\n", "a\n", ""},
		{"one line", "a\nb\nc\n", "a\nB\nc\n", "--- \n+++ \n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{"from empty", "", "x\n", "--- \n+++ \n@@ -0,0 +1 @@\n+x\n"},
		{"missing final newline", "a", "a\n", "--- \n+++ \n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"},
		{"binary both", "\x00a", "\x00b", "Replace binary file"},
		{"to binary", "a", "\x00", "Replace text file with binary file"},
		{"from binary", "\x00", "a", "Replace binary file with text file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Unified([]byte(tc.old), []byte(tc.new)); got != tc.want {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
		})
	}
	big := strings.Repeat("x", MaxSize+1)
	if got := Unified([]byte(big), []byte("y")); !strings.HasPrefix(got, "Diff skipped") {
		t.Fatalf("large file: %q", got)
	}
}

// apply applies a unified diff made by Unified to old, so tests can check
// that the diff says exactly how to get from old to new.
func apply(old, d string) (string, error) {
	if d == "" {
		return old, nil
	}
	lines := SplitLines(old)
	plain := func(l string) string { return strings.TrimSuffix(l, "\n\\ No newline at end of file\n") }
	body := strings.SplitAfter(d, "\n")
	if len(body) < 2 || body[0] != "--- \n" || body[1] != "+++ \n" {
		return "", fmt.Errorf("bad header")
	}
	var out []string
	pos := 0 // next line of old not yet copied
	for i := 2; i < len(body) && body[i] != ""; {
		h := body[i]
		if !strings.HasPrefix(h, "@@ -") {
			return "", fmt.Errorf("bad hunk header %q", h)
		}
		f := strings.Fields(h)
		start, _, _ := strings.Cut(strings.TrimPrefix(f[1], "-"), ",")
		n, err := strconv.Atoi(start)
		if err != nil {
			return "", err
		}
		from := n - 1
		if strings.Contains(f[1], ",0") {
			from = n
		}
		out = append(out, lines[pos:from]...)
		pos = from
		i++
		for i < len(body) && body[i] != "" && !strings.HasPrefix(body[i], "@@") {
			l := body[i]
			i++
			// A "\ No newline" marker belongs to the line before it.
			if i < len(body) && body[i] == "\\ No newline at end of file\n" {
				l += body[i]
				i++
			}
			switch l[0] {
			case ' ':
				if pos >= len(lines) || plain(lines[pos]) != plain(l[1:]) {
					return "", fmt.Errorf("context mismatch at %d", pos)
				}
				out = append(out, lines[pos])
				pos++
			case '-':
				if pos >= len(lines) || lines[pos] != l[1:] {
					return "", fmt.Errorf("removal mismatch at %d: %q vs %q", pos, lines, l[1:])
				}
				pos++
			case '+':
				out = append(out, l[1:])
			default:
				return "", fmt.Errorf("bad line %q", l)
			}
		}
	}
	out = append(out, lines[pos:]...)
	return strings.ReplaceAll(strings.Join(out, ""), "\n\\ No newline at end of file\n", ""), nil
}

func TestUnifiedApplies(t *testing.T) {
	old := "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15"
	new := "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n"
	d := Unified([]byte(old), []byte(new))
	if strings.Count(d, "@@ -") != 2 {
		t.Fatalf("want two hunks for distant changes:\n%s", d)
	}
	got, err := apply(old, d)
	if err != nil || got != new {
		t.Fatalf("apply: %q, %v\n%s", got, err, d)
	}
}

// interleaved returns n lines, and the same with every other line changed:
// thousands of scattered edits, the worst case for the line matching.
func interleaved(n int) (string, string) {
	var a, b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&a, "line %d\n", i)
		if i%2 == 0 {
			fmt.Fprintf(&b, "line %d\n", i)
		} else {
			b.WriteString("x\n")
		}
	}
	return a.String(), b.String()
}

func TestUnifiedManyEditsStillApplies(t *testing.T) {
	// Past maxEdits the changed block is replaced whole: still correct.
	old, new := interleaved(3 * maxEdits)
	d := Unified([]byte(old), []byte(new))
	got, err := apply(old, d)
	if err != nil || got != new {
		t.Fatalf("fallback diff does not apply: %v", err)
	}
	// Below it the diff is minimal: one "-" and one "+" per changed line.
	old, new = interleaved(200)
	d = Unified([]byte(old), []byte(new))
	if n := strings.Count(d, "\n-"); n != 100 {
		t.Fatalf("%d removed lines, want 100", n)
	}
	if got, err := apply(old, d); err != nil || got != new {
		t.Fatalf("diff does not apply: %v", err)
	}
}

// FuzzUnified checks that for any two texts the diff, applied to the old
// one, gives the new one.
func FuzzUnified(f *testing.F) {
	f.Add("a\nb\nc\n", "a\nc\nd\n")
	f.Add("", "x")
	f.Add("x", "")
	f.Add("same\n", "same")
	f.Add("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\nX\n4\n5\n6\n7\nY\n9\n")
	f.Fuzz(func(t *testing.T, old, new string) {
		if strings.ContainsRune(old+new, 0) || strings.Contains(old+new, "\\ No newline") || strings.Contains(old+new, "\r") {
			return
		}
		d := Unified([]byte(old), []byte(new))
		got, err := apply(old, d)
		if err != nil {
			t.Fatalf("diff does not apply: %v\nold %q\nnew %q\n%s", err, old, new, d)
		}
		if got != new {
			t.Fatalf("applied diff gives %q, want %q\n%s", got, new, d)
		}
	})
}

func BenchmarkUnified(b *testing.B) {
	var sb strings.Builder
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&sb, "setting_%d = value %d\n", i, i)
	}
	old := sb.String()
	new := strings.Replace(strings.Replace(old, "setting_100 ", "setting_100x ", 1), "setting_1500 ", "changed ", 1)
	b.SetBytes(int64(len(old)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if Unified([]byte(old), []byte(new)) == "" {
			b.Fatal("no diff")
		}
	}
}

// BenchmarkUnifiedWorstCase diffs 20,000 lines with 10,000 scattered
// changes (the bound on the search keeps this in milliseconds).
func BenchmarkUnifiedWorstCase(b *testing.B) {
	old, new := interleaved(20000)
	b.SetBytes(int64(len(old)))
	for i := 0; i < b.N; i++ {
		Unified([]byte(old), []byte(new))
	}
}
