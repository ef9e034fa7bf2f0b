package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/halite/halite/pkg/cli"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/output"
	"github.com/halite/halite/pkg/state"
)

type runFlags struct {
	targetType string
	timeout    string
	batch      string
	batchFail  string
	async      bool
	explain    bool
	private    bool
	fullReturn bool
	test       bool
	progress   bool
	stateOut   string
	stateVerb  bool
	// stateExclude and stateTerse are the filter mode's result lists.
	stateExclude, stateTerse []string
	rev                      string // apply --rev
	inclMaint                bool
	color                    bool
}

func runCmd(a *app) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [flags] TARGET FUNCTION [ARG...] [key=value...]",
		Short: "Run an execution function on the minions a target matches",
		Example: `  halite-master run '*' test.ping
  halite-master run -t grain 'os:Debian' cmd.run 'uptime'
  halite-master run -t compound 'G@role:web and not web3' pkg.version nginx --out json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return cli.Usagef("want TARGET FUNCTION [ARG...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			posargs, kwargs := cli.ParseArgs(args[2:])
			return runJob(cmd, a, &f, args[0], args[1], posargs, kwargs)
		},
	}
	addRunFlags(cmd, a, &f)
	return cmd
}

func applyCmd(a *app) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "apply [flags] TARGET [SLS...]",
		Short: "Apply states (state.apply): the highstate, or the SLS files named",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 {
				return cli.Usagef("want TARGET [SLS...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			// Salt's habits: `apply web* nginx test=True saltenv=base
			// pillar='{...}'` — key=value words are keyword arguments.
			sls, kwargs := cli.ParseArgs(args[1:])
			var names []string
			for _, s := range sls {
				names = append(names, fmt.Sprint(s))
			}
			var posargs []any
			if len(names) > 0 {
				posargs = []any{strings.Join(names, ",")}
			}
			if f.test {
				if kwargs == nil {
					kwargs = map[string]any{}
				}
				kwargs["test"] = true
			}
			if f.rev != "" {
				if kwargs == nil {
					kwargs = map[string]any{}
				}
				kwargs["rev"] = f.rev
			}
			return runJob(cmd, a, &f, args[0], "state.apply", posargs, kwargs)
		},
	}
	addRunFlags(cmd, a, &f)
	cmd.Flags().BoolVar(&f.test, "test", false, "dry run: report what would change, change nothing")
	cmd.Flags().StringVar(&f.rev, "rev", "", "apply the gitfs tree as of this commit, branch or tag")
	return cmd
}

// shortTargets are Salt's one-letter target flags, aliases of -t TYPE.
var shortTargets = []struct {
	letter, long, typ string
}{{"E", "pcre", "pcre"}, {"L", "list", "list"}, {"G", "grain", "grain"}, {"P", "grain-pcre", "grain_pcre"}, {"I", "pillar", "pillar"},
	{"S", "ipcidr", "ipcidr"}, {"C", "compound", "compound"}, {"N", "nodegroup", "nodegroup"}}

// stateOutputs are the --state-output modes (Salt's state_output).
var stateOutputs = []string{"full", "terse", "mixed", "changes", "filter", "full_id", "terse_id", "mixed_id", "changes_id", "filter_id"}

// validate refuses bad flag values before anything is published.
func (f *runFlags) validate(cmd *cobra.Command) error {
	set := 0
	for _, st := range shortTargets {
		if v, _ := cmd.Flags().GetBool(st.long); v {
			f.targetType = st.typ
			set++
		}
	}
	if set > 1 || set == 1 && cmd.Flags().Changed("tgt-type") {
		return cli.Usagef("give one target type (-t TYPE or one of -E -L -G -P -I -S -C -N)")
	}
	if !slices.Contains(stateOutputs, strings.ToLower(f.stateOut)) {
		return cli.Usagef("--state-output %q: want one of %s", f.stateOut, strings.Join(stateOutputs, ", "))
	}
	for _, l := range [][]string{f.stateExclude, f.stateTerse} {
		for _, r := range l {
			if r = strings.TrimSpace(r); r != "" && !slices.Contains([]string{"true", "false", "none"}, strings.ToLower(r)) {
				return cli.Usagef("--state-output-exclude/--state-output-terse: %q is not True, False or None", r)
			}
		}
	}
	if f.batchFail != "" && f.batch == "" {
		return cli.Usagef("--batch-fail needs --batch")
	}
	return nil
}

