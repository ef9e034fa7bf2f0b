package state

import (
	"context"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/halite/halite/pkg/modules"
)

// StateReturn is the result of one state in Salt's shape; the JSON field
// names are Salt's, so `--out json` matches what Salt users parse.
type StateReturn struct {
	Name    string         `json:"name"`
	Result  *bool          `json:"result"`
	Changes map[string]any `json:"changes"`
	Comment string         `json:"comment"`
	// Duration is in milliseconds.
	Duration float64 `json:"duration"`
	// StartTime is local wall-clock time, "HH:MM:SS.ffffff".
	StartTime string `json:"start_time"`
	RunNum    int    `json:"__run_num__"`
	SLS       string `json:"__sls__"`
	ID        string `json:"__id__"`
	// Warnings are Salt's: arguments the state ignored, and the like.
	Warnings []string `json:"warnings,omitempty"`

	notRun    bool             // the runner decided not to call the function
	predicted []PathPrediction // Result.Predicted, for the run's PendingPaths
}

// Failed reports whether the state failed (Result false).
func (r *StateReturn) Failed() bool { return r.Result != nil && !*r.Result }

// RunOptions configures a state run.
type RunOptions struct {
	// Test is Salt's test=True: every state predicts instead of acting.
	Test bool
	// Env is passed to every state function.
	Env *modules.Env
	// Render renders templates for states such as file.managed.
	Render Renderer
	// Failhard stops the run at the first failure, as if every state set
	// failhard (Salt's failhard option). Never applies in test mode.
	Failhard bool
}

// Run executes chunks (as compiled, in order) honouring requisites, and
// returns each state's result keyed by its tag. An invalid run (unknown
// function, dangling reference, cycle) is refused before anything runs.
// When ctx ends, the results so far are returned with ctx's error.
func Run(ctx context.Context, low []Chunk, opts RunOptions) (map[string]*StateReturn, error) {
	p, err := newPlan(low, nil)
	if err != nil {
		return nil, err
	}
	return p.run(ctx, opts, nil)
}

// Retcode is Salt's return code for a state run: 2 when any state failed,
// 0 otherwise.
func Retcode(ret map[string]*StateReturn) int {
	for _, r := range ret {
		if r != nil && r.Failed() {
			return 2
		}
	}
	return 0
}

type runner struct {
	p       *plan
	opts    RunOptions
	running []*StateReturn // by chunk
	pre     []*StateReturn // prereq test results, by chunk
	runNum  int
	// pending collects, in a dry run, what the states so far predicted
	// they would do to paths; nil in a real run.
	pending *PendingPaths
	accum   *Accumulators
	nodeOf  []int // chunk index -> its (non-check) node
	// inflight holds the parallel states still running: their results
	// are recorded when a state that depends on them comes up, or at the
	// end.
	inflight map[int]chan *StateReturn
}

// settle records the results of the parallel states the node depends on
// (all of them when deps is nil), waiting for them to finish.
func (r *runner) settle(deps []edge, all bool) {
	if len(r.inflight) == 0 {
		return
	}
	wait := func(i int) {
		if ch, ok := r.inflight[i]; ok {
			delete(r.inflight, i)
			r.record(i, <-ch)
		}
	}
	if all {
		ids := make([]int, 0, len(r.inflight))
		for i := range r.inflight {
			ids = append(ids, i)
		}
		sort.Ints(ids)
		for _, i := range ids {
			wait(i)
		}
		return
	}
	for _, e := range deps {
		wait(r.p.nodes[e.to].chunk)
	}
}

// run executes the plan's nodes in order; only, when set, limits the run
// to those nodes.
func (p *plan) run(ctx context.Context, opts RunOptions, only map[int]bool) (map[string]*StateReturn, error) {
	r := &runner{p: p, opts: opts, running: make([]*StateReturn, len(p.low)), pre: make([]*StateReturn, len(p.low)), accum: NewAccumulators()}
	if opts.Test {
		r.pending = &PendingPaths{}
	}
	r.nodeOf = make([]int, len(p.low))
	for n := range p.nodes {
		if !p.nodes[n].check {
			r.nodeOf[p.nodes[n].chunk] = n
		}
	}
	var (
		err     error
		stopped bool
	)
	for _, n := range p.order {
		if only != nil && !only[n] {
			continue
		}
		if err = ctx.Err(); err != nil {
			break
		}
		nd := &p.nodes[n]
		r.settle(nd.deps, false)
		if nd.check {
			r.runCheck(ctx, nd)
		} else if _, busy := r.inflight[nd.chunk]; !busy && r.running[nd.chunk] == nil {
			r.runChunk(ctx, nd)
		}
		if r.failhard(nd.chunk) {
			stopped = true
			break
		}
	}
	r.settle(nil, true)
	out := make(map[string]*StateReturn, len(p.low))
	for i, ret := range r.running {
		if ret != nil {
			out[p.low[i].Tag()] = ret
		}
	}
	if err == nil && !stopped {
		err = r.runListeners(ctx, out, only)
	}
	return out, err
}

