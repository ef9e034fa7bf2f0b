package master

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/targeting"
	"github.com/halite/halite/pkg/template"
	"github.com/halite/halite/pkg/value"
)

// OrchestrateRequest runs an SLS on the master (salt-run
// state.orchestrate): its states are steps that drive minions.
type OrchestrateRequest struct {
	SLS     string         `json:"sls"`
	Test    bool           `json:"test,omitempty"`
	Pillar  map[string]any `json:"pillar,omitempty"`
	Saltenv string         `json:"saltenv,omitempty"`
}

// OrchestrateResult is the orchestration's outcome: its own jid, each
// step's result (Salt's highstate layout, the minions' results nested
// under each step's changes) and the exit code, as run's.
type OrchestrateResult struct {
	JID     string                        `json:"jid"`
	Return  map[string]*state.StateReturn `json:"return"`
	Retcode int                           `json:"retcode"`
}

// orchestration is one running orchestrate: the jobs its steps start
// carry its jid.
type orchestration struct {
	m    *Master
	jid  string
	who  string
	test bool
	// ran marks the steps that ran (not those a failed requisite
	// stopped); noReturn those that failed only because minions did not
	// return (exit code 2 rather than 1).
	mu            sync.Mutex // steps may run in parallel
	ran, noReturn map[string]bool
}

func (o *orchestration) mark(m map[string]bool, req *state.Request) {
	o.mu.Lock()
	m[req.ID+"\x00"+req.Name] = true
	o.mu.Unlock()
}

// Orchestrate compiles and runs an orchestrate SLS from the master's
// file_roots.
func (m *Master) Orchestrate(ctx context.Context, who string, req OrchestrateRequest) (*OrchestrateResult, error) {
	if req.SLS == "" {
		return nil, errors.New("no SLS given")
	}
	saltenv := req.Saltenv
	if saltenv == "" {
		saltenv = state.DefaultSaltenv
	}
	jid := m.jids.next()
	job := &jobstore.Job{JID: jid, Fun: "state.orchestrate", Args: []any{req.SLS}, TargetType: "list", Target: "master",
		User: who, Created: time.Now().UTC(), Expected: []string{"master"}, Meta: map[string]any{"test": req.Test}}
	if err := m.store.AddAudit(ctx, &jobstore.AuditEntry{User: who, Action: "orchestrate", Target: "master", Fun: "state.orchestrate", Args: job.Args, JID: jid, Outcome: "started"}); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if err := m.store.CreateJob(ctx, job); err != nil {
		return nil, fmt.Errorf("store job: %w", err)
	}
	m.events.Publish("halite/run/"+jid+"/new", map[string]any{"jid": jid, "fun": "state.orchestrate", "sls": req.SLS, "user": who, "test": req.Test})
	o := &orchestration{m: m, jid: jid, who: who, test: req.Test, ran: map[string]bool{}, noReturn: map[string]bool{}}
	pillar := req.Pillar
	if pillar == nil {
		pillar = map[string]any{}
	}
	// The orchestrate tree is the master's file server: file_roots or
	// gitfs, as fileserver_backend says.
	read := func(_ context.Context, env, rel string) ([]byte, error) {
		_, data, err := m.files.Read(env, rel)
		return data, err
	}
	eng := template.New(template.ReadLoader(func(ctx context.Context, clean string) ([]byte, error) {
		return read(ctx, saltenv, clean)
	}), o.templateFuncs(pillar))
	c := &state.Compiler{
		Source: state.FileSource(read),
		Render: eng,
		Vars: func(string) map[string]any {
			return map[string]any{"grains": map[string]any{}, "pillar": pillar, "opts": map[string]any{"__role": "master", "__cli": "salt-run", "id": "master"}, "saltenv": saltenv}
		},
		Funcs: o.funcs(),
	}
	started := time.Now()
	ret, err := c.SLS(ctx, saltenv, []string{req.SLS}, state.RunOptions{Test: req.Test})
	res := &OrchestrateResult{JID: jid, Return: ret}
	var stored any = ret
	if err != nil {
		stored, res.Retcode = []any{err.Error()}, 1
	} else {
		// The exit code comes from the steps that ran and failed; those a
		// failed requisite stopped only follow from them.
		for _, r := range ret {
			k := r.ID + "\x00" + r.Name
			switch {
			case !r.Failed() || !o.ran[k]:
			case o.noReturn[k]:
				if res.Retcode == 0 {
					res.Retcode = 2
				}
			default:
				res.Retcode = 1
			}
		}
	}
	b, _ := json.Marshal(stored)
	var plain any
	_ = json.Unmarshal(b, &plain)
	if aerr := m.store.AddReturns(context.WithoutCancel(ctx), []jobstore.Return{{JID: jid, ID: "master", Fun: "state.orchestrate", Return: plain,
		Retcode: res.Retcode, Success: res.Retcode == 0, Received: time.Now().UTC(), Duration: time.Since(started)}}); aerr != nil {
		m.log.Error("store orchestration result", "jid", jid, "error", aerr)
	}
	m.events.Publish("halite/run/"+jid+"/ret", map[string]any{"jid": jid, "fun": "state.orchestrate", "success": res.Retcode == 0, "retcode": res.Retcode})
	return res, err
}

