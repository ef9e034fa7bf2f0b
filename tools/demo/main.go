// Command demo starts a Halite master and three minions on free loopback
// ports under a temporary directory, accepts their keys, runs real jobs
// through the operator CLI, prints everything, and stops it all.
//
//	go run ./tools/demo -bin bin
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/halite/halite/internal/freeport"
)

func main() {
	bin := flag.String("bin", "bin", "directory with halite-master and halite-minion")
	keep := flag.Bool("keep", false, "keep the temporary directory")
	ha := flag.Bool("ha", false, "PostgreSQL and two masters instead: one is killed, jobs keep working (make demo-ha)")
	flag.Parse()
	runDemo := run
	if *ha {
		runDemo = runHA
	}
	if err := runDemo(*bin, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

type demo struct {
	bin, dir, masterCfg string
	procs               []*exec.Cmd
}

func run(bin string, keep bool) error {
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "halite-demo-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(dir)
	}
	d := &demo{bin: bin, dir: dir}
	defer d.stopAll()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	pub, ret, metricsPort := freePort(), freePort(), freePort()
	d.masterCfg = filepath.Join(dir, "master", "master.yaml")
	root, _ := os.Getwd()
	masterYAML := fmt.Sprintf(`interface: 127.0.0.1
publish_port: %d
ret_port: %d
pki_dir: pki
data_dir: data
log_level: warn
metrics_listen: 127.0.0.1:%d
nodegroups:
  webservers: 'G@roles:web'
reactor:
  - tag: 'halite/minion/*/start'
    run:
      tgt: '{{ data.id }}'
      fun: grains.item
      arg: [os]
`, pub, ret, metricsPort)
	if stateDir := filepath.Join(root, "states"); exists(stateDir) {
		masterYAML += fmt.Sprintf("file_roots:\n  base:\n    - %s\n", stateDir)
	}
	if pillarDir := filepath.Join(root, "pillar"); exists(pillarDir) {
		masterYAML += fmt.Sprintf("pillar_roots:\n  base:\n    - %s\n", pillarDir)
	}
	if err := writeFile(d.masterCfg, masterYAML); err != nil {
		return err
	}
	fmt.Printf("# Halite demo in %s (master on 127.0.0.1:%d/%d)\n\n", dir, pub, ret)
	if err := d.start("master.log", "halite-master", "serve", "-c", d.masterCfg); err != nil {
		return err
	}
	if err := waitFor(ctx, 15*time.Second, func() bool { return d.quiet("keys", "list") == nil }); err != nil {
		return fmt.Errorf("master did not start: %w (see %s)", err, filepath.Join(dir, "master.log"))
	}
	minions := []struct{ id, grains string }{
		{"web1", "roles: [web]\n    dc: east"},
		{"web2", "roles: [web]\n    dc: west"},
		{"db1", "roles: [db]\n    dc: east"},
	}
	for _, m := range minions {
		cfg := filepath.Join(dir, m.id, "minion.yaml")
		// The example state tree writes only below example_root.
		// Host data: load and disk every 2 seconds, returned to the master.
		y := fmt.Sprintf("id: %s\nmaster: 127.0.0.1\npublish_port: %d\nret_port: %d\npki_dir: pki\ncache_dir: cache\nlog_level: warn\ngrains:\n    %s\n    example_root: %s\n"+
			"schedule:\n  load:\n    function: status.loadavg\n    seconds: 2\n  disk:\n    function: disk.usage\n    seconds: 2\n    splay: 1\n",
			m.id, pub, ret, m.grains, filepath.Join(dir, m.id, "root"))
		if err := writeFile(cfg, y); err != nil {
			return err
		}
		if err := d.start(m.id+".log", "halite-minion", "serve", "-c", cfg); err != nil {
			return err
		}
	}
	if err := waitFor(ctx, 15*time.Second, func() bool {
		out, _ := d.output("keys", "list", "--out", "json")
		return strings.Count(out, `"db1"`)+strings.Count(out, `"web`) >= 3
	}); err != nil {
		return fmt.Errorf("minions did not show up: %w", err)
	}
	steps := [][]string{
		{"keys", "list"},
		{"keys", "accept", "--all"},
	}
	for _, s := range steps {
		d.show(s...)
	}
	if err := waitFor(ctx, 15*time.Second, func() bool {
		out, _ := d.output("minions", "--out", "json")
		return strings.Count(out, `"connected": true`) == 3
	}); err != nil {
		return fmt.Errorf("minions did not connect: %w", err)
	}
	d.show("minions")
	d.show("run", "*", "test.ping")
	d.show("run", "-t", "grain", "roles:web", "cmd.run", "uname -sr")
	d.show("run", "-t", "compound", "G@dc:east and not web*", "grains.item", "os", "num_cpus", "--out", "json")
	d.show("run", "-t", "nodegroup", "webservers", "test.echo", "hello from the demo", "--explain")
	d.show("run", "web1", "cmd.run", "exit 3")
	if exists(filepath.Join(root, "states", "top.sls")) {
		d.show("apply", "web1", "--test", "--state-output", "terse")
		d.show("apply", "*", "--state-output", "mixed")
		d.show("apply", "*", "--state-verbose=false")
	}
	// A backup wrapped by halite-minion exec: timing, exit code, size.
	dump := filepath.Join(dir, "db1", "dump.sql")
	d.showMinion(filepath.Join(dir, "db1", "minion.yaml"), "exec", "--name", "backup", "--expect-every", "24h", "--size", dump, "--",
		"sh", "-c", "echo dumping; seq 1 20000 > "+dump)
	_ = waitFor(ctx, 10*time.Second, func() bool {
		out, _ := d.output("exec", "list", "--out", "json")
		return strings.Contains(out, `"backup"`)
	})
	d.show("exec", "list")
	d.show("jobs", "search", "Linux")
	d.show("events", "--explain", "halite/minion/web1/start", "--data", `{"id": "web1"}`)
	d.show("jobs", "list", "--limit", "8")
	d.showMetrics(metricsPort, "halite_minion_value{fun=\"status.loadavg\",key=\"1-min\"", "halite_minion_up", "halite_exec_last", "halite_exec_size", "halite_returns_total", "halite_state_results_total")
	fmt.Println("# stopping master and minions")
	return nil
}

func (d *demo) start(logName, name string, args ...string) error {
	f, err := os.Create(filepath.Join(d.dir, logName))
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(d.bin, name), args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", name, err)
	}
	d.procs = append(d.procs, cmd)
	return nil
}

