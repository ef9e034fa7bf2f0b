// Package cmd runs commands on the minion: the cmd.* execution functions
// (cmd.run, cmd.run_all, cmd.script ...) and Run, the runner the state
// system and the pkg and service backends share, so that every command
// Halite starts gets the same cwd/env/runas/timeout handling, the same
// process-group kill on cancellation and the same output cap.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/halite/halite/pkg/modules"
)

// What a cmd.* function returns, from the one Result it gets.
type returnKind int

const (
	retCombined returnKind = iota // cmd.run: stdout and stderr interleaved
	retAll                        // cmd.run_all: {pid, retcode, stdout, stderr}
	retCode                       // cmd.retcode: the exit status
	retStdout                     // cmd.run_stdout
	retStderr                     // cmd.run_stderr
)

// runKwargs are the keyword arguments every cmd.* function accepts, after
// its positional ones.
var runKwargs = []string{
	"cwd", "stdin", "runas", "group", "shell", "python_shell", "env",
	"clean_env", "rstrip", "output_loglevel", "hide_output", "timeout",
	"ignore_retcode", "saltenv", "prepend_path", "success_retcodes",
	"raise_err", "reset_system_locale", "log_callback",
}

const commonDoc = `
Options (keyword arguments):

    cwd               working directory (default: the home of the user the
                      command runs as, else /)
    stdin             text fed to the command's standard input
    runas             run as this user (name or uid; the minion must be root)
    group             primary group to run with (needs runas)
    shell             shell for the command line (default /bin/sh)
    python_shell      false: no shell; the line is split like sh would and
                      run directly, so pipes and redirections are not special
    env               mapping of environment variables to set
    clean_env         true: start from an empty environment plus env
    prepend_path      directory put in front of PATH
    timeout           seconds; on expiry the whole process group is killed
                      and the retcode is 1
    rstrip            strip trailing whitespace from output (default true)
    hide_output       return no output (the retcode still counts)
    ignore_retcode    do not make the job fail on a non-zero exit
    success_retcodes  list of exit codes to treat as 0
    raise_err         return an error instead of output on non-zero exit
    output_loglevel, reset_system_locale, log_callback, saltenv: accepted
                      for Salt compatibility and ignored

The exit status becomes the job's retcode (like Salt), so a failing
command marks the job failed unless ignore_retcode is true. Output is
capped at 4 MiB per stream; a note says how much was dropped.`

func init() {
	modules.Register("cmd.run", `Execute the passed command and return its output (stdout and stderr
combined, as written).

    cmd.run CMD [CWD] [key=value ...]

CLI Example:

    halite-master run '*' cmd.run "ls -l | grep foo | awk '{print $2}'"
    halite-master run '*' cmd.run 'exit 3'          # returns "" with retcode 3
`+commonDoc, runFunc(retCombined, false))
	modules.Register("cmd.shell", `Execute the passed command through a shell (python_shell is always true)
and return its output (stdout and stderr combined).

CLI Example:

    halite-master run '*' cmd.shell 'echo $HOME'
`+commonDoc, runFunc(retCombined, true))
	modules.Register("cmd.run_all", `Execute the passed command and return a mapping with its pid, retcode,
stdout and stderr.

CLI Example:

    halite-master run '*' cmd.run_all 'ls /nonexistent'
`+commonDoc, runFunc(retAll, false))
	modules.Register("cmd.retcode", `Execute the passed command and return its exit status.

CLI Example:

    halite-master run '*' cmd.retcode 'test -d /srv'
`+commonDoc, runFunc(retCode, false))
	modules.Register("cmd.run_stdout", `Execute the passed command and return only its standard output.

CLI Example:

    halite-master run '*' cmd.run_stdout 'ls -l'
`+commonDoc, runFunc(retStdout, false))
	modules.Register("cmd.run_stderr", `Execute the passed command and return only its standard error.

CLI Example:

    halite-master run '*' cmd.run_stderr 'ls /nonexistent'
`+commonDoc, runFunc(retStderr, false))
	modules.Register("cmd.script", `Download a script and run it; return a mapping with its pid, retcode,
stdout and stderr (like cmd.run_all).

    cmd.script SOURCE [ARGS] [CWD] [key=value ...]

SOURCE is salt://path (or halite://path) from the master's file server,
or an absolute local path. The script is copied to a private temporary
directory, made executable, run (through the shell unless
python_shell=false, so a script without #! runs with sh) and removed.
ARGS is a string of arguments, split like a shell would, or a list.

CLI Example:

    halite-master run '*' cmd.script salt://scripts/runme.sh
    halite-master run '*' cmd.script salt://scripts/runme.sh 'arg1 "arg two"'
`+commonDoc, script)
	modules.Register("cmd.which", `Return the full path of an executable found on PATH, or null when
there is none.

CLI Example:

    halite-master run '*' cmd.which cat
`, which)
}

