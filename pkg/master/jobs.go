package master

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/targeting"
	"github.com/halite/halite/pkg/wire"
)

// RunRequest is a job as the operator API receives it.
type RunRequest struct {
	Target     string         `json:"tgt"`
	TargetType string         `json:"tgt_type,omitempty"`
	Fun        string         `json:"fun"`
	Args       []any          `json:"arg,omitempty"`
	Kwargs     map[string]any `json:"kwarg,omitempty"`
	// Timeout bounds the wait for minions that acknowledged and still run.
	Timeout string `json:"timeout,omitempty"`
	// Batch is "N" or "P%": how many minions run at once.
	Batch string `json:"batch,omitempty"`
	// BatchFail is "N" or "P%": the failures that stop a batched rollout.
	BatchFail string `json:"batch_fail,omitempty"`
	Async     bool   `json:"async,omitempty"`
	// Private sends the job to each targeted minion on its own encrypted
	// channel, whatever the target type (see jobRun.private).
	Private bool `json:"private,omitempty"`
	Explain bool `json:"explain,omitempty"`
	// User is set by the API from the caller's credentials.
	User string `json:"-"`
	// Cause, set by the reactor, says which event and rule started the
	// job; it is kept in the job's meta and audited.
	Cause map[string]any `json:"-"`
	// Authorize, when set, decides on the minions the target matched
	// before anything is published (an API token's or chat user's ACL);
	// an error wrapping acl.ErrForbidden refuses the whole job.
	Authorize func(matched []string) error `json:"-"`
	// IncludeMaintenance sends the job to minions in maintenance too;
	// without it they are left out and reported as in maintenance.
	IncludeMaintenance bool `json:"include_maintenance,omitempty"`
	// Orchestration is the jid of the orchestration this job is a step
	// of (kept in the job's meta).
	Orchestration string `json:"-"`
}

// RunEvent is one line of the streamed answer to a run request.
type RunEvent struct {
	// Type is "start", "return", "state", "explain", "batch" (a batch
	// starts: Expected lists it; or, with Message, the rollout stopped)
	// or "done".
	Type     string               `json:"type"`
	JID      string               `json:"jid,omitempty"`
	Expected []string             `json:"expected,omitempty"`
	ID       string               `json:"id,omitempty"`
	Return   any                  `json:"return,omitempty"`
	Retcode  int                  `json:"retcode,omitempty"`
	Success  bool                 `json:"success,omitempty"`
	State    jobstore.MinionState `json:"state,omitempty"`
	Explain  []ExplainLine        `json:"explain,omitempty"`
	Summary  *Summary             `json:"summary,omitempty"`
	// Message says why, for a "batch" event that stops a rollout.
	Message string `json:"message,omitempty"`
}

// ExplainLine says whether one minion matches and why.
type ExplainLine struct {
	ID        string `json:"id"`
	Matches   bool   `json:"matches"`
	Connected bool   `json:"connected"`
}

// Summary closes a job: how every targeted minion ended.
type Summary struct {
	Expected int `json:"expected"`
	Returned int `json:"returned"`
	Failed   int `json:"failed"`
	Offline  int `json:"offline"`
	NoAck    int `json:"no_ack"`
	TimedOut int `json:"timed_out"`
	Lost     int `json:"lost,omitempty"`
	Skipped  int `json:"skipped,omitempty"`
	// Maintenance counts the minions left out because they were in
	// maintenance.
	Maintenance int     `json:"maintenance,omitempty"`
	Millis      float64 `json:"ms"`
}

// minionEvent is an ack or a return for a live job.
type minionEvent struct {
	id    string
	acked bool
	ret   *jobstore.Return
	// restarted: the minion started a new session at this time, holding
	// only the jobs in holds; an acked job it does not hold is lost.
	restarted time.Time
	holds     map[string]bool
}

// liveJob is a job whose caller is still waiting.
type liveJob struct {
	ch chan minionEvent
}

