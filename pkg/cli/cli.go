// Package cli holds what both binaries' command lines share: exit codes,
// argument parsing in Salt's manner, logger construction.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/halite/halite/pkg/logging"
	"github.com/halite/halite/pkg/output"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/value"
	"github.com/halite/halite/pkg/yamlvalue"
)

// Exit codes of run and apply (DESIGN §9).
const (
	ExitOK       = 0
	ExitFailed   = 1 // some function or state failed
	ExitNoReturn = 2 // some targeted minion did not return
	ExitUsage    = 3 // usage or connection error
)

// ExitError carries an exit code up to main.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// Exit returns an error that makes main exit with code.
func Exit(code int, err error) error { return &ExitError{Code: code, Err: err} }

// Usagef is a usage error (exit 3).
func Usagef(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// CodeOf maps an error returned by a command to its exit code.
func CodeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitUsage
}

var kwarg = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)=(.*)$`)

// ParseArgs splits command-line arguments Salt's way: `key=value` is a
// keyword argument, everything else positional, and each value is read
// as YAML so 30 is a number and true a boolean.
func ParseArgs(raw []string) (args []any, kwargs map[string]any) {
	args = []any{}
	for _, a := range raw {
		if m := kwarg.FindStringSubmatch(a); m != nil {
			if kwargs == nil {
				kwargs = map[string]any{}
			}
			kwargs[m[1]] = YAMLValue(m[2])
			continue
		}
		args = append(args, YAMLValue(a))
	}
	return args, kwargs
}

// YAMLValue reads s as a YAML scalar or flow collection the way Salt's
// command line does (Salt's YAML loader: yes/no are booleans, 0644 is
// 644), falling back to the string itself.
func YAMLValue(s string) any {
	if s == "" {
		return ""
	}
	root, err := yamlvalue.Parse([]byte(s))
	if err != nil || root == nil {
		if strings.TrimSpace(s) == "" {
			return s
		}
		if err != nil {
			return s
		}
	}
	var v any
	if root != nil {
		if v, err = yamlvalue.NewConverter().Value(root); err != nil {
			return s
		}
	}
	switch v.(type) {
	case nil:
		if strings.TrimSpace(s) == "null" || s == "~" {
			return nil
		}
		return s
	case string, bool, int, uint64, float64, []any, map[string]any:
		return v
	}
	return s
}

// DaemonLogger builds a daemon's logger from its config; SIGHUP reopens
// its log file until ctx ends. Call done when the daemon has stopped.
func DaemonLogger(ctx context.Context, c logging.Config) (log hclog.Logger, done func(), err error) {
	l, err := logging.New(c, os.Stderr)
	if err != nil {
		return nil, nil, Exit(1, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	stopped := l.ReopenOnHangup(ctx)
	return l, func() {
		cancel()
		<-stopped
		_ = l.Close()
	}, nil
}

// Logger builds a command's logger on w (standard error when nil).
func Logger(name, level string, w io.Writer) hclog.Logger {
	if w == nil {
		w = os.Stderr
	}
	if level == "warning" {
		level = "warn"
	}
	return hclog.New(&hclog.LoggerOptions{Name: name, Level: hclog.LevelFromString(level), Output: w})
}

// PrintReturn writes one minion's return in the text layout: Salt's
// highstate layout for state runs, the nested layout otherwise.
func PrintReturn(w io.Writer, id, fun string, ret any, success bool, opts state.OutputOptions) error {
	if strings.HasPrefix(fun, "state.") {
		ret = value.Numbers(ret)
		if rets, ok := state.AsReturns(ret); ok {
			return state.FormatHighstate(w, id, rets, opts)
		}
		if errs, ok := stringList(ret); ok && !success {
			return state.FormatCompileErrors(w, id, errs, opts)
		}
	}
	return output.Nested(w, id, ret)
}

func stringList(v any) ([]string, bool) {
	l, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// Main runs a binary's root command until done or interrupted (SIGINT,
// SIGTERM cancel its context) and exits with the command's exit code.
func Main(root *cobra.Command) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
		}
		os.Exit(CodeOf(err))
	}
}

// ConfigPath decides which configuration file a command reads: the -c
// flag when given (it must exist), else $HALITE_CONFIG (it must exist),
// else the default path when it exists, else none ("" means the
// defaults, as an empty file would).
func ConfigPath(flag string, explicit bool, def string) string {
	if explicit {
		return flag
	}
	if env := os.Getenv("HALITE_CONFIG"); env != "" {
		return env
	}
	if _, err := os.Stat(def); err == nil {
		return def
	}
	return ""
}
