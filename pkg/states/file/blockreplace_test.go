package file_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/file"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

func TestBlockReplace(t *testing.T) {
	no := false
	const ms, me = "# BEGIN", "# END"
	for _, tc := range []struct {
		name, text string
		spec       file.BlockSpec
		want       string
		err        string
	}{
		{"replace the block", "a\n# BEGIN x\nold\nold2\n# END x\nb\n",
			file.BlockSpec{Content: "new"}, "a\n# BEGIN x\nnew\n# END x\nb\n", ""},
		{"content ending in a newline gets no second", "# BEGIN\nold\n# END\n",
			file.BlockSpec{Content: "n1\nn2\n"}, "# BEGIN\nn1\nn2\n# END\n", ""},
		{"append_newline False joins the end marker", "# BEGIN\nold\n# END\n",
			file.BlockSpec{Content: "n1\n", AppendNewline: &no}, "# BEGIN\nn1\n# END\n", ""},
		{"text before the end marker is part of the block", "# BEGIN\nold # END tail\n",
			file.BlockSpec{Content: "new"}, "# BEGIN\nnew\n# END tail\n", ""},
		{"missing markers", "a\n", file.BlockSpec{Content: "x"}, "", "Markers were not found"},
		{"append", "a", file.BlockSpec{Content: "x", Append: true}, "a\n# BEGIN\nx\n# END\n", ""},
		{"prepend", "a\n", file.BlockSpec{Content: "x", Prepend: true}, "# BEGIN\nx\n# END\na\n", ""},
		{"insert before match", "a\nb\n", file.BlockSpec{Content: "x", InsertBeforeMatch: "^b$"}, "a\n# BEGIN\nx\n# END\nb\n", ""},
		{"insert after match", "a\nb\n", file.BlockSpec{Content: "x", InsertAfterMatch: "^a"}, "a\n# BEGIN\nx\n# END\nb\n", ""},
		{"unterminated", "# BEGIN\nx\n", file.BlockSpec{Content: "x"}, "", "Unterminated marked block"},
		{"CRLF kept", "# BEGIN\r\nold\r\n# END\r\n", file.BlockSpec{Content: "new"}, "# BEGIN\r\nnew\r\n# END\r\n", ""},
		{"append and prepend", "", file.BlockSpec{Append: true, Prepend: true}, "", "Only one of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.MarkerStart, tc.spec.MarkerEnd = ms, me
			got, err := file.BlockReplace(tc.text, tc.spec)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
			again, err := file.BlockReplace(got, tc.spec)
			if err != nil || again != got {
				t.Fatalf("not idempotent: %q -> %q (%v)", got, again, err)
			}
		})
	}
	if _, err := file.BlockReplace("a\n", file.BlockSpec{MarkerStart: ms, MarkerEnd: me}); !errors.Is(err, file.ErrNoMarkers) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzBlockReplace checks that no input panics and that a block applied to
// its own output changes nothing (when the content does not itself hold a
// marker, which would move the block).
func FuzzBlockReplace(f *testing.F) {
	f.Add("a\n# BEGIN\nold\n# END\n", "# BEGIN", "# END", "new", true, false)
	f.Add("a", "<<", ">>", "x\ny\n", false, true)
	f.Fuzz(func(t *testing.T, text, ms, me, content string, app, prep bool) {
		s := file.BlockSpec{MarkerStart: ms, MarkerEnd: me, Content: content, Append: app, Prepend: prep}
		out, err := file.BlockReplace(text, s)
		if err != nil {
			return
		}
		if strings.ContainsAny(ms+me, "\r\n") || strings.Contains(content, ms) || strings.Contains(content, me) ||
			strings.Contains(ms, me) || strings.Contains(me, ms) || strings.Contains(content, "\r") {
			return
		}
		again, err := file.BlockReplace(out, s)
		if err != nil || again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", text, out, again, err)
		}
	})
}

// file.accumulated texts reach the block of the file's blockreplace, and a
// managed template's accumulator variable, within one run.
func TestAccumulatedIntoBlockreplace(t *testing.T) {
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts")
	writeFile(t, hosts, "127.0.0.1 localhost\n# BEGIN\n# END\n")
	acc := state.NewAccumulators()
	call := func(fun, name string, args map[string]any) state.Result {
		def, _ := state.LookupFunc(fun)
		return def.Func(t.Context(), &state.Request{ID: name, Name: name, Args: args, Accumulators: acc})
	}
	for _, h := range []string{"10.0.0.1 db", "10.0.0.2 web"} {
		if r := call("file.accumulated", "hosts-"+h[:8], map[string]any{"filename": hosts, "text": h}); r.Result == nil || !*r.Result {
			t.Fatalf("accumulated: %s", r.Comment)
		}
	}
	res := call("file.blockreplace", hosts, map[string]any{"marker_start": "# BEGIN", "marker_end": "# END", "content": "# hosts", "backup": false})
	if res.Result == nil || !*res.Result {
		t.Fatalf("blockreplace: %s", res.Comment)
	}
	want := "127.0.0.1 localhost\n# BEGIN\n# hosts\n10.0.0.1 db\n10.0.0.2 web\n# END\n"
	if got := readFile(t, hosts); got != want {
		t.Fatalf("hosts = %q, want %q", got, want)
	}
	if _, err := os.Stat(hosts + ".bak"); err == nil {
		t.Fatal("backup: False still made a backup")
	}
	dry := statetest.Call(t, "file.blockreplace", hosts, map[string]any{"marker_start": "# BEGIN", "marker_end": "# END", "content": "other"}, true)
	if dry.Result != nil || readFile(t, hosts) != want {
		t.Fatalf("dry run: %v %s", dry.Result, dry.Comment)
	}
	// Default backup is Salt's ".bak".
	res = statetest.Call(t, "file.blockreplace", hosts, map[string]any{"marker_start": "# BEGIN", "marker_end": "# END", "content": "other"}, false)
	if res.Result == nil || !*res.Result || readFile(t, hosts+".bak") != want {
		t.Fatalf("change with backup: %v %s", res.Changes, res.Comment)
	}
	missing := statetest.Call(t, "file.blockreplace", filepath.Join(dir, "nope"), map[string]any{"content": "x"}, false)
	if missing.Result == nil || *missing.Result {
		t.Fatal("a missing file did not fail")
	}
}
