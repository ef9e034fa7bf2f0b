package state

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Test-only state functions, registered under the module "t".
//
//	t.succeed  result True, no changes
//	t.fail     result False
//	t.changes  changes; in test mode result None with predicted changes
//	t.panic    panics
//	t.service  no changes by itself; ModWatch "restarts" (like service.running)
//	t.wait     does nothing by itself; ModWatch runs (like cmd.wait)
//
//	t.predict  in test mode predicts a directory at its name (Result None);
//	           with fail: True it fails, predicting the directory all the same
//	t.see      reports in its comment what Request.Pending says of its name
//
//	t.starts   changes by itself (a service it had to start); has a ModWatch
//	t.cancel   cancels the run's context (the CancelFunc under cancelKey)
//	t.mutate   modifies its arguments in place
//	u.x        a second module, always succeeds
//
// Every call is recorded in the recorder carried by the context.
func init() {
	Register(Def{Name: "t.barrier", Func: func(ctx context.Context, r *Request) Result {
		b := barrierFor.Load()
		if b == nil {
			return Result{Result: False(), Comment: "no barrier"}
		}
		b.arrived <- struct{}{}
		deadline := time.After(10 * time.Second)
		for {
			if len(b.arrived) >= b.want {
				return Result{Result: True(), Comment: "met"}
			}
			select {
			case <-deadline:
				return Result{Result: False(), Comment: "alone at the barrier: not run in parallel"}
			case <-time.After(5 * time.Millisecond):
			}
		}
	}})
	Register(Def{Name: "t.succeed", Func: func(ctx context.Context, r *Request) Result {
		record(ctx, "succeed", r)
		return Result{Result: True(), Comment: "Success!"}
	}})
	Register(Def{Name: "t.fail", Func: func(ctx context.Context, r *Request) Result {
		record(ctx, "fail", r)
		return Result{Result: False(), Comment: "Failure!"}
	}})
	Register(Def{Name: "t.changes", Func: func(ctx context.Context, r *Request) Result {
		record(ctx, "changes", r)
		ch := map[string]any{"testing": map[string]any{"old": "Unchanged", "new": "Something pretended to change"}}
		if r.Test {
			return Result{Result: nil, Changes: ch, Comment: "Would change"}
		}
		return Result{Result: True(), Changes: ch, Comment: "Changed"}
	}})
	Register(Def{Name: "t.panic", Func: func(ctx context.Context, r *Request) Result {
		record(ctx, "panic", r)
		panic("boom")
	}})
	Register(Def{Name: "t.service",
		Func: func(ctx context.Context, r *Request) Result {
			record(ctx, "service", r)
			return Result{Result: True(), Comment: "The service is already running"}
		},
		ModWatch: func(ctx context.Context, r *Request) Result {
			record(ctx, "service.mod_watch", r)
			if r.Test {
				return Result{Result: nil, Comment: "Service is set to be restarted"}
			}
			return Result{Result: True(), Comment: "Service restarted", Changes: map[string]any{r.Name: true}}
		}})
	Register(Def{Name: "t.cancel", Func: func(ctx context.Context, r *Request) Result {
		if cancel, ok := ctx.Value(cancelKey{}).(context.CancelFunc); ok {
			cancel()
		}
		return Result{Result: True()}
	}})
	Register(Def{Name: "t.mutate", Func: func(_ context.Context, r *Request) Result {
		if l, ok := r.Args["list"].([]any); ok && len(l) > 0 {
			l[0] = "changed"
		}
		r.Args["new"] = 1
		return Result{Result: True()}
	}})
	Register(Def{Name: "t.starts",
		Func: func(ctx context.Context, r *Request) Result {
			record(ctx, "starts", r)
			return Result{Result: True(), Comment: "Started", Changes: map[string]any{r.Name: "started"}}
		},
		ModWatch: func(ctx context.Context, r *Request) Result {
			record(ctx, "starts.mod_watch", r)
			return Result{Result: True(), Comment: "Restarted", Changes: map[string]any{r.Name: "restarted"}}
		}})
	Register(Def{Name: "t.predict", Func: func(ctx context.Context, r *Request) Result {
		record(ctx, "predict", r)
		res := Result{Result: True(), Changes: map[string]any{r.Name: "New Dir"}}
		if r.Test {
			res.Result = nil
			res.Predicted = []PathPrediction{{Path: r.Name, Kind: PathDir, Mode: 0o755, UID: -1, GID: -1}}
		}
		if r.Args["fail"] == true {
			res.Result = False()
		}
		return res
	}})
	Register(Def{Name: "t.see", Func: func(ctx context.Context, r *Request) Result {
		record(ctx, "see", r)
		if r.Pending == nil {
			return Result{Result: True(), Comment: "no pending paths"}
		}
		pp, ok := r.Pending.Lookup(r.Name)
		if !ok {
			return Result{Result: True(), Comment: "not pending"}
		}
		return Result{Result: True(), Comment: fmt.Sprintf("pending %s by %s", pp.Kind, pp.By)}
	}})
	Register(Def{Name: "u.x", Func: func(context.Context, *Request) Result { return Result{Result: True()} }})
	Register(Def{Name: "t.wait",
		Func: func(ctx context.Context, r *Request) Result {
			record(ctx, "wait", r)
			return Result{Result: True(), Comment: ""}
		},
		ModWatch: func(ctx context.Context, r *Request) Result {
			record(ctx, "wait.mod_watch", r)
			return Result{Result: True(), Comment: "Command ran", Changes: map[string]any{"retcode": 0}}
		}})
}

