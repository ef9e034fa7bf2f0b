// Command halite-master is the Halite master daemon and its operator CLI.
package main

import (
	"fmt"
	"github.com/spf13/cobra"
	"io"
	"os"
	"runtime/debug"
	"syscall"

	"github.com/halite/halite/pkg/cli"
	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/master"
	"github.com/halite/halite/pkg/version"
)

func main() { cli.Main(newRoot()) }

// app is what every subcommand shares.
type app struct {
	configPath string
	root       *cobra.Command
	noColor    bool
	outFile    string
	outClose   func() error
	out        string
}

// color says whether text output may use colours: a terminal, and
// neither --no-color nor NO_COLOR (https://no-color.org).
func (a *app) color() bool {
	return !a.noColor && os.Getenv("NO_COLOR") == "" && a.outFile == "" && isTerminal(os.Stdout)
}

func (a *app) config() (config.Master, error) {
	path := cli.ConfigPath(a.configPath, a.root != nil && a.root.PersistentFlags().Changed("config"), "/etc/halite/master.yaml")
	cfg, err := config.LoadMaster(path)
	if err != nil {
		return cfg, cli.Exit(cli.ExitUsage, err)
	}
	return cfg, nil
}

func (a *app) client() (*master.Client, error) {
	cfg, err := a.config()
	if err != nil {
		return nil, err
	}
	return master.NewClient(socketPath(cfg)), nil
}

func newRoot() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:           "halite-master",
		Short:         "Halite master: publishes jobs to minions and keeps their results",
		Version:       version.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return cli.Exit(cli.ExitUsage, err) })
	root.PersistentFlags().BoolVar(&a.noColor, "no-color", false, "no colours in text output (also NO_COLOR in the environment)")
	root.PersistentFlags().StringVar(&a.outFile, "out-file", "", "write the output to this file instead of standard output")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		// --out quiet: nothing on standard output; the exit code says it.
		if f := cmd.Flags().Lookup("out"); f != nil && f.Value.String() == "quiet" {
			a.out = "text"
			cmd.SetOut(io.Discard)
		}
		if a.outFile != "" {
			f, err := os.Create(a.outFile)
			if err != nil {
				return cli.Exit(cli.ExitUsage, fmt.Errorf("--out-file: %w", err))
			}
			a.outClose = f.Close
			cmd.SetOut(f)
		}
		return nil
	}
	root.PersistentPostRunE = func(*cobra.Command, []string) error {
		if a.outClose != nil {
			return a.outClose()
		}
		return nil
	}
	a.root = root
	root.PersistentFlags().StringVarP(&a.configPath, "config", "c", "/etc/halite/master.yaml", "master configuration file (default: $HALITE_CONFIG, else /etc/halite/master.yaml if it exists, else the defaults)")
	root.AddCommand(
		serveCmd(a),
		keysCmd(a),
		runCmd(a),
		applyCmd(a),
		jobsCmd(a),
		minionsCmd(a),
		eventsCmd(a),
		auditCmd(a),
		pillarCmd(a),
		execCmd(a),
		tokenCmd(a),
		apiCmd(a),
		logCmd(a),
		maintenanceCmd(a),
		orchestrateCmd(a),
		mineCmd(a),
		fileserverCmd(a),
		cli.ManCmd(),
		&cobra.Command{
			Use: "version", Short: "Print the version", Args: cobra.NoArgs,
			Run: func(cmd *cobra.Command, _ []string) {
				fmt.Fprintln(cmd.OutOrStdout(), "halite-master", version.Version)
			},
		},
	)
	return root
}

func serveCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "Run the master daemon",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := a.config()
			if err != nil {
				return err
			}
			// The master's own files (store, socket, keys) are its own only.
			// (The minion does not do this: commands it runs inherit its
			// umask, and it creates its own files with explicit modes.)
			syscall.Umask(0o077)
			// Half the default GC headroom: a master's heap is mostly
			// per-minion state that lives as long as the connection, so
			// collecting at 1.5× instead of 2× the live heap costs little
			// CPU (measured: none visible at 1,000 minions) and saves ~20%
			// of RSS per minion. GOGC in the environment still decides.
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(50)
			}
			log, done, err := cli.DaemonLogger(cmd.Context(), cfg.Log("master"))
			if err != nil {
				return err
			}
			defer done()
			if err := cli.ServePprof(cmd.Context(), cfg.PprofListen, cfg.PprofAllowRemote, log.Named("pprof")); err != nil {
				return cli.Exit(1, err)
			}
			m, err := master.New(cmd.Context(), cfg, log)
			if err != nil {
				return cli.Exit(1, err)
			}
			if err := m.Run(cmd.Context()); err != nil {
				return cli.Exit(1, err)
			}
			return nil
		},
	}
}
