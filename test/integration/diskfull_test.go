package integration

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/master"
)

// smallDisk mounts a tmpfs of size bytes at a new directory (unmounted at
// the end of the test, after everything registered later has stopped).
// It needs root, as CI has.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes to dir until the disk is full and returns the file.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{1}, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return p
			}
			t.Fatal(err)
		}
	}
}

// The master's disk fills up while returns come in: nothing is
// acknowledged that was not stored, the master keeps running, and once
// there is room again the minion's resend gets the return stored.
func TestMasterDiskFull(t *testing.T) {
	disk := smallDisk(t, "8m")
	c := newCluster(t, func(cfg *config.Master) { cfg.DataDir = filepath.Join(disk, "data") })
	c.acceptedMinions("df", 1, nil)
	jr := c.run(&master.RunRequest{Target: "df0", Fun: "test.sleep", Args: []any{1}, Async: true})
	filler := fill(t, disk)
	waitFor(t, 20*time.Second, "the store to fail", func() bool { return strings.Contains(c.mlog.String(), "return not stored") })
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if got := storedReturn(t, c, jr.jid, "df0"); got != true {
		t.Fatalf("return after the disk was freed: %v", got)
	}
	if jr := c.run(&master.RunRequest{Target: "df0", Fun: "test.ping"}); jr.states["df0"] != "returned" {
		t.Fatalf("after the disk full: %v", jr.states)
	}
}

// The minion's disk is full while the master is away: its return cannot
// be spooled to disk, is kept in memory (and says so), and reaches the
// master when it is back.
func TestMinionDiskFull(t *testing.T) {
	disk := smallDisk(t, "4m")
	c := newCluster(t, nil)
	cfg := c.minionConfig("full", nil)
	cfg.CacheDir = filepath.Join(disk, "cache")
	rm := c.acceptMinion(cfg)
	jr := c.run(&master.RunRequest{Target: "full", Fun: "test.sleep", Args: []any{1}, Async: true})
	fill(t, disk)
	c.stopMaster()
	waitFor(t, 10*time.Second, "spool failure logged", func() bool { return strings.Contains(rm.log.String(), "spool return") })
	c.startMaster()
	if got := storedReturn(t, c, jr.jid, "full"); got != true {
		t.Fatalf("return kept through a full disk: %v", got)
	}
}