// call is one recorded state function call.
type call struct {
	Fun  string // "succeed", "service.mod_watch", ...
	ID   string
	Name string
	Test bool
	Args map[string]any
}

func (c call) String() string {
	s := c.Fun + ":" + c.ID
	if c.Name != c.ID {
		s += "(" + c.Name + ")"
	}
	if c.Test {
		s += "[test]"
	}
	return s
}

type recorder struct {
	mu    sync.Mutex
	calls []call
}

type (
	recorderKey struct{}
	cancelKey   struct{}
)

func withRecorder(ctx context.Context) (context.Context, *recorder) {
	r := &recorder{}
	return context.WithValue(ctx, recorderKey{}, r), r
}

func record(ctx context.Context, fun string, r *Request) {
	rec, _ := ctx.Value(recorderKey{}).(*recorder)
	if rec == nil {
		return
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.calls = append(rec.calls, call{Fun: fun, ID: r.ID, Name: r.Name, Test: r.Test, Args: r.Args})
}

// seq lists the calls as "fun:ID" strings.
func (r *recorder) seq() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.calls))
	for i, c := range r.calls {
		out[i] = c.String()
	}
	return out
}

func (r *recorder) find(id string) (call, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.calls {
		if c.ID == id {
			return c, true
		}
	}
	return call{}, false
}

// memSource is an in-memory Source laid out like DirSource: keys are
// slash paths ("web/init.sls", "top.sls").
type memSource map[string]string

func (m memSource) ReadSLS(ctx context.Context, saltenv, sls string) ([]byte, string, error) {
	rel, err := slsRelPath(sls)
	if err != nil {
		return nil, "", err
	}
	for _, cand := range []string{rel + ".sls", rel + "/init.sls"} {
		if src, ok := m[cand]; ok {
			return []byte(src), cand, nil
		}
	}
	return nil, "", fmt.Errorf("%s: %w", sls, ErrSLSNotFound)
}

func (m memSource) Top(ctx context.Context, saltenv string) ([]byte, error) {
	if src, ok := m["top.sls"]; ok {
		return []byte(src), nil
	}
	return nil, fmt.Errorf("top: %w", ErrSLSNotFound)
}

// lines joins YAML lines so fixtures read like files.
func lines(l ...string) string { return strings.Join(l, "\n") + "\n" }

// compileLow compiles the named SLS files of src into low chunks.
func compileLow(t *testing.T, src memSource, names ...string) []Chunk {
	t.Helper()
	c := &Compiler{Source: src}
	chunks, err := c.ShowLowSLS(context.Background(), "", names)
	if err != nil {
		t.Fatalf("compile %v: %v", names, err)
	}
	return chunks
}

// runSLS compiles and runs the named SLS files, returning results and the
// recorded calls.
func runSLS(t *testing.T, src memSource, opts RunOptions, names ...string) (map[string]*StateReturn, *recorder) {
	t.Helper()
	ctx, rec := withRecorder(context.Background())
	c := &Compiler{Source: src}
	ret, err := c.SLS(ctx, "", names, opts)
	if err != nil {
		t.Fatalf("run %v: %v", names, err)
	}
	return ret, rec
}

// byID finds the single result for an ID.
func byID(t *testing.T, ret map[string]*StateReturn, id string) *StateReturn {
	t.Helper()
	var found *StateReturn
	for _, r := range ret {
		if r.ID == id {
			if found != nil {
				t.Fatalf("more than one result for ID %s", id)
			}
			found = r
		}
	}
	if found == nil {
		t.Fatalf("no result for ID %s in %v", id, keys(ret))
	}
	return found
}

func keys(ret map[string]*StateReturn) []string {
	var out []string
	for k := range ret {
		out = append(out, k)
	}
	return out
}

func resultString(r *StateReturn) string { return pyResult(r.Result) }

// barrier is where t.barrier states wait for each other.
type barrier struct {
	want    int
	arrived chan struct{}
}

var barrierFor atomic.Pointer[barrier]
