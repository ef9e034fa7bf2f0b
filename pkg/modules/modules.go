// Package modules is the registry of execution modules: the functions users
// call by their dotted Salt names (test.ping, cmd.run, grains.get). Each
// module family lives in its own package under pkg/modules/ and registers
// itself from init, the way database/sql drivers do; pkg/modules/all imports
// every family so a binary gets them all with one blank import.
package modules

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
)

// Func is one execution function. It returns the value that becomes the
// job's return. A function that wants a non-zero retcode with a normal
// return (cmd.run of a failing command) sets call.Retcode; returning an
// error makes the return the error text and the retcode 1 unless the
// function set another.
type Func func(ctx context.Context, call *Call) (any, error)

// Env is what a function may know about the minion it runs on. The minion
// daemon (or `halite-minion call --local`) builds one; fields may be nil
// when a feature is not available (for example Pillar before pillar lands).
type Env struct {
	ID     string
	Logger hclog.Logger
	// Grains returns the current grains (never nil).
	Grains func() map[string]any
	// RefreshGrains re-collects grains and makes the master aware of them.
	RefreshGrains func(ctx context.Context) (map[string]any, error)
	// Pillar returns the minion's current pillar (never nil).
	Pillar func() map[string]any
	// PillarError, when set, reports why Pillar cannot be trusted (the
	// master's compile failed, or no pillar arrived yet); nil means good.
	PillarError func() error
	// RefreshPillar fetches a fresh pillar from the master.
	RefreshPillar func(ctx context.Context) (map[string]any, error)
	// CurrentPillar fetches the pillar as it is now (the master checks
	// its tree) and makes it the one Pillar returns: state runs call it
	// first, as Salt compiles pillar for every run. Nil when masterless.
	CurrentPillar func(ctx context.Context) (map[string]any, error)
	// Opts is the minion's configuration as a plain map, for templates.
	Opts map[string]any
	// Files fetches files from the master's file server; nil when masterless
	// without file_roots.
	Files FileClient
	// StateFiles is where state runs read SLS files, top files and
	// templates: the master's file server; nil runs from the minion's own
	// file_roots (masterless).
	StateFiles StateFiles
	// Mine reaches the master's mine; nil when masterless.
	Mine MineClient
}

// MineClient sends this minion's mine data and reads other minions'.
type MineClient interface {
	Get(ctx context.Context, target, fun, targetType string) (map[string]any, error)
	Send(ctx context.Context, data map[string]any, clear bool, del []string) error
	// Update runs the configured mine_functions and sends them all.
	Update(ctx context.Context) (map[string]any, error)
}

// FileClient resolves salt:// and halite:// URLs to local cached paths.
type FileClient interface {
	// CacheFile fetches url (salt://path or halite://path) into the local
	// cache if the cached copy's hash differs, and returns the local path.
	CacheFile(ctx context.Context, url, saltenv string) (string, error)
	// ListFiles lists the paths (relative, slash separated) under prefix.
	ListFiles(ctx context.Context, prefix, saltenv string) ([]string, error)
}

// StateFiles serves a state run's SLS files (state.Source) and templates
// (template.Loader).
type StateFiles interface {
	ReadSLS(ctx context.Context, saltenv, sls string) (src []byte, file string, err error)
	Top(ctx context.Context, saltenv string) ([]byte, error)
	Load(ctx context.Context, name string) (src []byte, resolvedName string, err error)
}

// Call is one invocation of a Func.
type Call struct {
	Fun    string
	Args   []any
	Kwargs map[string]any
	Env    *Env
	// Retcode is the process-style exit status the function reports.
	Retcode int
}

// Entry describes a registered function.
type Entry struct {
	Name string
	Doc  string
	Func Func
}

// ErrUnknownFunction is returned (wrapped) when a name is not registered.
var ErrUnknownFunction = errors.New("function is not available")

var registry = struct {
	sync.RWMutex
	m map[string]Entry
}{m: map[string]Entry{}}

// Register adds a function. It panics when name is malformed, already
// registered, or fn is nil, so mistakes show at start-up, not at run time.
func Register(name, doc string, fn Func) {
	mod, fun, ok := strings.Cut(name, ".")
	if !ok || mod == "" || fun == "" || strings.Contains(fun, ".") {
		panic(fmt.Sprintf("modules: malformed function name %q (want module.function)", name))
	}
	if fn == nil {
		panic(fmt.Sprintf("modules: nil function for %q", name))
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[name]; dup {
		panic(fmt.Sprintf("modules: %q registered twice", name))
	}
	registry.m[name] = Entry{Name: name, Doc: strings.TrimSpace(doc), Func: fn}
}

// Lookup returns the registered function called name.
func Lookup(name string) (Entry, bool) {
	registry.RLock()
	defer registry.RUnlock()
	e, ok := registry.m[name]
	return e, ok
}

// Names returns every registered function name, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.m))
	for n := range registry.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Result is the outcome of Run.
type Result struct {
	Return  any
	Retcode int
	// Success is false when the function returned an error, panicked,
	// does not exist, or reported a non-zero retcode.
	Success bool
}

// Run calls the function fun and turns every failure (unknown name, error,
// panic) into a Result with a clear message, so a bad call never takes the
// minion down.
func Run(ctx context.Context, env *Env, fun string, args []any, kwargs map[string]any) (res Result) {
	e, ok := Lookup(fun)
	if !ok {
		return Result{Return: fmt.Sprintf("'%s' is not available.", fun), Retcode: 1}
	}
	if kwargs == nil {
		kwargs = map[string]any{}
	}
	call := &Call{Fun: fun, Args: args, Kwargs: kwargs, Env: env}
	defer func() {
		if r := recover(); r != nil {
			if env != nil && env.Logger != nil {
				env.Logger.Error("function panicked", "fun", fun, "panic", r, "stack", string(debug.Stack()))
			}
			res = Result{Return: fmt.Sprintf("%s: internal error: %v", fun, r), Retcode: 1}
		}
	}()
	ret, err := e.Func(ctx, call)
	if err != nil {
		rc := call.Retcode
		if rc == 0 {
			rc = 1
		}
		return Result{Return: fmt.Sprintf("%s: %v", fun, err), Retcode: rc}
	}
	return Result{Return: ret, Retcode: call.Retcode, Success: call.Retcode == 0}
}
