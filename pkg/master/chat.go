package master

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/halite/halite/pkg/acl"
	"github.com/halite/halite/pkg/chatops"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/value"
)

// chatAnswerWithin is how long a chat request waits for its job before
// answering "working on it" (Slack wants an answer within 3 s); the
// result then goes to the request's response_url.
const chatAnswerWithin = 2500 * time.Millisecond

// confirmTTL is how long a confirmation code stays good.
const confirmTTL = 5 * time.Minute

// chatState is what ChatOps keeps between requests: the commands waiting
// for "confirm CODE", and the follow-up answers still being prepared.
type chatState struct {
	mu      sync.Mutex
	pending map[string]pendingChat // by code
	ctx     context.Context        // the master's: follow-ups end with it
	wg      *sync.WaitGroup
}

type pendingChat struct {
	user    string
	cmd     chatops.Command
	expires time.Time
}

// ChatReply is the JSON both Slack and Mattermost render.
type ChatReply struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// chatACL is the ACL of a chat user: its own entry in chatops.users and
// those of the groups it is a member of.
func (m *Master) chatACL(user string) (acl.ACL, error) {
	out := acl.ACL{Areas: []string{}}
	add := func(v any) error {
		a, err := aclFrom(v)
		if err != nil {
			return err
		}
		out.Allow = append(out.Allow, a.Allow...)
		out.Areas = append(out.Areas, a.Areas...)
		return nil
	}
	if v, ok := m.cfg.ChatOps.Users[user]; ok {
		if err := add(v); err != nil {
			return out, fmt.Errorf("chatops.users.%s: %w", user, err)
		}
	}
	names := make([]string, 0, len(m.cfg.ChatOps.Groups))
	for g := range m.cfg.ChatOps.Groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		gm, _ := m.cfg.ChatOps.Groups[g].(map[string]any)
		members, _ := gm["members"].([]any)
		in := false
		for _, mem := range members {
			in = in || fmt.Sprint(mem) == user
		}
		if !in {
			continue
		}
		rest := map[string]any{"allow": gm["allow"], "areas": gm["areas"]}
		if err := add(rest); err != nil {
			return out, fmt.Errorf("chatops.groups.%s: %w", g, err)
		}
	}
	return out, nil
}

