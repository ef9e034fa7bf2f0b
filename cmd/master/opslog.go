package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/halite/halite/pkg/cli"
	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/output"
)

func logCmd(a *app) *cobra.Command {
	var (
		ticket string
		tags   []string
		jids   []string
	)
	cmd := &cobra.Command{
		Use:   "log TEXT...",
		Short: "Write a note to the ops log (why things happened), beside the jobs and key changes",
		Example: `  halite-master log Upgraded redis to 2.8.19
  halite-master log --ticket 8 Ended up just needing to restart Apache
  halite-master log list --since 7d --grep redis`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			e := jobstore.OpsEntry{Text: strings.Join(args, " "), Ticket: strings.TrimPrefix(ticket, "#"), Tags: tags, JIDs: jids}
			if e.Ticket != "" {
				e.Tags = append(e.Tags, "ticket")
			}
			out, err := c.AddLog(cmd.Context(), e)
			if err != nil {
				return apiErr(err)
			}
			if f != output.Text {
				return output.Write(cmd.OutOrStdout(), f, out)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "logged #%d\n", out.ID)
			return nil
		},
	}
	cmd.Flags().StringVar(&ticket, "ticket", "", "the ticket this note resolves or belongs to")
	cmd.Flags().StringSliceVar(&tags, "tag", nil, "tags (repeatable)")
	cmd.Flags().StringSliceVar(&jids, "jid", nil, "related job ids")
	addOut(cmd, a)
	var since, grep string
	var limit int
	list := &cobra.Command{
		Use: "list", Short: "Read the ops log", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			l, err := c.Log(cmd.Context(), since, grep, limit)
			if err != nil {
				return apiErr(err)
			}
			if f != output.Text {
				return output.Write(cmd.OutOrStdout(), f, l)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tAUTHOR\tTICKET\tTEXT")
			for _, e := range l {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Time.Local().Format(time.DateTime), e.Author, orDash(e.Ticket), e.Text)
			}
			return tw.Flush()
		},
	}
	list.Flags().StringVar(&since, "since", "", "only notes from this long ago on (e.g. 24h, 7d)")
	list.Flags().StringVar(&grep, "grep", "", "only notes matching this regular expression")
	list.Flags().IntVar(&limit, "limit", 0, "at most this many, the newest")
	addOut(list, a)
	cmd.AddCommand(list)
	return cmd
}

func maintenanceCmd(a *app) *cobra.Command {
	var reason, until, tgtType string
	cmd := &cobra.Command{
		Use:   "maintenance start|stop TARGET",
		Short: "Put minions in maintenance (jobs skip them, no down or deadman alerts) or take them out",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 || (args[0] != "start" && args[0] != "stop") {
				return cli.Usagef("want start|stop TARGET")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			res, err := c.Maintenance(cmd.Context(), master.MaintenanceRequest{Action: args[0], Target: args[1], TargetType: tgtType, Reason: reason, Until: until})
			if err != nil {
				return apiErr(err)
			}
			if f != output.Text {
				return output.Write(cmd.OutOrStdout(), f, res)
			}
			verb := "in maintenance"
			if res.Action == "stop" {
				verb = "out of maintenance"
			}
			if len(res.Minions) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no minion changed")
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s\n", verb, strings.Join(res.Minions, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (shown in minions, the ops log and events)")
	cmd.Flags().StringVar(&until, "until", "", "end it by itself after this long (e.g. 2h)")
	cmd.Flags().StringVarP(&tgtType, "tgt-type", "t", "glob", "target type")
	addOut(cmd, a)
	return cmd
}