// settings is what the common keyword arguments say beyond Options.
type settings struct {
	opts           Options
	rstrip         bool
	hideOutput     bool
	ignoreRetcode  bool
	raiseErr       bool
	successRetcode []int
}

// readSettings reads the keyword arguments shared by every cmd.* function.
// cwdPos is the positional index of cwd (-1 when keyword-only).
func readSettings(c *modules.Call, cwdPos int, forceShell bool) (settings, error) {
	var (
		s   settings
		err error
	)
	o := &s.opts
	if o.Cwd, err = c.OptString(cwdPos, "cwd", ""); err != nil {
		return s, err
	}
	if o.Stdin, err = c.OptString(-1, "stdin", ""); err != nil {
		return s, err
	}
	if o.Runas, err = c.OptString(-1, "runas", ""); err != nil {
		return s, err
	}
	if o.Group, err = c.OptString(-1, "group", ""); err != nil {
		return s, err
	}
	if o.Shell, err = c.OptString(-1, "shell", DefaultShell); err != nil {
		return s, err
	}
	pyShell, err := c.OptBool(-1, "python_shell", true)
	if err != nil {
		return s, err
	}
	o.NoShell = !pyShell && !forceShell
	if o.CleanEnv, err = c.OptBool(-1, "clean_env", false); err != nil {
		return s, err
	}
	if o.PrependPath, err = c.OptString(-1, "prepend_path", ""); err != nil {
		return s, err
	}
	secs, err := c.OptFloat(-1, "timeout", 0)
	if err != nil {
		return s, err
	}
	if secs < 0 {
		return s, &modules.ArgError{Name: "timeout", Msg: "must not be negative"}
	}
	o.Timeout = time.Duration(secs * float64(time.Second))
	env, err := c.OptMap(-1, "env")
	if err != nil {
		return s, err
	}
	if env != nil {
		o.Env = make(map[string]string, len(env))
		for k, v := range env {
			sv, err := envValue(v)
			if err != nil {
				return s, &modules.ArgError{Name: "env", Msg: fmt.Sprintf("%s: %v", k, err)}
			}
			o.Env[k] = sv
		}
	}
	if s.rstrip, err = c.OptBool(-1, "rstrip", true); err != nil {
		return s, err
	}
	if s.hideOutput, err = c.OptBool(-1, "hide_output", false); err != nil {
		return s, err
	}
	if s.ignoreRetcode, err = c.OptBool(-1, "ignore_retcode", false); err != nil {
		return s, err
	}
	if s.raiseErr, err = c.OptBool(-1, "raise_err", false); err != nil {
		return s, err
	}
	s.successRetcode, err = c.OptInts(-1, "success_retcodes")
	return s, err
}

// envValue turns a YAML scalar into an environment string.
func envValue(v any) (string, error) {
	switch v.(type) {
	case map[string]any, []any:
		return "", errors.New("want a scalar value")
	case nil:
		return "", nil
	}
	return fmt.Sprint(v), nil
}

func runFunc(kind returnKind, forceShell bool) modules.Func {
	return func(ctx context.Context, c *modules.Call) (any, error) {
		if err := c.Expect(2, append([]string{"cmd"}, runKwargs...)...); err != nil {
			return nil, err
		}
		line, err := c.String(0, "cmd")
		if err != nil {
			return nil, err
		}
		s, err := readSettings(c, 1, forceShell)
		if err != nil {
			return nil, err
		}
		s.opts.Command = line
		s.opts.CombineOutput = kind == retCombined
		return execute(ctx, c, s, kind)
	}
}

