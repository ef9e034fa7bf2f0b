// Package cmd provides the cmd.run and cmd.wait states: run a shell command
// as part of a state run.
//
//	make-swap:
//	  cmd.run:
//	    - name: fallocate -l 1G /swapfile && mkswap /swapfile
//	    - creates: /swapfile
//
// A command is assumed to change the system every time it runs: the state
// reports its pid, retcode, stdout and stderr as changes, and fails when the
// exit status is not zero. onlyif, unless and creates keep it from running.
//
// In test mode a command that would run is predicted as a change (Salt
// predicts none, so its dry-run summary leaves such commands out). The
// conditions are judged as the earlier states of the dry run would leave
// the disk: `unless: test -f /x` holds when an earlier state would write
// /x; a condition command on such a path that is not a plain file test
// cannot be judged before the run, and the state predicts nothing.
//
// With stateful: True the command reports for itself, as in Salt: empty
// output means no changes; otherwise stdout is a JSON object, or its last
// line is key=value pairs (shell quoting allowed). "changed" (yes/no) says
// whether anything changed, "comment" becomes the comment, other keys become
// the changes. stateful: [{test_name: CMD}] runs CMD in test mode instead of
// only predicting.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/states/internal/cond"
	"github.com/halite/halite/pkg/states/internal/run"
)

func init() {
	state.Register(state.Def{Name: "cmd.run", Func: runState, ModWatch: runState, Own: []string{"onlyif", "unless", "creates"}, Doc: `Run a command (name) through the shell.

Arguments: onlyif, unless (command or list of commands), creates (path or
list), cwd, env (mapping or list of mappings), runas, shell (default
/bin/sh), umask, timeout (seconds), stateful, success_retcodes,
hide_output. Changes are {pid, retcode, stdout, stderr}; a non-zero exit
fails the state. Watching another state reruns the command when it changed.`})
	state.Register(state.Def{Name: "cmd.wait", Func: wait, ModWatch: runState, Own: []string{"onlyif", "unless", "creates"}, Doc: `Run a command only when a watched state changed; on its
own it does nothing. Takes the arguments of cmd.run. Prefer cmd.run with
onchanges.`})
}

// spec is a parsed cmd.run declaration.
type spec struct {
	name            string
	conds           cond.Conditions
	cwd, runas      string
	shell           string
	env             []string
	umask           string
	timeout         time.Duration
	stateful        bool
	testName        string
	successRetcodes map[int]bool
	hideOutput      bool
}

func parse(req *state.Request) (spec, error) {
	a := args.Lenient(req.Args, req.Warn)
	s := spec{name: strings.TrimSpace(req.Name)}
	s.conds = cond.Parse(a)
	s.cwd = a.String("cwd", "")
	s.runas = a.String("runas", "")
	s.shell = a.String("shell", "/bin/sh")
	s.umask = a.String("umask", "")
	if n, ok := a.OptInt("timeout"); ok {
		if n <= 0 {
			a.Fail("timeout", "must be a positive number of seconds")
		}
		s.timeout = time.Duration(n) * time.Second
	}
	if v, ok := a.Raw("env"); ok {
		env, err := envList(v)
		if err != nil {
			a.Fail("env", "Invalidly-formatted 'env' parameter: "+err.Error())
		}
		s.env = env
	}
	if v, ok := a.Raw("stateful"); ok {
		if b, ok := args.ParseBool(v); ok {
			s.stateful = b
		} else if m, err := args.ToMap(v); err == nil {
			s.stateful = true
			tn, ok := args.Scalar(m["test_name"])
			if !ok || len(m) != 1 {
				a.Fail("stateful", "want a boolean or [{test_name: COMMAND}]")
			}
			s.testName = tn
		} else {
			a.Fail("stateful", "want a boolean or [{test_name: COMMAND}]")
		}
	}
	if rcs, ok := a.List("success_retcodes"); ok {
		s.successRetcodes = map[int]bool{}
		for _, v := range rcs {
			str, _ := args.Scalar(v)
			var n int
			if _, err := fmt.Sscanf(str, "%d", &n); err != nil {
				a.Fail("success_retcodes", fmt.Sprintf("%v is not an integer", v))
				continue
			}
			s.successRetcodes[n] = true
		}
	}
	s.hideOutput = a.Bool("hide_output", false)
	a.Ignore("output_loglevel", "use_vt", "python_shell", "reset_system_locale")
	if s.name == "" {
		a.Fail("name", "no command given")
	}
	if s.umask != "" {
		for _, c := range s.umask {
			if c < '0' || c > '7' {
				a.Fail("umask", "want an octal number such as 022")
				break
			}
		}
	}
	s.conds.Dir, s.conds.User, s.conds.Shell, s.conds.Env = s.cwd, s.runas, s.shell, s.env
	return s, a.Err()
}

