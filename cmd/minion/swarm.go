package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/halite/halite/pkg/cli"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/grains"
	"github.com/halite/halite/pkg/minion"
)

// swarmCmd runs N real minions in one process for load tests: each has its
// own identity key (kept under pki_dir/swarm so restarts reuse them), its
// own sockets and grains, and runs real functions.
func swarmCmd(a *app) *cobra.Command {
	var (
		count      int
		prefix     string
		grainsFile string
		rate       float64
	)
	cmd := &cobra.Command{
		Use:   "swarm --count N [--id-prefix P] [--grains-file F]",
		Short: "Run N real minions in one process (load testing)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if count < 1 {
				return cli.Usagef("--count must be at least 1")
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			if err := raiseFileLimit(); err != nil {
				fmt.Fprintln(os.Stderr, "warning: could not raise the open-file limit:", err)
			}
			log := cli.Logger("swarm", cfg.LogLevel, nil)
			if err := cli.ServePprof(cmd.Context(), cfg.PprofListen, cfg.PprofAllowRemote, log.Named("pprof")); err != nil {
				return cli.Exit(1, err)
			}
			base, err := grains.Collect(cmd.Context(), cfg.ID, cfg.Grains)
			if err != nil {
				return cli.Exit(1, err)
			}
			var tmpl *template.Template
			if grainsFile != "" {
				raw, err := os.ReadFile(grainsFile)
				if err != nil {
					return cli.Exit(cli.ExitUsage, err)
				}
				if tmpl, err = template.New(filepath.Base(grainsFile)).Parse(string(raw)); err != nil {
					return cli.Exit(cli.ExitUsage, fmt.Errorf("grains file %s: %w", grainsFile, err))
				}
			}
			keyDir := filepath.Join(cfg.PKIDir, "swarm")
			ctx := cmd.Context()
			var wg sync.WaitGroup
			var interval time.Duration
			if rate > 0 {
				interval = time.Duration(float64(time.Second) / rate)
			}
			start := time.Now()
			for i := range count {
				id := fmt.Sprintf("%s%d", prefix, i)
				mc := cfg
				mc.ID = id
				mc.CacheDir = filepath.Join(cfg.CacheDir, "swarm", id)
				mc.PKIDir = filepath.Join(keyDir, id)
				mc.MetricsListen = "" // one port cannot serve thousands of minions
				if err := os.MkdirAll(mc.PKIDir, 0o700); err != nil {
					return cli.Exit(1, err)
				}
				key, err := crypto.LoadOrGenerateMinionKey(mc.PKIDir)
				if err != nil {
					return cli.Exit(1, err)
				}
				g := maps.Clone(base)
				g["id"], g["host"], g["fqdn"] = id, id, id
				if tmpl != nil {
					var b strings.Builder
					if err := tmpl.Execute(&b, map[string]any{"ID": id, "Index": i}); err != nil {
						return cli.Exit(cli.ExitUsage, fmt.Errorf("grains template: %w", err))
					}
					var extra map[string]any
					if err := yaml.Unmarshal([]byte(b.String()), &extra); err != nil {
						return cli.Exit(cli.ExitUsage, fmt.Errorf("grains template for %s: %w", id, err))
					}
					maps.Copy(g, extra)
				}
				m, err := minion.New(ctx, mc, log.Named(id), minion.Options{Key: &key, Grains: g})
				if err != nil {
					return cli.Exit(1, err)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := m.Run(ctx); err != nil {
						log.Error("minion stopped", "id", id, "error", err)
					}
				}()
				if rate > 0 {
					// Spread start-up so the master sees a ramp, not a wall.
					if d := time.Until(start.Add(time.Duration(i+1) * interval)); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
						}
					}
				}
				if ctx.Err() != nil {
					break
				}
			}
			log.Info("swarm started", "count", count, "elapsed", time.Since(start).Round(time.Millisecond))
			wg.Wait()
			return nil
		},
	}
	cmd.Flags().IntVar(&count, "count", 0, "number of minions")
	cmd.Flags().StringVar(&prefix, "id-prefix", "swarm-", "minion ids are PREFIX0, PREFIX1, ...")
	cmd.Flags().StringVar(&grainsFile, "grains-file", "", "YAML grains template (Go text/template with .ID and .Index) merged into each minion's grains")
	cmd.Flags().Float64Var(&rate, "rate", 500, "minions started per second (0: all at once)")
	return cmd
}

// raiseFileLimit lifts the soft open-file limit to the hard limit: two
// sockets per minion.
func raiseFileLimit() error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	lim.Cur = lim.Max
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}
