package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/halite/halite/pkg/cli"
	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/keys"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/output"
	"github.com/halite/halite/pkg/targeting"
)

func socketPath(cfg config.Master) string { return filepath.Join(cfg.DataDir, "master.sock") }

func addOut(cmd *cobra.Command, a *app) {
	cmd.Flags().StringVar(&a.out, "out", "text", "output format: text, json or yaml")
}

// formatAndClient is what most subcommands start with: the --out format
// and a client for the running master.
func (a *app) formatAndClient() (output.Format, *master.Client, error) {
	f, err := a.format()
	if err != nil {
		return "", nil, err
	}
	c, err := a.client()
	return f, c, err
}

func (a *app) format() (output.Format, error) {
	f, err := output.ParseFormat(a.out)
	if err != nil {
		return "", cli.Exit(cli.ExitUsage, err)
	}
	return f, nil
}

// saltKeyGroups are salt-key's headings and JSON names, in its order.
var saltKeyGroups = []struct{ state, heading, json string }{
	{"accepted", "Accepted Keys:", "minions"},
	{"denied", "Denied Keys:", "minions_denied"},
	{"pending", "Unaccepted Keys:", "minions_pre"},
	{"rejected", "Rejected Keys:", "minions_rejected"},
}

func printKeys(w io.Writer, f output.Format, keys []master.KeyInfo) error {
	groups := map[string][]string{}
	for _, k := range keys {
		groups[k.State] = append(groups[k.State], k.ID)
	}
	if f != output.Text {
		out := map[string][]string{}
		for _, g := range saltKeyGroups {
			out[g.json] = append([]string{}, groups[g.state]...)
		}
		return output.Write(w, f, out)
	}
	for _, g := range saltKeyGroups {
		fmt.Fprintln(w, g.heading)
		for _, id := range groups[g.state] {
			fmt.Fprintln(w, id)
		}
	}
	return nil
}