// detectLost runs when minion s starts a session holding jobs: every job
// it acknowledged earlier and holds no more is lost (it was killed or
// restarted mid-job), both in jobs whose caller still waits and in the
// store's unfinished (pending or timed-out) jobs.
func (m *Master) detectLost(ctx context.Context, s *session, jobs []string) {
	holds := make(map[string]bool, len(jobs))
	for _, j := range jobs {
		holds[j] = true
	}
	m.mu.RLock()
	live := make([]*liveJob, 0, len(m.live))
	for _, lj := range m.live {
		live = append(live, lj)
	}
	m.mu.RUnlock()
	for _, lj := range live {
		select {
		case lj.ch <- minionEvent{id: s.id, restarted: s.connected, holds: holds}:
		default:
		}
	}
	jids, err := m.store.Unfinished(ctx, s.id)
	if err != nil {
		m.log.Error("look for lost jobs", "id", s.id, "error", err)
		return
	}
	for _, jid := range jids {
		m.mu.RLock()
		_, live := m.live[jid] // its caller's run marks it (above)
		m.mu.RUnlock()
		if live || holds[jid] || !jobstore.JIDTime(jid).Before(s.connected) {
			continue
		}
		if err := m.store.SetStates(ctx, jid, map[string]jobstore.MinionState{s.id: jobstore.StateLost}); err != nil {
			m.log.Error("store lost state", "jid", jid, "error", err)
			continue
		}
		m.log.Warn("job lost: the minion restarted and no longer runs it", "jid", jid, "id", s.id)
		m.events.Publish("halite/job/"+jid+"/lost/"+s.id, map[string]any{"jid": jid, "id": s.id})
	}
}

func (m *Master) deliver(jid string, ev minionEvent) {
	m.mu.RLock()
	lj := m.live[jid]
	m.mu.RUnlock()
	if lj == nil {
		return
	}
	select {
	case lj.ch <- ev:
	default:
		// Only minions outside the expected set can overflow the buffer
		// (it holds two events per expected minion); their returns are
		// stored regardless.
	}
}

// jidSource makes Salt-style JIDs (YYYYMMDDhhmmssffffff, UTC), strictly
// increasing so they are unique per master.
type jidSource struct {
	mu   sync.Mutex
	last time.Time
}

func (j *jidSource) next() string {
	j.mu.Lock()
	defer j.mu.Unlock()
	t := time.Now().UTC().Truncate(time.Microsecond)
	if !t.After(j.last) {
		t = j.last.Add(time.Microsecond)
	}
	j.last = t
	return t.Format("20060102150405") + fmt.Sprintf("%06d", t.Nanosecond()/1000)
}

// matchTarget returns the accepted minions the target matches, sorted.
func (m *Master) matchTarget(ctx context.Context, req *RunRequest) (matched []string, all []string, err error) {
	typ, err := targeting.ParseType(req.TargetType)
	if err != nil {
		return nil, nil, err
	}
	matcher, err := targeting.Compile(typ, req.Target, targeting.Options{Nodegroups: m.cfg.Nodegroups})
	if err != nil {
		return nil, nil, err
	}
	// Snapshot under the lock; match (and compile pillar) outside it.
	m.mu.RLock()
	all = make([]string, 0, len(m.accepted))
	for id := range m.accepted {
		all = append(all, id)
	}
	ids, isList := targeting.ListIDs(matcher)
	if isList {
		for _, id := range ids {
			if _, ok := m.accepted[id]; ok {
				matched = append(matched, id)
			}
		}
	}
	needsGrains := !isList && targeting.NeedsGrains(matcher)
	var grains map[string]cachedGrains
	if needsGrains {
		grains = make(map[string]cachedGrains, len(all))
		for _, id := range all {
			grains[id] = m.grains[id]
		}
	}
	m.mu.RUnlock()
	sort.Strings(all)
	if isList {
		sort.Strings(matched)
		return matched, all, nil
	}
	needsPillar := targeting.NeedsPillar(matcher)
	for _, id := range all {
		mn := &targeting.Minion{ID: id}
		if needsGrains {
			mn.Grains = grains[id].decode()
		}
		if needsPillar {
			// Compiled (or cached) on the master, as the minion would see it;
			// a minion whose pillar does not compile matches nothing.
			p, err := m.pillarFor(ctx, id)
			if err != nil {
				continue
			}
			mn.Pillar = p
		}
		if matcher.Match(mn) {
			matched = append(matched, id)
		}
	}
	return matched, all, nil
}

