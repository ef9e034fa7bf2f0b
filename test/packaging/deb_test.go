// Package packaging builds the .deb packages with `tools/package` and
// installs them on this Debian machine with dpkg: the packaged master
// serves with its packaged config (on loopback), the packaged minion
// answers it, and dpkg -r takes the programs away again.
package packaging

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halite/halite/internal/freeport"
)

// Paths the packages or their services create, removed after the test
// (it refuses to run where a halite package is already installed).
var leftovers = []string{"/etc/halite", "/var/lib/halite", "/var/cache/halite", "/var/log/halite"}

func TestDebInstallServeRemove(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and installs packages")
	}
	if os.Getuid() != 0 {
		t.Skip("dpkg -i needs root")
	}
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("not a Debian machine")
	}
	for _, p := range []string{"halite-master", "halite-minion"} {
		if exec.Command("dpkg-query", "-W", p).Run() == nil {
			t.Skipf("%s is installed on this machine; not touching it", p)
		}
	}
	root, _ := filepath.Abs("../..")
	bin, dist := t.TempDir(), t.TempDir()
	for _, b := range []struct{ name, pkg string }{{"halite-master", "./cmd/master"}, {"halite-minion", "./cmd/minion"}} {
		must(t, root, "go", "build", "-ldflags", "-X github.com/halite/halite/pkg/version.Version=v0.9.1", "-o", filepath.Join(bin, b.name), b.pkg)
	}
	must(t, root, "go", "run", "./tools/package", "-bin", bin, "-out", dist, "-formats", "deb")
	debs, _ := filepath.Glob(filepath.Join(dist, "*.deb"))
	if len(debs) != 2 {
		t.Fatalf("want 2 .deb files, got %v", debs)
	}
	t.Cleanup(func() {
		dpkg(t, "-P", "halite-master", "halite-minion")
		for _, p := range leftovers {
			os.RemoveAll(p)
		}
		exec.Command("userdel", "halite").Run()
	})
	dpkg(t, append([]string{"-i"}, debs...)...)

	// What the packages put in place.
	out := must(t, "/", "/usr/bin/halite-master", "--version")
	if !strings.Contains(out, "v0.9.1") {
		t.Fatalf("halite-master --version: %q", out)
	}
	must(t, "/", "/usr/bin/halite-minion", "--version")
	for _, f := range []string{
		"/usr/lib/systemd/system/halite-master.service", "/usr/lib/systemd/system/halite-minion.service",
		"/etc/halite/master.yaml", "/etc/halite/minion.yaml", "/etc/logrotate.d/halite-master",
		"/usr/share/man/man1/halite-master.1.gz", "/usr/share/man/man1/halite-master-run.1.gz", "/usr/share/man/man1/halite-minion-call.1.gz",
		"/usr/share/bash-completion/completions/halite-master", "/usr/share/zsh/vendor-completions/_halite-minion",
	} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("not installed: %v", err)
		}
	}
	u, err := user.Lookup("halite")
	if err != nil {
		t.Fatalf("the master's user: %v", err)
	}
	if st, err := os.Stat("/etc/halite/pki/master"); err != nil || fmt.Sprint(st.Sys().(*syscall.Stat_t).Uid) != u.Uid || st.Mode().Perm() != 0o700 {
		t.Fatalf("/etc/halite/pki/master: %v %v", st, err)
	}

	// The packaged config, on loopback ports (tests never listen beyond).
	cfgDir, err := os.MkdirTemp("", "halite-deb")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(cfgDir) })
	os.Chmod(cfgDir, 0o755)
	pub, ret := freePort(t), freePort(t)
	loopback := fmt.Sprintf("\ninterface: 127.0.0.1\npublish_port: %d\nret_port: %d\n", pub, ret)
	masterCfg := appendTo(t, "/etc/halite/master.yaml", filepath.Join(cfgDir, "master.yaml"), loopback)
	minionCfg := appendTo(t, "/etc/halite/minion.yaml", filepath.Join(cfgDir, "minion.yaml"),
		fmt.Sprintf("\nid: packaged\nmaster: 127.0.0.1\npublish_port: %d\nret_port: %d\nreconnect_max: 1s\n", pub, ret))
	// As the service would: the halite user, its paths from the config.
	master := daemon(t, "setpriv", "--reuid=halite", "--regid=halite", "--init-groups", "/usr/bin/halite-master", "serve", "-c", masterCfg)
	waitFor(t, 20*time.Second, "the packaged master's socket", func() bool {
		return exec.Command("/usr/bin/halite-master", "keys", "list", "-c", masterCfg).Run() == nil
	})
	daemon(t, "/usr/bin/halite-minion", "serve", "-c", minionCfg)
	waitFor(t, 20*time.Second, "the packaged minion's key", func() bool {
		out, _ := exec.Command("/usr/bin/halite-master", "keys", "list", "-c", masterCfg).CombinedOutput()
		return strings.Contains(string(out), "packaged")
	})
	must(t, "/", "/usr/bin/halite-master", "keys", "accept", "packaged", "--yes", "-c", masterCfg)
	waitFor(t, 30*time.Second, "a ping through the packaged programs", func() bool {
		out, err := exec.Command("/usr/bin/halite-master", "run", "packaged", "test.ping", "-c", masterCfg).CombinedOutput()
		return err == nil && strings.Contains(string(out), "True")
	})
	if _, err := os.Stat("/var/lib/halite/master/master.sock"); err != nil {
		t.Errorf("the master does not use the packaged data_dir: %v", err)
	}
	if b, _ := os.ReadFile(master.log()); len(b) > 0 && bytes.Contains(b, []byte("permission denied")) {
		t.Errorf("the packaged master hit permissions:\n%s", b)
	}
	stopAll(t)

	// dpkg -r takes the programs and units; the edited config stays
	// until purge, as Debian users expect.
	dpkg(t, "-r", "halite-master", "halite-minion")
	for _, f := range []string{"/usr/bin/halite-master", "/usr/bin/halite-minion", "/usr/lib/systemd/system/halite-master.service", "/usr/share/man/man1/halite-master.1.gz"} {
		if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after dpkg -r (%v)", f, err)
		}
	}
	if _, err := os.Stat("/etc/halite/master.yaml"); err != nil {
		t.Errorf("dpkg -r removed the conffile: %v", err)
	}
	dpkg(t, "-P", "halite-master", "halite-minion")
	if _, err := os.Stat("/etc/halite/master.yaml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dpkg -P left the conffile (%v)", err)
	}
}

