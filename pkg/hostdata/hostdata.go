// Package hostdata keeps what minions report about themselves between
// operator jobs — the latest value of each scheduled function, the last
// run of each named exec (cron jobs, backups) with its deadman, and login
// counts from beacons — and exports it as Prometheus metrics.
//
// Cardinality is bounded on purpose: a fleet of thousands with a few
// scheduled functions each can produce far more series than a Prometheus
// server wants. Values beyond the configured bound are counted in
// halite_minion_values_dropped_total, never dropped in silence.
package hostdata

import (
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/halite/halite/pkg/value"
)

// Limits bound the halite_minion_value series.
type Limits struct {
	// Funs are globs of the function names whose values are exported;
	// empty means every function.
	Funs []string
	// MaxSeries bounds the series across all minions; 0 means the
	// default.
	MaxSeries int
}

// DefaultMaxSeries is MaxSeries when none is configured.
const DefaultMaxSeries = 50000

// maxKeysPerValue bounds the leaves taken from one return, so a function
// returning a huge tree cannot use the whole series budget by itself.
const maxKeysPerValue = 256

// Table is the fleet's host data. Its methods are safe for concurrent
// use.
type Table struct {
	limits Limits

	mu     sync.Mutex
	values map[valueKey]map[string]float64 // minion,fun → key → value
	series int
	execs  map[execKey]*ExecStatus
	logins map[loginKey]float64

	dropped prometheus.Counter
	// refused counts named runs and login series not kept because their
	// bound was reached (a minion reporting endless names).
	refused *prometheus.CounterVec
}

// Bounds on what minions can make the master remember: each new exec name
// or login (service, result) pair is a series.
const (
	maxExecs       = 10000
	maxLoginSeries = 10000
)

type valueKey struct{ minion, fun string }
type execKey struct{ minion, name string }
type loginKey struct{ minion, service, result string }

// New returns an empty table.
func New(l Limits) *Table {
	if l.MaxSeries <= 0 {
		l.MaxSeries = DefaultMaxSeries
	}
	return &Table{
		limits: l,
		values: map[valueKey]map[string]float64{},
		execs:  map[execKey]*ExecStatus{},
		logins: map[loginKey]float64{},
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "halite_minion_values_dropped_total",
			Help: "Numeric leaves of scheduled returns not exported as halite_minion_value: beyond metrics_minion_values.max_series or the per-return bound.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "halite_hostdata_refused_total",
			Help: "Reports not kept because a bound was reached, by kind: exec (10,000 named runs), login (10,000 login series).",
		}, []string{"kind"}),
	}
}

// Exported reports whether fun's values are exported at all.
func (t *Table) Exported(fun string) bool {
	if len(t.limits.Funs) == 0 {
		return true
	}
	for _, g := range t.limits.Funs {
		if ok, _ := path.Match(g, fun); ok {
			return true
		}
	}
	return false
}

// PutValue replaces the latest value of fun on minion with the numeric
// leaves of v (numbers, numeric strings and booleans; nested keys joined
// with "."; a top-level number has the key "value").
func (t *Table) PutValue(minion, fun string, v any) {
	if !t.Exported(fun) {
		return
	}
	leaves := map[string]float64{}
	over := flatten("", v, leaves)
	t.mu.Lock()
	defer t.mu.Unlock()
	k := valueKey{minion, fun}
	t.series -= len(t.values[k])
	room := t.limits.MaxSeries - t.series
	if len(leaves) > room {
		// Keep a stable subset: the first keys in order.
		keys := sortedKeys(leaves)
		for _, key := range keys[max(room, 0):] {
			delete(leaves, key)
			over++
		}
	}
	if over > 0 {
		t.dropped.Add(float64(over))
	}
	if len(leaves) == 0 {
		delete(t.values, k)
		return
	}
	t.values[k] = leaves
	t.series += len(leaves)
}

// Value returns the latest exported leaves of fun on minion (a copy).
func (t *Table) Value(minion, fun string) map[string]float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]float64, len(t.values[valueKey{minion, fun}]))
	for k, v := range t.values[valueKey{minion, fun}] {
		out[k] = v
	}
	return out
}

