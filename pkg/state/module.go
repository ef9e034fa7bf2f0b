package state

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/halite/halite/pkg/modules"
)

// Request is one call of a state function, built by the runner from a
// state declaration after requisites and name/names have been resolved.
type Request struct {
	// ID is the state's ID declaration; Name defaults to it.
	ID   string
	Name string
	// Args are the declaration's arguments with name, names, requisites,
	// order and failhard removed.
	Args map[string]any
	// Test is true for a dry run: predict changes, touch nothing, and
	// report Result nil when something would change.
	Test bool
	// SLS is the SLS file the state came from (for templates and messages).
	SLS string
	Env *modules.Env
	// Render renders a template (file.managed template: jinja). Nil when
	// no renderer is configured.
	Render Renderer
	// Pending is, in a dry run, what the states before this one predicted
	// they would do to paths (see PendingPaths): a directory an earlier
	// state would create is not "missing" here. Nil outside a dry run, where
	// the disk is the truth (a nil *PendingPaths reports nothing), and so
	// also in the test-mode check a real run makes of a prereq target.
	Pending *PendingPaths
	// Warnings collects what the state function warns about (arguments
	// it does not know); the runner adds them to the state's result.
	Warnings []string
	// Accumulators holds the run's file.accumulated texts. Nil outside a
	// state run.
	Accumulators *Accumulators
	// Required lists the states this one requires or watches, resolved
	// (require_in and watch_in included).
	Required []Ref
}

// Ref names a state of the run.
type Ref struct {
	State, Fun, ID, Name string
}

// Warn records a warning for the state's result (Salt's "warnings").
func (r *Request) Warn(msg string) { r.Warnings = append(r.Warnings, msg) }

// DryRun reports whether the call is part of a dry run (test=True), as
// opposed to a real run, or to the test-mode check a real run makes of a
// prereq target just before running it. Only in a dry run may a path that
// is missing still be created by an earlier state the run only predicted,
// so only then is a missing parent directory, say, not yet a failure.
func (r *Request) DryRun() bool { return r.Test && r.Pending != nil }

// Renderer renders a template source with the given variables. name is used
// in error messages (file and line).
type Renderer interface {
	Render(ctx context.Context, name string, src []byte, vars map[string]any) ([]byte, error)
}

// MappedRenderer is a Renderer that can also say which source line each
// output line came from, so errors in the rendered text cite the source.
type MappedRenderer interface {
	RenderMapped(ctx context.Context, name string, src []byte, vars map[string]any) ([]byte, []int, error)
}

// Result is what a state function reports. Result nil means "would change"
// in test mode (Salt's None).
type Result struct {
	Result  *bool
	Changes map[string]any
	Comment string
	// Predicted is, in test mode, what the state would do to paths, so
	// that the states after it in the same dry run predict against it
	// (Request.Pending). The runner ignores it in real runs and when the
	// state fails.
	Predicted []PathPrediction
}

// Func implements one state function such as file.managed.
type Func func(ctx context.Context, req *Request) Result

// Def registers a state function.
type Def struct {
	// Name is the dotted name users write: "file.managed".
	Name string
	Doc  string
	Func Func
	// ModWatch, when set, is called instead of nothing when a state this
	// one watches reported changes (service.running restarts, cmd.wait
	// runs). It gets the same Request.
	ModWatch Func
	// Own lists the global state arguments the function handles itself
	// (cmd.run: onlyif, unless, creates; file.managed: check_cmd); the
	// others apply around it (see RegisterGlobalArgs).
	Own []string
}

// GlobalArgs implements Salt's state arguments that every state takes
// (onlyif, unless, creates, check_cmd, retry): Wrap runs a state function
// with them, taking them out of req.Args first. The state modules register
// it (RegisterGlobalArgs); without one, those arguments reach the state.
type GlobalArgs func(ctx context.Context, req *Request, fn Func, own []string) Result

var globalArgs GlobalArgs

// RegisterGlobalArgs installs the wrapper for the global state arguments
// (once, from the package that implements them).
func RegisterGlobalArgs(g GlobalArgs) {
	stateRegistry.Lock()
	defer stateRegistry.Unlock()
	globalArgs = g
}

var stateRegistry = struct {
	sync.RWMutex
	m map[string]Def
}{m: map[string]Def{}}

// Register adds a state function; it panics on a malformed or duplicate
// name so mistakes show at start-up.
func Register(d Def) {
	mod, fun, ok := strings.Cut(d.Name, ".")
	if !ok || mod == "" || fun == "" || strings.Contains(fun, ".") || d.Func == nil {
		panic(fmt.Sprintf("state: bad state function registration %q", d.Name))
	}
	stateRegistry.Lock()
	defer stateRegistry.Unlock()
	if _, dup := stateRegistry.m[d.Name]; dup {
		panic(fmt.Sprintf("state: %q registered twice", d.Name))
	}
	stateRegistry.m[d.Name] = d
}

// LookupFunc returns the state function registered under name.
func LookupFunc(name string) (Def, bool) {
	stateRegistry.RLock()
	defer stateRegistry.RUnlock()
	d, ok := stateRegistry.m[name]
	return d, ok
}

// FuncNames lists every registered state function, sorted.
func FuncNames() []string {
	stateRegistry.RLock()
	defer stateRegistry.RUnlock()
	out := make([]string, 0, len(stateRegistry.m))
	for n := range stateRegistry.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// True and False are helpers for Result.Result.
func True() *bool  { t := true; return &t }
func False() *bool { f := false; return &f }