func keysCmd(a *app) *cobra.Command {
	var flagAccept, flagReject, flagDelete string
	var flagAcceptAll, flagYes bool
	keys := &cobra.Command{
		Use:   "keys",
		Short: "Manage minion keys (like salt-key: -a ID|GLOB, -A, -r, -d, -y)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case flagAcceptAll && !flagYes:
				return acceptAllConfirmed(cmd, a)
			case flagAcceptAll:
				return keyAction(cmd, a, "accept", "", true)
			case flagAccept != "":
				return keyAction(cmd, a, "accept", flagAccept, false)
			case flagReject != "":
				return keyAction(cmd, a, "reject", flagReject, false)
			case flagDelete != "":
				return keyAction(cmd, a, "delete", flagDelete, false)
			}
			return cmd.Help()
		},
	}
	keys.Flags().StringVarP(&flagAccept, "accept", "a", "", "accept the pending key(s) ID or GLOB")
	keys.Flags().BoolVarP(&flagAcceptAll, "accept-all", "A", false, "accept every pending key")
	keys.Flags().StringVarP(&flagReject, "reject", "r", "", "reject the key(s) ID or GLOB")
	keys.Flags().StringVarP(&flagDelete, "delete", "d", "", "delete the key(s) ID or GLOB")
	keys.Flags().BoolVarP(&flagYes, "yes", "y", false, "do not ask for confirmation")
	list := &cobra.Command{
		Use:   "list",
		Short: "List keys grouped by state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			ks, err := c.Keys(cmd.Context())
			if err != nil {
				return apiErr(err)
			}
			return printKeys(cmd.OutOrStdout(), f, ks)
		},
	}
	addOut(list, a)
	var all, yes bool
	accept := &cobra.Command{
		Use:   "accept ID|GLOB|--all",
		Short: "Accept pending minion keys: one, those a glob matches, or all",
		Args: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) == 1) || len(args) > 1 {
				return cli.Usagef("give one minion id or --all")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			id := ""
			if len(args) == 1 {
				id = args[0]
			}
			if all && !yes {
				return acceptAllConfirmed(cmd, a)
			}
			return keyAction(cmd, a, "accept", id, all)
		},
	}
	accept.Flags().BoolVar(&all, "all", false, "accept every pending key")
	accept.Flags().BoolVarP(&yes, "yes", "y", false, "with --all: do not ask for confirmation")
	reject := &cobra.Command{
		Use: "reject ID|GLOB", Short: "Reject minion keys", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return keyAction(cmd, a, "reject", args[0], false) },
	}
	del := &cobra.Command{
		Use: "delete ID|GLOB", Short: "Delete minion keys from every state", Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return keyAction(cmd, a, "delete", args[0], false) },
	}
	fp := &cobra.Command{
		Use:   "fingerprint [ID]",
		Short: "Print key fingerprints: the master's and every minion's by state (salt-key -F), or one minion's",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := ""
			if len(args) == 1 {
				id = args[0]
			}
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			ks, err := c.Fingerprint(cmd.Context(), id)
			if err != nil {
				return apiErr(err)
			}
			w := cmd.OutOrStdout()
			if f != output.Text {
				out := map[string]string{}
				for _, k := range ks {
					out[k.ID] = k.Fingerprint
				}
				return output.Write(w, f, out)
			}
			if id != "" {
				for _, k := range ks {
					fmt.Fprintf(w, "%s (%s):  %s\n", k.ID, k.State, k.Fingerprint)
				}
				return nil
			}
			// Like salt-key -F: the master's key, then every minion key by
			// state.
			fmt.Fprintln(w, "Local Keys:")
			for _, k := range ks {
				fmt.Fprintf(w, "master.pub:  %s\n", k.Fingerprint)
			}
			all, err := c.Keys(cmd.Context())
			if err != nil {
				return apiErr(err)
			}
			for _, g := range []struct{ state, title string }{{"accepted", "Accepted Keys:"}, {"pending", "Unaccepted Keys:"}, {"rejected", "Rejected Keys:"}, {"denied", "Denied Keys:"}} {
				first := true
				for _, k := range all {
					if k.State != g.state {
						continue
					}
					if first {
						fmt.Fprintln(w, g.title)
						first = false
					}
					fmt.Fprintf(w, "%s:  %s\n", k.ID, k.Fingerprint)
				}
			}
			return nil
		},
	}
	addOut(fp, a)
	keys.AddCommand(list, accept, reject, del, fp)
	return keys
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return cli.Usagef("%s: want %d argument(s), got %d", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

// confirmAbove is how many pending keys `keys accept --all` accepts
// without asking: more may be a flood of made-up ids (or a typo'd
// auto-deploy), and accepting a key hands it the fleet's jobs.
const confirmAbove = 10

// acceptAllConfirmed accepts every pending key, asking first when there
// are more than confirmAbove. It accepts exactly the keys it showed, not
// keys that arrived while it asked.
func acceptAllConfirmed(cmd *cobra.Command, a *app) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	ks, err := c.Keys(cmd.Context())
	if err != nil {
		return apiErr(err)
	}
	var pending []string
	for _, k := range ks {
		if k.State == string(keys.StatePending) {
			pending = append(pending, k.ID)
		}
	}
	if len(pending) <= confirmAbove {
		return keyAction(cmd, a, "accept", "", true)
	}
	w := cmd.OutOrStdout()
	fmt.Fprintf(w, "The following %d keys are going to be accepted:\n", len(pending))
	for _, id := range pending {
		fmt.Fprintf(w, "  %s\n", id)
	}
	if !isTerminal(os.Stdin) {
		return cli.Exit(cli.ExitUsage, fmt.Errorf("refusing to accept %d keys without confirmation: run it on a terminal or add --yes", len(pending)))
	}
	fmt.Fprint(w, "Proceed? [y/N] ")
	answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return cli.Exit(cli.ExitUsage, errors.New("nothing accepted"))
	}
	for _, id := range pending {
		if err := keyAction(cmd, a, "accept", id, false); err != nil {
			return err
		}
	}
	return nil
}

func keyAction(cmd *cobra.Command, a *app, action, id string, all bool) error {
	c, err := a.client()
	if err != nil {
		return err
	}
	var ks []master.KeyInfo
	if !all && strings.ContainsAny(id, "*?[") {
		// A glob, as salt-key takes: accept matches pending keys, reject
		// and delete any key.
		list, err := c.Keys(cmd.Context())
		if err != nil {
			return apiErr(err)
		}
		pat := targeting.CompilePattern(id)
		for _, k := range list {
			if !pat.Match(k.ID) || action == "accept" && k.State != "pending" || action == "reject" && k.State == "rejected" {
				continue
			}
			done, err := c.KeyAction(cmd.Context(), action, k.ID, false)
			if err != nil {
				return apiErr(err)
			}
			ks = append(ks, done...)
		}
	} else if ks, err = c.KeyAction(cmd.Context(), action, id, all); err != nil {
		return apiErr(err)
	}
	past := map[string]string{"accept": "Accepted", "reject": "Rejected", "delete": "Deleted"}[action]
	if len(ks) == 0 {
		fmt.Fprintln(cmd.OutOrStdout(), "No keys to "+action+".")
	}
	for _, k := range ks {
		fmt.Fprintf(cmd.OutOrStdout(), "%s key: %s\n", past, k.ID)
	}
	return nil
}

// apiErr maps client errors to exit codes: unreachable master or a bad
// request is a usage/connection error (3), anything else 1.
func apiErr(err error) error {
	var se *master.StatusError
	if errors.As(err, &se) && se.Code >= 500 {
		return cli.Exit(1, err)
	}
	return cli.Exit(cli.ExitUsage, err)
}
