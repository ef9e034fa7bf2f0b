package cond

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/state"
)

func TestParseFileTest(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   fileTest
		ok     bool
	}{
		{"test -f /srv/x", fileTest{op: "-f", path: "/srv/x"}, true},
		{"  test   -d   /srv/x  ", fileTest{op: "-d", path: "/srv/x"}, true},
		{"test ! -e /srv/x", fileTest{negate: true, op: "-e", path: "/srv/x"}, true},
		{"[ -L /srv/x ]", fileTest{op: "-L", path: "/srv/x"}, true},
		{"[ ! -s '/srv/x y' ]", fileTest{}, false}, // a quoted path with a space is split by Fields
		{"[ -h '/srv/x' ]", fileTest{op: "-h", path: "/srv/x"}, true},
		{`test -e "/srv/x"`, fileTest{op: "-e", path: "/srv/x"}, true},
		{"test -x /srv/x", fileTest{}, false},             // permissions: not judged
		{"test -f /srv/x && true", fileTest{}, false},     // shell syntax
		{"test -f /srv/x; true", fileTest{}, false},       // shell syntax
		{"test -f $HOME/x", fileTest{}, false},            // expansion
		{"test -f /srv/*", fileTest{}, false},             // glob
		{"test -f /srv/[ab]", fileTest{}, false},          // glob
		{"test -f '/srv/x", fileTest{}, false},            // unbalanced quote
		{"[ -f /srv/x", fileTest{}, false},                // no closing bracket
		{"test -f", fileTest{}, false},                    // no path
		{"test -f /a /b", fileTest{}, false},              // too many words
		{"test ! ! -f /a", fileTest{}, false},             // double negation
		{"/usr/bin/test -f /a", fileTest{}, false},        // only the plain name
		{"grep -q x /srv/x", fileTest{}, false},           // another command
		{"test -f /srv/x\ntest -d /y", fileTest{}, false}, // two commands
		{"", fileTest{}, false},
	} {
		got, ok := parseFileTest(tc.script)
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseFileTest(%q) = %+v, %v; want %+v, %v", tc.script, got, ok, tc.want, tc.ok)
		}
	}
}

// The conditions of a dry run see what earlier states would do; a real
// run's (Pending nil) see the disk.
func TestSkipWithPredictions(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "conf")
	pending := &state.PendingPaths{}
	pending.Record("config", state.PathPrediction{Path: conf, Kind: state.PathFile, Content: []byte("x"), HasContent: true, UID: -1, GID: -1})
	for _, tc := range []struct {
		name    string
		c       Conditions
		skip    bool
		comment string
		err     error
	}{
		{"real run sees the disk", Conditions{Unless: []string{"test -f " + conf}}, false, "", nil},
		{"dry run sees the prediction", Conditions{Unless: []string{"test -f " + conf}, Pending: pending}, true,
			"unless condition is true (as state 'config' would leave " + conf + " earlier in this run)", nil},
		{"onlyif on a prediction", Conditions{OnlyIf: []string{"test ! -s " + conf}, Pending: pending}, true,
			"onlyif condition is false (as state 'config' would leave " + conf + " earlier in this run)", nil},
		{"creates", Conditions{Creates: []string{conf, dir}, Pending: pending}, true,
			"All files in creates exist (as state 'config' would leave " + conf + " earlier in this run)", nil},
		{"creates, real run", Conditions{Creates: []string{conf, dir}}, false, "", nil},
		{"a command that cannot be judged", Conditions{Unless: []string{"grep -q x " + conf}, Pending: pending}, false, "", ErrUndecided},
		{"unrelated commands still run", Conditions{OnlyIf: []string{"false"}, Pending: pending}, true, "onlyif condition is false", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			skip, comment, err := tc.c.Skip(context.Background())
			if !errors.Is(err, tc.err) || (tc.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.err)
			}
			if skip != tc.skip || comment != tc.comment {
				t.Fatalf("Skip = %v %q, want %v %q", skip, comment, tc.skip, tc.comment)
			}
		})
	}
}

// FuzzParseFileTest: whatever the text, the parser never panics, and what
// it accepts is a single file test with no shell syntax that it parses
// back the same way when written out again.
func FuzzParseFileTest(f *testing.F) {
	for _, s := range []string{
		"test -f /srv/x", "[ ! -d '/srv/x' ]", `test -e "/a b"`, "test -f /a && rm -rf /",
		"[ -L /x ] ]", "test ! ! -e /x", "test -s", "[ ]", "test", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, script string) {
		ft, ok := parseFileTest(script)
		if !ok {
			return
		}
		if strings.ContainsAny(script, ";&|<>$`(){}*?\\\n") {
			t.Fatalf("accepted shell syntax: %q", script)
		}
		switch ft.op {
		case "-e", "-f", "-d", "-h", "-L", "-s":
		default:
			t.Fatalf("accepted op %q in %q", ft.op, script)
		}
		if ft.path == "" || strings.ContainsAny(ft.path, "'\"[ \t") {
			t.Fatalf("accepted path %q in %q", ft.path, script)
		}
		again := "test "
		if ft.negate {
			again += "! "
		}
		again += ft.op + " " + ft.path
		if back, ok := parseFileTest(again); !ok || back != ft {
			t.Fatalf("%q parsed as %+v, written out as %q parsed as %+v, %v", script, ft, again, back, ok)
		}
	})
}
