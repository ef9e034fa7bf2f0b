// Package cond evaluates Salt's run conditions, onlyif, unless and creates,
// which decide whether a state does anything at all.
package cond

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/states/internal/run"
)

// ErrUndecided is wrapped by Skip's error when, in a dry run, a condition
// depends on a path that an earlier state would create, change or remove,
// and so cannot be judged before the run. The state should predict
// nothing rather than fail.
var ErrUndecided = errors.New("condition cannot be judged before the run")

// Conditions are the parsed onlyif, unless and creates arguments.
type Conditions struct {
	OnlyIf  []string
	Unless  []string
	Creates []string
	// How condition commands run: the state's own cwd, runas, shell, env.
	Dir   string
	User  string
	Shell string
	Env   []string
	// Timeout bounds each condition command (default one minute).
	Timeout time.Duration
	// Pending is, in a dry run, what earlier states predicted for paths
	// (state.Request.Pending). creates is judged against it, and so is an
	// onlyif or unless that is a plain file test (`test -f PATH`,
	// `[ -d PATH ]`) of such a path. Nil in a real run.
	Pending *state.PendingPaths
}

// Parse reads onlyif, unless and creates from a.
func Parse(a *args.Args) Conditions {
	var c Conditions
	c.OnlyIf, _ = a.Strings("onlyif")
	c.Unless, _ = a.Strings("unless")
	c.Creates, _ = a.Strings("creates")
	return c
}

// Skip reports whether the conditions say the state must not run, and the
// comment Salt gives in that case. An error means a condition command could
// not be run at all (a missing cwd, an unknown runas user): the state fails;
// or, wrapping ErrUndecided, that a dry run cannot know the answer.
func (c Conditions) Skip(ctx context.Context) (skip bool, comment string, err error) {
	// Salt: run only if every onlyif command succeeds.
	for _, cmd := range c.OnlyIf {
		rc, err := c.run(ctx, cmd)
		if err != nil {
			return false, "", fmt.Errorf("onlyif %q: %w", cmd, err)
		}
		if rc != 0 {
			return true, "onlyif condition is false" + c.judgedFrom(c.Pending.MentionedIn(cmd)), nil
		}
	}
	// Salt: skip only if every unless command succeeds.
	if len(c.Unless) > 0 {
		all := true
		for _, cmd := range c.Unless {
			rc, err := c.run(ctx, cmd)
			if err != nil {
				return false, "", fmt.Errorf("unless %q: %w", cmd, err)
			}
			if rc != 0 {
				all = false
				break
			}
		}
		if all {
			var paths []string
			for _, cmd := range c.Unless {
				paths = append(paths, c.Pending.MentionedIn(cmd)...)
			}
			return true, "unless condition is true" + c.judgedFrom(paths), nil
		}
	}
	if len(c.Creates) > 0 {
		all := true
		for _, p := range c.Creates {
			if _, err := c.stat(p, true); err != nil {
				all = false
				break
			}
		}
		if all {
			var paths []string
			for _, p := range c.Creates {
				if _, _, ok := c.Pending.Resolve(p); ok {
					paths = append(paths, p)
				}
			}
			return true, "All files in creates exist" + c.judgedFrom(paths), nil
		}
	}
	return false, "", nil
}

// judgedFrom notes, in a dry run, that a condition was judged from what an
// earlier state would do to paths rather than from the disk.
func (c Conditions) judgedFrom(paths []string) string {
	if len(paths) == 0 {
		return ""
	}
	_, pp, _ := c.Pending.Resolve(paths[0])
	return fmt.Sprintf(" (as state '%s' would leave %s earlier in this run)", pp.By, paths[0])
}

