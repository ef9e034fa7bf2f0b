package state

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// OutputOptions are Salt's highstate outputter settings.
type OutputOptions struct {
	// StateOutput is Salt's state_output: "full" (the default), "terse",
	// "mixed" (terse unless failed), "changes" (terse unless failed or
	// changed) or "filter" (full, but states whose result is in Exclude
	// are hidden and those in Terse shown terse); a "_id" suffix shows the
	// ID instead of the name.
	StateOutput string
	// Exclude and Terse are Salt's state_output_exclude and
	// state_output_terse for "filter": results given as "True", "False"
	// or "None".
	Exclude, Terse []string
	// Verbose is Salt's state_verbose. Salt defaults it to true; when
	// false, states that succeeded without changes are not shown.
	Verbose bool
	// Color adds Salt's ANSI colours.
	Color bool
}

// DefaultOutputOptions are Salt's defaults: full output, verbose, colour
// as the caller decides.
func DefaultOutputOptions(color bool) OutputOptions {
	return OutputOptions{StateOutput: "full", Verbose: true, Color: color}
}

// FormatHighstate writes a minion's state results in Salt's highstate
// layout: one block per state in run order, then the summary.
func FormatHighstate(w io.Writer, minion string, ret map[string]*StateReturn, opts OutputOptions) error {
	_, err := io.WriteString(w, formatHost(minion, ret, opts)+"\n")
	return err
}