// envList turns Salt's env forms (a mapping, a list of mappings, or a list
// of KEY=VALUE strings) into KEY=VALUE entries, sorted for determinism.
func envList(v any) ([]string, error) {
	if l, ok := v.([]any); ok {
		var out []string
		for _, it := range l {
			if s, ok := it.(string); ok {
				if k, _, ok := strings.Cut(s, "="); !ok || k == "" {
					return nil, fmt.Errorf("%q is not KEY=VALUE", s)
				}
				out = append(out, s)
				continue
			}
			m, err := args.ToMap(it)
			if err != nil {
				return nil, err
			}
			e, err := envList(m)
			if err != nil {
				return nil, err
			}
			out = append(out, e...)
		}
		return out, nil
	}
	m, err := args.ToMap(v)
	if err != nil {
		return nil, errors.New("want a mapping or a list of mappings")
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		val, ok := args.Scalar(m[k])
		if m[k] == nil {
			val, ok = "", true
		}
		if !ok {
			return nil, fmt.Errorf("value of %s is not a scalar", k)
		}
		out = append(out, k+"="+val)
	}
	return out, nil
}

func fail(comment string) state.Result {
	return state.Result{Result: state.False(), Comment: comment}
}

func wait(ctx context.Context, req *state.Request) state.Result {
	if _, err := parse(req); err != nil {
		return fail(fmt.Sprintf("Invalid arguments: %v", err))
	}
	return state.Result{Result: state.True()}
}

func runState(ctx context.Context, req *state.Request) state.Result {
	s, err := parse(req)
	if err != nil {
		return fail(fmt.Sprintf("Invalid arguments: %v", err))
	}
	if s.cwd != "" {
		if fi, err := os.Stat(s.cwd); err != nil || !fi.IsDir() {
			return fail(fmt.Sprintf("Desired working directory %q is not available", s.cwd))
		}
	}
	s.conds.Pending = req.Pending
	skip, why, err := s.conds.Skip(ctx)
	if errors.Is(err, cond.ErrUndecided) && req.DryRun() {
		return state.Result{Comment: fmt.Sprintf("Command %q may or may not run: %v", s.name, err)}
	}
	if err != nil {
		return fail(err.Error())
	}
	if skip {
		return state.Result{Result: state.True(), Comment: why}
	}
	command := s.name
	if req.Test {
		switch {
		case s.testName != "":
			command = s.testName
		case s.stateful:
			// It reports its own changes, which only running it tells.
			return state.Result{Comment: fmt.Sprintf("Command %q would have been executed; it reports its own changes", s.name)}
		default:
			// Salt predicts no changes here, so a dry run's summary leaves
			// out every command that would run; running is the change.
			return state.Result{Changes: map[string]any{"command": s.name},
				Comment: fmt.Sprintf("Command %q would have been executed", s.name)}
		}
	}
	script := command
	if s.umask != "" {
		script = "umask " + s.umask + " && " + command
	}
	r, runErr := run.Run(ctx, run.Cmd{
		Script: script, Shell: s.shell, Dir: s.cwd, User: s.runas, Env: s.env, Timeout: s.timeout,
	})
	if runErr != nil && !errors.Is(runErr, run.ErrTimeout) {
		return fail(fmt.Sprintf("Command %q failed to run: %v", command, runErr))
	}
	rc := r.Retcode
	if s.successRetcodes[rc] {
		rc = 0
	}
	changes := map[string]any{"pid": r.PID, "retcode": rc, "stdout": r.Stdout, "stderr": r.Stderr}
	if s.hideOutput {
		changes["stdout"], changes["stderr"] = "", ""
	}
	res := state.Result{Changes: changes, Comment: fmt.Sprintf("Command %q run", command)}
	if rc == 0 && runErr == nil {
		res.Result = state.True()
	} else {
		res.Result = state.False()
	}
	if runErr != nil {
		res.Comment = fmt.Sprintf("Command %q timed out after %s", command, s.timeout)
	}
	if s.stateful && runErr == nil {
		res = reinterpret(res, r)
	}
	if req.Test && res.Result != nil && *res.Result && len(res.Changes) > 0 {
		res.Result = nil
	}
	return res
}

// reinterpret applies the stateful protocol to a finished command.
func reinterpret(res state.Result, r run.Result) state.Result {
	if strings.TrimSpace(r.Stdout) == "" {
		return state.Result{Result: res.Result, Comment: r.Stderr}
	}
	st, err := ParseStateful(r.Stdout)
	if err != nil {
		return state.Result{Result: state.False(), Changes: res.Changes, Comment: err.Error()}
	}
	out := state.Result{Result: res.Result}
	if st.HasComment {
		out.Comment = st.Comment
	}
	if st.Changed {
		ch := map[string]any{}
		for k, v := range st.Data {
			ch[k] = v
		}
		for k, v := range res.Changes {
			if _, ok := ch[k]; !ok {
				ch[k] = v
			}
		}
		ch["stdout"] = st.Stdout
		out.Changes = ch
	}
	return out
}
