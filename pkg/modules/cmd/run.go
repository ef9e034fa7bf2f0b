package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultShell runs command lines when Options.Shell is empty.
const DefaultShell = "/bin/sh"

// DefaultMaxOutput caps each captured stream. A job's whole return must fit
// in one codec frame (codec.MaxMessageSize, 16 MiB), and run_all returns
// both streams, so each gets a quarter of it.
const DefaultMaxOutput = 4 << 20

// pipeGrace bounds how long Wait copies stdin after the command exited
// (output goes to files, so nothing else can hold Wait up).
const pipeGrace = time.Second

// Sentinel errors callers may branch on.
var (
	// ErrNotRoot is returned when runas asks for another user but this
	// process cannot change identity.
	ErrNotRoot = errors.New("runas requires root")
	// ErrNoCommand is returned for an empty command.
	ErrNoCommand = errors.New("no command given")
)

// Options describe one command to run. The zero value of every field is a
// sensible default, so Options{Command: "uptime"} is complete.
type Options struct {
	// Command is a command line, run with Shell -c unless NoShell is set,
	// in which case it is split with SplitArgs and run directly.
	Command string
	// Argv, when non-empty, is run directly and Command is ignored.
	Argv    []string
	NoShell bool
	// Shell defaults to DefaultShell.
	Shell string
	// Cwd defaults to the home directory of the user the command runs as
	// (Salt's default), or / when that does not exist.
	Cwd string
	// Env is added to (or, with CleanEnv, replaces) this process's
	// environment.
	Env      map[string]string
	CleanEnv bool
	// PrependPath is put in front of PATH.
	PrependPath string
	// Runas is a user name or uid; Group overrides its primary group.
	Runas string
	Group string
	// Stdin is fed to the command; it gets /dev/null otherwise.
	Stdin string
	// Timeout kills the whole process group after this long (0: none).
	Timeout time.Duration
	// CombineOutput sends stderr into the stdout capture, interleaved as
	// written (what cmd.run returns).
	CombineOutput bool
	// MaxOutput caps each captured stream; DefaultMaxOutput when 0.
	MaxOutput int
}

// Result is what a command did.
type Result struct {
	Stdout string
	Stderr string
	// Retcode is the exit status; 128+N when killed by signal N (shell
	// convention); 1 when the timeout killed it (Salt's convention).
	Retcode  int
	Pid      int
	TimedOut bool
	// Truncated is true when output beyond MaxOutput was dropped; a note
	// saying how much is appended to the stream that overflowed.
	Truncated bool
}