// FormatCompileErrors writes compile errors the way the highstate
// outputter shows a run that could not start ("Data failed to compile").
func FormatCompileErrors(w io.Writer, minion string, errs []string, opts OutputOptions) error {
	c := colors(opts.Color)
	lines := []string{
		c.lightRed + stripEsc(minion) + ":" + c.endc,
		"    " + c.lightRed + "Data failed to compile:" + c.endc,
	}
	for _, e := range errs {
		lines = append(lines, c.lightRed+"----------\n    "+stripEsc(e)+c.endc)
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

// resultIn reports whether a state's result is one of results ("True",
// "False", "None", as Salt's filter options name them).
func resultIn(r *bool, results []string) bool {
	name := pyResult(r)
	for _, x := range results {
		if strings.EqualFold(strings.TrimSpace(x), name) {
			return true
		}
	}
	return false
}

// formatHost is a port of _format_host in Salt's salt/output/highstate.py.
func formatHost(host string, data map[string]*StateReturn, opts OutputOptions) string {
	c := colors(opts.Color)
	mode := strings.ToLower(opts.StateOutput)
	if mode == "" {
		mode = "full"
	}
	hcolor := c.green
	var (
		hstrs                       []string
		nTrue, nFalse, nNone, nchgs int
		total                       float64
	)
	tags := make([]string, 0, len(data))
	for tag, r := range data {
		if r != nil {
			tags = append(tags, tag)
		}
	}
	sort.Slice(tags, func(i, j int) bool {
		a, b := data[tags[i]], data[tags[j]]
		if a.RunNum != b.RunNum {
			return a.RunNum < b.RunNum
		}
		return tags[i] < tags[j]
	})
	for _, tag := range tags {
		r := data[tag]
		switch {
		case r.Result == nil:
			nNone++
		case *r.Result:
			nTrue++
		default:
			nFalse++
		}
		total += r.Duration
		changed := len(r.Changes) > 0
		if changed {
			nchgs++
		}
		if !opts.Verbose && isTrue(r.Result) && !changed {
			continue
		}
		tcolor := c.green
		if changed {
			tcolor = c.cyan
		}
		if r.Failed() {
			hcolor, tcolor = c.red, c.red
		}
		if r.Result == nil {
			hcolor, tcolor = c.lightYellow, c.lightYellow
		}
		if strings.HasPrefix(mode, "filter") && resultIn(r.Result, opts.Exclude) {
			continue
		}
		comps := tagParts(tag, r)
		if strings.HasSuffix(mode, "_id") {
			comps[2] = comps[1]
		}
		if strings.HasPrefix(mode, "terse") ||
			(strings.HasPrefix(mode, "mixed") && !r.Failed()) ||
			(strings.HasPrefix(mode, "changes") && isTrue(r.Result) && !changed) ||
			(strings.HasPrefix(mode, "filter") && resultIn(r.Result, opts.Terse)) {
			hstrs = append(hstrs, formatTerse(tcolor, comps, r, c))
			continue
		}
		lines := []string{
			tcolor + "----------" + c.endc,
			"    " + tcolor + "      ID: " + comps[1] + c.endc,
			"    " + tcolor + "Function: " + comps[0] + "." + comps[3] + c.endc,
		}
		if comps[1] != comps[2] {
			lines = append(lines, "    "+tcolor+"    Name: "+comps[2]+c.endc)
		}
		comment := strings.ReplaceAll(strings.TrimSpace(r.Comment), "\n", "\n"+strings.Repeat(" ", 14))
		lines = append(lines,
			"    "+tcolor+"  Result: "+pyResult(r.Result)+c.endc,
			"    "+tcolor+" Comment: "+comment+c.endc,
		)
		if r.StartTime != "" {
			lines = append(lines,
				"    "+tcolor+" Started: "+r.StartTime+c.endc,
				"    "+tcolor+"Duration: "+pyFloat(r.Duration)+" ms"+c.endc,
			)
		}
		hstrs = append(hstrs, lines...)
		hstrs = append(hstrs, tcolor+"     Changes:   "+formatChanges(r.Changes, c)+c.endc)
	}

	// The summary, sized to its longest count as Salt does.
	countMax := 0
	for _, n := range []int{nTrue, nFalse, nNone} {
		if n > 0 { // Salt counts only the outcomes that occurred
			countMax = max(countMax, len(strconv.Itoa(n)))
		}
	}
	lineMax := len("Succeeded") + countMax + 2
	counts := func(label string, n int) string {
		return fmt.Sprintf("%s: %*d", label, lineMax-(len(label)+2), n)
	}
	hstrs = append(hstrs, c.cyan+"\nSummary for "+stripEsc(host)+"\n"+strings.Repeat("-", lineMax)+c.endc)
	var stats []string
	if nNone > 0 {
		stats = append(stats, c.lightYellow+"unchanged="+strconv.Itoa(nNone)+c.endc)
	}
	if nchgs > 0 {
		stats = append(stats, c.green+"changed="+strconv.Itoa(nchgs)+c.endc)
	}
	changestats := ""
	if len(stats) > 0 {
		changestats = " (" + strings.Join(stats, ", ") + ")"
	}
	hstrs = append(hstrs, c.green+counts("Succeeded", nTrue+nNone)+c.endc+changestats)
	failColor := c.cyan
	if nFalse > 0 {
		failColor = c.red
	}
	hstrs = append(hstrs, failColor+counts("Failed", nFalse)+c.endc)
	hstrs = append(hstrs, c.cyan+strings.Repeat("-", lineMax)+"\nTotal states run: "+
		fmt.Sprintf("%*d", lineMax-7, nTrue+nFalse+nNone)+c.endc)
	unit := "ms"
	if total > 999 {
		total /= 1000
		unit = "s"
	}
	hstrs = append(hstrs, c.cyan+"Total run time: "+fmt.Sprintf("%*s", lineMax-5, fmt.Sprintf("%.3f", total))+" "+unit+c.endc)

	return hcolor + stripEsc(host) + ":" + c.endc + "\n" + strings.Join(hstrs, "\n")
}

// tagParts splits a tag into module, ID, name and function, falling back
// to the return's own fields for a tag that is not Salt-shaped.
func tagParts(tag string, r *StateReturn) [4]string {
	parts := strings.Split(tag, "_|-")
	if len(parts) < 4 {
		return [4]string{tag, r.ID, r.Name, ""}
	}
	return [4]string{parts[0], parts[1], strings.Join(parts[2:len(parts)-1], "_|-"), parts[len(parts)-1]}
}

func formatTerse(tcolor string, comps [4]string, r *StateReturn, c palette) string {
	result := "Clean"
	if len(r.Changes) > 0 {
		result = "Changed"
	}
	if r.Failed() {
		result = "Failed"
	} else if r.Result == nil {
		result = "Differs"
	}
	s := " " + tcolor + " Name: " + comps[2] + " - Function: " + comps[0] + "." + comps[3] + " - Result: " + result
	if r.StartTime != "" {
		s += " Started: - " + r.StartTime + " Duration: " + pyFloat(r.Duration) + " ms"
	}
	return s + c.endc
}

// formatChanges renders changes with the nested outputter at indent 14.
func formatChanges(changes map[string]any, c palette) string {
	if len(changes) == 0 {
		return ""
	}
	lines := nested{c: c}.display(changes, 14, "", nil)
	return "\n" + rstrip(strings.Join(lines, "\n"))
}

// AsReturns reads the return of a state function (state.apply and
// friends) as decoded from the wire or JSON, maps with Salt's keys, so a
// master can print it with FormatHighstate. It reports false for data of
// another shape (compile errors come back as a list of strings).
func AsReturns(v any) (map[string]*StateReturn, bool) {
	switch v := v.(type) {
	case map[string]*StateReturn:
		return v, true
	case map[string]any:
		out := make(map[string]*StateReturn, len(v))
		for tag, x := range v {
			m, ok := x.(map[string]any)
			if !ok {
				return nil, false
			}
			if _, ok := m["result"]; !ok {
				return nil, false
			}
			r := &StateReturn{}
			switch res := m["result"].(type) {
			case bool:
				r.Result = &res
			case nil:
			default:
				return nil, false
			}
			r.Name, _ = m["name"].(string)
			r.Comment, _ = m["comment"].(string)
			r.StartTime, _ = m["start_time"].(string)
			r.SLS, _ = m["__sls__"].(string)
			r.ID, _ = m["__id__"].(string)
			r.Changes, _ = m["changes"].(map[string]any)
			if r.Changes == nil {
				r.Changes = map[string]any{}
			}
			r.Duration = toFloat(m["duration"])
			r.RunNum = int(toFloat(m["__run_num__"]))
			out[tag] = r
		}
		return out, true
	}
	return nil, false
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case float64:
		return v
	case float32:
		return float64(v)
	case int:
		return float64(v)
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	case string:
		f, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " ms"), 64)
		return f
	}
	return 0
}