func addRunFlags(cmd *cobra.Command, a *app, f *runFlags) {
	fl := cmd.Flags()
	fl.StringVarP(&f.targetType, "tgt-type", "t", "glob", "target type: glob, pcre, list, grain, grain_pcre, pillar, pillar_pcre, ipcidr, compound, nodegroup (unlike Salt's -t, which is a timeout: use --timeout)")
	for _, st := range shortTargets {
		fl.BoolP(st.long, st.letter, false, "target type "+st.typ+" (as -t "+st.typ+")")
	}
	fl.StringVar(&f.timeout, "timeout", "10s", "how long to wait for minions that acknowledged the job and still run")
	fl.StringVarP(&f.batch, "batch", "b", "", "run on N minions (or P%) at a time")
	fl.StringVar(&f.batch, "batch-size", "", "as --batch (Salt's other name for it)")
	fl.StringVar(&f.batchFail, "batch-fail", "", "with --batch: stop the rollout after N (or P%) failures")
	fl.BoolVar(&f.async, "async", false, "print the job id and return at once")
	fl.BoolVar(&f.explain, "explain", false, "show which minions the target matches, without running anything")
	fl.BoolVar(&f.private, "private", false, "send the job to each targeted minion on its own encrypted channel (jobs targeted by id always are)")
	fl.BoolVar(&f.fullReturn, "full-return", false, "with --out json|yaml: give ret, retcode, success and state per minion")
	fl.BoolVar(&f.progress, "progress", true, "show a progress line on a terminal")
	fl.StringVar(&f.stateOut, "state-output", "full", "state results: full, terse, mixed, changes or filter (and their _id forms)")
	fl.StringSliceVar(&f.stateExclude, "state-output-exclude", nil, "with --state-output filter: hide states with these results (True, False, None)")
	fl.StringSliceVar(&f.stateTerse, "state-output-terse", nil, "with --state-output filter: show states with these results on one line")
	fl.BoolVar(&f.stateVerb, "state-verbose", true, "show states that succeeded without changes")
	fl.BoolVar(&f.inclMaint, "include-maintenance", false, "run on minions in maintenance too (they are left out otherwise)")
	addOut(cmd, a)
}

// printResult writes one minion's result in the text layout.
func printResult(w io.Writer, f *runFlags, fun string, r result) error {
	if r.State != jobstore.StateReturned {
		return output.Nested(w, r.ID, r.value(false))
	}
	opts := state.DefaultOutputOptions(f.color)
	opts.StateOutput, opts.Verbose = f.stateOut, f.stateVerb
	opts.Exclude, opts.Terse = f.stateExclude, f.stateTerse
	if err := cli.PrintReturn(w, r.ID, fun, r.Return, r.Success, opts); err != nil {
		return err
	}
	if !r.Success && !strings.HasPrefix(fun, "state.") {
		// Failures say why: the exit code, beside whatever it printed.
		_, err := fmt.Fprintf(w, "    [retcode %d]\n", r.Retcode)
		return err
	}
	return nil
}

// notReturned is Salt's wording for a minion without a return.
func notReturned(st jobstore.MinionState) string {
	switch st {
	case jobstore.StateOffline:
		return "Minion did not return. [Not connected]"
	case jobstore.StateNoAck:
		return "Minion did not return. [No response]"
	case jobstore.StateTimedOut:
		return "Minion did not return. [Still running: timed out]"
	case jobstore.StateLost:
		return "Minion did not return. [Lost: the minion restarted while running it]"
	case jobstore.StateSkipped:
		return "Minion did not run. [Batch stopped: failure budget spent]"
	case jobstore.StateMaintenance:
		return "Minion did not run. [In maintenance: --include-maintenance to include it]"
	}
	return "Minion did not return. [No return yet]"
}

// result is one minion's outcome, for printing.
type result struct {
	ID      string
	State   jobstore.MinionState
	Return  any
	Retcode int
	Success bool
}

func (r result) value(full bool) any {
	if full {
		return map[string]any{"ret": r.Return, "retcode": r.Retcode, "success": r.Success, "state": string(r.State)}
	}
	if r.State != jobstore.StateReturned {
		return notReturned(r.State)
	}
	return r.Return
}