// RunJob executes a job and streams its progress to emit. It returns when
// every targeted minion has an end state (or at once with Async).
func (m *Master) RunJob(ctx context.Context, req *RunRequest, emit func(RunEvent) error) error {
	if req.Fun == "" {
		return fmt.Errorf("no function given")
	}
	if req.Target == "" {
		return fmt.Errorf("no target given")
	}
	timeout := 10 * time.Second
	if req.Timeout != "" {
		d, err := parseTimeout(req.Timeout)
		if err != nil {
			return err
		}
		timeout = d
	}
	expected, all, err := m.matchTarget(ctx, req)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	if req.Authorize != nil {
		if err := req.Authorize(expected); err != nil {
			return err
		}
	}
	var inMaint []string
	if !req.IncludeMaintenance {
		expected, inMaint = m.withoutMaintenance(expected)
	}
	if req.Explain {
		lines := make([]ExplainLine, 0, len(all))
		set := toSet(expected)
		m.mu.RLock()
		for _, id := range all {
			_, conn := m.sessions[id]
			_, ok := set[id]
			lines = append(lines, ExplainLine{ID: id, Matches: ok, Connected: conn})
		}
		m.mu.RUnlock()
		return emit(RunEvent{Type: "explain", Expected: expected, Explain: lines})
	}
	batchSize, err := parseCount(req.Batch, len(expected))
	if err != nil {
		return fmt.Errorf("--batch: %w", err)
	}
	failBudget := -1
	if req.BatchFail != "" {
		if failBudget, err = parseCount(req.BatchFail, len(expected)); err != nil {
			return fmt.Errorf("--batch-fail: %w", err)
		}
	}

	if err := m.store.CheckFile(); err != nil {
		return fmt.Errorf("refusing to publish a job that could not be recorded: %w (restart the master)", err)
	}
	jid := m.jids.next()
	job := &jobstore.Job{
		JID: jid, Fun: req.Fun, Args: req.Args, Kwargs: req.Kwargs,
		TargetType: orDefault(req.TargetType, "glob"), Target: req.Target,
		User: req.User, Created: time.Now().UTC(), Expected: append(append([]string(nil), expected...), inMaint...),
	}
	if batchSize > 0 {
		job.Meta = map[string]any{"batch": req.Batch, "batch_fail": req.BatchFail}
	}
	audit := &jobstore.AuditEntry{
		Time: time.Now().UTC(), User: req.User, Action: "run", Target: req.Target,
		Fun: req.Fun, Args: req.Args, Kwargs: req.Kwargs, JID: jid, Outcome: "published",
	}
	if strings.HasPrefix(req.Fun, "state.") && len(m.gitfs) > 0 {
		// Reproducible runs: the tree commits this run reads.
		saltenv, _ := req.Kwargs["saltenv"].(string)
		rev, _ := req.Kwargs["rev"].(string)
		if shas := m.treeSHAs(orDefault(saltenv, "base"), rev); len(shas) > 0 {
			if job.Meta == nil {
				job.Meta = map[string]any{}
			}
			job.Meta["tree_sha"] = shas
		}
	}
	if req.Orchestration != "" {
		if job.Meta == nil {
			job.Meta = map[string]any{}
		}
		job.Meta["orchestration"] = req.Orchestration
	}
	if req.Cause != nil {
		if job.Meta == nil {
			job.Meta = map[string]any{}
		}
		job.Meta["cause"] = req.Cause
		audit.Action = fmt.Sprintf("reactor rule %v on %v", req.Cause["rule"], req.Cause["tag"])
	}
	for attempt := 0; ; attempt++ {
		err := m.store.CreateJob(ctx, job)
		if err == nil {
			break
		}
		if !errors.Is(err, jobstore.ErrJobExists) || attempt == 5 {
			return fmt.Errorf("store job: %w", err)
		}
		// Another master sharing the store took this jid in the same
		// microsecond.
		jid = m.jids.next()
		job.JID, audit.JID = jid, jid
	}
	if err := m.store.AddAudit(ctx, audit); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if len(inMaint) > 0 {
		st := make(map[string]jobstore.MinionState, len(inMaint))
		for _, id := range inMaint {
			st[id] = jobstore.StateMaintenance
		}
		if err := m.store.SetStates(ctx, jid, st); err != nil {
			return fmt.Errorf("store job: %w", err)
		}
	}
	m.expected.put(jid, toSet(expected))
	m.mx.published.WithLabelValues(m.mx.funLabel(req.Fun)).Inc()
	lj := &liveJob{ch: make(chan minionEvent, 2*len(expected)+64)}
	if !req.Async {
		m.mu.Lock()
		m.live[jid] = lj
		m.mu.Unlock()
		defer func() {
			m.mu.Lock()
			delete(m.live, jid)
			m.mu.Unlock()
		}()
	}
	newEv := map[string]any{"jid": jid, "fun": req.Fun, "tgt": req.Target, "tgt_type": job.TargetType, "minions": expected, "user": req.User}
	if req.Cause != nil {
		newEv["cause"] = req.Cause
	}
	m.events.Publish("halite/job/"+jid+"/new", newEv)
	if err := emit(RunEvent{Type: "start", JID: jid, Expected: expected}); err != nil {
		return err
	}
	r := &jobRun{m: m, req: req, jid: jid, timeout: timeout, emit: emit, lj: lj,
		states: make(map[string]jobstore.MinionState, len(expected)), started: time.Now(),
		private: req.Private || idTargeted(req.TargetType, req.Target, m.cfg.Nodegroups) && len(expected) < len(all)}
	for _, id := range inMaint {
		r.states[id] = jobstore.StateMaintenance
		if err := emit(RunEvent{Type: "state", JID: jid, ID: id, State: jobstore.StateMaintenance}); err != nil {
			return err
		}
	}
	if req.Async {
		// Publish and return; minions' returns are stored as they arrive.
		return r.publishAll(ctx, expected)
	}
	if batchSize > 0 && batchSize < len(expected) {
		return r.batched(ctx, expected, batchSize, failBudget)
	}
	if err := r.publishAll(ctx, expected); err != nil {
		return err
	}
	return r.wait(ctx)
}