// Forget drops everything known about minion (its key was deleted).
func (t *Table) Forget(minion string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, v := range t.values {
		if k.minion == minion {
			t.series -= len(v)
			delete(t.values, k)
		}
	}
	for k := range t.execs {
		if k.minion == minion {
			delete(t.execs, k)
		}
	}
	for k := range t.logins {
		if k.minion == minion {
			delete(t.logins, k)
		}
	}
}

// flatten collects the numeric leaves of v under prefix into out and
// returns how many leaves it left out for the per-value bound.
func flatten(prefix string, v any, out map[string]float64) (over int) {
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			over += flatten(join(k), x[k], out)
		}
		return over
	case []any:
		for i, e := range x {
			over += flatten(join(strconv.Itoa(i)), e, out)
		}
		return over
	}
	f, ok := number(v)
	if !ok {
		return 0
	}
	if prefix == "" {
		prefix = "value"
	}
	if len(out) >= maxKeysPerValue {
		return 1
	}
	out[prefix] = f
	return 0
}

// number is v as a float when it is a number, a numeric string (disk
// usage's "42%" included) or a bool.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		return value.Number(strings.TrimSuffix(strings.TrimSpace(x), "%"))
	}
	return value.Float(v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ExecRun is one report of a named exec run.
type ExecRun struct {
	Name        string           `json:"name"`
	Start       time.Time        `json:"start"`
	Duration    time.Duration    `json:"duration_ns"`
	ExitCode    int              `json:"exit_code"`
	OutputBytes int64            `json:"output_bytes"`
	Sizes       map[string]int64 `json:"sizes,omitempty"`
	ExpectEvery time.Duration    `json:"expect_every_ns,omitempty"`
	JID         string           `json:"jid,omitempty"`
}

// ExecStatus is what the master knows of one named run on one minion.
type ExecStatus struct {
	Minion string `json:"minion"`
	ExecRun
	// Reported is when the master received the last run; the deadman
	// counts from it (the minion's clock is not trusted for that).
	Reported    time.Time `json:"reported"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	// Due is when the next report is expected, zero without a deadman.
	Due     time.Time `json:"due,omitzero"`
	Overdue bool      `json:"overdue"`
}

// deadmanGrace is the slack past expect_every before a run is overdue.
const deadmanGrace = 0.10

// PutExec records a run reported at now.
func (t *Table) PutExec(minion string, r ExecRun, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := execKey{minion, r.Name}
	st := t.execs[k]
	if st == nil && len(t.execs) >= maxExecs {
		t.refused.WithLabelValues("exec").Inc()
		return
	}
	if st == nil {
		st = &ExecStatus{Minion: minion}
		t.execs[k] = st
	} else if !r.Start.After(st.Start) && !st.Start.IsZero() {
		// An older run delivered late (it was spooled): it must not
		// replace a newer one, but it may be the last success.
		if r.ExitCode == 0 && r.Start.After(st.LastSuccess) {
			st.LastSuccess = r.Start
		}
		return
	}
	st.ExecRun = r
	st.Reported = now
	if r.ExitCode == 0 {
		st.LastSuccess = r.Start
	}
	st.Due = time.Time{}
	if r.ExpectEvery > 0 {
		st.Due = now.Add(r.ExpectEvery + time.Duration(float64(r.ExpectEvery)*deadmanGrace))
	}
	st.Overdue = false
}

// CheckDeadman marks the runs whose report is past due at now and returns
// those that became overdue with this call (each once per miss).
func (t *Table) CheckDeadman(now time.Time) []ExecStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []ExecStatus
	for _, st := range t.execs {
		if st.Due.IsZero() || st.Overdue || now.Before(st.Due) {
			continue
		}
		st.Overdue = true
		out = append(out, *st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Minion != out[j].Minion {
			return out[i].Minion < out[j].Minion
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Execs lists every named run, by minion then name.
func (t *Table) Execs() []ExecStatus {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]ExecStatus, 0, len(t.execs))
	for _, st := range t.execs {
		c := *st
		c.Sizes = copySizes(st.Sizes)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Minion != out[j].Minion {
			return out[i].Minion < out[j].Minion
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func copySizes(m map[string]int64) map[string]int64 {
	if m == nil {
		return nil
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// AddLogins adds counts of logins seen on minion, by service and result
// ("failed" or "ok").
func (t *Table) AddLogins(minion, service, result string, n float64) {
	if n <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	k := loginKey{minion, service, result}
	if _, ok := t.logins[k]; !ok && len(t.logins) >= maxLoginSeries {
		t.refused.WithLabelValues("login").Inc()
		return
	}
	t.logins[k] += n
}

var (
	descValue       = prometheus.NewDesc("halite_minion_value", "Latest numeric leaves of scheduled functions' returns (bounded by metrics_minion_values).", []string{"minion", "fun", "key"}, nil)
	descExecDur     = prometheus.NewDesc("halite_exec_last_duration_seconds", "Duration of the last run of a named exec.", []string{"minion", "name"}, nil)
	descExecCode    = prometheus.NewDesc("halite_exec_last_exit_code", "Exit code of the last run of a named exec.", []string{"minion", "name"}, nil)
	descExecRun     = prometheus.NewDesc("halite_exec_last_run_timestamp_seconds", "Start of the last run of a named exec (Unix seconds).", []string{"minion", "name"}, nil)
	descExecSuccess = prometheus.NewDesc("halite_exec_last_success_timestamp_seconds", "Start of the last run that exited 0 (Unix seconds).", []string{"minion", "name"}, nil)
	descExecOutput  = prometheus.NewDesc("halite_exec_output_bytes", "Bytes of output of the last run of a named exec.", []string{"minion", "name"}, nil)
	descExecSize    = prometheus.NewDesc("halite_exec_size_bytes", "Size of each --size path after the last run of a named exec.", []string{"minion", "name", "path"}, nil)
	descExecOverdue = prometheus.NewDesc("halite_exec_overdue", "1 when a named exec with --expect-every has not reported in time (deadman).", []string{"minion", "name"}, nil)
	descLogins      = prometheus.NewDesc("halite_logins_total", "Logins seen by the login beacon, by service and result (failed, ok).", []string{"minion", "service", "result"}, nil)
)

// Describe implements prometheus.Collector.
func (t *Table) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descValue, descExecDur, descExecCode, descExecRun, descExecSuccess, descExecOutput, descExecSize, descExecOverdue, descLogins} {
		ch <- d
	}
	t.dropped.Describe(ch)
	t.refused.Describe(ch)
}

// Collect implements prometheus.Collector.
func (t *Table) Collect(ch chan<- prometheus.Metric) {
	t.dropped.Collect(ch)
	t.refused.Collect(ch)
	t.mu.Lock()
	defer t.mu.Unlock()
	for k, leaves := range t.values {
		for key, v := range leaves {
			ch <- prometheus.MustNewConstMetric(descValue, prometheus.GaugeValue, v, k.minion, k.fun, key)
		}
	}
	for k, st := range t.execs {
		g := func(d *prometheus.Desc, v float64, extra ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{k.minion, k.name}, extra...)...)
		}
		g(descExecDur, st.Duration.Seconds())
		g(descExecCode, float64(st.ExitCode))
		g(descExecRun, unixSeconds(st.Start))
		if !st.LastSuccess.IsZero() {
			g(descExecSuccess, unixSeconds(st.LastSuccess))
		}
		g(descExecOutput, float64(st.OutputBytes))
		for p, n := range st.Sizes {
			g(descExecSize, float64(n), p)
		}
		overdue := 0.0
		if st.Overdue {
			overdue = 1
		}
		g(descExecOverdue, overdue)
	}
	for k, n := range t.logins {
		ch <- prometheus.MustNewConstMetric(descLogins, prometheus.CounterValue, n, k.minion, k.service, k.result)
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