// templateFuncs is salt[...] in orchestrate templates: the master's view.
func (o *orchestration) templateFuncs(pillar map[string]any) map[string]template.Func {
	logf := func(level string) template.Func {
		return func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			o.m.log.Named("orchestrate").Info(fmt.Sprint(args...), "level", level)
			return nil, nil
		}
	}
	return map[string]template.Func{
		"pillar.get": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			if len(args) == 0 {
				return nil, errors.New("pillar.get: no key")
			}
			var def any = ""
			if len(args) > 1 {
				def = args[1]
			} else if d, ok := kw["default"]; ok {
				def = d
			}
			if v, ok := template.Lookup(pillar, fmt.Sprint(args[0]), ":"); ok {
				return v, nil
			}
			return def, nil
		},
		"mine.get": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			if len(args) < 2 {
				return nil, errors.New("mine.get: want TARGET FUNCTION [TARGET_TYPE]")
			}
			tt := "glob"
			if len(args) > 2 {
				tt = fmt.Sprint(args[2])
			} else if v, ok := kw["tgt_type"]; ok {
				tt = fmt.Sprint(v)
			}
			return o.m.MineGet(ctx, "", fmt.Sprint(args[0]), tt, fmt.Sprint(args[1]))
		},
		"log.debug": logf("debug"), "log.info": logf("info"), "log.warning": logf("warning"), "log.error": logf("error"),
	}
}

func (o *orchestration) funcs() map[string]state.Def {
	return map[string]state.Def{
		"salt.state":          {Name: "salt.state", Func: o.saltState, Doc: "Apply states on minions (sls or highstate) and fail when any failed or did not return."},
		"salt.function":       {Name: "salt.function", Func: o.saltFunction, Doc: "Run an execution function on minions and fail when any failed or did not return."},
		"salt.wait_for_event": {Name: "salt.wait_for_event", Func: o.waitForEvent, Doc: "Wait for events whose tag matches name, one from each minion in id_list."},
		"salt.runner":         {Name: "salt.runner", Func: o.saltRunner, Doc: "Run a master-side built-in: test.sleep (s_time), jobs.lookup_jid (jid)."},
	}
}

// stepArgs reads a step's arguments loosely, as Salt does.
type stepArgs map[string]any

func (a stepArgs) str(k, def string) string {
	if v, ok := a[k]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return def
}

func (a stepArgs) boolean(k string) bool { return value.IsTrue(a[k]) }

func (a stepArgs) list(k string) []string {
	switch x := a[k].(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(x))
		for _, v := range x {
			out = append(out, fmt.Sprint(v))
		}
		return out
	case string:
		var out []string
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return []string{fmt.Sprint(a[k])}
}