// run runs a condition command and returns its exit status. In a dry run,
// a command that mentions a path with a prediction is not run against the
// disk, which does not show that prediction: a plain file test is answered
// from it, anything else is undecided.
func (c Conditions) run(ctx context.Context, script string) (int, error) {
	if paths := c.Pending.MentionedIn(script); len(paths) > 0 {
		t, ok := parseFileTest(script)
		if !ok || !filepath.IsAbs(t.path) {
			pp, _ := c.Pending.Lookup(paths[0])
			return 0, fmt.Errorf("%w: it mentions %s, which state '%s' would change earlier in this run",
				ErrUndecided, paths[0], pp.By)
		}
		return t.eval(c)
	}
	t := c.Timeout
	if t == 0 {
		t = time.Minute
	}
	r, err := run.Run(ctx, run.Cmd{Script: script, Shell: c.Shell, Dir: c.Dir, User: c.User, Env: c.Env, Timeout: t})
	if err != nil {
		return 0, err
	}
	return r.Retcode, nil
}

// stat is os.Stat (follow) or os.Lstat as the dry run predicts path.
func (c Conditions) stat(path string, follow bool) (fs.FileMode, error) {
	pp, ok := c.Pending.Lookup(path)
	if follow {
		path, pp, ok = c.Pending.Resolve(path)
	}
	if ok && pp.Kind == state.PathAbsent {
		return 0, fs.ErrNotExist
	}
	if ok && (pp.Kind != state.PathSymlink || !follow) {
		switch pp.Kind {
		case state.PathDir:
			return fs.ModeDir | pp.Mode, nil
		case state.PathSymlink:
			return fs.ModeSymlink | pp.Mode, nil
		}
		return pp.Mode, nil
	}
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	fi, err := stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Mode(), nil
}

// fileTest is a condition that is one test(1) of a file.
type fileTest struct {
	negate bool
	op     string // -e -f -d -h -L -s
	path   string
}

// parseFileTest recognises `test [!] OP PATH` and `[ [!] OP PATH ]` with
// the path bare or in quotes, and nothing else: no other commands, no
// shell syntax.
func parseFileTest(script string) (fileTest, bool) {
	if strings.ContainsAny(script, ";&|<>$`(){}*?\\\n") {
		return fileTest{}, false
	}
	words := strings.Fields(script)
	switch {
	case len(words) > 0 && words[0] == "test":
		words = words[1:]
	case len(words) > 1 && words[0] == "[" && words[len(words)-1] == "]":
		words = words[1 : len(words)-1]
	default:
		return fileTest{}, false
	}
	var t fileTest
	if len(words) == 3 && words[0] == "!" {
		t.negate, words = true, words[1:]
	}
	if len(words) != 2 {
		return fileTest{}, false
	}
	switch words[0] {
	case "-e", "-f", "-d", "-h", "-L", "-s":
		t.op = words[0]
	default:
		return fileTest{}, false
	}
	p := words[1]
	if n := len(p); n >= 2 && (p[0] == '\'' || p[0] == '"') && p[n-1] == p[0] {
		p = p[1 : n-1]
	}
	if p == "" || strings.ContainsAny(p, "'\"[") {
		return fileTest{}, false
	}
	t.path = p
	return t, true
}

// eval answers the test as test(1) would once the earlier states ran: exit
// status 0 when it holds, 1 when not.
func (t fileTest) eval(c Conditions) (int, error) {
	mode, err := c.stat(t.path, t.op != "-h" && t.op != "-L")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return 0, err
	}
	exists := err == nil
	var holds bool
	switch t.op {
	case "-e":
		holds = exists
	case "-f":
		holds = exists && mode.IsRegular()
	case "-d":
		holds = exists && mode.IsDir()
	case "-h", "-L":
		holds = exists && mode&fs.ModeSymlink != 0
	case "-s":
		if exists {
			size, known := c.size(t.path)
			if !known {
				return 0, fmt.Errorf("%w: the size of %s is not known before the run", ErrUndecided, t.path)
			}
			holds = size > 0
		}
	}
	if holds != t.negate {
		return 0, nil
	}
	return 1, nil
}

// size is a file's size as the dry run predicts it.
func (c Conditions) size(path string) (int64, bool) {
	resolved, pp, ok := c.Pending.Resolve(path)
	switch {
	case ok && pp.Kind == state.PathDir:
		return 4096, true // what a new directory's size is on Linux file systems
	case ok && pp.Kind == state.PathFile:
		return int64(len(pp.Content)), pp.HasContent
	}
	fi, err := os.Stat(resolved)
	if err != nil {
		return 0, false
	}
	return fi.Size(), true
}
