// Package notify sends chosen master events to chat incoming webhooks
// (Slack, Mattermost): minions down and back, boots, overdue cron and
// backup runs, failed state runs, pending keys, ops log entries.
//
// Events are gathered for a batch window and sent as one message per
// sink, grouped by kind with counts ("50 minions down: m0, m1, … and 40
// more"), so a storm is one message, not a thousand. Delivery is retried
// a few times and never blocks the master: the notifier reads the event
// bus like any subscriber (a slow one loses events, counted, rather than
// holding anyone up).
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/halite/halite/pkg/events"
	"github.com/halite/halite/pkg/targeting"
)

// Sink is one webhook and the events it wants.
type Sink struct {
	URL    string
	Format string // slack or mattermost (both render {"text": ...})
	Tags   []string
	// Batch is how long events are gathered into one message; 5s when 0.
	Batch time.Duration
}

// maxPerBatch bounds what one batch holds; beyond it events are counted.
const maxPerBatch = 10000

// Notifier delivers events to sinks.
type Notifier struct {
	sinks  []*sink
	client *http.Client
	log    hclog.Logger
	// Sent and Failed count messages, for metrics and tests.
	mu           sync.Mutex
	sent, failed int
}

type sink struct {
	Sink
	match []targeting.Pattern
	in    chan events.Event
}

// New prepares a notifier for sinks.
func New(sinks []Sink, log hclog.Logger) *Notifier {
	n := &Notifier{client: &http.Client{Timeout: 10 * time.Second}, log: log}
	for _, s := range sinks {
		sk := &sink{Sink: s, in: make(chan events.Event, 1024)}
		if sk.Batch <= 0 {
			sk.Batch = 5 * time.Second
		}
		for _, t := range s.Tags {
			sk.match = append(sk.match, targeting.CompilePattern(t))
		}
		n.sinks = append(n.sinks, sk)
	}
	return n
}

// Counts returns the messages sent and those given up on.
func (n *Notifier) Counts() (sent, failed int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.sent, n.failed
}

// Run reads events from sub until ctx ends, delivering them to the sinks.
func (n *Notifier) Run(ctx context.Context, sub <-chan events.Event) {
	if len(n.sinks) == 0 {
		return
	}
	var wg sync.WaitGroup
	for _, s := range n.sinks {
		wg.Add(1)
		go func() { defer wg.Done(); n.runSink(ctx, s) }()
	}
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub:
			if !ok {
				return
			}
			for _, s := range n.sinks {
				if !s.wants(ev.Tag) {
					continue
				}
				select {
				case s.in <- ev:
				default: // the sink is behind (a dead webhook): drop, never wait
				}
			}
		}
	}
}

func (s *sink) wants(tag string) bool {
	for _, p := range s.match {
		if p.Match(tag) {
			return true
		}
	}
	return false
}

// runSink gathers a batch from the first event on, for the batch window,
// then sends it.
func (n *Notifier) runSink(ctx context.Context, s *sink) {
	for {
		var batch []events.Event
		dropped := 0
		select {
		case <-ctx.Done():
			return
		case ev := <-s.in:
			batch = append(batch, ev)
		}
		t := time.NewTimer(s.Batch)
	gather:
		for {
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case ev := <-s.in:
				if len(batch) < maxPerBatch {
					batch = append(batch, ev)
				} else {
					dropped++
				}
			case <-t.C:
				break gather
			}
		}
		n.deliver(ctx, s, Format(batch, dropped))
	}
}

// deliver posts text, retrying with backoff for a bounded time.
func (n *Notifier) deliver(ctx context.Context, s *sink, text string) {
	body, _ := json.Marshal(map[string]string{"text": text})
	backoff := time.Second
	for attempt := 1; ; attempt++ {
		err := n.post(ctx, s.URL, body)
		if err == nil {
			n.mu.Lock()
			n.sent++
			n.mu.Unlock()
			return
		}
		if attempt == 4 || ctx.Err() != nil {
			n.mu.Lock()
			n.failed++
			n.mu.Unlock()
			n.log.Warn("notification not delivered", "url", redact(s.URL), "attempts", attempt, "error", err)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

func (n *Notifier) post(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %s", resp.Status)
	}
	return nil
}

// redact keeps a webhook's secret path out of logs.
func redact(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[:i+3+j] + "/…"
		}
	}
	return u
}

// kind is how events are grouped in a message.
type kind struct {
	title string // "minions down"
	order int
}

// classify names an event's group and the item it adds to it.
func classify(ev events.Event) (kind, string) {
	p := strings.Split(ev.Tag, "/")
	str := func(k string) string { s, _ := ev.Data[k].(string); return s }
	switch {
	case len(p) == 4 && p[1] == "minion" && p[3] == "down":
		return kind{"minions down", 0}, p[2]
	case len(p) == 4 && p[1] == "minion" && p[3] == "start":
		return kind{"minions started (boot)", 1}, p[2]
	case len(p) == 4 && p[1] == "minion" && p[3] == "up":
		return kind{"minions back up", 2}, p[2]
	case len(p) >= 4 && p[1] == "deadman":
		return kind{"runs overdue (deadman)", 3}, p[2] + "/" + strings.Join(p[3:], "/")
	case len(p) == 6 && p[1] == "job" && p[3] == "ret":
		if ok, _ := ev.Data["success"].(bool); !ok {
			return kind{"failed runs", 4}, p[5] + " " + str("fun") + " (jid " + p[2] + ")"
		}
		return kind{"runs", 9}, p[5] + " " + str("fun")
	case len(p) == 3 && p[1] == "auth" && str("result") == "pending":
		return kind{"keys pending acceptance", 5}, p[2]
	case len(p) >= 3 && p[1] == "beacon":
		return kind{"beacon events", 6}, strings.Join(p[2:], "/")
	case ev.Tag == "halite/ops/log":
		item := str("author") + ": " + str("text")
		if t := str("ticket"); t != "" {
			item += " (ticket #" + t + ")"
		}
		return kind{"ops log", 7}, item
	case len(p) >= 2 && p[1] == "maintenance":
		return kind{"maintenance", 8}, strings.Join(p[2:], "/") + " " + fmt.Sprint(ev.Data["minions"])
	}
	return kind{ev.Tag, 10}, ""
}

// Format writes a batch as one message: per kind, a count and the items
// (at most 10 named).
func Format(batch []events.Event, dropped int) string {
	type group struct {
		k     kind
		items []string
		n     int
	}
	groups := map[string]*group{}
	for _, ev := range batch {
		k, item := classify(ev)
		g := groups[k.title]
		if g == nil {
			g = &group{k: k}
			groups[k.title] = g
		}
		g.n++
		if item != "" && len(g.items) < 10 {
			g.items = append(g.items, item)
		}
	}
	list := make([]*group, 0, len(groups))
	for _, g := range groups {
		list = append(list, g)
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].k.order != list[j].k.order {
			return list[i].k.order < list[j].k.order
		}
		return list[i].k.title < list[j].k.title
	})
	var b strings.Builder
	for _, g := range list {
		fmt.Fprintf(&b, "%d %s", g.n, g.k.title)
		if len(g.items) > 0 {
			sort.Strings(g.items)
			b.WriteString(": " + strings.Join(g.items, ", "))
			if g.n > len(g.items) {
				fmt.Fprintf(&b, " and %d more", g.n-len(g.items))
			}
		}
		b.WriteByte('\n')
	}
	if dropped > 0 {
		fmt.Fprintf(&b, "(%d more events not shown)\n", dropped)
	}
	return strings.TrimSpace(b.String())
}
