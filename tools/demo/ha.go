package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/halite/halite/internal/pgtest"
)

// runHA is `make demo-ha`: PostgreSQL (Debian's package, started as an
// unprivileged cluster on loopback), two masters sharing it on 127.0.0.1
// and 127.0.0.2, three minions connected to both; a job through each
// master, one master killed, jobs keep working through the other.
func runHA(bin string, keep bool) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "halite-demo-ha-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Println("# starting PostgreSQL (an unprivileged cluster in a temporary directory)")
	pg, err := pgtest.Start(ctx)
	if err != nil {
		return err
	}
	defer pg.Stop()
	url, err := pg.CreateDB(ctx)
	if err != nil {
		return err
	}
	d := &demo{bin: bin, dir: dir}
	defer d.stopAll()

	pub, ret := freePort(), freePort()
	cfgA := filepath.Join(dir, "master-a", "master.yaml")
	cfgB := filepath.Join(dir, "master-b", "master.yaml")
	masterYAML := func(iface string) string {
		return fmt.Sprintf("interface: %s\npublish_port: %d\nret_port: %d\npki_dir: pki\ndata_dir: data\nlog_level: warn\nstore: %s\n", iface, pub, ret, url)
	}
	if err := writeFile(cfgA, masterYAML("127.0.0.1")); err != nil {
		return err
	}
	if err := writeFile(cfgB, masterYAML("127.0.0.2")); err != nil {
		return err
	}
	fmt.Printf("# Halite HA demo in %s: masters on 127.0.0.1 and 127.0.0.2 (ports %d/%d), store %s\n\n", dir, pub, ret, url)
	if err := d.start("master-a.log", "halite-master", "serve", "-c", cfgA); err != nil {
		return err
	}
	d.masterCfg = cfgA
	if err := waitFor(ctx, 15*time.Second, func() bool { return d.quiet("keys", "list") == nil }); err != nil {
		return fmt.Errorf("master A did not start: %w", err)
	}
	// Both masters hold the same key: minions pin one.
	for _, f := range []string{"master.key", "master.pub"} {
		b, err := os.ReadFile(filepath.Join(dir, "master-a", "pki", f))
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(dir, "master-b", "pki", f), string(b)); err != nil {
			return err
		}
	}
	fmt.Println("# copied master A's master.key and master.pub to master B")
	if err := d.start("master-b.log", "halite-master", "serve", "-c", cfgB); err != nil {
		return err
	}
	d.masterCfg = cfgB
	if err := waitFor(ctx, 15*time.Second, func() bool { return d.quiet("keys", "list") == nil }); err != nil {
		return fmt.Errorf("master B did not start: %w", err)
	}
	for _, id := range []string{"web1", "web2", "db1"} {
		cfg := filepath.Join(dir, id, "minion.yaml")
		y := fmt.Sprintf("id: %s\nmaster:\n  - 127.0.0.1\n  - 127.0.0.2\npublish_port: %d\nret_port: %d\npki_dir: pki\ncache_dir: cache\nlog_level: warn\nheartbeat_interval: 1s\nreconnect_max: 2s\n", id, pub, ret)
		if err := writeFile(cfg, y); err != nil {
			return err
		}
		if err := d.start(id+".log", "halite-minion", "serve", "-c", cfg); err != nil {
			return err
		}
	}
	d.masterCfg = cfgA
	if err := waitFor(ctx, 15*time.Second, func() bool {
		out, _ := d.output("keys", "list", "--out", "json")
		return strings.Count(out, `"db1"`)+strings.Count(out, `"web`) >= 3
	}); err != nil {
		return fmt.Errorf("minions did not show up: %w", err)
	}
	fmt.Println("# on master A")
	d.show("keys", "accept", "--all")
	connected := func(cfg string, n int) error {
		d.masterCfg = cfg
		return waitFor(ctx, 20*time.Second, func() bool {
			out, _ := d.output("minions", "--out", "json")
			return strings.Count(out, `"connected": true`) == n
		})
	}
	if err := connected(cfgB, 3); err != nil {
		return fmt.Errorf("minions did not connect to master B: %w", err)
	}
	fmt.Println("# on master B: the keys accepted on A are accepted here")
	d.show("minions")
	d.show("run", "*", "test.ping")
	d.masterCfg = cfgA
	fmt.Println("# on master A")
	d.show("run", "*", "cmd.run", "echo published by A")
	out, _ := d.output("jobs", "list", "--limit", "1", "--out", "json")
	jid := ""
	if i := strings.Index(out, `"jid": "`); i >= 0 {
		jid = out[i+8:]
		jid = jid[:strings.IndexByte(jid, '"')]
	}
	d.masterCfg = cfgB
	fmt.Println("# on master B: A's job")
	d.show("jobs", "show", jid)

	fmt.Println("# killing master A (SIGKILL)")
	_ = d.procs[0].Process.Signal(syscall.SIGKILL)
	_, _ = d.procs[0].Process.Wait()
	d.procs = d.procs[1:]
	fmt.Println("# on master B")
	d.show("run", "*", "test.ping")
	d.show("run", "*", "cmd.run", "echo still here")
	d.show("jobs", "list", "--limit", "4")
	fmt.Println("# stopping master B, minions and PostgreSQL")
	return nil
}
