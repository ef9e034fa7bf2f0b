// Package run executes commands for state modules: user commands (cmd.run)
// and the system tools the states drive (apt-get, useradd, crontab,
// service scripts).
//
// Output goes to unlinked temporary files rather than pipes. A command that
// starts a daemon (an init script) leaves the daemon holding whatever the
// script's stdout was; with a pipe, waiting for EOF would hang until the
// daemon exits. With a file, Run returns as soon as the command itself exits.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
	"syscall"
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
	var argv []string
	switch {
	case c.Script != "":
		sh := c.Shell
		if sh == "" {
			sh = "/bin/sh"
		}
		argv = []string{sh, "-c", c.Script}
	case c.Path != "":
		argv = append([]string{c.Path}, c.Args...)
	default:
		return Result{}, errors.New("run: empty command")
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Kill the whole group: a shell's children must not outlive it.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = 2 * time.Second

	env := os.Environ()
	home := ""
	if c.User != "" {
		u, err := user.Lookup(c.User)
		if err != nil {
			return Result{}, fmt.Errorf("runas user %s: %w", c.User, err)
		}
		cred, err := credential(u)
		if err != nil {
			return Result{}, err
		}
		cmd.SysProcAttr.Credential = cred
		home = u.HomeDir
		env = setEnv(env, "HOME="+u.HomeDir, "USER="+u.Username, "LOGNAME="+u.Username)
	} else if h, err := os.UserHomeDir(); err == nil {
		home = h
	}
	if c.CLocale {
		env = setEnv(env, "LC_ALL=C", "LANG=C")
	}
	cmd.Env = setEnv(env, c.Env...)
	cmd.Dir = c.Dir
	if cmd.Dir == "" {
		cmd.Dir = "/"
		if fi, err := os.Stat(home); err == nil && fi.IsDir() && home != "" {
			cmd.Dir = home
		}
	}
	if c.Stdin != nil {
		cmd.Stdin = strings.NewReader(string(c.Stdin))
	}
	stdout, err := tempFile()
	if err != nil {
		return Result{}, err
	}
	defer stdout.Close()
	stderr, err := tempFile()
	if err != nil {
		return Result{}, err
	}
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr

	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	res := Result{PID: cmd.Process.Pid}
	werr := cmd.Wait()
	res.Stdout = readBack(stdout)
	res.Stderr = readBack(stderr)
	res.Retcode = exitCode(cmd.ProcessState)
	if ctxErr := ctx.Err(); ctxErr != nil && werr != nil {
		if errors.Is(ctxErr, context.DeadlineExceeded) && c.Timeout > 0 {
			res.TimedOut = true
			return res, fmt.Errorf("%w after %s", ErrTimeout, c.Timeout)
		}
		return res, ctxErr
	}
	var ee *exec.ExitError
	if werr != nil && !errors.As(werr, &ee) && !errors.Is(werr, exec.ErrWaitDelay) {
		return res, fmt.Errorf("wait %s: %w", argv[0], werr)
	}
	return res, nil
}

// exitCode follows the shell convention: 128+signal for a killed process.
func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func credential(u *user.User) (*syscall.Credential, error) {
	uid, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("runas user %s: bad uid %q", u.Username, u.Uid)
	}
	gid, err := strconv.ParseUint(u.Gid, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("runas user %s: bad gid %q", u.Username, u.Gid)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if g, err := strconv.ParseUint(s, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(g))
			}
		}
	}
	return cred, nil
}

// setEnv returns env with each KEY=VALUE of kv replacing an earlier entry
// for the same KEY.
func setEnv(env []string, kv ...string) []string {
	out := make([]string, 0, len(env)+len(kv))
	idx := map[string]int{}
	for _, e := range append(append([]string(nil), env...), kv...) {
		k, _, _ := strings.Cut(e, "=")
		if i, ok := idx[k]; ok {
			out[i] = e
			continue
		}
		idx[k] = len(out)
		out = append(out, e)
	}
	return out
}

func tempFile() (*os.File, error) {
	f, err := os.CreateTemp("", "halite-run-*")
	if err != nil {
		return nil, fmt.Errorf("output file: %w", err)
	}
	// Unlinked at once: nothing to clean up whatever happens next.
	os.Remove(f.Name())
	return f, nil
}

func readBack(f *os.File) string {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return ""
	}
	b, _ := io.ReadAll(io.LimitReader(f, MaxOutput+1))
	s := string(b)
	if len(b) > MaxOutput {
		s = s[:MaxOutput] + "\n[output truncated]"
	}
	return strings.TrimRight(s, "\n")
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