func (m *Master) apiChat(platform string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ci, _ := r.Context().Value(connKey).(connInfo)
		src := ci.remote
		if ci.unix {
			src = "unix:" + ci.user
		}
		if m.apiAuthFail.blocked(sourceIP(src), time.Now()) {
			m.mx.apiAuth.WithLabelValues("rate_limited").Inc()
			writeError(w, http.StatusTooManyRequests, errors.New("too many failed requests from this address"))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			writeError(w, http.StatusBadRequest, err)
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("bad form: %w", err))
			return
		}
		switch platform {
		case "slack":
			err = chatops.VerifySlack(m.cfg.ChatOps.SlackSigningSecret, r.Header.Get("X-Slack-Request-Timestamp"), r.Header.Get("X-Slack-Signature"), body, time.Now())
		default:
			err = chatops.VerifyToken(m.cfg.ChatOps.MattermostToken, form.Get("token"))
		}
		if err != nil {
			m.authFailed(r, ci, platform+": "+err.Error())
			writeError(w, http.StatusUnauthorized, errors.New("request not verified"))
			return
		}
		user := form.Get("user_name")
		if user == "" {
			user = form.Get("user_id")
		}
		a, err := m.chatACL(user)
		if err != nil {
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		p := &principal{Name: platform + ":" + user, Source: src, ACL: a}
		m.mx.apiAuth.WithLabelValues("ok").Inc()
		text := form.Get("text")
		reply := m.chatCommand(r.Context(), p, user, text, form.Get("response_url"))
		m.auditAs(r, p.who(), "chat: "+clipText(text, 200)+" => "+clipText(reply, 300))
		writeJSON(w, ChatReply{ResponseType: "in_channel", Text: reply})
	}
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// chatCommand runs one command and returns the answer (or, for a job
// still running after chatAnswerWithin, says so and posts the answer to
// responseURL later).
func (m *Master) chatCommand(ctx context.Context, p *principal, user, text, responseURL string) string {
	cmd, err := chatops.Parse(text)
	if err != nil {
		return err.Error()
	}
	need := map[string]string{"status": "minions", "log": "log", "resolve": "log", "maintenance": "maintenance", "jobs": "jobs", "job": "jobs"}[cmd.Name]
	if need != "" && !p.ACL.HasArea(need) {
		return fmt.Sprintf("Not allowed: %s may not use %s (%s).", p.Name, cmd.Name, need)
	}
	switch cmd.Name {
	case "help":
		return chatops.Help
	case "status":
		return m.chatStatus(ctx)
	case "log", "resolve":
		e := jobstore.OpsEntry{Text: cmd.Text}
		if cmd.Name == "resolve" {
			e.Ticket, e.Tags = cmd.Ticket, []string{"ticket", "resolved"}
		}
		out, err := m.AddLog(ctx, p.Name, e)
		if err != nil {
			return "Not logged: " + err.Error()
		}
		if cmd.Name == "resolve" {
			return fmt.Sprintf("Ticket #%s resolved (ops log #%d).", cmd.Ticket, out.ID)
		}
		return fmt.Sprintf("Logged (#%d).", out.ID)
	case "maintenance":
		res, err := m.SetMaintenance(ctx, p.Name, MaintenanceRequest{Action: cmd.Action, Target: cmd.Target, TargetType: m.chatTargetType(cmd.Target), Reason: cmd.Text})
		if err != nil {
			return "Maintenance not changed: " + err.Error()
		}
		if len(res.Minions) == 0 {
			return "No minion changed."
		}
		return fmt.Sprintf("Maintenance %s: %s.", cmd.Action, strings.Join(res.Minions, ", "))
	case "jobs":
		return m.chatJobs(ctx, cmd.N)
	case "job":
		return m.chatJob(ctx, cmd.ID)
	case "confirm":
		m.chat.mu.Lock()
		pc, ok := m.chat.pending[cmd.ID]
		if ok && pc.user == p.Name && time.Now().Before(pc.expires) {
			delete(m.chat.pending, cmd.ID)
		} else {
			ok = false
		}
		m.chat.mu.Unlock()
		if !ok {
			return "No command waits for that code (it is someone else's, expired, or was used)."
		}
		return m.chatJobCommand(ctx, p, pc.cmd, responseURL, true)
	case "check", "run", "restart", "apply":
		return m.chatJobCommand(ctx, p, cmd, responseURL, false)
	}
	return chatops.Help
}

func (m *Master) chatTargetType(target string) string {
	if _, ok := m.cfg.Nodegroups[target]; ok {
		return "nodegroup"
	}
	return "compound"
}

