package state

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// FuzzCompileSLS feeds arbitrary text as an SLS file (which includes a
// second, fixed one) through the whole compiler and, when it compiles,
// through the planner and the outputter. Nothing may panic, and every
// failure must be a *CompileError.
func FuzzCompileSLS(f *testing.F) {
	for _, seed := range []string{
		"a:\n  t.succeed: []\n",
		"a: t.succeed\n",
		"include:\n  - lib\nextend:\n  lib_a:\n    t:\n      - mode: 1\na:\n  t.succeed:\n    - require:\n      - t: lib_a\n",
		"a:\n  t.succeed:\n    - names:\n      - x\n      - y: [{m: 1}]\n    - order: last\n",
		"a:\n  t.succeed:\n    - require_in:\n      - sls: lib\n    - use:\n      - lib_a\n",
		"a:\n  t.succeed:\n    - prereq:\n      - t: b\nb:\n  t.changes:\n    - watch:\n      - a\n",
		"x: &anchor\n  t.succeed: [*anchor]\n",
		"a:\n  t.succeed:\n    - require:\n      - t: '*[*'\n",
		"exclude:\n  - sls: lib\n  - id: a\n",
		"a:\n  t.succeed:\n    - order: -5\n    - failhard: true\n",
		"a:\n  t.service:\n    - listen:\n      - t: b\nb:\n  t.changes:\n    - listen_in:\n      - lib_a\n",
		"a:\n  t.succeed:\n    - onfail_any:\n      - lib_b\n    - require_any:\n      - sls: lib\n",
		"- list\n",
		"80:\n  t.succeed: []\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	lib := lines("lib_a:", "  t.succeed: []", "lib_b:", "  t.fail:", "    - onfail:", "      - lib_a")
	f.Fuzz(func(t *testing.T, sls []byte) {
		c := &Compiler{Source: memSource{"f.sls": string(sls), "lib.sls": lib}}
		chunks, err := c.ShowLowSLS(context.Background(), "", []string{"f"})
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) || len(ce.Errs) == 0 {
				t.Fatalf("error is not a CompileError: %T %v", err, err)
			}
			return
		}
		if _, err := c.ShowSLS(context.Background(), "", []string{"f"}); err != nil {
			t.Fatalf("ShowLowSLS compiled but ShowSLS failed: %v", err)
		}
		for i := range chunks {
			_ = chunks[i].Low()
		}
		// Run in test mode: t.* run; a function that does not exist
		// fails its state (checked below).
		ret, err := Run(context.Background(), chunks, RunOptions{Test: true})
		if err != nil {
			t.Fatalf("compiled chunks failed to plan: %v", err)
		}
		var buf bytes.Buffer
		if err := FormatHighstate(&buf, "m", ret, DefaultOutputOptions(true)); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzParseTop feeds arbitrary text as a top file.
func FuzzParseTop(f *testing.F) {
	for _, seed := range []string{
		"base:\n  '*':\n    - core\n",
		"base:\n  'os:Debian':\n    - match: grain\n    - a\n    - b\ndev:\n  x: y\n",
		"base:\n  - a\n",
		"include:\n  - other\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, top []byte) {
		targets, err := parseTop(top, "top.sls")
		if err != nil {
			if !errors.Is(err, ErrBadDeclaration) && !errors.Is(err, ErrRender) {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		for _, tt := range targets {
			if tt.env == "" || !contains(matchTypes, tt.match) {
				t.Fatalf("bad target %+v", tt)
			}
		}
	})
}
