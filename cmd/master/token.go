package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/halite/halite/pkg/acl"
	"github.com/halite/halite/pkg/cli"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/output"
)

func tokenCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "API tokens for remote callers: create, list, revoke"}
	var (
		allows  []string
		aclFile string
		areas   []string
		expires string
	)
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a token allowed what --allow/--acl say; it is printed once and stored only hashed",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			var rules acl.ACL
			if aclFile != "" {
				b, err := os.ReadFile(aclFile)
				if err != nil {
					return cli.Exit(cli.ExitUsage, err)
				}
				if rules, err = acl.ParseFile(b); err != nil {
					return cli.Exit(cli.ExitUsage, err)
				}
			}
			for _, s := range allows {
				r, err := acl.ParseAllow(s)
				if err != nil {
					return cli.Exit(cli.ExitUsage, err)
				}
				rules.Allow = append(rules.Allow, r)
			}
			if len(areas) > 0 {
				rules.Areas = areas
			}
			if err := rules.Validate(); err != nil {
				return cli.Exit(cli.ExitUsage, err)
			}
			t, err := c.CreateToken(cmd.Context(), master.TokenRequest{Name: args[0], ACL: rules, Expires: expires})
			if err != nil {
				return apiErr(err)
			}
			if f != output.Text {
				return output.Write(cmd.OutOrStdout(), f, t)
			}
			fmt.Fprintln(cmd.OutOrStdout(), t.Token)
			fmt.Fprintf(cmd.ErrOrStderr(), "token %s created; this is the only time it is shown\n", t.Name)
			return nil
		},
	}
	create.Flags().StringArrayVar(&allows, "allow", nil, "TARGET:FUNGLOB[,FUNGLOB...] the token may run (repeatable; TARGET is a compound expression)")
	create.Flags().StringVar(&aclFile, "acl", "", "an ACL file: allow: {TARGET: [FUNGLOB...]}, areas: [...]")
	create.Flags().StringSliceVar(&areas, "area", nil, "API areas beyond run: "+strings.Join(acl.Areas, ", ")+" (default "+strings.Join(acl.DefaultAreas, ", ")+")")
	create.Flags().StringVar(&expires, "expires", "", "lifetime, e.g. 30d or 12h (default: no expiry)")
	addOut(create, a)

	list := &cobra.Command{
		Use: "list", Short: "List tokens (never their secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, c, err := a.formatAndClient()
			if err != nil {
				return err
			}
			ts, err := c.Tokens(cmd.Context())
			if err != nil {
				return apiErr(err)
			}
			if f != output.Text {
				return output.Write(cmd.OutOrStdout(), f, ts)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tCREATED\tEXPIRES\tSTATE\tACL")
			for _, t := range ts {
				exp, st := "never", "active"
				if !t.Expires.IsZero() {
					exp = t.Expires.Local().Format(time.DateTime)
					if time.Now().After(t.Expires) {
						st = "expired"
					}
				}
				if t.Revoked {
					st = "revoked"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Created.Local().Format(time.DateTime), exp, st, string(t.ACL))
			}
			return tw.Flush()
		},
	}
	addOut(list, a)
	revoke := &cobra.Command{
		Use: "revoke NAME", Short: "Revoke a token; it is refused from the next request on", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), args[0]); err != nil {
				return apiErr(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func apiCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "api", Short: "The remote API (api.listen)"}
	fp := &cobra.Command{
		Use: "fingerprint", Short: "Print the SHA-256 fingerprint of the API's TLS certificate, for clients to pin", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			certPath, _ := master.APICertPaths(cfg.API.TLSCert, cfg.API.TLSKey, cfg.PKIDir)
			b, err := os.ReadFile(certPath)
			if err != nil {
				return cli.Exit(1, fmt.Errorf("%w (the master writes it when it starts with api.listen set)", err))
			}
			sum, err := master.CertFingerprint(b)
			if err != nil {
				return cli.Exit(1, fmt.Errorf("%s: %w", certPath, err))
			}
			fmt.Fprintln(cmd.OutOrStdout(), sum)
			return nil
		},
	}
	cmd.AddCommand(fp)
	return cmd
}