// jobRun is the accounting of one job for its waiting caller.
type jobRun struct {
	m       *Master
	req     *RunRequest
	jid     string
	timeout time.Duration
	emit    func(RunEvent) error
	lj      *liveJob
	started time.Time
	// private: the job goes to each minion on its request channel, not
	// on the publish stream (F14). Jobs targeted by id are private unless
	// they target every accepted minion (nothing to hide from anyone).
	private bool

	states map[string]jobstore.MinionState // every targeted minion
	acked  deadlines                       // acked, still running: timeout
	sent   deadlines                       // published, not acked: ack deadline
	failed int
	batch  int
}

// publishAll publishes the job to ids; those without a session are
// offline at once.
func (r *jobRun) publishAll(ctx context.Context, ids []string) error {
	var online []string
	offline := map[string]jobstore.MinionState{}
	r.m.mu.RLock()
	for _, id := range ids {
		if _, ok := r.m.sessions[id]; ok {
			online = append(online, id)
		} else {
			offline[id] = jobstore.StateOffline
		}
	}
	r.m.mu.RUnlock()
	if len(offline) > 0 {
		r.m.mx.ended(r.req.Fun, outcomeOffline, len(offline))
		if err := r.m.store.SetStates(ctx, r.jid, offline); err != nil {
			r.m.log.Error("store offline states", "jid", r.jid, "error", err)
		}
	}
	for _, id := range ids {
		if _, off := offline[id]; off {
			r.states[id] = jobstore.StateOffline
			if err := r.emit(RunEvent{Type: "state", ID: id, State: jobstore.StateOffline}); err != nil {
				return err
			}
		}
	}
	if len(online) == 0 {
		return nil
	}
	job := wire.Job{
		JID: r.jid, Fun: r.req.Fun, Args: r.req.Args, Kwargs: r.req.Kwargs,
		TargetType: orDefault(r.req.TargetType, "glob"), Target: r.req.Target,
		Time: wire.Now(), User: r.req.User,
	}
	if usesNodegroups(job.TargetType, job.Target) {
		job.Nodegroups = r.m.cfg.Nodegroups
	}
	if r.req.Batch != "" {
		// Each batch is published to exactly its own minions.
		job.TargetType, job.Target = "list", strings.Join(online, ",")
	}
	job.Batch = r.batch
	r.batch++
	if r.private {
		r.m.sendPrivate(&job, online)
	} else if err := r.m.publish(&job, online); err != nil {
		return err
	}
	ackBy := time.Now().Add(min(r.m.cfg.AckTimeout.D(), r.timeout))
	for _, id := range online {
		r.sent.set(id, ackBy)
	}
	return nil
}

