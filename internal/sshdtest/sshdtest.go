// Package sshdtest starts Debian's real sshd on loopback for tests (the
// known_hosts states, gitfs over ssh): no mock of what users run.
package sshdtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/halite/halite/internal/freeport"
)

// Start runs sshd with hostKey (a private key file) on a loopback port
// until the test ends, with extra sshd -o options, and returns the port.
// It skips the test when sshd is not installed or the test is not root.
func Start(t testing.TB, hostKey string, opts ...string) int {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("sshd on loopback needs root")
	}
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
		if _, err := os.Stat(sshd); err != nil {
			t.Skip("openssh-server is not installed (.ci/run installs it)")
		}
	}
	port, err := freeport.Get()
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll("/run/sshd", 0o755) // sshd's privilege separation directory
	args := []string{"-D", "-e", "-f", "/dev/null",
		"-o", fmt.Sprintf("ListenAddress=127.0.0.1:%d", port), "-o", "HostKey=" + hostKey, "-o", "PidFile=none"}
	for _, o := range opts {
		args = append(args, "-o", o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, sshd, args...)
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			return port
		}
		if time.Now().After(deadline) {
			t.Fatal("sshd did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
