package main

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/halite/halite/pkg/jobstore"
	"github.com/halite/halite/pkg/output"
)

func execCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "exec", Short: "Named runs reported by `halite-minion exec` (cron jobs, backups)"}
	list := &cobra.Command{
		Use: "list", Short: "List every named run: last start, duration, exit code, sizes, next due, overdue", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			runs, err := c.Execs(cmd.Context())
			if err != nil {
				return apiErr(err)
			}
			w := cmd.OutOrStdout()
			if f != output.Text {
				return output.Write(w, f, runs)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "MINION\tNAME\tLAST START\tDURATION\tEXIT\tSIZES\tNEXT DUE\tSTATUS")
			for _, r := range runs {
				due, status := "-", "ok"
				if !r.Due.IsZero() {
					due = r.Due.Local().Format(time.DateTime)
				}
				switch {
				case r.Overdue:
					status = "OVERDUE"
				case r.ExitCode != 0:
					status = "failed"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Minion, r.Name, r.Start.Local().Format(time.DateTime),
					r.Duration.Round(time.Millisecond), r.ExitCode, sizesText(r.Sizes), due, status)
			}
			return tw.Flush()
		},
	}
	addOut(list, a)
	cmd.AddCommand(list)
	return cmd
}

func sizesText(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	paths := make([]string, 0, len(m))
	for p := range m {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	parts := make([]string, len(paths))
	for i, p := range paths {
		parts[i] = fmt.Sprintf("%s=%s", p, humanBytes(m[p]))
	}
	return strings.Join(parts, ",")
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func searchCmd(a *app) *cobra.Command {
	var (
		f     jobstore.SearchFilter
		since time.Duration
	)
	cmd := &cobra.Command{
		Use:   "search TEXT",
		Short: "Find stored returns whose output contains TEXT (words, or a \"quoted phrase\"), newest first",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			f.Text = strings.Join(args, " ")
			if since > 0 {
				f.Since = time.Now().Add(-since)
			}
			hits, err := c.Search(cmd.Context(), f)
			if err != nil {
				return apiErr(err)
			}
			w := cmd.OutOrStdout()
			if format != output.Text {
				return output.Write(w, format, hits)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "JID\tMINION\tFUNCTION\tRECEIVED\tMATCH")
			for _, h := range hits {
				snip := strings.Join(strings.Fields(h.Snippet), " ")
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.JID, h.ID, h.Fun, h.Received.Local().Format(time.DateTime), snip)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&f.Minion, "minion", "", "only returns of this minion")
	cmd.Flags().StringVar(&f.Fun, "fun", "", "only returns of this function")
	cmd.Flags().DurationVar(&since, "since", 0, "only returns received within this long (e.g. 168h)")
	cmd.Flags().IntVar(&f.Limit, "limit", 100, "show at most N matches")
	addOut(cmd, a)
	return cmd
}