// wait consumes acks and returns until every published minion has an end
// state.
func (r *jobRun) wait(ctx context.Context) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for r.sent.len()+r.acked.len() > 0 {
		next := r.nextDeadline()
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev := <-r.lj.ch:
			if err := r.handle(ev); err != nil {
				return err
			}
		case <-timer.C:
			if err := r.expire(ctx, time.Now()); err != nil {
				return err
			}
		}
	}
	return r.done(ctx)
}

func (r *jobRun) nextDeadline() time.Time {
	return r.acked.earliest(r.sent.earliest(time.Now().Add(time.Hour)))
}

// deadlines is a set of minions, each with a deadline, that knows its
// earliest deadline without a scan: minions share a handful of deadlines
// (one per published batch, one for all that acked), so a job event costs
// the same at 5,000 minions as at 5 (a scan made each job O(n²)).
type deadlines struct {
	by    map[string]int64 // minion → deadline (Unix nanoseconds)
	count map[int64]int    // deadline → minions with it
}

func (d *deadlines) set(id string, t time.Time) {
	if d.by == nil {
		d.by, d.count = map[string]int64{}, map[int64]int{}
	}
	d.remove(id)
	n := t.UnixNano()
	d.by[id] = n
	d.count[n]++
}

// remove takes id out; false when it was not in.
func (d *deadlines) remove(id string) bool {
	n, ok := d.by[id]
	if !ok {
		return false
	}
	delete(d.by, id)
	if d.count[n]--; d.count[n] == 0 {
		delete(d.count, n)
	}
	return true
}

func (d *deadlines) has(id string) bool { _, ok := d.by[id]; return ok }

func (d *deadlines) len() int { return len(d.by) }

// earliest is the earliest deadline, or def when none is earlier.
func (d *deadlines) earliest(def time.Time) time.Time {
	for n := range d.count {
		if t := time.Unix(0, n); t.Before(def) {
			def = t
		}
	}
	return def
}

// expired removes and returns the minions whose deadline is not after now.
func (d *deadlines) expired(now time.Time) []string {
	var out []string
	for n := range d.count {
		if n > now.UnixNano() {
			continue
		}
		for id, m := range d.by {
			if m == n {
				out = append(out, id)
			}
		}
	}
	for _, id := range out {
		d.remove(id)
	}
	return out
}

func (r *jobRun) handle(ev minionEvent) error {
	if !ev.restarted.IsZero() {
		sent, acked := r.sent.has(ev.id), r.acked.has(ev.id)
		if !(sent || acked) || ev.holds[r.jid] || !r.started.Before(ev.restarted) {
			return nil
		}
		r.sent.remove(ev.id)
		r.acked.remove(ev.id)
		r.states[ev.id] = jobstore.StateLost
		r.m.mx.ended(r.req.Fun, outcomeLost, 1)
		if err := r.m.store.SetStates(context.Background(), r.jid, map[string]jobstore.MinionState{ev.id: jobstore.StateLost}); err != nil {
			r.m.log.Error("store lost state", "jid", r.jid, "error", err)
		}
		return r.emit(RunEvent{Type: "state", ID: ev.id, State: jobstore.StateLost})
	}
	if ev.acked {
		if r.sent.remove(ev.id) {
			r.acked.set(ev.id, r.started.Add(r.timeout))
		}
		return nil
	}
	if r.states[ev.id] == jobstore.StateReturned {
		return nil // a duplicate (resent after reconnect)
	}
	r.sent.remove(ev.id)
	r.acked.remove(ev.id)
	r.states[ev.id] = jobstore.StateReturned
	if !ev.ret.Success {
		r.failed++
	}
	return r.emit(RunEvent{Type: "return", ID: ev.id, Return: ev.ret.Return, Retcode: ev.ret.Retcode, Success: ev.ret.Success})
}

func (r *jobRun) expire(ctx context.Context, now time.Time) error {
	changed := map[string]jobstore.MinionState{}
	for _, id := range r.sent.expired(now) {
		changed[id] = jobstore.StateNoAck
	}
	for _, id := range r.acked.expired(now) {
		changed[id] = jobstore.StateTimedOut
	}
	if len(changed) == 0 {
		return nil
	}
	if r.m.peers != nil {
		// With masters sharing the store, a minion whose link to this
		// master broke returns through another; if the word of it was
		// lost, the store still has it.
		if err := r.fromStore(ctx, changed); err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
	}
	for _, st := range changed {
		outcome := outcomeTimedOut
		if st == jobstore.StateNoAck {
			outcome = outcomeNoAck
		}
		r.m.mx.ended(r.req.Fun, outcome, 1)
	}
	if err := r.m.store.SetStates(ctx, r.jid, changed); err != nil {
		r.m.log.Error("store job states", "jid", r.jid, "error", err)
	}
	ids := make([]string, 0, len(changed))
	for id := range changed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r.states[id] = changed[id]
		if err := r.emit(RunEvent{Type: "state", ID: id, State: changed[id]}); err != nil {
			return err
		}
	}
	return nil
}