func runJob(cmd *cobra.Command, a *app, f *runFlags, target, fun string, args []any, kwargs map[string]any) error {
	if err := f.validate(cmd); err != nil {
		return err
	}
	f.color = a.color()
	format, err := a.format()
	if err != nil {
		return err
	}
	c, err := a.client()
	if err != nil {
		return err
	}
	req := &master.RunRequest{
		Target: target, TargetType: f.targetType, Fun: fun, Args: args, Kwargs: kwargs,
		Timeout: f.timeout, Batch: f.batch, BatchFail: f.batchFail, Async: f.async, Explain: f.explain, Private: f.private, IncludeMaintenance: f.inclMaint,
	}
	w := cmd.OutOrStdout()
	p := newProgress(f.progress && format == output.Text && isTerminal(os.Stderr))
	var (
		results []result
		summary *master.Summary
		jid     string
	)
	err = c.Run(cmd.Context(), req, func(ev master.RunEvent) error {
		switch ev.Type {
		case "explain":
			return printExplain(w, format, req, ev)
		case "start":
			jid = ev.JID
			p.expect(len(ev.Expected))
			if f.async {
				if format == output.Text {
					fmt.Fprintf(w, "Executed command with job ID: %s\n", ev.JID)
					return nil
				}
				return output.Write(w, format, map[string]string{"jid": ev.JID})
			}
		case "batch":
			if format == output.Text {
				p.clear()
				if ev.Message != "" {
					fmt.Fprintln(w, ev.Message)
				} else {
					fmt.Fprintf(w, "Executing run on [%s]\n", strings.Join(ev.Expected, ", "))
				}
			}
		case "return", "state":
			r := result{ID: ev.ID, State: ev.State, Return: ev.Return, Retcode: ev.Retcode, Success: ev.Success}
			if ev.Type == "return" {
				r.State = jobstore.StateReturned
			}
			results = append(results, r)
			p.clear()
			switch format {
			case output.Text:
				if err := printResult(w, f, fun, r); err != nil {
					return err
				}
			case output.Raw:
				// Salt's raw outputter: one line per minion as it returns.
				if err := output.WriteRaw(w, map[string]any{r.ID: r.value(f.fullReturn)}); err != nil {
					return err
				}
			}
			p.tick(r.State)
		case "done":
			summary = ev.Summary
		}
		return nil
	})
	p.clear()
	if err != nil {
		return apiErr(err)
	}
	if f.async || f.explain {
		return nil
	}
	if format != output.Text && format != output.Raw {
		out := map[string]any{}
		for _, r := range results {
			out[r.ID] = r.value(f.fullReturn)
		}
		if err := output.Write(w, format, out); err != nil {
			return err
		}
	} else if summary != nil && format == output.Text {
		for _, r := range results {
			if r.State == jobstore.StateReturned && !r.Success && !strings.HasPrefix(fun, "state.") {
				fmt.Fprintln(w, "ERROR: Minions returned with non-zero exit code")
				break
			}
		}
		fmt.Fprintln(w, summaryLine(summary))
		if summary.Expected == 0 {
			fmt.Fprintln(os.Stderr, "No minions matched the target.")
		}
	}
	if format == output.Text && summary != nil && summary.TimedOut > 0 {
		fmt.Fprintf(os.Stderr, "Returns that arrive later are stored: halite-master jobs show %s\n", jid)
	}
	return exitFor(summary, results)
}

func exitFor(s *master.Summary, results []result) error {
	if s == nil {
		return cli.Exit(cli.ExitUsage, fmt.Errorf("job ended without a summary"))
	}
	if s.Offline+s.NoAck+s.TimedOut+s.Lost > 0 {
		return cli.Exit(cli.ExitNoReturn, nil)
	}
	for _, r := range results {
		if r.State == jobstore.StateReturned && !r.Success || r.State == jobstore.StateSkipped {
			return cli.Exit(cli.ExitFailed, nil)
		}
	}
	if s.Expected == 0 {
		return cli.Exit(cli.ExitNoReturn, nil)
	}
	return nil
}

func summaryLine(s *master.Summary) string {
	return summaryCounts(s) + fmt.Sprintf(" in %.0f ms", s.Millis)
}

// summaryCounts is the summary without the duration (for stored jobs).
func summaryCounts(s *master.Summary) string {
	line := fmt.Sprintf("%d returned, %d failed, %d offline, %d timed out", s.Returned, s.Failed, s.Offline, s.TimedOut)
	if s.NoAck > 0 {
		line += fmt.Sprintf(", %d no-ack", s.NoAck)
	}
	if s.Lost > 0 {
		line += fmt.Sprintf(", %d lost", s.Lost)
	}
	if s.Skipped > 0 {
		line += fmt.Sprintf(", %d skipped", s.Skipped)
	}
	if s.Maintenance > 0 {
		line += fmt.Sprintf(", %d in maintenance", s.Maintenance)
	}
	return line
}

func printExplain(w io.Writer, f output.Format, req *master.RunRequest, ev master.RunEvent) error {
	var matched, other []string
	conn := map[string]bool{}
	for _, l := range ev.Explain {
		conn[l.ID] = l.Connected
		if l.Matches {
			matched = append(matched, l.ID)
		} else {
			other = append(other, l.ID)
		}
	}
	sort.Strings(matched)
	if f != output.Text {
		return output.Write(w, f, map[string]any{"target": req.Target, "tgt_type": req.TargetType, "matched": nonNil(matched), "not_matched": nonNil(other)})
	}
	fmt.Fprintf(w, "Target %s %q matches %d of %d accepted minions:\n", req.TargetType, req.Target, len(matched), len(ev.Explain))
	for _, id := range matched {
		state := "offline"
		if conn[id] {
			state = "connected"
		}
		fmt.Fprintf(w, "    %s (%s)\n", id, state)
	}
	fmt.Fprintln(w, "Nothing was published.")
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// progress is a one-line counter on stderr while returns stream in.
type progress struct {
	on       bool
	expected int
	done     int
	shown    bool
}

func newProgress(on bool) *progress { return &progress{on: on} }

func (p *progress) expect(n int) { p.expected = n }

func (p *progress) tick(jobstore.MinionState) {
	p.done++
	if !p.on {
		return
	}
	fmt.Fprintf(os.Stderr, "\r[%d/%d] minions finished", p.done, p.expected)
	p.shown = true
}

func (p *progress) clear() {
	if p.on && p.shown {
		fmt.Fprint(os.Stderr, "\r\033[K")
		p.shown = false
	}
}

// isTerminal reports whether f is a terminal (a character device such as
// /dev/null is not: it answers no terminal ioctl).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
