package master

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/halite/halite/pkg/events"
	"github.com/halite/halite/pkg/reactor"
	"github.com/halite/halite/pkg/template"
)

// Reactor bounds: a rule fires at most reactionsPerSecond times a second
// (a burst of events, or a rule that reacts to its own jobs, cannot flood
// the fleet); reactionQueue reactions wait for reactionWorkers.
const (
	reactionsPerSecond = 20
	reactionQueue      = 1024
	reactionWorkers    = 4
	webhookTimeout     = 10 * time.Second
)

var webhookRetries = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}

// reactorState is the master's reactor: its rules and what it is doing.
type reactorState struct {
	rules []reactor.Rule
	eng   *template.Engine
	hc    *http.Client
	count *prometheus.CounterVec

	mu      sync.Mutex
	windows map[int]rateWindow
	ownJobs map[string]struct{} // jids the reactor started, see skip
	order   []string
}

type rateWindow struct {
	start time.Time
	n     int
}

type reaction struct {
	ev     events.Event
	action reactor.Action
}

func newReactorState(rules []reactor.Rule) *reactorState {
	return &reactorState{
		rules: rules,
		eng:   template.New(nil, nil),
		hc:    &http.Client{Timeout: webhookTimeout},
		count: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halite_reactions_total",
			Help: "Reactor actions, by result: ok, failed, limited (over the per-rule rate), dropped (queue full), render_error.",
		}, []string{"result"}),
		windows: map[int]rateWindow{},
		ownJobs: map[string]struct{}{},
	}
}

// allow counts a firing of rule against its per-second budget.
func (r *reactorState) allow(rule int, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.windows[rule]
	if now.Sub(w.start) >= time.Second {
		w = rateWindow{start: now}
	}
	w.n++
	r.windows[rule] = w
	return w.n <= reactionsPerSecond
}

// own remembers a jid the reactor started (bounded).
func (r *reactorState) own(jid string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ownJobs[jid] = struct{}{}
	r.order = append(r.order, jid)
	if len(r.order) > 4096 {
		delete(r.ownJobs, r.order[0])
		r.order = r.order[1:]
	}
}

// skip is true for the events of the reactor's own jobs: a rule on
// halite/job/* must not react to the jobs it starts, without end.
func (r *reactorState) skip(ev events.Event) bool {
	if u, _ := ev.Data["user"].(string); strings.HasPrefix(u, "reactor") {
		return true
	}
	rest, ok := strings.CutPrefix(ev.Tag, "halite/job/")
	if !ok {
		return false
	}
	jid, _, _ := strings.Cut(rest, "/")
	r.mu.Lock()
	defer r.mu.Unlock()
	_, mine := r.ownJobs[jid]
	return mine
}

// react follows the event bus and carries out the reactor's rules until
// ctx ends.
func (m *Master) react(ctx context.Context) {
	r := m.reactor
	sub := m.events.Subscribe(4096)
	defer sub.Close()
	work := make(chan reaction, reactionQueue)
	var wg sync.WaitGroup
	for range reactionWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range work {
				m.carryOut(ctx, w)
			}
		}()
	}
	defer wg.Wait()
	defer close(work)
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return
			}
			if r.skip(ev) {
				continue
			}
			for _, rule := range reactor.Matching(r.rules, ev.Tag) {
				if !r.allow(rule.Index, time.Now()) {
					r.count.WithLabelValues("limited").Inc()
					continue
				}
				a, err := reactor.Render(ctx, r.eng, rule, ev.Tag, ev.Data)
				if err != nil {
					r.count.WithLabelValues("render_error").Inc()
					m.reactionFailed(rule.Index, ev, err)
					continue
				}
				select {
				case work <- reaction{ev: ev, action: a}:
				default:
					r.count.WithLabelValues("dropped").Inc()
					m.reactionFailed(rule.Index, ev, fmt.Errorf("reaction queue full (%d waiting)", reactionQueue))
				}
			}
		}
	}
}

func (m *Master) reactionFailed(rule int, ev events.Event, err error) {
	m.log.Named("reactor").Error("reaction failed", "rule", rule, "tag", ev.Tag, "error", err)
	m.events.Publish("halite/reactor/"+strconv.Itoa(rule)+"/error", map[string]any{"rule": rule, "cause": ev.Tag, "error": err.Error(), "user": "reactor"})
}

