package main

import (
	"github.com/spf13/cobra"

	"github.com/halite/halite/pkg/output"
)

func pillarCmd(a *app) *cobra.Command {
	p := &cobra.Command{Use: "pillar", Short: "Inspect pillar as the master compiles it"}
	var reveal bool
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Compile and print a minion's pillar (secret values redacted unless --reveal)",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			ps, err := c.Pillar(cmd.Context(), args[0], reveal)
			if err != nil {
				return apiErr(err)
			}
			w := cmd.OutOrStdout()
			if f != output.Text {
				return output.Write(w, f, map[string]any{ps.ID: ps.Pillar})
			}
			return output.Nested(w, ps.ID, ps.Pillar)
		},
	}
	show.Flags().BoolVar(&reveal, "reveal", false, "show secret values (the call is audited)")
	addOut(show, a)
	p.AddCommand(show)
	return p
}
