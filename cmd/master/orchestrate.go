package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/halite/halite/pkg/cli"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/output"
	"github.com/halite/halite/pkg/state"
)

func orchestrateCmd(a *app) *cobra.Command {
	var (
		test    bool
		pillar  string
		saltenv string
	)
	cmd := &cobra.Command{
		Use:   "orchestrate SLS",
		Short: "Run an orchestrate SLS on the master: steps that drive groups of minions in order",
		Example: `  halite-master orchestrate deploy
  halite-master orchestrate deploy --test --pillar '{"version": "1.2"}'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			req := master.OrchestrateRequest{SLS: args[0], Test: test, Saltenv: saltenv}
			if pillar != "" {
				if err := json.Unmarshal([]byte(pillar), &req.Pillar); err != nil {
					return cli.Exit(cli.ExitUsage, fmt.Errorf("--pillar: want a JSON object: %w", err))
				}
			}
			res, err := c.Orchestrate(cmd.Context(), req)
			if err != nil && res == nil {
				return apiErr(err)
			}
			w := cmd.OutOrStdout()
			if err != nil {
				fmt.Fprintf(os.Stderr, "orchestration %s failed: %v\n", res.JID, err)
				return cli.Exit(cli.ExitFailed, nil)
			}
			if f != output.Text {
				if err := output.Write(w, f, res); err != nil {
					return err
				}
			} else {
				opts := state.DefaultOutputOptions(a.color())
				b, _ := json.Marshal(res.Return)
				var plain any
				_ = json.Unmarshal(b, &plain)
				if err := cli.PrintReturn(w, "orchestrate", "state.apply", plain, res.Retcode == 0, opts); err != nil {
					return err
				}
				fmt.Fprintf(w, "orchestration jid: %s\n", res.JID)
			}
			if res.Retcode != 0 {
				return cli.Exit(res.Retcode, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&test, "test", false, "predict: steps apply states with test=True and run no functions")
	cmd.Flags().StringVar(&pillar, "pillar", "", "pillar for the orchestrate SLS, as a JSON object")
	cmd.Flags().StringVar(&saltenv, "saltenv", "", "the file_roots environment (default base)")
	addOut(cmd, a)
	return cmd
}

func mineCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "mine", Short: "The mine: minions' latest mine_functions results"}
	var tgtType string
	get := &cobra.Command{
		Use: "get TARGET FUNCTION", Short: "Mine data of FUNCTION for the minions TARGET matches", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			d, err := c.Mine(cmd.Context(), args[0], args[1], tgtType)
			if err != nil {
				return apiErr(err)
			}
			if f != output.Text {
				return output.Write(cmd.OutOrStdout(), f, d)
			}
			return output.Nested(cmd.OutOrStdout(), "mine", d)
		},
	}
	get.Flags().StringVarP(&tgtType, "tgt-type", "t", "glob", "target type")
	addOut(get, a)
	cmd.AddCommand(get)
	return cmd
}