// chatJobCommand runs the jobs a command stands for, under the user's
// ACL, asking for confirmation first when it changes many minions.
func (m *Master) chatJobCommand(ctx context.Context, p *principal, cmd chatops.Command, responseURL string, confirmed bool) string {
	tt := m.chatTargetType(cmd.Target)
	var reqs []*RunRequest
	switch cmd.Name {
	case "check":
		for _, f := range []string{"status.loadavg", "status.meminfo", "disk.usage"} {
			reqs = append(reqs, &RunRequest{Target: cmd.Target, TargetType: tt, Fun: f, Timeout: "10s"})
		}
	default:
		args := make([]any, len(cmd.Args))
		for i, a := range cmd.Args {
			args[i] = a
		}
		req := &RunRequest{Target: cmd.Target, TargetType: tt, Fun: cmd.Fun, Args: args, Timeout: "60s"}
		if cmd.Name == "apply" && cmd.Test {
			req.Kwargs = map[string]any{"test": true}
		}
		reqs = append(reqs, req)
	}
	for _, req := range reqs {
		req.User = p.who()
		if !p.ACL.All {
			req.Authorize = m.authorizer(ctx, p, req)
		}
	}
	// Decide before anything runs: allowed, and how many it changes.
	matched, _, err := m.matchTarget(ctx, reqs[0])
	if err != nil {
		return "Target: " + err.Error()
	}
	for _, req := range reqs {
		if req.Authorize != nil {
			if err := req.Authorize(matched); err != nil {
				return "Not allowed: " + strings.TrimPrefix(err.Error(), acl.ErrForbidden.Error()+": ")
			}
		}
	}
	if len(matched) == 0 {
		return fmt.Sprintf("Target %s matches no minion.", cmd.Target)
	}
	limit := m.cfg.ChatOps.ConfirmOver
	if limit == 0 {
		limit = 10
	}
	changes := cmd.Name == "run" || cmd.Name == "restart" || cmd.Name == "apply" && !cmd.Test
	if changes && !confirmed && len(matched) > limit {
		code := newConfirmCode()
		m.chat.mu.Lock()
		if m.chat.pending == nil {
			m.chat.pending = map[string]pendingChat{}
		}
		for c, pc := range m.chat.pending {
			if time.Now().After(pc.expires) {
				delete(m.chat.pending, c)
			}
		}
		m.chat.pending[code] = pendingChat{user: p.Name, cmd: cmd, expires: time.Now().Add(confirmTTL)}
		m.chat.mu.Unlock()
		return fmt.Sprintf("This runs %s on %d minions (%s). Reply `confirm %s` within %v to go ahead.",
			describeCmd(cmd), len(matched), listSome(matched, 5), code, confirmTTL)
	}

	// Run, answering within chatAnswerWithin; a longer run answers later.
	jctx, cancel := context.WithTimeout(m.chat.ctx, 10*time.Minute)
	done := make(chan string, 1)
	m.chat.wg.Add(1)
	go func() {
		defer m.chat.wg.Done()
		defer cancel()
		var parts []string
		var rets []map[string]RunEvent
		for _, req := range reqs {
			line, r := m.chatRun(jctx, req)
			parts = append(parts, line)
			rets = append(rets, r)
		}
		if cmd.Name == "check" {
			done <- formatCheck(parts, rets)
			return
		}
		done <- strings.Join(parts, "\n")
	}()
	select {
	case out := <-done:
		return out
	case <-time.After(chatAnswerWithin):
	}
	if responseURL == "" {
		return fmt.Sprintf("Running %s on %d minions; see `jobs` for the outcome.", describeCmd(cmd), len(matched))
	}
	m.chat.wg.Add(1)
	go func() {
		defer m.chat.wg.Done()
		select {
		case out := <-done:
			m.postChat(responseURL, out)
		case <-m.chat.ctx.Done():
		}
	}()
	return fmt.Sprintf("Running %s on %d minions; the outcome follows.", describeCmd(cmd), len(matched))
}

func describeCmd(c chatops.Command) string {
	switch c.Name {
	case "restart":
		return "service.restart " + strings.Join(c.Args, " ")
	case "check":
		return "a load check"
	}
	s := c.Fun
	if len(c.Args) > 0 {
		s += " " + strings.Join(c.Args, " ")
	}
	if c.Test {
		s += " test=True"
	}
	return s
}

func listSome(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:n], ", ") + fmt.Sprintf(" and %d more", len(ids)-n)
}