// outcome is what a step's job did, per minion.
type outcome struct {
	jid      string
	matched  []string
	returns  map[string]RunEvent
	states   map[string]jobstore.MinionState
	summary  *Summary
	maintain []string
}

func (o *orchestration) run(ctx context.Context, req *RunRequest) (*outcome, error) {
	req.User = o.who
	req.Orchestration = o.jid
	out := &outcome{returns: map[string]RunEvent{}, states: map[string]jobstore.MinionState{}}
	err := o.m.RunJob(ctx, req, func(ev RunEvent) error {
		switch ev.Type {
		case "start":
			out.jid, out.matched = ev.JID, ev.Expected
		case "return":
			out.returns[ev.ID] = ev
		case "state":
			out.states[ev.ID] = ev.State
			if ev.State == jobstore.StateMaintenance {
				out.maintain = append(out.maintain, ev.ID)
			}
		case "done":
			out.summary = ev.Summary
		}
		return nil
	})
	return out, err
}

// judge decides a step from its outcome: every targeted minion must have
// returned with success, except those fail_minions names and up to
// allow_fail more.
func (o *orchestration) judge(req *state.Request, a stepArgs, out *outcome, what string) state.Result {
	allowed := map[string]bool{}
	for _, id := range a.list("fail_minions") {
		allowed[id] = true
	}
	allowFail := 0
	if v, ok := value.Int(a["allow_fail"]); ok {
		allowFail = int(v)
	}
	rets := map[string]any{}
	var failed, missing []string
	ids := make([]string, 0, len(out.returns))
	for id := range out.returns {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var wouldChange bool
	for _, id := range ids {
		ev := out.returns[id]
		rets[id] = ev.Return
		if !ev.Success && !allowed[id] {
			f := id
			if bad := failedStates(ev.Return); len(bad) > 0 {
				f += " (" + strings.Join(bad, "; ") + ")"
			}
			failed = append(failed, f)
		}
		if o.test && predictsChanges(ev.Return) {
			wouldChange = true
		}
	}
	for _, id := range out.matched {
		if _, ok := out.returns[id]; !ok && !allowed[id] {
			st := out.states[id]
			if st == "" {
				st = "no return"
			}
			missing = append(missing, fmt.Sprintf("%s (%s)", id, st))
		}
	}
	sort.Strings(missing)
	changes := map[string]any{}
	if len(rets) > 0 {
		changes["ret"] = rets
	}
	changes["jid"] = out.jid
	var comment []string
	bad := len(failed) + len(missing)
	switch {
	case bad > allowFail:
		if len(failed) > 0 {
			comment = append(comment, "Run failed on minions: "+strings.Join(failed, ", "))
		}
		if len(missing) > 0 {
			comment = append(comment, "Minions did not return: "+strings.Join(missing, ", "))
			if len(failed) == 0 {
				o.mark(o.noReturn, req)
			}
		}
		comment = append(comment, fmt.Sprintf("%s: jid %s", what, out.jid))
		return state.Result{Result: state.False(), Changes: changes, Comment: strings.Join(comment, "\n")}
	case bad > 0:
		comment = append(comment, fmt.Sprintf("%d minion(s) failed or did not return, within allow_fail %d: %s", bad, allowFail, strings.Join(append(failed, missing...), ", ")))
	}
	if len(out.maintain) > 0 {
		comment = append(comment, "In maintenance, left out: "+strings.Join(out.maintain, ", "))
	}
	comment = append(comment, fmt.Sprintf("%s ran on %s: jid %s", what, listSome(ids, 20), out.jid))
	r := state.Result{Result: state.True(), Changes: changes, Comment: strings.Join(comment, "\n")}
	if o.test && wouldChange {
		r.Result = nil
	}
	return r
}

// failedStates names the states that failed in a state run's return.
func failedStates(ret any) []string {
	m, ok := ret.(map[string]any)
	if !ok {
		return nil
	}
	var out []string
	for tag, v := range m {
		sr, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if r, ok := sr["result"].(bool); ok && !r {
			id, _ := sr["__id__"].(string)
			if id == "" {
				id = tag
			}
			c := fmt.Sprint(sr["comment"])
			out = append(out, fmt.Sprintf("state '%s' failed: %s", id, clipText(c, 120)))
		}
	}
	sort.Strings(out)
	return out
}

// predictsChanges reports whether a test-mode state run would change
// something (a state with result None).
func predictsChanges(ret any) bool {
	m, ok := ret.(map[string]any)
	if !ok {
		return false
	}
	for _, v := range m {
		if sr, ok := v.(map[string]any); ok && sr["result"] == nil {
			return true
		}
	}
	return false
}

func (o *orchestration) target(a stepArgs) (string, string, error) {
	tgt := a.str("tgt", "")
	if tgt == "" {
		return "", "", errors.New("tgt is required")
	}
	return tgt, a.str("tgt_type", "glob"), nil
}

func (o *orchestration) saltState(ctx context.Context, req *state.Request) state.Result {
	o.mark(o.ran, req)
	a := stepArgs(req.Args)
	tgt, tt, err := o.target(a)
	if err != nil {
		return state.Result{Result: state.False(), Comment: err.Error()}
	}
	sls := a.list("sls")
	if len(sls) == 0 && !a.boolean("highstate") {
		return state.Result{Result: state.False(), Comment: "No highstate or sls specified, no execution made"}
	}
	rr := &RunRequest{Target: tgt, TargetType: tt, Fun: "state.apply", Timeout: a.str("timeout", "300s"), Batch: a.str("batch", ""), BatchFail: a.str("batch_fail", "")}
	if len(sls) > 0 {
		rr.Args = []any{strings.Join(sls, ",")}
	}
	kw := map[string]any{}
	if o.test || a.boolean("test") {
		kw["test"] = true
	}
	if p, ok := a["pillar"].(map[string]any); ok {
		kw["pillar"] = p
	}
	if len(kw) > 0 {
		rr.Kwargs = kw
	}
	out, err := o.run(ctx, rr)
	if err != nil {
		return state.Result{Result: state.False(), Comment: "State run failed: " + err.Error()}
	}
	if len(out.matched) == 0 && len(out.maintain) == 0 {
		if a.boolean("expect_minions") {
			return state.Result{Result: state.False(), Comment: fmt.Sprintf("No minions matched the target %s (expect_minions)", tgt)}
		}
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("No minions matched the target %s", tgt)}
	}
	return o.judge(req, a, out, "state.apply "+strings.Join(sls, ","))
}

