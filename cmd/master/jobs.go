package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/halite/halite/pkg/cli"
	"github.com/halite/halite/pkg/events"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/output"
)

func jobsCmd(a *app) *cobra.Command {
	jobs := &cobra.Command{Use: "jobs", Short: "Look up stored jobs and their results"}
	var filter jobstore.JobFilter
	list := &cobra.Command{
		Use: "list", Short: "List recent jobs, newest first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			js, err := c.Jobs(cmd.Context(), filter)
			if err != nil {
				return apiErr(err)
			}
			w := cmd.OutOrStdout()
			if f != output.Text {
				return output.Write(w, f, js)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "JID\tFUNCTION\tTARGET\tUSER\tRETURNED\tFAILED\tSTARTED")
			for _, j := range js {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%d\t%s\n", j.JID, j.Fun, j.Target, j.User, j.Returned, j.Expected, j.Failed, j.Created.Local().Format(time.DateTime))
			}
			return tw.Flush()
		},
	}
	list.Flags().IntVar(&filter.Limit, "limit", 50, "show at most N jobs")
	list.Flags().StringVar(&filter.Fun, "fun", "", "only jobs of this function")
	list.Flags().StringVar(&filter.Target, "target", "", "only jobs with this target")
	addOut(list, a)
	var full bool
	show := &cobra.Command{
		Use: "show JID", Short: "Show a job's results (same formats as run)", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			rec, err := c.Job(cmd.Context(), args[0])
			if err != nil {
				return apiErr(err)
			}
			w := cmd.OutOrStdout()
			results := make([]result, 0, len(rec.Results))
			s := &master.Summary{Expected: len(rec.Job.Expected)}
			for _, mr := range rec.Results {
				r := result{ID: mr.ID, State: mr.State}
				if mr.Return != nil {
					r.Return, r.Retcode, r.Success = mr.Return.Return, mr.Return.Retcode, mr.Return.Success
					r.State = jobstore.StateReturned
				}
				results = append(results, r)
				switch r.State {
				case jobstore.StateReturned:
					s.Returned++
					if !r.Success {
						s.Failed++
					}
				case jobstore.StateOffline:
					s.Offline++
				case jobstore.StateNoAck:
					s.NoAck++
				case jobstore.StateTimedOut:
					s.TimedOut++
				case jobstore.StateLost:
					s.Lost++
				}
			}
			sort.Slice(results, func(i, j int) bool { return results[i].ID < results[j].ID })
			trees, _ := rec.Job.Meta["tree_sha"].(map[string]any)
			pillars := map[string]any{} // minion → hash of the pillar its state run compiled
			for _, mr := range rec.Results {
				if mr.Return != nil && mr.Return.PillarHash != "" {
					pillars[mr.ID] = mr.Return.PillarHash
				}
			}
			if f != output.Text {
				out := map[string]any{}
				for _, r := range results {
					out[r.ID] = r.value(full)
				}
				if len(trees) > 0 {
					out["tree_sha"] = trees
				}
				if len(pillars) > 0 {
					out["pillar_hash"] = pillars
				}
				return output.Write(w, f, out)
			}
			fmt.Fprintf(w, "Job %s: %s on %s %q by %s at %s\n", rec.Job.JID, rec.Job.Fun, rec.Job.TargetType, rec.Job.Target, rec.Job.User, rec.Job.Created.Local().Format(time.DateTime))
			for _, name := range slices.Sorted(maps.Keys(trees)) {
				fmt.Fprintf(w, "Tree %s at %v\n", name, trees[name])
			}
			for _, id := range slices.Sorted(maps.Keys(pillars)) {
				fmt.Fprintf(w, "Pillar of %s: %v\n", id, pillars[id])
			}
			for _, r := range results {
				if err := output.Nested(w, r.ID, r.value(false)); err != nil {
					return err
				}
			}
			fmt.Fprintln(w, summaryCounts(s))
			return nil
		},
	}
	show.Flags().BoolVar(&full, "full-return", false, "with --out json|yaml: give ret, retcode, success and state per minion")
	addOut(show, a)
	diff := &cobra.Command{
		Use: "diff JID1 JID2", Short: "What changed in the gitfs trees between two state runs", Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			diffs, err := c.JobsDiff(cmd.Context(), args[0], args[1])
			if err != nil {
				return apiErr(err)
			}
			w := cmd.OutOrStdout()
			if f != output.Text {
				return output.Write(w, f, diffs)
			}
			for _, d := range diffs {
				fmt.Fprintf(w, "%s: %s..%s\n", d.Remote, short(d.From), short(d.To))
				if d.Error != "" {
					fmt.Fprintf(w, "    error: %s\n", d.Error)
				}
				for _, file := range d.Files {
					fmt.Fprintf(w, "    %s\n", file)
				}
				if len(d.Files) == 0 && d.Error == "" {
					fmt.Fprintln(w, "    (no files changed)")
				}
			}
			return nil
		},
	}
	addOut(diff, a)
	jobs.AddCommand(list, show, diff, searchCmd(a))
	return jobs
}