// dpkg runs dpkg, waiting while another test holds its lock.
func dpkg(t *testing.T, args ...string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		out, err := exec.Command("dpkg", args...).CombinedOutput()
		if err == nil {
			return
		}
		if strings.Contains(string(out), "lock") && time.Now().Before(deadline) {
			time.Sleep(time.Second)
			continue
		}
		t.Fatalf("dpkg %v: %v\n%s", args, err, out)
	}
}

func must(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

func appendTo(t *testing.T, src, dst, extra string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, append(b, extra...), 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

type proc struct {
	cmd  *exec.Cmd
	path string
	done chan struct{}
}

func (p *proc) log() string { return p.path }

var running []*proc

func daemon(t *testing.T, name string, args ...string) *proc {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: exec.Command(name, args...), path: f.Name(), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); f.Close(); close(p.done) }()
	running = append(running, p)
	t.Cleanup(func() {
		stopAll(t)
		if t.Failed() {
			b, _ := os.ReadFile(p.path)
			t.Logf("%s log:\n%s", name, b)
		}
	})
	return p
}

func stopAll(t *testing.T) {
	for _, p := range running {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			t.Errorf("%s did not stop on SIGTERM", p.cmd.Path)
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	running = nil
}

func freePort(t *testing.T) int {
	p, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