// fromStore takes out of changed the minions whose return the store has,
// and handles those returns.
func (r *jobRun) fromStore(ctx context.Context, changed map[string]jobstore.MinionState) error {
	rec, err := r.m.store.GetJob(ctx, r.jid)
	if err != nil {
		r.m.log.Warn("look for returns stored by another master", "jid", r.jid, "error", err)
		return nil
	}
	for _, res := range rec.Results {
		if _, ok := changed[res.ID]; !ok || res.Return == nil {
			continue
		}
		delete(changed, res.ID)
		r.m.returned.add(res.ID, r.jid)
		ret := *res.Return
		if err := r.handle(minionEvent{id: res.ID, ret: &ret}); err != nil {
			return err
		}
	}
	return nil
}

// batched runs the job on a sliding window of size minions: as one
// finishes the next starts, until all ran or the failure budget is spent.
func (r *jobRun) batched(ctx context.Context, ids []string, size, failBudget int) error {
	queue := ids
	stopped := false
	for {
		inflight := r.sent.len() + r.acked.len()
		// --batch-fail N stops the rollout once N minions failed (or did
		// not return); nothing more is published after the Nth.
		if !stopped && failBudget >= 0 && r.failed+r.notReturned() >= max(failBudget, 1) {
			stopped = true
			r.m.log.Warn("batch failure budget exceeded; stopping rollout", "jid", r.jid, "failed", r.failed)
			if len(queue) > 0 {
				msg := fmt.Sprintf("Rollout stopped: %d failed or did not return, --batch-fail %d reached; %d minions not run", r.failed+r.notReturned(), max(failBudget, 1), len(queue))
				if err := r.emit(RunEvent{Type: "batch", JID: r.jid, Message: msg}); err != nil {
					return err
				}
			}
		}
		if !stopped && inflight < size && len(queue) > 0 {
			n := min(size-inflight, len(queue))
			if err := r.emit(RunEvent{Type: "batch", JID: r.jid, Expected: queue[:n]}); err != nil {
				return err
			}
			if err := r.publishAll(ctx, queue[:n]); err != nil {
				return err
			}
			queue = queue[n:]
			continue
		}
		if inflight == 0 && (stopped || len(queue) == 0) {
			break
		}
		timer := time.NewTimer(time.Until(r.nextDeadline()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case ev := <-r.lj.ch:
			if err := r.handle(ev); err != nil {
				timer.Stop()
				return err
			}
		case <-timer.C:
			if err := r.expire(ctx, time.Now()); err != nil {
				return err
			}
		}
		timer.Stop()
	}
	if len(queue) > 0 {
		skipped := map[string]jobstore.MinionState{}
		for _, id := range queue {
			skipped[id] = jobstore.StateSkipped
			r.states[id] = jobstore.StateSkipped
			if err := r.emit(RunEvent{Type: "state", ID: id, State: jobstore.StateSkipped}); err != nil {
				return err
			}
		}
		if err := r.m.store.SetStates(ctx, r.jid, skipped); err != nil {
			r.m.log.Error("store skipped states", "jid", r.jid, "error", err)
		}
	}
	return r.done(ctx)
}

// notReturned counts minions that ended without returning (they count
// against a batch's failure budget too).
func (r *jobRun) notReturned() int {
	n := 0
	for _, st := range r.states {
		switch st {
		case jobstore.StateOffline, jobstore.StateNoAck, jobstore.StateTimedOut, jobstore.StateLost:
			n++
		}
	}
	return n
}

func (r *jobRun) done(ctx context.Context) error {
	s := &Summary{Expected: len(r.states), Millis: float64(time.Since(r.started).Microseconds()) / 1000}
	for _, st := range r.states {
		switch st {
		case jobstore.StateReturned:
			s.Returned++
		case jobstore.StateOffline:
			s.Offline++
		case jobstore.StateNoAck:
			s.NoAck++
		case jobstore.StateTimedOut:
			s.TimedOut++
		case jobstore.StateLost:
			s.Lost++
		case jobstore.StateSkipped:
			s.Skipped++
		case jobstore.StateMaintenance:
			s.Maintenance++
		}
	}
	s.Failed = r.failed
	return r.emit(RunEvent{Type: "done", JID: r.jid, Summary: s})
}

// idTargeted reports whether a target is decided by minion ids alone, so
// the master's expected set is exactly the minions that would run it.
func idTargeted(typ, target string, nodegroups map[string]any) bool {
	switch orDefault(typ, "glob") {
	case "glob", "pcre", "list":
		return true
	case "nodegroup":
		ng, ok := nodegroups[target]
		if !ok {
			return false
		}
		switch g := ng.(type) {
		case []any:
			return true // a list of ids
		case string:
			// A compound of plain ids ("L@a,b or web*") has no grain,
			// pillar or subnet matcher in it.
			return onlyIDMatchers(g)
		}
	}
	return false
}

// onlyIDMatchers reports whether every matcher of a compound expression
// is on ids (L@, E@, or a plain glob).
func onlyIDMatchers(expr string) bool {
	for _, f := range strings.Fields(expr) {
		if i := strings.Index(f, "@"); i > 0 {
			switch strings.TrimLeft(f[:i], "(") {
			case "L", "E":
			default:
				return false
			}
		}
	}
	return true
}

// sendPrivate gives job to each of ids on its own request channel (sealed
// under that minion's key), targeted at that id alone: no other minion can
// read it, unlike a published job, which every holder of the publish key
// can decrypt. Minions that went away since are reported by the ack
// deadline as usual.
func (m *Master) sendPrivate(job *wire.Job, ids []string) {
	m.mu.RLock()
	sessions := make([]*session, 0, len(ids))
	for _, id := range ids {
		if s := m.sessions[id]; s != nil {
			sessions = append(sessions, s)
		}
	}
	m.mu.RUnlock()
	for _, s := range sessions {
		one := *job
		one.TargetType, one.Target, one.Nodegroups = "list", s.id, nil
		if err := s.send(wire.TypeJob, &one); err != nil {
			m.log.Warn("could not send private job", "jid", job.JID, "id", s.id, "error", err)
		}
	}
}

// publish signs, encrypts once and publishes a job to every subscriber,
// and sends the same envelope to those of ids whose minion has a single
// connection (transport: single).
func (m *Master) publish(job *wire.Job, ids []string) error {
	payload, err := codec.Marshal(job)
	if err != nil {
		return err
	}
	m.pubMu.Lock()
	defer m.pubMu.Unlock()
	env, err := m.keyring.Current().Seal(m.key, payload)
	if err != nil {
		return fmt.Errorf("seal job %s: %w", job.JID, err)
	}
	st := m.pub.Publish(env)
	var singles []*session
	m.mu.RLock()
	for _, id := range ids {
		if s := m.sessions[id]; s != nil && s.single.Load() {
			singles = append(singles, s)
		}
	}
	m.mu.RUnlock()
	for _, s := range singles {
		if err := s.conn.Send([]byte(wire.KindPublished), env); err == nil {
			st.Queued++
		}
	}
	m.mx.publishedBytes.Add(float64(st.Queued * len(env)))
	m.log.Named("publish").Debug("job published", "jid", job.JID, "fun", job.Fun, "subscribers", st.Queued, "dropped", st.Dropped, "bytes", len(env))
	return nil
}

func parseTimeout(s string) (time.Duration, error) {
	if d, err := config.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("invalid timeout %q (want e.g. 10s or 10)", s)
}

// parseCount reads "N" or "P%" of total; "" is 0.
func parseCount(s string, total int) (int, error) {
	if s == "" {
		return 0, nil
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || f <= 0 || f > 100 {
			return 0, fmt.Errorf("invalid percentage %q", s)
		}
		return max(1, int(math.Ceil(f*float64(total)/100))), nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid count %q (want N or P%%)", s)
	}
	return n, nil
}

func toSet(ids []string) map[string]struct{} {
	s := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		s[id] = struct{}{}
	}
	return s
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// usesNodegroups reports whether a target may refer to nodegroups, the
// only case in which minions need the master's definitions.
func usesNodegroups(typ, target string) bool {
	return typ == "nodegroup" || typ == "compound" && strings.Contains(target, "N@")
}