func (d *demo) stopAll() {
	for i := len(d.procs) - 1; i >= 0; i-- {
		p := d.procs[i]
		_ = p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
		}
	}
}

func (d *demo) cli(args ...string) *exec.Cmd {
	return exec.Command(filepath.Join(d.bin, "halite-master"), append(args, "-c", d.masterCfg)...)
}

func (d *demo) quiet(args ...string) error { return d.cli(args...).Run() }

func (d *demo) output(args ...string) (string, error) {
	out, err := d.cli(args...).Output()
	return string(out), err
}

// show prints the command as a user would type it, then its output.
func (d *demo) show(args ...string) {
	quoted := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " *") {
			a = "'" + a + "'"
		}
		quoted[i] = a
	}
	fmt.Printf("$ halite-master %s\n", strings.Join(quoted, " "))
	cmd := d.cli(args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		fmt.Printf("(exit code %d)\n", ee.ExitCode())
	}
	fmt.Println()
}

// showMinion runs a halite-minion command as a user would.
func (d *demo) showMinion(cfg string, args ...string) {
	fmt.Printf("$ halite-minion %s\n", strings.Join(args, " "))
	cmd := exec.Command(filepath.Join(d.bin, "halite-minion"), append(args[:1:1], append([]string{"-c", cfg}, args[1:]...)...)...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
	if err := cmd.Run(); err != nil {
		fmt.Printf("(%v)\n", err)
	}
	fmt.Println()
}

// showMetrics prints the lines of the master's /metrics that start with
// one of prefixes.
func (d *demo) showMetrics(port int, prefixes ...string) {
	url := fmt.Sprintf("http://127.0.0.1:%d/metrics", port)
	fmt.Printf("$ curl -s %s | grep ...\n", url)
	resp, err := http.Get(url)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				fmt.Println(line)
				break
			}
		}
	}
	fmt.Println()
}

func freePort() int {
	p, err := freeport.Get()
	if err != nil {
		panic(err)
	}
	return p
}

func writeFile(path, body string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(body), 0o600)
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func waitFor(ctx context.Context, d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v", d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