// carryOut performs one reaction: a job (audited, with its cause in the
// job's meta) or a webhook call.
func (m *Master) carryOut(ctx context.Context, w reaction) {
	r := m.reactor
	a := w.action
	cause := map[string]any{"tag": w.ev.Tag, "rule": a.Rule, "time": w.ev.Time}
	var err error
	switch a.Kind {
	case reactor.KindWebhook:
		err = m.postWebhook(ctx, a.URL, w.ev, a.Rule)
	default:
		req := &RunRequest{
			Target: a.Target, TargetType: a.TargetType, Fun: a.Fun, Args: a.Args, Kwargs: a.Kwargs,
			Async: true, User: "reactor", Cause: cause,
			// An id target goes on the minion's own channel: a minion that
			// just started may not have its subscription up yet.
			Private: (a.TargetType == "" || a.TargetType == "glob" || a.TargetType == "list") && !strings.ContainsAny(a.Target, "*?["),
		}
		err = m.RunJob(ctx, req, func(ev RunEvent) error {
			if ev.Type == "start" {
				r.own(ev.JID)
				m.log.Named("reactor").Info("reaction started a job", "rule", a.Rule, "cause", w.ev.Tag, "jid", ev.JID, "fun", a.Fun, "tgt", a.Target)
			}
			return nil
		})
	}
	if err != nil {
		r.count.WithLabelValues("failed").Inc()
		m.reactionFailed(a.Rule, w.ev, err)
		return
	}
	r.count.WithLabelValues("ok").Inc()
}

// postWebhook posts the event as JSON, retrying with backoff on errors
// and 5xx answers.
func (m *Master) postWebhook(ctx context.Context, hook string, ev events.Event, rule int) error {
	body, err := json.Marshal(map[string]any{"tag": ev.Tag, "time": ev.Time, "data": ev.Data, "rule": rule})
	if err != nil {
		return err
	}
	var last error
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := m.reactor.hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode < 300 {
				return nil
			}
			last = fmt.Errorf("webhook %s: %s", hook, resp.Status)
			if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
				return last // the hook refuses this request: retrying will not help
			}
		} else {
			last = err
		}
		if attempt >= len(webhookRetries) || !waitCtx(ctx, webhookRetries[attempt]) {
			return last
		}
	}
}

func waitCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Explanation is what `events --explain TAG` shows for one rule.
type Explanation struct {
	Rule   reactor.Rule    `json:"rule"`
	Action *reactor.Action `json:"action,omitempty"`
	Error  string          `json:"error,omitempty"`
}

// ExplainEvent lists the rules an event with tag and data would fire, each
// rendered as it would be, without doing anything.
func (m *Master) ExplainEvent(ctx context.Context, tag string, data map[string]any) []Explanation {
	out := []Explanation{}
	for _, rule := range reactor.Matching(m.reactor.rules, tag) {
		x := Explanation{Rule: rule}
		a, err := reactor.Render(ctx, m.reactor.eng, rule, tag, data)
		if err != nil {
			x.Error = err.Error()
		} else {
			x.Action = &a
		}
		out = append(out, x)
	}
	return out
}

func (m *Master) apiExplainEvent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	tag := q.Get("tag")
	if tag == "" {
		writeError(w, http.StatusBadRequest, fmt.Errorf("no tag"))
		return
	}
	data := map[string]any{}
	if d := q.Get("data"); d != "" {
		if err := json.Unmarshal([]byte(d), &data); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("data: %w", err))
			return
		}
	}
	writeJSON(w, m.ExplainEvent(r.Context(), tag, data))
}

// ExplainEvent asks the master which reactor rules an event would fire.
func (c *Client) ExplainEvent(ctx context.Context, tag string, data map[string]any) ([]Explanation, error) {
	q := "tag=" + url.QueryEscape(tag)
	if len(data) > 0 {
		b, err := json.Marshal(data)
		if err != nil {
			return nil, err
		}
		q += "&data=" + url.QueryEscape(string(b))
	}
	var out []Explanation
	return out, c.getJSON(ctx, "/v1/reactor/explain?"+q, &out)
}
