// Command bench measures Halite with real processes on loopback: a master
// and a swarm of N minions per size, and one standalone idle minion. It
// prints one table and writes it as JSON so runs can be compared.
//
//	go run ./tools/bench -bin bin -sizes 100,1000,5000 -out bench/results.json
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/halite/halite/internal/freeport"
	"github.com/halite/halite/internal/pgtest"
	"github.com/halite/halite/pkg/master"
)

// Row is one size's figures.
type Row struct {
	Minions         int     `json:"minions"`
	Connected       int     `json:"connected"`
	ColdStartS      float64 `json:"cold_start_s"` // first start: keys generated and accepted
	RestartS        float64 `json:"restart_s"`    // the same swarm again: known keys
	PingMedianMS    float64 `json:"ping_median_ms"`
	PingP95MS       float64 `json:"ping_p95_ms"`
	PingCLIMedianMS float64 `json:"ping_cli_median_ms"`
	CmdRunMedianMS  float64 `json:"cmd_run_median_ms"`
	ApplyMedianMS   float64 `json:"state_apply_median_ms,omitempty"`
	PillarMedianMS  float64 `json:"pillar_refresh_median_ms,omitempty"`
	ReturnsPerS     float64 `json:"returns_per_s"`
	MasterRSSMB     float64 `json:"master_rss_mb"`
	MasterCPUS      float64 `json:"master_cpu_s"`
	// MasterCPUPingUS is the master's CPU time per minion per test.ping
	// (over the ping rounds); MasterKBPerMinion its RSS per connected
	// minion (connected and idle, less the RSS before the swarm came).
	MasterCPUPingUS   float64 `json:"master_cpu_us_per_minion_ping"`
	MasterKBPerMinion float64 `json:"master_kb_per_minion"`
	SwarmRSSPerKB     float64 `json:"swarm_rss_per_minion_kb"`
	Missing           int     `json:"missing_returns"`
	Soak              *Soak   `json:"soak,omitempty"`
}

// Soak is a long run at one size: a test.ping every 30 s.
type Soak struct {
	Minutes      float64 `json:"minutes"`
	Pings        int     `json:"pings"`
	PingMedianMS float64 `json:"ping_median_ms"`
	PingMaxMS    float64 `json:"ping_max_ms"`
	MinConnected int     `json:"min_connected"`
	Missing      int     `json:"missing_returns"`
	MasterRSSMB  float64 `json:"master_rss_end_mb"`
}

// Idle is one standalone minion's footprint.
type Idle struct {
	RSSIdleMB      float64 `json:"rss_idle_mb"`
	CPUIdlePercent float64 `json:"cpu_idle_percent"`
	RSSAfter1000MB float64 `json:"rss_after_1000_jobs_mb"`
}

// Results is what bench/results.json holds.
type Results struct {
	When    time.Time `json:"when"`
	Host    string    `json:"host"`
	Version string    `json:"version"`
	Rows    []Row     `json:"rows"`
	Idle    *Idle     `json:"idle_minion,omitempty"`
}