// runListeners calls, after every other state, the ModWatch of each state
// whose `listen` targets changed (Salt's call_listen). The result is kept
// under Salt's tag for it, `mod_|-listener_ID_|-name_|-mod_watch`.
func (r *runner) runListeners(ctx context.Context, out map[string]*StateReturn, only map[int]bool) error {
	for _, n := range r.p.order {
		i := r.p.nodes[n].chunk
		if r.p.nodes[n].check || (only != nil && !only[n]) || len(r.p.listens[i]) == 0 {
			continue
		}
		changed := false
		for _, t := range r.p.listens[i] {
			if ret := r.running[t]; ret != nil && len(ret.Changes) > 0 {
				changed = true
			}
		}
		if !changed {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		c := &r.p.low[i]
		ret := r.call(ctx, i, r.opts.Test, true)
		ret.ID = "listener_" + c.ID
		ret.RunNum = r.runNum
		r.runNum++
		out[c.State+"_|-listener_"+c.ID+"_|-"+c.Name+"_|-mod_watch"] = ret
	}
	return nil
}

// Requisite outcomes, as Salt's _check_requisites names them.
const (
	stMet       = "met"
	stFail      = "fail"
	stChange    = "change"
	stPre       = "pre"
	stOnfail    = "onfail"
	stOnchanges = "onchanges"
)

// Per-requisite observations (Salt's req_stats), as bits.
const (
	rsMet uint8 = 1 << iota
	rsFail
	rsChange
	rsOnfail
	rsOnchanges
	rsOnchangesMet
	rsPre
	rsPremet
)

// status decides, from the results of a node's dependencies, whether it
// runs. It is a port of Salt's _check_requisites.
func (r *runner) status(deps []edge) string {
	var fun uint8
	for i, e := range deps {
		typ := e.typ
		if seenType(deps[:i], typ) {
			continue // each requisite type is judged once, over all its edges
		}
		base := strings.TrimSuffix(strings.TrimSuffix(typ, "_any"), "_all")
		var stats uint8
		for _, e := range deps[i:] {
			if e.typ != typ {
				continue
			}
			t := r.p.nodes[e.to].chunk
			ret := r.running[t]
			if base == "prereq" {
				ret = r.pre[t]
			}
			if ret == nil {
				continue // cannot happen: dependencies run first
			}
			switch {
			case base == "onfail":
				// In a dry run, Result None is a prediction that the state
				// would run and succeed, so its onfail handlers would not
				// run (Salt runs them, predicting a failure nobody expects).
				if isTrue(ret.Result) || (r.opts.Test && ret.Result == nil) {
					stats |= rsOnfail
					continue
				}
			case ret.Failed():
				stats |= rsFail
				continue
			}
			switch {
			case base == "onchanges":
				if len(ret.Changes) == 0 {
					stats |= rsOnchanges
				} else {
					stats |= rsOnchangesMet
				}
			case base == "watch" && len(ret.Changes) > 0:
				stats |= rsChange
			case base == "prereq":
				if ret.Result == nil {
					stats |= rsPremet
				} else {
					stats |= rsPre
				}
			default:
				if !ret.notRun {
					stats |= rsMet
				}
			}
		}
		if strings.HasSuffix(typ, "_any") || typ == "onfail" {
			if stats&(rsMet|rsChange) != 0 {
				stats &^= rsFail
			}
			if stats&rsOnchangesMet != 0 {
				stats &^= rsOnchanges | rsFail
			}
			if stats&rsOnfail != 0 && stats&rsMet != 0 {
				stats &^= rsOnfail
			}
		}
		if strings.HasSuffix(typ, "_all") && stats&rsOnfail != 0 && stats&rsMet != 0 {
			stats &^= rsMet
		}
		fun |= stats
	}
	switch {
	case fun&rsFail != 0:
		return stFail
	case fun&rsPre != 0:
		if fun&rsPremet != 0 {
			return stMet
		}
		return stPre
	case fun&rsOnfail != 0 && fun&rsOnchangesMet == 0:
		return stOnfail
	case fun&rsOnchanges != 0 && fun&rsOnchangesMet == 0:
		return stOnchanges
	case fun&rsChange != 0:
		return stChange
	case fun&rsOnfail != 0:
		return stOnfail
	}
	return stMet
}

func seenType(deps []edge, typ string) bool {
	for _, e := range deps {
		if e.typ == typ {
			return true
		}
	}
	return false
}

func (r *runner) runChunk(ctx context.Context, nd *node) {
	i := nd.chunk
	switch st := r.status(nd.deps); st {
	case stMet, stChange:
		exec := func() *StateReturn {
			ret := r.call(ctx, i, r.opts.Test, false)
			if st == stChange && len(ret.Changes) == 0 && r.p.defs[i].ModWatch != nil {
				// Salt: a watched state changed and this one did nothing by
				// itself, so mod_watch reacts (restart, run the command).
				w := r.call(ctx, i, r.opts.Test, true)
				w.StartTime = ret.StartTime
				w.Duration += ret.Duration
				w.predicted = append(ret.predicted, w.predicted...)
				ret = w
			}
			return ret
		}
		if r.p.low[i].Parallel && !r.opts.Test {
			// The run waits for it before anything that depends on it,
			// and at its end (settle).
			ch := make(chan *StateReturn, 1)
			if r.inflight == nil {
				r.inflight = map[int]chan *StateReturn{}
			}
			r.inflight[i] = ch
			go func() { ch <- exec() }()
			return
		}
		r.record(i, exec())
	case stFail:
		if pre := r.pre[i]; pre != nil {
			// This state's own test run (for a prereq) is what is known;
			// its predicted changes did not happen.
			ret := *pre
			ret.Changes = map[string]any{}
			ret.predicted = nil
			r.record(i, &ret)
			return
		}
		r.record(i, r.notRun(i, false, "One or more requisite failed: "+r.failedReqs(nd.deps)))
	case stPre:
		r.record(i, r.notRun(i, true, "No changes detected"))
	case stOnfail:
		comment := "State was not run because onfail req did not change"
		if r.opts.Test && r.onfailPredicted(nd.deps) {
			comment = "State would not run: the states its onfail requisites watch are predicted to succeed"
		}
		r.record(i, r.notRun(i, true, comment))
	case stOnchanges:
		r.record(i, r.notRun(i, true, "State was not run because none of the onchanges reqs changed"))
	}
}

// runCheck runs a prereq target in test mode, so the states that prereq
// it know whether it is about to change.
func (r *runner) runCheck(ctx context.Context, nd *node) {
	i := nd.chunk
	if r.running[i] != nil {
		return
	}
	switch st := r.status(nd.deps); st {
	case stFail:
		ret := r.notRun(i, false, "One or more requisite failed: "+r.failedReqs(nd.deps))
		r.pre[i] = ret
		r.record(i, ret)
	case stOnfail, stOnchanges:
		comment := "State was not run because onfail req did not change"
		if st == stOnchanges {
			comment = "State was not run because none of the onchanges reqs changed"
		}
		ret := r.notRun(i, true, comment)
		r.pre[i] = ret
		r.record(i, ret)
	default:
		ret := r.call(ctx, i, true, false)
		if st == stChange && len(ret.Changes) == 0 && r.p.defs[i].ModWatch != nil {
			// It would run mod_watch: that counts as a change.
			ret.Changes = map[string]any{"watch": "watch"}
			ret.Result = nil
		}
		r.pre[i] = ret
	}
}

func (r *runner) failedReqs(deps []edge) string {
	set := map[string]bool{}
	for _, e := range deps {
		t := r.p.nodes[e.to].chunk
		ret := r.pre[t]
		if ret == nil {
			ret = r.running[t]
		}
		if ret != nil && ret.Failed() {
			set[r.p.low[t].SLS+"."+r.p.low[t].ID] = true
		}
	}
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// onfailPredicted reports whether an onfail target of deps has only a
// dry-run prediction (Result None), not a result.
func (r *runner) onfailPredicted(deps []edge) bool {
	for _, e := range deps {
		if !strings.HasPrefix(e.typ, "onfail") {
			continue
		}
		if ret := r.running[r.p.nodes[e.to].chunk]; ret != nil && ret.Result == nil {
			return true
		}
	}
	return false
}

// record keeps chunk i's result and, in a dry run, adds what it predicted
// for paths to the run's pending paths (unless it failed: a failed state
// would create nothing).
func (r *runner) record(i int, ret *StateReturn) {
	ret.RunNum = r.runNum
	r.runNum++
	r.running[i] = ret
	if r.pending != nil && !ret.Failed() {
		r.pending.Record(r.p.low[i].ID, ret.predicted...)
	}
}

func (r *runner) failhard(i int) bool {
	if r.opts.Test {
		return false
	}
	ret := r.running[i]
	return ret != nil && ret.Failed() && (r.opts.Failhard || r.p.low[i].Failhard)
}

func (r *runner) notRun(i int, result bool, comment string) *StateReturn {
	c := &r.p.low[i]
	return &StateReturn{
		Name:      c.Name,
		Result:    &result,
		Changes:   map[string]any{},
		Comment:   comment,
		StartTime: time.Now().Format(startTimeLayout),
		SLS:       c.SLS,
		ID:        c.ID,
		notRun:    true,
	}
}

const startTimeLayout = "15:04:05.000000"

// call runs the state function (or its ModWatch) for chunk i. A panic is
// the function's failure, never the run's.
func (r *runner) call(ctx context.Context, i int, test, watch bool) *StateReturn {
	c := &r.p.low[i]
	def := r.p.defs[i]
	fn := def.Func
	if watch {
		fn = def.ModWatch
	}
	args, _ := deepCopy(c.Args).(map[string]any)
	if args == nil {
		args = map[string]any{}
	}
	req := &Request{ID: c.ID, Name: c.Name, Args: args, Test: test, SLS: c.SLS, Env: r.opts.Env, Render: r.opts.Render, Pending: r.pending, Accumulators: r.accum,
		Required: r.required(i)}
	start := time.Now()
	res := r.safeCall(ctx, fn, req, c, def.Own)
	elapsed := time.Since(start)
	changes := res.Changes
	if changes == nil {
		changes = map[string]any{}
	}
	comment := WithWarnings(res.Comment, req.Warnings)
	return &StateReturn{
		Name:      c.Name,
		Result:    res.Result,
		Changes:   changes,
		Comment:   comment,
		Warnings:  req.Warnings,
		Duration:  float64(elapsed.Microseconds()) / 1000,
		StartTime: start.Format(startTimeLayout),
		SLS:       c.SLS,
		ID:        c.ID,
		predicted: res.Predicted,
	}
}

// required lists the states chunk i requires or watches (file.directory's
// clean keeps what they manage).
func (r *runner) required(i int) []Ref {
	var out []Ref
	for _, e := range r.p.nodes[r.nodeOf[i]].deps {
		if e.implicit || (e.typ != "require" && e.typ != "watch") {
			continue
		}
		c := &r.p.low[r.p.nodes[e.to].chunk]
		out = append(out, Ref{State: c.State, Fun: c.Fun, ID: c.ID, Name: c.Name})
	}
	return out
}

func (r *runner) safeCall(ctx context.Context, fn Func, req *Request, c *Chunk, own []string) (res Result) {
	stateRegistry.RLock()
	g := globalArgs
	stateRegistry.RUnlock()
	if g != nil {
		inner := fn
		fn = func(ctx context.Context, req *Request) Result { return g(ctx, req, inner, own) }
	}
	defer func() {
		if p := recover(); p != nil {
			stack := string(debug.Stack())
			if env := r.opts.Env; env != nil && env.Logger != nil {
				env.Logger.Error("state function panicked", "state", c.FullName(), "id", c.ID, "panic", p, "stack", stack)
			}
			res = Result{Result: False(), Comment: fmt.Sprintf("An exception occurred in this state: panic: %v\n%s", p, trimStack(stack))}
		}
	}()
	return fn(ctx, req)
}

var goroutineLine = regexp.MustCompile(`^goroutine \d+ \[[^\]]*\]:\n`)

// trimStack keeps the stack readable in a state comment.
func trimStack(s string) string {
	s = goroutineLine.ReplaceAllString(s, "")
	const max = 4096
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strings.TrimSpace(s)
}

func isTrue(b *bool) bool { return b != nil && *b }

// WithWarnings is a state's comment with its warnings after it.
func WithWarnings(comment string, warnings []string) string {
	if len(warnings) == 0 {
		return comment
	}
	return strings.TrimSpace(comment + "\nWarnings: " + strings.Join(warnings, "; "))
}