func (o *orchestration) saltFunction(ctx context.Context, req *state.Request) state.Result {
	o.mark(o.ran, req)
	a := stepArgs(req.Args)
	tgt, tt, err := o.target(a)
	if err != nil {
		return state.Result{Result: state.False(), Comment: err.Error()}
	}
	fun := a.str("fun", req.Name)
	var args []any
	switch x := a["arg"].(type) {
	case []any:
		args = x
	case nil:
	default:
		args = []any{x}
	}
	kw, _ := a["kwarg"].(map[string]any)
	if o.test {
		return state.Result{Changes: map[string]any{}, Comment: fmt.Sprintf("Function %s would be executed on target %s", fun, tgt)}
	}
	out, err := o.run(ctx, &RunRequest{Target: tgt, TargetType: tt, Fun: fun, Args: args, Kwargs: kw, Timeout: a.str("timeout", "60s"), Batch: a.str("batch", "")})
	if err != nil {
		return state.Result{Result: state.False(), Comment: "Function run failed: " + err.Error()}
	}
	if len(out.matched) == 0 && len(out.maintain) == 0 {
		if a.boolean("expect_minions") {
			return state.Result{Result: state.False(), Comment: fmt.Sprintf("No minions matched the target %s (expect_minions)", tgt)}
		}
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("No minions matched the target %s", tgt)}
	}
	res := o.judge(req, a, out, fun)
	if res.Result != nil && *res.Result {
		res.Comment = strings.Replace(res.Comment, fun+" ran on", "Function ran successfully on", 1)
	}
	return res
}