func newConfirmCode() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// chatRun runs one job and sums it up in a few lines: counts, the
// minions that failed or did not answer by name, and short returns.
func (m *Master) chatRun(ctx context.Context, req *RunRequest) (string, map[string]RunEvent) {
	returns := map[string]RunEvent{}
	states := map[string]string{}
	var jid string
	var sum *Summary
	err := m.RunJob(ctx, req, func(ev RunEvent) error {
		switch ev.Type {
		case "start":
			jid = ev.JID
		case "return":
			returns[ev.ID] = ev
		case "state":
			states[ev.ID] = string(ev.State)
		case "done":
			sum = ev.Summary
		}
		return nil
	})
	if err != nil {
		return fmt.Sprintf("%s on %s: %v", req.Fun, req.Target, err), returns
	}
	if sum == nil {
		return fmt.Sprintf("%s on %s: no summary (jid %s)", req.Fun, req.Target, jid), returns
	}
	var failed, missing []string
	for id, ev := range returns {
		if !ev.Success {
			failed = append(failed, id)
		}
	}
	for id, st := range states {
		if _, ok := returns[id]; !ok && st != string(jobstore.StateMaintenance) {
			missing = append(missing, id+" ("+st+")")
		}
	}
	sort.Strings(failed)
	sort.Strings(missing)
	line := fmt.Sprintf("%s on %s: %d returned, %d failed", req.Fun, req.Target, sum.Returned, sum.Failed)
	if len(failed) > 0 {
		line += " (" + listSome(failed, 50) + ")"
	}
	if len(missing) > 0 {
		line += fmt.Sprintf(", %d did not return (%s)", len(missing), listSome(missing, 50))
	}
	if sum.Maintenance > 0 {
		line += fmt.Sprintf(", %d in maintenance", sum.Maintenance)
	}
	line += " — jid " + jid
	if req.Fun != "status.meminfo" && req.Fun != "disk.usage" && req.Fun != "status.loadavg" && len(returns) <= 5 {
		ids := make([]string, 0, len(returns))
		for id := range returns {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			b, _ := json.Marshal(returns[id].Return)
			line += "\n" + id + ": " + clipText(string(b), 300)
		}
	}
	return line, returns
}

