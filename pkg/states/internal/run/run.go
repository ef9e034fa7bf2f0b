// Package run is the state modules' view of the minion's one command
// runner, the cmd execution module's (pkg/modules/cmd.Run: process groups,
// runas, output to unlinked files so a daemon an init script starts cannot
// hold a run up, capped output): user commands (cmd.run) and the system
// tools the states drive (apt-get, useradd, crontab, service scripts).
package run

import (
	"context"
	"errors"
	"fmt"
	modcmd "github.com/halite/halite/pkg/modules/cmd"
	"strings"
	"time"
)

// MaxOutput bounds how much of each stream is kept; the rest is dropped
// with a marker, so a chatty command cannot blow up a state return.
const MaxOutput = 1 << 20

// Cmd describes one command.
type Cmd struct {
	// Path and Args run a program directly (no shell).
	Path string
	Args []string
	// Script, when set, runs through Shell -c Script instead.
	Script string
	Shell  string // default /bin/sh
	// Dir is the working directory; empty means the runas user's home
	// (Salt's default), or / when that does not exist.
	Dir string
	// Env entries (KEY=VALUE) are added to the inherited environment.
	Env []string
	// User runs the command as another account (we are root).
	User string
	// Timeout kills the command's whole process group when exceeded.
	Timeout time.Duration
	// Stdin is fed to the command.
	Stdin []byte
	// CLocale forces LC_ALL=C so tool output is parseable.
	CLocale bool
}

// Result is what happened.
type Result struct {
	PID      int
	Retcode  int
	Stdout   string
	Stderr   string
	TimedOut bool
}

// ErrTimeout is wrapped in the error of a command killed for its timeout.
var ErrTimeout = errors.New("command timed out")

// Run runs c and waits for it. A non-zero exit is not an error (it is in
// Result.Retcode); the error is for a command that could not start, was
// cancelled, or timed out.
func Run(ctx context.Context, c Cmd) (Result, error) {
	// One command runner for the whole minion: the cmd execution module's
	// (process group, runas, output caps). This adapts the states' view.
	o := modcmd.Options{Command: c.Script, Shell: c.Shell, Cwd: c.Dir, Runas: c.User, Timeout: c.Timeout, MaxOutput: MaxOutput}
	switch {
	case c.Script != "":
	case c.Path != "":
		o.Argv = append([]string{c.Path}, c.Args...)
	default:
		return Result{}, errors.New("run: empty command")
	}
	if len(c.Env) > 0 || c.CLocale {
		o.Env = map[string]string{}
		for _, kv := range c.Env {
			k, v, _ := strings.Cut(kv, "=")
			o.Env[k] = v
		}
		if c.CLocale {
			o.Env["LC_ALL"], o.Env["LANG"] = "C", "C"
		}
	}
	if c.Stdin != nil {
		o.Stdin = string(c.Stdin)
	}
	r, err := modcmd.Run(ctx, o)
	res := Result{PID: r.Pid, Retcode: r.Retcode, Stdout: strings.TrimRight(r.Stdout, "\n"), Stderr: strings.TrimRight(r.Stderr, "\n"), TimedOut: r.TimedOut}
	if err != nil {
		return res, err
	}
	if r.TimedOut {
		return res, fmt.Errorf("%w after %s", ErrTimeout, c.Timeout)
	}
	return res, nil
}

// Tool runs a system tool with LC_ALL=C and returns its result; a non-zero
// exit becomes an error carrying the tool's stderr (or stdout).
func Tool(ctx context.Context, path string, args ...string) (Result, error) {
	r, err := Run(ctx, Cmd{Path: path, Args: args, CLocale: true, Dir: "/"})
	if err != nil {
		return r, err
	}
	if r.Retcode != 0 {
		return r, &ExitError{Cmd: path + " " + strings.Join(args, " "), Result: r}
	}
	return r, nil
}

// ExitError is a tool that ran and failed.
type ExitError struct {
	Cmd    string
	Result Result
}

func (e *ExitError) Error() string {
	msg := strings.TrimSpace(e.Result.Stderr)
	if msg == "" {
		msg = strings.TrimSpace(e.Result.Stdout)
	}
	if i := strings.LastIndex(msg, "\n"); len(msg) > 2000 && i > 0 {
		msg = "..." + msg[len(msg)-2000:]
	}
	return fmt.Sprintf("%s: exit status %d: %s", e.Cmd, e.Result.Retcode, msg)
}