func main() {
	bin := flag.String("bin", "bin", "directory with halite-master and halite-minion")
	sizesFlag := flag.String("sizes", "", "comma-separated swarm sizes (default 100,1000,5000; BENCH_MAX=8000 adds 8000)")
	out := flag.String("out", "bench/results.json", "JSON output file")
	rounds := flag.Int("rounds", 10, "test.ping rounds per size")
	idle := flag.Bool("idle", true, "measure one idle standalone minion")
	flag.BoolVar(&pingsOnly, "pings-only", false, "measure connection and test.ping only (no restart, CLI, cmd.run, state.apply, pillar)")
	flag.StringVar(&profileTo, "cpuprofile", "", "write the master's CPU profile during the ping rounds of the largest size here")
	flag.StringVar(&transportMode, "transport", "dual", "the swarm's transport: dual (two connections per minion) or single")
	flag.StringVar(&heapTo, "heapprofile", "", "write the master's heap profile with the largest size connected here")
	flag.StringVar(&storeMode, "store", "sqlite", "the masters' store: sqlite (embedded) or postgres (a PostgreSQL cluster the tool starts on loopback)")
	flag.IntVar(&masterCount, "masters", 1, "masters sharing the store (2 needs -store postgres); the swarm connects to all, jobs go through the first")
	flag.DurationVar(&soakFor, "soak", 0, "after measuring the largest size, keep it running this long with a test.ping every 30 s")
	flag.StringVar(&stateTree, "states", "states", "file_roots for state.apply (each minion gets grains root and example_root of its own)")
	flag.StringVar(&pillarTree, "pillar", "pillar", "pillar_roots for the pillar refresh")
	flag.Parse()
	sizes := []int{100, 1000, 5000}
	if m, _ := strconv.Atoi(os.Getenv("BENCH_MAX")); m > 5000 {
		sizes = append(sizes, m)
	}
	if *sizesFlag != "" {
		sizes = nil
		for _, s := range strings.Split(*sizesFlag, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				fatal(fmt.Errorf("bad size %q", s))
			}
			sizes = append(sizes, n)
		}
	}
	if masterCount < 1 || masterCount > 2 || masterCount == 2 && storeMode != "postgres" {
		fatal(errors.New("-masters is 1, or 2 with -store postgres"))
	}
	if storeMode == "postgres" {
		pg, err := pgtest.Start(context.Background())
		if err != nil {
			fatal(err)
		}
		defer pg.Stop()
		pgCluster = pg
	}
	binDir, err := filepath.Abs(*bin)
	if err != nil {
		fatal(err)
	}
	host, _ := os.Hostname()
	res := Results{When: time.Now().UTC(), Host: fmt.Sprintf("%s (%d cores)", host, runtime.NumCPU())}
	if v, err := exec.Command(filepath.Join(binDir, "halite-master"), "--version").Output(); err == nil {
		res.Version = strings.TrimSpace(string(v))
	}
	largest = slices.Max(sizes)
	for _, n := range sizes {
		row, err := measure(binDir, n, *rounds)
		if err != nil {
			fatal(fmt.Errorf("size %d: %w", n, err))
		}
		res.Rows = append(res.Rows, row)
		printTable(res)
	}
	if *idle {
		id, err := measureIdle(binDir)
		if err != nil {
			fatal(fmt.Errorf("idle minion: %w", err))
		}
		res.Idle = id
	}
	printTable(res)
	if *out != "" {
		if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
			fatal(err)
		}
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fatal(err)
		}
		fmt.Println("wrote", *out)
	}
}

var (
	storeMode             string
	masterCount           int
	pgCluster             *pgtest.Cluster
	pingsOnly             bool
	profileTo, heapTo     string
	transportMode         string
	stateTree, pillarTree string
	soakFor               time.Duration
	largest               int
)

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}

type cluster struct {
	dir, bin, cfg string
	pub, ret      int
	pprof         int // the master's pprof port, 0 when off
	procs         []*exec.Cmd
	client        *master.Client
}