// execute runs the command and shapes the return the way kind asks.
func execute(ctx context.Context, c *modules.Call, s settings, kind returnKind) (any, error) {
	res, err := Run(ctx, s.opts)
	if err != nil {
		return nil, err
	}
	for _, ok := range s.successRetcode {
		if res.Retcode == ok {
			res.Retcode = 0
		}
	}
	if res.Retcode != 0 {
		c.Log().Debug("command failed", "fun", c.Fun, "retcode", res.Retcode, "pid", res.Pid)
	}
	if !s.ignoreRetcode {
		c.Retcode = res.Retcode
	}
	if s.rstrip {
		res.Stdout = strings.TrimRight(res.Stdout, " \t\r\n")
		res.Stderr = strings.TrimRight(res.Stderr, " \t\r\n")
	}
	if s.raiseErr && res.Retcode != 0 {
		msg := res.Stderr
		if msg == "" {
			msg = res.Stdout
		}
		return nil, fmt.Errorf("command exited with status %d: %s", res.Retcode, msg)
	}
	if s.hideOutput {
		res.Stdout, res.Stderr = "", ""
	}
	switch kind {
	case retAll:
		return map[string]any{
			"pid":     res.Pid,
			"retcode": res.Retcode,
			"stdout":  res.Stdout,
			"stderr":  res.Stderr,
		}, nil
	case retCode:
		return res.Retcode, nil
	case retStderr:
		return res.Stderr, nil
	default:
		return res.Stdout, nil
	}
}

func script(ctx context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, append([]string{"source", "args"}, runKwargs...)...); err != nil {
		return nil, err
	}
	source, err := c.String(0, "source")
	if err != nil {
		return nil, err
	}
	var args []string
	if v, ok, err := c.Value(1, "args"); err != nil {
		return nil, err
	} else if ok {
		if line, isStr := v.(string); isStr {
			if args, err = SplitArgs(line); err != nil {
				return nil, &modules.ArgError{Name: "args", Msg: err.Error()}
			}
		} else if args, err = c.OptStrings(1, "args"); err != nil {
			return nil, err
		}
	}
	saltenv, err := c.OptString(-1, "saltenv", "base")
	if err != nil {
		return nil, err
	}
	s, err := readSettings(c, 2, false)
	if err != nil {
		return nil, err
	}

	local, err := fetchScript(ctx, c.Env, source, saltenv)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "halite-script-")
	if err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, scriptName(source))
	if err := copyExecutable(local, path); err != nil {
		return nil, err
	}
	if s.opts.Runas != "" {
		if err := chownTo(s.opts.Runas, dir, path); err != nil {
			return nil, err
		}
	}
	if s.opts.NoShell {
		s.opts.Argv = append([]string{path}, args...)
	} else {
		quoted := []string{QuoteArg(path)}
		for _, a := range args {
			quoted = append(quoted, QuoteArg(a))
		}
		s.opts.Command = strings.Join(quoted, " ")
	}
	return execute(ctx, c, s, retAll)
}

// fetchScript returns a local path for source.
func fetchScript(ctx context.Context, env *modules.Env, source, saltenv string) (string, error) {
	switch {
	case strings.HasPrefix(source, "salt://"), strings.HasPrefix(source, "halite://"):
		if env == nil || env.Files == nil {
			return "", fmt.Errorf("cannot fetch %s: no file server configured", source)
		}
		p, err := env.Files.CacheFile(ctx, source, saltenv)
		if err != nil {
			return "", fmt.Errorf("fetch %s: %w", source, err)
		}
		return p, nil
	case strings.Contains(source, "://"):
		return "", &modules.ArgError{Name: "source", Msg: fmt.Sprintf("unsupported URL %q (want salt://, halite:// or an absolute path)", source)}
	case !filepath.IsAbs(source):
		return "", &modules.ArgError{Name: "source", Msg: fmt.Sprintf("%q is not an absolute path", source)}
	}
	return source, nil
}

// scriptName keeps the source's base name so the script sees a familiar
// $0 and any extension it relies on.
func scriptName(source string) string {
	base := filepath.Base(strings.TrimRight(source, "/"))
	if base == "." || base == "/" || base == "" || strings.HasPrefix(base, ".") {
		return "script"
	}
	return base
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("script: %w", err)
	}
	defer in.Close()
	if fi, err := in.Stat(); err != nil {
		return fmt.Errorf("script: %w", err)
	} else if !fi.Mode().IsRegular() {
		return fmt.Errorf("script: %s is not a regular file", src)
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o700)
	if err != nil {
		return fmt.Errorf("script: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("script: copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("script: %w", err)
	}
	return nil
}

func chownTo(runas string, paths ...string) error {
	cred, _, err := credential(runas, "")
	if err != nil {
		return err
	}
	if cred == nil {
		return nil
	}
	for _, p := range paths {
		if err := os.Chown(p, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("script: %w", err)
		}
	}
	return nil
}

func which(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "cmd"); err != nil {
		return nil, err
	}
	name, err := c.String(0, "cmd")
	if err != nil {
		return nil, err
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return nil, nil
	}
	if abs, err := filepath.Abs(p); err == nil {
		p = abs
	}
	return p, nil
}
