// Package statetest holds helpers for the state modules' tests: calling a
// registered state function by name and checking its result, and making
// sure the system tools a test drives are installed.
package statetest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/state"
)

// Call runs the state function name with args, in test mode when dry is
// true, and fails the test if the function is not registered.
func Call(t testing.TB, name, stateName string, args map[string]any, dry bool) state.Result {
	t.Helper()
	return CallEnv(t, name, stateName, args, dry, nil, nil)
}

// CallEnv is Call with an Env and a Renderer.
func CallEnv(t testing.TB, name, stateName string, args map[string]any, dry bool, env *modules.Env, r state.Renderer) state.Result {
	t.Helper()
	def, ok := state.LookupFunc(name)
	if !ok {
		t.Fatalf("state function %s is not registered", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if args == nil {
		args = map[string]any{}
	}
	req := &state.Request{ID: stateName, Name: stateName, Args: args, Test: dry, Env: env, Render: r}
	res := def.Func(ctx, req)
	res.Comment = state.WithWarnings(res.Comment, req.Warnings) // as the runner does
	return res
}

// DryRun calls the state function name in test mode as a state of a dry
// run that comes after the states whose predictions pending holds (see
// state.PendingPaths). Record res.Predicted into pending to chain states as
// the runner does.
func DryRun(t testing.TB, name, stateName string, args map[string]any, pending *state.PendingPaths) state.Result {
	t.Helper()
	def, ok := state.LookupFunc(name)
	if !ok {
		t.Fatalf("state function %s is not registered", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if args == nil {
		args = map[string]any{}
	}
	return def.Func(ctx, &state.Request{ID: stateName, Name: stateName, Args: args, Test: true, Pending: pending})
}

// Watch runs the ModWatch function of the state function name.
func Watch(t testing.TB, name, stateName string, args map[string]any, dry bool) state.Result {
	t.Helper()
	def, ok := state.LookupFunc(name)
	if !ok {
		t.Fatalf("state function %s is not registered", name)
	}
	if def.ModWatch == nil {
		t.Fatalf("state function %s has no mod_watch", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if args == nil {
		args = map[string]any{}
	}
	return def.ModWatch(ctx, &state.Request{ID: stateName, Name: stateName, Args: args, Test: dry})
}

// Outcome is the expected shape of a result.
type Outcome int

const (
	// Changed: Result true with changes (a real run that did something).
	Changed Outcome = iota
	// Unchanged: Result true, no changes (already in the desired state).
	Unchanged
	// WouldChange: Result nil with predicted changes (test mode).
	WouldChange
	// Failed: Result false.
	Failed
	// Pending: Result nil without predicted changes (test mode, e.g. cmd.run).
	Pending
)

func (o Outcome) String() string {
	return [...]string{"changed", "unchanged", "would-change", "failed", "pending"}[o]
}

// Expect fails the test unless res has the expected outcome.
func Expect(t testing.TB, res state.Result, want Outcome) {
	t.Helper()
	got := Classify(res)
	if got != want {
		t.Fatalf("want %s, got %s: %s", want, got, Format(res))
	}
}

// Classify names the outcome of res.
func Classify(res state.Result) Outcome {
	switch {
	case res.Result == nil && len(res.Changes) > 0:
		return WouldChange
	case res.Result == nil:
		return Pending
	case !*res.Result:
		return Failed
	case len(res.Changes) > 0:
		return Changed
	default:
		return Unchanged
	}
}

// Format renders a result for failure messages.
func Format(res state.Result) string {
	r := "None"
	if res.Result != nil {
		r = fmt.Sprint(*res.Result)
	}
	keys := make([]string, 0, len(res.Changes))
	for k := range res.Changes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "result=%s comment=%q changes={", r, res.Comment)
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %v", k, res.Changes[k])
	}
	b.WriteString("}")
	return b.String()
}

var aptMu sync.Mutex

// RequireCommand makes sure cmd is on PATH, installing the Debian package
// pkg with apt-get when it is not. The test is skipped (with the reason)
// only when that is impossible: not root, no apt-get, or apt failing.
func RequireCommand(t testing.TB, cmd, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(cmd); err == nil {
		return p
	}
	AptInstall(t, pkg)
	p, err := exec.LookPath(cmd)
	if err != nil {
		t.Skipf("%s not found after installing %s", cmd, pkg)
	}
	return p
}

// AptInstall installs Debian packages, skipping the test when apt cannot.
func AptInstall(t testing.TB, pkgs ...string) {
	t.Helper()
	aptMu.Lock()
	defer aptMu.Unlock()
	if os.Geteuid() != 0 {
		t.Skipf("need root to apt-get install %v", pkgs)
	}
	if _, err := exec.LookPath("apt-get"); err != nil {
		t.Skipf("apt-get not available to install %v", pkgs)
	}
	args := append([]string{"install", "-y", "-q", "-o", "DPkg::Lock::Timeout=120",
		"-o", "Dpkg::Options::=--force-confold", "--no-install-recommends"}, pkgs...)
	out, err := aptGet(args...)
	if err != nil {
		// The package lists may be missing or stale on a fresh machine.
		if uout, uerr := aptGet("update", "-q", "-o", "DPkg::Lock::Timeout=120"); uerr != nil {
			t.Skipf("apt-get update failed (%v): %s", uerr, tail(uout))
		}
		if out, err = aptGet(args...); err != nil {
			t.Skipf("apt-get install %v failed (%v): %s", pkgs, err, tail(out))
		}
	}
}

func aptGet(args ...string) (string, error) {
	cmd := exec.Command("apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func tail(s string) string {
	if len(s) > 1500 {
		return "..." + s[len(s)-1500:]
	}
	return s
}

// RequireRoot skips tests that change accounts or system services when not
// running as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

// UniqueName returns a short name unlikely to clash with anything on the
// machine or another test run (user and group names: at most 32 chars).
func UniqueName(prefix string) string {
	n := uniq.Add(1)
	return fmt.Sprintf("%s%d%03d%d", prefix, os.Getpid()%100000, time.Now().UnixNano()/1e6%1000, n)
}

var uniq atomic.Int64
