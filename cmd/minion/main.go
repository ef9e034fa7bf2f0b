// Command halite-minion is the Halite minion daemon, its local runner
// (`call`) and a load-testing swarm.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/halite/halite/pkg/cli"
	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/grains"
	"github.com/halite/halite/pkg/minion"
	"github.com/halite/halite/pkg/modules"
	_ "github.com/halite/halite/pkg/modules/all"
	"github.com/halite/halite/pkg/output"
	"github.com/halite/halite/pkg/pillar"
	"github.com/halite/halite/pkg/state"
	_ "github.com/halite/halite/pkg/states/all"
	"github.com/halite/halite/pkg/version"
)

func main() { cli.Main(newRoot()) }

type app struct {
	configPath string
	root       *cobra.Command
}

func (a *app) config() (config.Minion, error) {
	path := cli.ConfigPath(a.configPath, a.root != nil && a.root.PersistentFlags().Changed("config"), "/etc/halite/minion.yaml")
	cfg, err := config.LoadMinion(path)
	if err != nil {
		return cfg, cli.Exit(cli.ExitUsage, err)
	}
	return cfg, nil
}

func newRoot() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:           "halite-minion",
		Short:         "Halite minion: runs the jobs its master publishes",
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return cli.Exit(cli.ExitUsage, err) })
	a.root = root
	root.PersistentFlags().StringVarP(&a.configPath, "config", "c", "/etc/halite/minion.yaml", "minion configuration file (default: $HALITE_CONFIG, else /etc/halite/minion.yaml if it exists, else the defaults)")
	root.AddCommand(serveCmd(a), callCmd(a), execCmd(a), fingerprintCmd(a), swarmCmd(a), cli.ManCmd())
	return root
}

func serveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the minion daemon",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			log, done, err := cli.DaemonLogger(cmd.Context(), cfg.Log("minion"))
			if err != nil {
				return err
			}
			defer done()
			// One daemon per cache_dir; an exec delivering its report
			// holds the lock for a few seconds at most.
			unlock, err := minion.LockWait(cmd.Context(), cfg, 15*time.Second)
			if err != nil {
				return cli.Exit(1, fmt.Errorf("%w (%s)", err, cfg.CacheDir))
			}
			defer unlock()
			if err := cli.ServePprof(cmd.Context(), cfg.PprofListen, cfg.PprofAllowRemote, log.Named("pprof")); err != nil {
				return cli.Exit(1, err)
			}
			m, err := minion.New(cmd.Context(), cfg, log, minion.Options{CallSocket: minion.CallSocket(cfg)})
			if err != nil {
				return cli.Exit(1, err)
			}
			log.Info("minion starting", "id", cfg.ID, "master", cfg.Master, "fingerprint", m.Public().Fingerprint(), "version", version.Version)
			if err := m.Run(cmd.Context()); err != nil {
				return cli.Exit(1, err)
			}
			return nil
		},
	}
}

func callCmd(a *app) *cobra.Command {
	var (
		local, noReturn bool
		out             string
	)
	cmd := &cobra.Command{
		Use:   "call [--local] FUNCTION [ARG...] [key=value...]",
		Short: "Run a function on this host and print its return (like salt-call)",
		Long: `Runs a function on this host and prints its return, as salt-call does.
Without --local it uses the master's pillar and file server and records the
call as a job on the master (--no-return to skip): through the running
minion daemon when there is one, else on a channel of its own with this
minion's key. With --local no master is contacted: pillar and states come
from this host's pillar_roots and file_roots.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 {
				return cli.Usagef("want FUNCTION [ARG...]")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := output.ParseFormat(out)
			if err != nil {
				return cli.Exit(cli.ExitUsage, err)
			}
			if local && noReturn {
				return cli.Usagef("--no-return is for calls through the master; --local never returns")
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			posargs, kwargs := cli.ParseArgs(args[1:])
			var res minion.CallReply
			if local {
				res, err = callLocal(cmd.Context(), cfg, args[0], posargs, kwargs)
			} else {
				log := cli.Logger("minion", "error", cmd.ErrOrStderr())
				res, err = minion.Call(cmd.Context(), cfg, log, minion.CallRequest{Fun: args[0], Args: posargs, Kwargs: kwargs, NoReturn: noReturn})
			}
			if err != nil {
				return cli.Exit(1, err)
			}
			if res.Pending {
				fmt.Fprintf(cmd.ErrOrStderr(), "halite-minion call: the master has not confirmed the return yet; it waits in %s for the next delivery\n",
					filepath.Join(cfg.CacheDir, "returns"))
			}
			w := cmd.OutOrStdout()
			switch {
			case out == "quiet":
			case format == output.Text:
				err = cli.PrintReturn(w, "local", args[0], res.Return, res.Success, state.DefaultOutputOptions(false))
			default:
				err = output.Write(w, format, map[string]any{"local": res.Return})
			}
			if err != nil {
				return cli.Exit(1, err)
			}
			if !res.Success {
				return cli.Exit(cli.ExitFailed, nil)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&local, "local", false, "run masterless (no master is contacted)")
	cmd.Flags().BoolVar(&noReturn, "no-return", false, "do not record the call on the master")
	cmd.Flags().StringVar(&out, "out", "text", "output format: text (nested), json, yaml, raw or quiet")
	return cmd
}

// callLocal runs a function masterless, as salt-call --local does: pillar
// compiled here from the minion's own pillar_roots, states from its
// file_roots.
func callLocal(ctx context.Context, cfg config.Minion, fun string, args []any, kwargs map[string]any) (minion.CallReply, error) {
	g, err := grains.Collect(ctx, cfg.ID, cfg.Grains)
	if err != nil {
		return minion.CallReply{}, err
	}
	pil, pilErr := pillar.NewCompiler(cfg.PillarRoots, pillar.Options{}).Compile(ctx, cfg.ID, g)
	if pil == nil {
		pil = map[string]any{}
	}
	env := &modules.Env{
		ID:     cfg.ID,
		Logger: cli.Logger("minion", "warn", nil),
		Grains: func() map[string]any { return g },
		RefreshGrains: func(ctx context.Context) (map[string]any, error) {
			return grains.Collect(ctx, cfg.ID, cfg.Grains)
		},
		Pillar:      func() map[string]any { return pil },
		PillarError: func() error { return pilErr },
		Opts:        cfg.OptsAs("salt-call"),
		Files:       minion.LocalFileClient(cfg.FileRoots),
	}
	res := modules.Run(ctx, env, fun, args, kwargs)
	return minion.CallReply{Return: res.Return, Retcode: res.Retcode, Success: res.Success}, nil
}

func fingerprintCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "fingerprint",
		Short: "Print this minion's key fingerprint (compare with `halite-master keys fingerprint ID`)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(cfg.PKIDir, 0o700); err != nil {
				return cli.Exit(1, err)
			}
			k, err := crypto.LoadOrGenerateMinionKey(cfg.PKIDir)
			if err != nil {
				return cli.Exit(1, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "minion.pub:  %s\n", k.Public().Fingerprint())
			return nil
		},
	}
}
