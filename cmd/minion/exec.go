package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/halite/halite/pkg/cli"
	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/minion"
	"github.com/halite/halite/pkg/wire"
)

// outputTail is how much of a run's output is kept and sent.
const outputTail = 64 << 10

// deliverWithin bounds how long exec tries to reach the master itself
// when no daemon runs; the report stays spooled after that.
const deliverWithin = 5 * time.Second

func execCmd(a *app) *cobra.Command {
	var (
		name        string
		expectEvery time.Duration
		sizes       []string
	)
	cmd := &cobra.Command{
		Use:   "exec --name NAME [--expect-every D] [--size PATH]... -- CMD [ARG...]",
		Short: "Run a cron job or backup and report its timing, exit code and sizes to the master",
		Long: `Runs CMD with its output passed through and exits with its exit code.
It then reports to the master: name, start, duration, exit code, output
bytes (and the last 64 KiB of output), and the size of each --size file or
directory. The report goes through the minion daemon when one runs, is sent
directly otherwise, and waits in the spool while the master is away: the
wrapped command is never held up or failed by the master's absence.
With --expect-every the master raises halite/deadman/<id>/<name> when no run
has reported within that interval (plus 10%).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := wire.CheckSourceName(name); err != nil {
				return cli.Exit(cli.ExitUsage, fmt.Errorf("--name: %w", err))
			}
			if expectEvery < 0 {
				return cli.Exit(cli.ExitUsage, errors.New("--expect-every: must not be negative"))
			}
			cfg, err := a.config()
			if err != nil {
				return err
			}
			code, report := runWrapped(cmd.Context(), args, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
			report.sizes(sizes)
			ret := report.wireReturn(name, expectEvery)
			stderr := cmd.ErrOrStderr()
			if err := minion.SpoolReport(cfg, ret); err != nil {
				fmt.Fprintf(stderr, "halite-minion exec: could not keep the report: %v\n", err)
			} else {
				deliver(cmd.Context(), cfg, stderr)
			}
			if code != 0 {
				return cli.Exit(code, nil)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "name of the run (cron job, backup) as the master shows it")
	cmd.Flags().DurationVar(&expectEvery, "expect-every", 0, "raise a deadman alert when no run reports within this interval")
	cmd.Flags().StringArrayVar(&sizes, "size", nil, "file or directory whose size to report (repeatable)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

// deliver hands the spooled report on: to the daemon (it picks it up
// within a heartbeat) when one runs, else straight to the master.
func deliver(ctx context.Context, cfg config.Minion, stderr io.Writer) {
	unlock, err := minion.Lock(cfg)
	if errors.Is(err, minion.ErrDaemonRunning) {
		return
	}
	if err != nil {
		fmt.Fprintf(stderr, "halite-minion exec: report kept in the spool: %v\n", err)
		return
	}
	defer unlock()
	ctx, cancel := context.WithTimeout(ctx, deliverWithin)
	defer cancel()
	log := cli.Logger("exec", "error", stderr)
	left, err := minion.Deliver(ctx, cfg, log)
	if err != nil || left > 0 {
		fmt.Fprintf(stderr, "halite-minion exec: master not reached; the report waits in %s for the next delivery (%v)\n",
			filepath.Join(cfg.CacheDir, "returns"), err)
	}
}

// runReport is what exec learnt from one run.
type runReport struct {
	args     []string
	start    time.Time
	duration time.Duration
	code     int
	startErr string
	out      *tailBuffer
	size     map[string]any
	sizeErrs map[string]any
}

// runWrapped runs args with its output passed through and returns its
// exit code: the command's own, 128+N when a signal killed it, 127 when
// it cannot be found and 126 when it cannot be run. Interrupts sent to
// exec are passed to the command.
func runWrapped(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, *runReport) {
	r := &runReport{args: args, out: &tailBuffer{max: outputTail}}
	c := exec.Command(args[0], args[1:]...)
	c.Stdin = stdin
	c.Stdout = passThrough{stdout, r.out}
	c.Stderr = passThrough{stderr, r.out}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	r.start = time.Now()
	err := c.Start()
	if err != nil {
		r.duration = time.Since(r.start)
		r.startErr = err.Error()
		fmt.Fprintf(stderr, "halite-minion exec: %v\n", err)
		r.code = 126
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
			r.code = 127
		}
		return r.code, r
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = c.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = c.Wait()
	close(done)
	r.duration = time.Since(r.start)
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.code = 128 + int(ws.Signal())
		} else {
			r.code = ee.ExitCode()
		}
	default:
		r.code = 1
		r.startErr = err.Error()
	}
	return r.code, r
}

// sizes measures each path: a file's size, a directory's total.
func (r *runReport) sizes(paths []string) {
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			abs = p
		}
		n, err := pathSize(abs)
		if err != nil {
			if r.sizeErrs == nil {
				r.sizeErrs = map[string]any{}
			}
			r.sizeErrs[abs] = err.Error()
			continue
		}
		if r.size == nil {
			r.size = map[string]any{}
		}
		r.size[abs] = n
	}
}

func pathSize(p string) (int64, error) {
	var total int64
	err := filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	return total, err
}

// wireReturn is the report as the master stores it (the value of job
// function exec.run).
func (r *runReport) wireReturn(name string, expectEvery time.Duration) *wire.Return {
	v := map[string]any{
		"name":         name,
		"cmd":          strings.Join(r.args, " "),
		"start":        r.start.UTC().Format(time.RFC3339Nano),
		"duration":     r.duration.Seconds(),
		"exit_code":    r.code,
		"output_bytes": r.out.total,
		"output":       strings.ToValidUTF8(string(r.out.bytes()), "\uFFFD"),
	}
	if r.out.total > int64(len(r.out.buf)) {
		v["output_truncated"] = true
	}
	if r.size != nil {
		v["sizes"] = r.size
	}
	if r.sizeErrs != nil {
		v["size_errors"] = r.sizeErrs
	}
	if r.startErr != "" {
		v["error"] = r.startErr
	}
	if expectEvery > 0 {
		v["expect_every"] = expectEvery.Seconds()
	}
	return &wire.Return{
		JID: minion.NewReportKey(), Fun: "exec.run", Return: v, Retcode: r.code, Success: r.code == 0,
		Started: r.start.UnixNano(), Duration: int64(r.duration),
		Source: &wire.Source{Kind: wire.SourceExec, Name: name, ExpectEvery: int64(expectEvery)},
	}
}

// passThrough writes to the terminal (or wherever exec's output goes) and
// keeps a copy; a closed terminal never fails the command.
type passThrough struct {
	w    io.Writer
	tail *tailBuffer
}

func (p passThrough) Write(b []byte) (int, error) {
	_, _ = p.w.Write(b)
	p.tail.Write(b)
	return len(b), nil
}

// tailBuffer keeps the last max bytes written and counts them all.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	buf   []byte
	total int64
}

func (t *tailBuffer) Write(b []byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.total += int64(len(b))
	if len(b) >= t.max {
		t.buf = append(t.buf[:0], b[len(b)-t.max:]...)
		return
	}
	if over := len(t.buf) + len(b) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, b...)
}

func (t *tailBuffer) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}