// formatCheck turns the three jobs of "check load" into one line per
// minion: load, memory, root disk; the jobs' summaries follow when one
// did not go well.
func formatCheck(parts []string, rets []map[string]RunEvent) string {
	ids := map[string]bool{}
	for _, r := range rets {
		for id := range r {
			ids[id] = true
		}
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	var lines []string
	for _, id := range sorted {
		var fields []string
		if ev, ok := rets[0][id]; ok && ev.Success {
			if l, ok := ev.Return.(map[string]any); ok {
				fields = append(fields, fmt.Sprintf("load %v %v %v", fmtNum(l["1-min"]), fmtNum(l["5-min"]), fmtNum(l["15-min"])))
			}
		}
		if ev, ok := rets[1][id]; ok && ev.Success {
			if mi, ok := ev.Return.(map[string]any); ok {
				total, avail := kb(mi["MemTotal"]), kb(mi["MemAvailable"])
				if total > 0 {
					fields = append(fields, fmt.Sprintf("memory %.0f%% used (%.1f of %.1f GiB)", 100*(total-avail)/total, (total-avail)/(1<<20), total/(1<<20)))
				}
			}
		}
		if ev, ok := rets[2][id]; ok && ev.Success {
			if du, ok := ev.Return.(map[string]any); ok {
				if root, ok := du["/"].(map[string]any); ok {
					fields = append(fields, fmt.Sprintf("/ %v full", root["capacity"]))
				}
			}
		}
		if len(fields) == 0 {
			fields = append(fields, "no answer")
		}
		lines = append(lines, id+": "+strings.Join(fields, " · "))
	}
	for _, p := range parts {
		if !strings.Contains(p, ", 0 failed") || strings.Contains(p, "did not return") {
			lines = append(lines, p)
		}
	}
	if len(lines) == 0 {
		return strings.Join(parts, "\n")
	}
	return strings.Join(lines, "\n")
}

func fmtNum(v any) string {
	if f, ok := value.Number(v); ok {
		return strconv.FormatFloat(f, 'f', 2, 64)
	}
	return fmt.Sprint(v)
}

// kb reads status.meminfo's {"value": "123", "unit": "kB"}.
func kb(v any) float64 {
	m, _ := v.(map[string]any)
	f, _ := value.Number(m["value"])
	return f
}

func (m *Master) chatStatus(ctx context.Context) string {
	ms, err := m.Minions(ctx)
	if err != nil {
		return err.Error()
	}
	var up, down, maint, pending int
	var downIDs []string
	for _, mi := range ms {
		switch {
		case mi.KeyState == "pending":
			pending++
		case mi.KeyState != "accepted":
		case mi.Maintenance != nil:
			maint++
		case mi.Connected:
			up++
		default:
			down++
			downIDs = append(downIDs, mi.ID)
		}
	}
	s := fmt.Sprintf("Fleet: %d up, %d down, %d in maintenance, %d keys pending.", up, down, maint, pending)
	if len(downIDs) > 0 {
		s += " Down: " + listSome(downIDs, 10) + "."
	}
	jobs, err := m.store.ListJobs(ctx, jobstore.JobFilter{Limit: 200})
	if err == nil {
		var failing []string
		for _, j := range jobs {
			if time.Since(j.Created) < time.Hour && j.Failed > 0 {
				failing = append(failing, fmt.Sprintf("%s %s on %s (%d failed)", j.JID, j.Fun, j.Target, j.Failed))
			}
		}
		if len(failing) > 0 {
			s += fmt.Sprintf("\nFailed jobs in the last hour: %d\n  %s", len(failing), strings.Join(failing[:min(5, len(failing))], "\n  "))
		} else {
			s += "\nNo failed jobs in the last hour."
		}
	}
	var overdue []string
	for _, st := range m.hostdata.Execs() {
		if st.Overdue {
			overdue = append(overdue, st.Minion+"/"+st.Name)
		}
	}
	if len(overdue) > 0 {
		s += "\nOverdue runs (cron, backups): " + listSome(overdue, 10) + "."
	}
	return s
}

func (m *Master) chatJobs(ctx context.Context, n int) string {
	jobs, err := m.store.ListJobs(ctx, jobstore.JobFilter{Limit: n})
	if err != nil {
		return err.Error()
	}
	if len(jobs) == 0 {
		return "No jobs."
	}
	var b strings.Builder
	for _, j := range jobs {
		fmt.Fprintf(&b, "%s %s on %s by %s: %d/%d returned, %d failed\n", j.JID, j.Fun, j.Target, j.User, j.Returned, j.Expected, j.Failed)
	}
	return strings.TrimSpace(b.String())
}

func (m *Master) chatJob(ctx context.Context, jid string) string {
	if err := m.batch.Flush(ctx); err != nil {
		return err.Error()
	}
	rec, err := m.store.GetJob(ctx, jid)
	if err != nil {
		return fmt.Sprintf("No job %s.", jid)
	}
	var ok, failed, other []string
	for _, mr := range rec.Results {
		switch {
		case mr.State == jobstore.StateReturned && mr.Return != nil && mr.Return.Success:
			ok = append(ok, mr.ID)
		case mr.State == jobstore.StateReturned:
			failed = append(failed, mr.ID)
		default:
			other = append(other, mr.ID+" ("+string(mr.State)+")")
		}
	}
	s := fmt.Sprintf("%s %s on %s by %s: %d succeeded, %d failed", jid, rec.Fun, rec.Target, rec.User, len(ok), len(failed))
	if len(failed) > 0 {
		s += " (" + listSome(failed, 10) + ")"
	}
	if len(other) > 0 {
		s += ", no return from " + listSome(other, 10)
	}
	return s
}

// postChat sends a late answer to a slash command's response_url.
func (m *Master) postChat(responseURL, text string) {
	if !strings.HasPrefix(responseURL, "https://") && !strings.HasPrefix(responseURL, "http://") {
		return
	}
	b, _ := json.Marshal(ChatReply{ResponseType: "in_channel", Text: text})
	ctx, cancel := context.WithTimeout(m.chat.ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(b))
	if err != nil {
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.log.Warn("chat follow-up not delivered", "error", err)
		return
	}
	resp.Body.Close()
}