func (o *orchestration) waitForEvent(ctx context.Context, req *state.Request) state.Result {
	o.mark(o.ran, req)
	a := stepArgs(req.Args)
	ids := a.list("id_list")
	timeout := 300 * time.Second
	if t := a.str("timeout", ""); t != "" {
		d, err := parseTimeout(t)
		if err != nil {
			return state.Result{Result: state.False(), Comment: err.Error()}
		}
		timeout = d
	}
	key := a.str("event_id", "id")
	if o.test {
		return state.Result{Comment: fmt.Sprintf("Orchestration would wait for event '%s'", req.Name)}
	}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	pat := targeting.CompilePattern(req.Name)
	sub := o.m.events.Subscribe(4096)
	defer sub.Close()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case <-ctx.Done():
			return state.Result{Result: state.False(), Comment: ctx.Err().Error()}
		case <-deadline.C:
			left := make([]string, 0, len(want))
			for id := range want {
				left = append(left, id)
			}
			sort.Strings(left)
			return state.Result{Result: state.False(), Changes: map[string]any{"id_list": left},
				Comment: fmt.Sprintf("Timeout value reached waiting for '%s' from %s", req.Name, strings.Join(left, ", "))}
		case ev, ok := <-sub.C:
			if !ok {
				return state.Result{Result: state.False(), Comment: "event bus closed"}
			}
			if !pat.Match(ev.Tag) {
				continue
			}
			if len(ids) == 0 {
				return state.Result{Result: state.True(), Comment: "Event " + ev.Tag + " seen"}
			}
			delete(want, fmt.Sprint(ev.Data[key]))
			if len(want) == 0 {
				return state.Result{Result: state.True(), Comment: fmt.Sprintf("All events seen in %s", strings.Join(ids, ", "))}
			}
		}
	}
}

// saltRunner is Salt's salt.runner for the runners that make sense on a
// Halite master: test.sleep, and jobs.lookup_jid (a job's returns).
func (o *orchestration) saltRunner(ctx context.Context, req *state.Request) state.Result {
	o.mark(o.ran, req)
	a := stepArgs(req.Args)
	fun := a.str("fun", req.Name)
	if o.test {
		return state.Result{Comment: fmt.Sprintf("Runner function '%s' would be executed", fun)}
	}
	switch fun {
	case "test.sleep":
		secs, _ := value.Float(a["s_time"])
		if secs <= 0 {
			secs = 1
		}
		select {
		case <-ctx.Done():
			return state.Result{Result: state.False(), Comment: ctx.Err().Error()}
		case <-time.After(time.Duration(secs * float64(time.Second))):
		}
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Runner function '%s' executed", fun)}
	case "jobs.lookup_jid":
		jid := a.str("jid", "")
		if err := o.m.batch.Flush(ctx); err != nil {
			return state.Result{Result: state.False(), Comment: err.Error()}
		}
		rec, err := o.m.store.GetJob(ctx, jid)
		if err != nil {
			return state.Result{Result: state.False(), Comment: fmt.Sprintf("No job %s", jid)}
		}
		rets := map[string]any{}
		for _, r := range rec.Results {
			if r.Return != nil {
				rets[r.ID] = r.Return.Return
			}
		}
		return state.Result{Result: state.True(), Changes: map[string]any{"return": rets}, Comment: fmt.Sprintf("Runner function '%s' executed", fun)}
	}
	return state.Result{Result: state.False(), Comment: fmt.Sprintf("Runner function '%s' is not available on a Halite master (test.sleep and jobs.lookup_jid are)", fun)}
}

func (m *Master) apiOrchestrate(w http.ResponseWriter, r *http.Request) {
	var req OrchestrateRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad orchestrate request: %w", err))
		return
	}
	res, err := m.Orchestrate(r.Context(), principalOf(r.Context()).who(), req)
	if err != nil && res == nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if err != nil {
		writeJSON(w, map[string]any{"jid": res.JID, "retcode": 1, "error": err.Error()})
		return
	}
	writeJSON(w, res)
}