func minionsCmd(a *app) *cobra.Command {
	var down, up bool
	cmd := &cobra.Command{
		Use: "minions", Short: "List minions: key state, connection, last seen, version (--down, --up: Salt's manage.down/up)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if down && up {
				return cli.Usagef("give --down or --up, not both")
			}
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			all, err := c.Minions(cmd.Context())
			if err != nil {
				return apiErr(err)
			}
			ms := all[:0:0]
			for _, m := range all {
				accepted := m.KeyState == "accepted"
				if down && (!accepted || m.Connected) || up && (!accepted || !m.Connected) {
					continue
				}
				ms = append(ms, m)
			}
			if (down || up) && f == output.Text {
				for _, m := range ms {
					fmt.Fprintln(cmd.OutOrStdout(), m.ID)
				}
				return nil
			}
			w := cmd.OutOrStdout()
			if f != output.Text {
				return output.Write(w, f, ms)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tKEY\tCONNECTED\tLAST SEEN\tVERSION\tOS\tMAINTENANCE")
			for _, m := range ms {
				seen := "-"
				if m.LastSeen != nil {
					seen = time.Since(*m.LastSeen).Round(time.Second).String() + " ago"
				}
				conn := "no"
				switch {
				case m.KeyState != "accepted":
					conn = m.KeyState // pending, rejected, denied: not a connection question
				case m.Connected:
					conn = "yes"
				}
				maint := "-"
				if m.Maintenance != nil {
					maint = "since " + m.Maintenance.Since.Local().Format(time.DateTime) + " by " + m.Maintenance.Author
					if m.Maintenance.Reason != "" {
						maint += ": " + m.Maintenance.Reason
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.KeyState, conn, seen, orDash(m.Version), orDash(m.OS), maint)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&down, "down", false, "only accepted minions not connected (ids only in text)")
	cmd.Flags().BoolVar(&up, "up", false, "only connected minions (ids only in text)")
	addOut(cmd, a)
	return cmd
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func eventsCmd(a *app) *cobra.Command {
	var tag, explain, data string
	cmd := &cobra.Command{
		Use:   "events [--tag GLOB] | --explain TAG [--data JSON]",
		Short: "Stream the master's events as JSON lines until interrupted, or show which reactor rules an event would fire",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if explain != "" {
				return explainEvent(cmd, a, explain, data)
			}
			if data != "" {
				return cli.Usagef("--data goes with --explain")
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			err = c.EventsMatching(cmd.Context(), tag, func(raw []byte, _ events.Event) error {
				_, err := fmt.Fprintf(w, "%s\n", raw)
				return err
			})
			if err != nil && cmd.Context().Err() == nil {
				return apiErr(err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&tag, "tag", "", "only events whose tag matches this glob (* spans /), e.g. 'halite/job/*'")
	cmd.Flags().StringVar(&explain, "explain", "", "show the reactor rules an event with this tag would fire, rendered, without firing them")
	cmd.Flags().StringVar(&data, "data", "", "with --explain: the event's data as a JSON object")
	addOut(cmd, a)
	return cmd
}

func explainEvent(cmd *cobra.Command, a *app, tag, data string) error {
	f, c, err := a.formatAndClient()
	if err != nil {
		return err
	}
	var d map[string]any
	if data != "" {
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return cli.Usagef("--data: %v", err)
		}
	}
	xs, err := c.ExplainEvent(cmd.Context(), tag, d)
	if err != nil {
		return apiErr(err)
	}
	w := cmd.OutOrStdout()
	if f != output.Text {
		return output.Write(w, f, xs)
	}
	if len(xs) == 0 {
		fmt.Fprintf(w, "No reactor rule matches %s.\n", tag)
		return nil
	}
	for _, x := range xs {
		fmt.Fprintf(w, "rule %d (tag %s) matches:\n", x.Rule.Index, x.Rule.Tag)
		switch {
		case x.Error != "":
			fmt.Fprintf(w, "    it would fail: %s\n", x.Error)
		case x.Action.Kind == "webhook":
			fmt.Fprintf(w, "    it would POST the event to %s\n", x.Action.URL)
		default:
			tt := x.Action.TargetType
			if tt == "" {
				tt = "glob"
			}
			fmt.Fprintf(w, "    it would run %s", x.Action.Fun)
			for _, arg := range x.Action.Args {
				fmt.Fprintf(w, " %v", arg)
			}
			for k, v := range x.Action.Kwargs {
				fmt.Fprintf(w, " %s=%v", k, v)
			}
			fmt.Fprintf(w, " on %s %q\n", tt, x.Action.Target)
		}
	}
	return nil
}

func auditCmd(a *app) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use: "audit", Short: "List the audit log: every API call, who made it and its outcome", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			es, err := c.Audit(cmd.Context(), limit)
			if err != nil {
				return apiErr(err)
			}
			w := cmd.OutOrStdout()
			if f != output.Text {
				return output.Write(w, f, es)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tUSER\tACTION\tTARGET\tFUNCTION\tJID\tOUTCOME")
			for _, e := range es {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format(time.DateTime), e.User, e.Action, orDash(e.Target), orDash(e.Fun), orDash(e.JID), e.Outcome)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 100, "show at most N entries")
	addOut(cmd, a)
	return cmd
}

// short is a commit's abbreviation.
func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}
