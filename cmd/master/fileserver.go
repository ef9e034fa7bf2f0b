package main

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/halite/halite/pkg/cli"
	"github.com/halite/halite/pkg/output"
)

func fileserverCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "fileserver", Short: "The master's file server: gitfs remotes"}
	update := &cobra.Command{
		Use:   "update",
		Short: "Fetch the gitfs remotes now and show the commit each saltenv serves",
		Long: `Fetches every gitfs remote (they are also fetched every gitfs_update_interval).
A remote that cannot be fetched keeps serving its last good commits; the
command then exits 1 and says why.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			res, err := c.FileserverUpdate(cmd.Context())
			if err != nil {
				return apiErr(err)
			}
			w := cmd.OutOrStdout()
			failed := false
			for _, r := range res {
				failed = failed || !r.OK
			}
			if f != output.Text {
				if err := output.Write(w, f, res); err != nil {
					return err
				}
			} else {
				for _, r := range res {
					status := "updated"
					if !r.OK {
						status = "FAILED (serving the last good commits): " + r.Error
					}
					fmt.Fprintf(w, "%s (%s): %s\n", r.Remote, r.URL, status)
					envs := make([]string, 0, len(r.Commits))
					for env := range r.Commits {
						envs = append(envs, env)
					}
					sort.Strings(envs)
					for _, env := range envs {
						fmt.Fprintf(w, "    %-12s %s\n", env, r.Commits[env])
					}
				}
			}
			if failed {
				return cli.Exit(1, nil)
			}
			return nil
		},
	}
	addOut(update, a)
	cmd.AddCommand(update)
	return cmd
}