func newCluster(bin string) (*cluster, error) {
	dir, err := os.MkdirTemp("", "halite-bench-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir, bin: bin, pub: freePort(), ret: freePort()}
	c.cfg = filepath.Join(dir, "master.yaml")
	y := fmt.Sprintf("interface: 127.0.0.1\npublish_port: %d\nret_port: %d\npki_dir: pki\ndata_dir: data\nauto_accept: true\nlog_level: warn\n", c.pub, c.ret)
	if profileTo != "" || heapTo != "" {
		c.pprof = freePort()
		y += fmt.Sprintf("pprof_listen: 127.0.0.1:%d\n", c.pprof)
	}
	// The example state tree and pillar of this repository by default.
	st, _ := filepath.Abs(stateTree)
	pt, _ := filepath.Abs(pillarTree)
	y += fmt.Sprintf("file_roots: {base: [%s]}\npillar_roots: {base: [%s]}\n", st, pt)
	if pgCluster != nil {
		url, err := pgCluster.CreateDB(context.Background())
		if err != nil {
			return nil, err
		}
		y += "store: " + url + "\n"
	}
	if err := os.WriteFile(c.cfg, []byte(y), 0o600); err != nil {
		return nil, err
	}
	if _, err := c.start("master.log", "halite-master", "serve", "-c", c.cfg); err != nil {
		return nil, err
	}
	c.client = master.NewClient(filepath.Join(dir, "data", "master.sock"))
	if err := waitFor(15*time.Second, func() bool { _, err := c.client.Keys(context.Background()); return err == nil }); err != nil {
		return nil, fmt.Errorf("master did not start: %w", err)
	}
	if masterCount == 2 {
		if err := c.startSecondMaster(y); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// startSecondMaster starts a master on 127.0.0.2 with the same ports, key
// and store (an operator copies master.key and master.pub).
func (c *cluster) startSecondMaster(y string) error {
	dir := filepath.Join(c.dir, "second")
	if err := os.MkdirAll(filepath.Join(dir, "pki"), 0o700); err != nil {
		return err
	}
	for _, f := range []string{"master.key", "master.pub"} {
		b, err := os.ReadFile(filepath.Join(c.dir, "pki", f))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "pki", f), b, 0o600); err != nil {
			return err
		}
	}
	cfg := filepath.Join(dir, "master.yaml")
	y = strings.Replace(y, "interface: 127.0.0.1", "interface: 127.0.0.2", 1)
	y = strings.Replace(y, "pprof_listen:", "#pprof_listen:", 1)
	if err := os.WriteFile(cfg, []byte(y), 0o600); err != nil {
		return err
	}
	if _, err := c.start("master2.log", "halite-master", "serve", "-c", cfg); err != nil {
		return err
	}
	second := master.NewClient(filepath.Join(dir, "data", "master.sock"))
	if err := waitFor(15*time.Second, func() bool { _, err := second.Keys(context.Background()); return err == nil }); err != nil {
		return fmt.Errorf("second master did not start: %w", err)
	}
	return nil
}

func (c *cluster) minionConfig(name string) (string, error) {
	p := filepath.Join(c.dir, name+".yaml")
	masters := "127.0.0.1"
	if masterCount == 2 {
		masters = "[127.0.0.1, 127.0.0.2]"
	}
	y := fmt.Sprintf("id: %s\nmaster: %s\npublish_port: %d\nret_port: %d\npki_dir: %s-pki\ncache_dir: %s-cache\nlog_level: warn\n", name, masters, c.pub, c.ret, name, name)
	if transportMode != "dual" { // older binaries do not know the key
		y += "transport: " + transportMode + "\n"
	}
	return p, os.WriteFile(p, []byte(y), 0o600)
}

func (c *cluster) start(logName, name string, args ...string) (*exec.Cmd, error) {
	f, err := os.Create(filepath.Join(c.dir, logName))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c.procs = append(c.procs, cmd)
	return cmd, nil
}

func (c *cluster) close() {
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		_ = p.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	os.RemoveAll(c.dir)
}

func (c *cluster) connected() int {
	ms, err := c.client.Minions(context.Background())
	if err != nil {
		return 0
	}
	n := 0
	for _, m := range ms {
		if m.Connected {
			n++
		}
	}
	return n
}

// job runs one job and returns the master-side time from publish to the
// last return, and how many returned.
func (c *cluster) job(fun string, args ...any) (ms float64, returned, expected int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = c.client.Run(ctx, &master.RunRequest{Target: "*", Fun: fun, Args: args, Timeout: "30s"}, func(ev master.RunEvent) error {
		if ev.Type == "done" {
			ms, returned, expected = ev.Summary.Millis, ev.Summary.Returned, ev.Summary.Expected
		}
		return nil
	})
	return ms, returned, expected, err
}

func measure(bin string, n, rounds int) (Row, error) {
	row := Row{Minions: n}
	c, err := newCluster(bin)
	if err != nil {
		return row, err
	}
	defer c.close()
	cfg, err := c.minionConfig("swarm")
	if err != nil {
		return row, err
	}
	// Each swarm minion applies the example tree below its own root.
	grainsFile := filepath.Join(c.dir, "grains.tmpl")
	if err := os.WriteFile(grainsFile, []byte("example_root: "+filepath.Join(c.dir, "roots")+"/{{.ID}}\nroot: "+filepath.Join(c.dir, "roots")+"/{{.ID}}\nroles: [web]\n"), 0o600); err != nil {
		return row, err
	}
	rss0 := rssKiB(c.procs[0].Process.Pid)
	began := time.Now()
	swarm, err := c.start("swarm.log", "halite-minion", "swarm", "--count", strconv.Itoa(n), "--rate", "0", "--grains-file", grainsFile, "-c", cfg)
	if err != nil {
		return row, err
	}
	timeout := 30*time.Second + time.Duration(n)*20*time.Millisecond
	_ = waitFor(timeout, func() bool { return c.connected() >= n })
	row.ColdStartS = time.Since(began).Seconds()
	row.Connected = c.connected()
	if row.Connected < n {
		fmt.Fprintf(os.Stderr, "bench: only %d of %d minions connected after %v\n", row.Connected, n, timeout)
	}
	// Start the same swarm again: keys exist and are accepted, as after a
	// fleet reboot.
	if !pingsOnly {
		if swarm, err = c.restartSwarm(swarm, n, timeout, grainsFile, cfg, &row); err != nil {
			return row, err
		}
	}
	time.Sleep(time.Second) // let grains and heartbeats settle
	if n > 0 {
		row.MasterKBPerMinion = float64(rssKiB(c.procs[0].Process.Pid)-rss0) / float64(n)
	}
	if heapTo != "" && n == largest {
		if err := c.heap(heapTo); err != nil {
			fmt.Fprintln(os.Stderr, "bench: heap profile:", err)
		}
	}
	cpu0 := cpuSeconds(c.procs[0].Process.Pid)
	var stopProfile func() error
	if profileTo != "" && n == largest {
		// Long enough for the rounds (about half a second per 1,000
		// minions each on this kind of machine), not much longer.
		stopProfile = c.profile(profileTo, 1+rounds*max(1, n/1000)/2)
	}

	var pings, clis, cmds []float64
	var totalReturns int
	var totalMS float64
	for range rounds {
		ms, got, exp, err := c.job("test.ping")
		if err != nil {
			return row, err
		}
		pings = append(pings, ms)
		totalReturns += got
		totalMS += ms
		row.Missing += exp - got
	}
	if stopProfile != nil {
		if err := stopProfile(); err != nil {
			fmt.Fprintln(os.Stderr, "bench: profile:", err)
		}
	}
	if n > 0 && rounds > 0 {
		row.MasterCPUPingUS = (cpuSeconds(c.procs[0].Process.Pid) - cpu0) * 1e6 / float64(n*rounds)
	}
	row.PingMedianMS, row.PingP95MS = percentile(pings, 50), percentile(pings, 95)
	if totalMS > 0 {
		row.ReturnsPerS = float64(totalReturns) / (totalMS / 1000)
	}
	if pingsOnly {
		row.MasterRSSMB = float64(rssKiB(c.procs[0].Process.Pid)) / 1024
		row.MasterCPUS = cpuSeconds(c.procs[0].Process.Pid) - cpu0
		return row, nil
	}
	return c.heavyJobs(bin, n, row, swarm, cpu0, clis, cmds)
}

// restartSwarm stops the swarm and starts it again, timing the restart.
func (c *cluster) restartSwarm(swarm *exec.Cmd, n int, timeout time.Duration, grainsFile, cfg string, row *Row) (*exec.Cmd, error) {
	_ = swarm.Process.Signal(syscall.SIGTERM)
	_, _ = swarm.Process.Wait()
	c.procs = c.procs[:len(c.procs)-1]
	_ = waitFor(timeout, func() bool { return c.connected() == 0 })
	began := time.Now()
	swarm, err := c.start("swarm2.log", "halite-minion", "swarm", "--count", strconv.Itoa(n), "--rate", "0", "--grains-file", grainsFile, "-c", cfg)
	if err != nil {
		return nil, err
	}
	_ = waitFor(timeout, func() bool { return c.connected() >= n })
	row.RestartS = time.Since(began).Seconds()
	return swarm, nil
}

// heavyJobs measures the CLI round trip and the jobs that fork or write
// per minion.
func (c *cluster) heavyJobs(bin string, n int, row Row, swarm *exec.Cmd, cpu0 float64, clis, cmds []float64) (Row, error) {
	for range 5 {
		t0 := time.Now()
		cmd := exec.Command(filepath.Join(bin, "halite-master"), "run", "*", "test.ping", "--out", "json", "-c", c.cfg)
		cmd.Stdout = nil
		_ = cmd.Run()
		clis = append(clis, float64(time.Since(t0).Microseconds())/1000)
	}
	heavy := 3 // rounds of the jobs that fork or write per minion
	if n > 1000 {
		heavy = 1
	}
	for range heavy {
		ms, _, _, err := c.job("cmd.run", "echo hi")
		if err != nil {
			return row, err
		}
		cmds = append(cmds, ms)
	}
	var applies, pillars []float64
	for range heavy {
		ms, _, _, err := c.job("saltutil.refresh_pillar")
		if err != nil {
			return row, err
		}
		pillars = append(pillars, ms)
	}
	for range heavy {
		ms, got, exp, err := c.job("state.apply")
		if err != nil {
			return row, err
		}
		if got < exp {
			fmt.Fprintf(os.Stderr, "bench: state.apply: %d of %d returned\n", got, exp)
		}
		applies = append(applies, ms)
	}
	row.ApplyMedianMS, row.PillarMedianMS = percentile(applies, 50), percentile(pillars, 50)
	row.PingCLIMedianMS = percentile(clis, 50)
	row.CmdRunMedianMS = percentile(cmds, 50)
	row.MasterRSSMB = float64(rssKiB(c.procs[0].Process.Pid)) / 1024
	row.MasterCPUS = cpuSeconds(c.procs[0].Process.Pid) - cpu0
	if n > 0 {
		row.SwarmRSSPerKB = float64(rssKiB(swarm.Process.Pid)) / float64(n)
	}
	if soakFor > 0 && n == largest {
		row.Soak = c.soak(n, soakFor)
	}
	return row, nil
}

// soak keeps the cluster running for d, pinging every 30 s (bounded in
// time; it stops by itself).
func (c *cluster) soak(n int, d time.Duration) *Soak {
	s := &Soak{MinConnected: n}
	var pings []float64
	start := time.Now()
	for time.Since(start) < d {
		ms, got, exp, err := c.job("test.ping")
		if err == nil {
			pings = append(pings, ms)
			s.Missing += exp - got
		}
		s.MinConnected = min(s.MinConnected, c.connected())
		fmt.Fprintf(os.Stderr, "soak %v: ping %.0f ms, %d/%d returned\n", time.Since(start).Round(time.Second), ms, got, exp)
		time.Sleep(30 * time.Second)
	}
	s.Minutes = time.Since(start).Minutes()
	s.Pings = len(pings)
	s.PingMedianMS = percentile(pings, 50)
	s.PingMaxMS = percentile(pings, 100)
	s.MasterRSSMB = float64(rssKiB(c.procs[0].Process.Pid)) / 1024
	return s
}

// profile starts a CPU profile of the master for secs seconds (pprof
// profiles for a fixed time); the returned func waits for it to end and
// writes it to path.
func (c *cluster) profile(path string, secs int) func() error {
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", c.pprof, secs))
		if err != nil {
			done <- err
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || len(b) == 0 {
			done <- fmt.Errorf("no profile: %v", err)
			return
		}
		done <- os.WriteFile(path, b, 0o644)
	}()
	time.Sleep(200 * time.Millisecond)
	return func() error { return <-done }
}

// heap writes the master's heap profile (after a GC) to path.
func (c *cluster) heap(path string) error {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/heap?gc=1", c.pprof))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

func measureIdle(bin string) (*Idle, error) {
	c, err := newCluster(bin)
	if err != nil {
		return nil, err
	}
	defer c.close()
	cfg, err := c.minionConfig("idle")
	if err != nil {
		return nil, err
	}
	m, err := c.start("idle.log", "halite-minion", "serve", "-c", cfg)
	if err != nil {
		return nil, err
	}
	if err := waitFor(15*time.Second, func() bool { return c.connected() == 1 }); err != nil {
		return nil, err
	}
	time.Sleep(2 * time.Second)
	// /proc CPU times tick every 10 ms: measure long enough that one tick
	// is well under the 0.1% target.
	cpu0, t0 := cpuSeconds(m.Process.Pid), time.Now()
	time.Sleep(30 * time.Second)
	id := &Idle{
		RSSIdleMB:      float64(rssKiB(m.Process.Pid)) / 1024,
		CPUIdlePercent: 100 * (cpuSeconds(m.Process.Pid) - cpu0) / time.Since(t0).Seconds(),
	}
	for range 1000 {
		if _, _, _, err := c.job("test.ping"); err != nil {
			return nil, err
		}
	}
	id.RSSAfter1000MB = float64(rssKiB(m.Process.Pid)) / 1024
	return id, nil
}

func printTable(r Results) {
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "minions\tconnected\tcold start s\trestart s\tping median ms\tping p95 ms\tmaster CPU µs/minion/ping\tmaster KB/minion\tping CLI ms\tcmd.run ms\tstate.apply ms\tpillar refresh ms\treturns/s\tmaster RSS MB\tmaster CPU s\tswarm KB/minion\tmissing\t")
	for _, x := range r.Rows {
		fmt.Fprintf(tw, "%d\t%d\t%.2f\t%.2f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%.0f\t%.1f\t%.2f\t%.0f\t%d\t\n",
			x.Minions, x.Connected, x.ColdStartS, x.RestartS, x.PingMedianMS, x.PingP95MS, x.MasterCPUPingUS, x.MasterKBPerMinion, x.PingCLIMedianMS, x.CmdRunMedianMS, x.ApplyMedianMS, x.PillarMedianMS, x.ReturnsPerS, x.MasterRSSMB, x.MasterCPUS, x.SwarmRSSPerKB, x.Missing)
	}
	tw.Flush()
	for _, x := range r.Rows {
		if x.Soak != nil {
			fmt.Printf("soak at %d minions: %.1f min, %d pings, median %.0f ms, max %.0f ms, min connected %d, missing %d, master RSS %.0f MB\n",
				x.Minions, x.Soak.Minutes, x.Soak.Pings, x.Soak.PingMedianMS, x.Soak.PingMaxMS, x.Soak.MinConnected, x.Soak.Missing, x.Soak.MasterRSSMB)
		}
	}
	if r.Idle != nil {
		fmt.Printf("idle minion: %.1f MB RSS, %.3f%% CPU; %.1f MB RSS after 1,000 jobs\n", r.Idle.RSSIdleMB, r.Idle.CPUIdlePercent, r.Idle.RSSAfter1000MB)
	}
	fmt.Println()
}

func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

func rssKiB(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return 0
}

// cpuSeconds is user+system CPU time of pid from /proc/pid/stat.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ
}

func freePort() int {
	p, err := freeport.Get()
	if err != nil {
		panic(err)
	}
	return p
}

func waitFor(d time.Duration, cond func() bool) error {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v", d)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}