// Run runs one command, waits for it and returns its output and status. A
// non-zero exit is not an error: it is in Result.Retcode. Errors are for a
// command that could not start (missing shell or binary, bad cwd, unknown
// user) and for ctx ending, in which case the whole process group has been
// killed and the partial Result is still returned.
func Run(ctx context.Context, o Options) (Result, error) {
	runCtx, cancel := ctx, context.CancelFunc(func() {})
	if o.Timeout > 0 {
		runCtx, cancel = context.WithTimeout(ctx, o.Timeout)
	}
	defer cancel()
	c, err := prepare(runCtx, o)
	if err != nil {
		return Result{}, err
	}
	limit := o.MaxOutput
	if limit <= 0 {
		limit = DefaultMaxOutput
	}
	// Output goes to unlinked temporary files, not pipes: a command that
	// starts a daemon (an init script) leaves the daemon holding its
	// stdout, and a pipe would make Run wait for that daemon to exit. With
	// a file, Run returns as soon as the command itself has.
	outF, err := tempOutput()
	if err != nil {
		return Result{}, err
	}
	defer outF.Close()
	errF := outF
	if !o.CombineOutput {
		if errF, err = tempOutput(); err != nil {
			return Result{}, err
		}
		defer errF.Close()
	}
	c.Stdout, c.Stderr = outF, errF
	// Kill the process group (the shell and everything it started), not
	// just the shell, when the context ends.
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = pipeGrace

	if err := c.Start(); err != nil {
		return Result{}, fmt.Errorf("start %s: %w", describeCmd(c.Args), err)
	}
	res := Result{Pid: c.Process.Pid}
	waitErr := c.Wait()
	stdout := readCapped(outF, limit)
	stderr := stdout
	if !o.CombineOutput {
		stderr = readCapped(errF, limit)
	}

	timedOut := o.Timeout > 0 && errors.Is(runCtx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	if timedOut || ctx.Err() != nil {
		// The leader may have exited on its own just before the deadline
		// while its children live on; killing an empty group is harmless.
		_ = syscall.Kill(-res.Pid, syscall.SIGKILL)
	}
	if timedOut {
		res.TimedOut = true
		res.Retcode = 1
		stderr.note(fmt.Sprintf("Timed out after %s; process group killed", o.Timeout))
	} else {
		res.Retcode = exitStatus(c.ProcessState)
	}
	res.Stdout = stdout.String()
	if !o.CombineOutput {
		res.Stderr = stderr.String()
	}
	res.Truncated = stdout.dropped > 0 || stderr.dropped > 0
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("%s: %w", describeCmd(c.Args), err)
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !timedOut && !errors.As(waitErr, &exitErr) && !errors.Is(waitErr, exec.ErrWaitDelay) {
		return res, fmt.Errorf("wait for %s: %w", describeCmd(c.Args), waitErr)
	}
	return res, nil
}

// prepare resolves everything that can fail before the process starts.
func prepare(ctx context.Context, o Options) (*exec.Cmd, error) {
	argv := o.Argv
	if len(argv) == 0 {
		if strings.TrimSpace(o.Command) == "" {
			return nil, ErrNoCommand
		}
		if o.NoShell {
			words, err := SplitArgs(o.Command)
			if err != nil {
				return nil, fmt.Errorf("split command: %w", err)
			}
			if len(words) == 0 {
				return nil, ErrNoCommand
			}
			argv = words
		} else {
			shell := o.Shell
			if shell == "" {
				shell = DefaultShell
			}
			argv = []string{shell, "-c", o.Command}
		}
	}

	env := map[string]string{}
	if !o.CleanEnv {
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
	}

	attr := &syscall.SysProcAttr{Setpgid: true}
	home := ""
	if u, _ := user.Current(); u != nil {
		home = u.HomeDir
	}
	if o.Runas != "" {
		cred, u, err := credential(o.Runas, o.Group)
		if err != nil {
			return nil, err
		}
		attr.Credential = cred
		home = u.HomeDir
		env["HOME"], env["USER"], env["LOGNAME"] = u.HomeDir, u.Username, u.Username
	} else if o.Group != "" {
		return nil, fmt.Errorf("group %q given without runas", o.Group)
	}
	for k, v := range o.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.Contains(v, "\x00") {
			return nil, fmt.Errorf("invalid environment variable %q", k)
		}
		env[k] = v
	}
	if o.PrependPath != "" {
		if p := env["PATH"]; p != "" {
			env["PATH"] = o.PrependPath + ":" + p
		} else {
			env["PATH"] = o.PrependPath
		}
	}

	path := argv[0]
	if !strings.Contains(path, "/") {
		// Resolve with the command's PATH, not ours.
		lp, err := lookPath(path, env["PATH"])
		if err != nil {
			return nil, err
		}
		path = lp
	}

	dir := o.Cwd
	if dir == "" {
		dir = "/"
		if fi, err := os.Stat(home); home != "" && err == nil && fi.IsDir() {
			dir = home
		}
	} else if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("cwd: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("cwd %s is not a directory", dir)
	}

	c := exec.CommandContext(ctx, path)
	c.Args, c.Dir, c.SysProcAttr = argv, dir, attr
	c.Env = make([]string, 0, len(env)) // non-nil: nil would mean "inherit ours"
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c.Env = append(c.Env, k+"="+env[k])
	}
	if o.Stdin != "" {
		c.Stdin = strings.NewReader(o.Stdin)
	}
	return c, nil
}

