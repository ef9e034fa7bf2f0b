// Package cond evaluates Salt's run conditions, onlyif, unless and creates,
// which decide whether a state does anything at all.
package cond

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/states/internal/run"
)

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
// not be run at all (a missing cwd, an unknown runas user): the state fails.
func (c Conditions) Skip(ctx context.Context) (skip bool, comment string, err error) {
	// Salt: run only if every onlyif command succeeds.
	for _, cmd := range c.OnlyIf {
		rc, err := c.run(ctx, cmd)
		if err != nil {
			return false, "", fmt.Errorf("onlyif %q: %w", cmd, err)
		}
		if rc != 0 {
			return true, "onlyif condition is false", nil
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
			return true, "unless condition is true", nil
		}
	}
	if len(c.Creates) > 0 {
		all := true
		for _, p := range c.Creates {
			if _, err := os.Stat(p); err != nil {
				all = false
				break
			}
		}
		if all {
			return true, "All files in creates exist", nil
		}
	}
	return false, "", nil
}

func (c Conditions) run(ctx context.Context, script string) (int, error) {
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