func lookPath(file, pathEnv string) (string, error) {
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		p := dir + "/" + file
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: %w", file, exec.ErrNotFound)
}

// credential looks up the user (and group) a command should run as.
func credential(runas, group string) (*syscall.Credential, *user.User, error) {
	u, err := lookupUser(runas)
	if err != nil {
		return nil, nil, err
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, nil, fmt.Errorf("runas %s: non-numeric uid/gid %s/%s", runas, u.Uid, u.Gid)
	}
	if os.Geteuid() != 0 && uint64(os.Geteuid()) != uid {
		return nil, nil, fmt.Errorf("runas %s: %w", runas, ErrNotRoot)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			if g, err = user.LookupGroupId(group); err != nil {
				return nil, nil, fmt.Errorf("group %s: %w", group, err)
			}
		}
		n, err := strconv.ParseUint(g.Gid, 10, 32)
		if err != nil {
			return nil, nil, fmt.Errorf("group %s: non-numeric gid %s", group, g.Gid)
		}
		cred.Gid = uint32(n)
	}
	if ids, err := u.GroupIds(); err == nil {
		for _, s := range ids {
			if n, err := strconv.ParseUint(s, 10, 32); err == nil {
				cred.Groups = append(cred.Groups, uint32(n))
			}
		}
	}
	if os.Geteuid() != 0 {
		cred = nil // same user: nothing to change, and setgroups would fail
	}
	return cred, u, nil
}

func lookupUser(name string) (*user.User, error) {
	u, err := user.Lookup(name)
	if err == nil {
		return u, nil
	}
	if _, convErr := strconv.Atoi(name); convErr == nil {
		if u, err2 := user.LookupId(name); err2 == nil {
			return u, nil
		}
	}
	return nil, fmt.Errorf("runas: %w", err)
}

func exitStatus(ps *os.ProcessState) int {
	if ps == nil {
		return 1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

func describeCmd(argv []string) string {
	s := strings.Join(argv, " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return strconv.Quote(s)
}

// tempOutput is an unlinked temporary file for a command's output.
func tempOutput() (*os.File, error) {
	f, err := os.CreateTemp("", "halite-cmd-*")
	if err != nil {
		return nil, fmt.Errorf("output file: %w", err)
	}
	_ = os.Remove(f.Name()) // nothing to clean up, whatever happens next
	return f, nil
}

// readCapped reads back what a command wrote to f, keeping the first limit
// bytes and counting the rest.
func readCapped(f *os.File, limit int) *capBuffer {
	b := &capBuffer{limit: limit}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		b.note("[halite: output could not be read back: " + err.Error() + "]")
		return b
	}
	_, _ = io.Copy(b, f)
	return b
}

// capBuffer keeps the first limit bytes written to it and counts the rest,
// so a runaway command cannot exhaust the minion's memory while its pipe
// keeps draining (a blocked pipe would hang the command).
type capBuffer struct {
	buf     []byte
	limit   int
	dropped int64
	notes   []string
}

func (b *capBuffer) Write(p []byte) (int, error) {
	room := b.limit - len(b.buf)
	if room >= len(p) {
		b.buf = append(b.buf, p...)
	} else {
		if room > 0 {
			b.buf = append(b.buf, p[:room]...)
		}
		b.dropped += int64(len(p) - max(room, 0))
	}
	return len(p), nil
}

func (b *capBuffer) note(s string) { b.notes = append(b.notes, s) }

// String returns the captured output, followed by notes about truncation
// and timeouts on lines of their own.
func (b *capBuffer) String() string {
	s := string(b.buf)
	notes := b.notes
	if b.dropped > 0 {
		notes = append([]string{fmt.Sprintf("[halite: output truncated, %d bytes dropped]", b.dropped)}, notes...)
	}
	for _, n := range notes {
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		s += n
	}
	return s
}
