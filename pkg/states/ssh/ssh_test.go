package ssh

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/halite/halite/pkg/states/internal/statetest"
)

const (
	edKey   = "AAAAC3NzaC1lZDI1NTE5AAAAIGdlbmVyYXRlZCBieSBoYWxpdGUgZm9yIGEgdGVzdA"
	rsaBody = "AAAAB3NzaC1yc2EAAAADAQABAAABAQDtesttesttest"
)

func sshUser(t *testing.T) (string, string) {
	t.Helper()
	statetest.RequireRoot(t)
	home := t.TempDir()
	name := statetest.UniqueName("hssh")
	if out, err := exec.Command("useradd", "-M", "-N", "-d", home, name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	return name, home
}

func TestSSHAuth(t *testing.T) {
	u, home := sshUser(t)
	file := filepath.Join(home, ".ssh", "authorized_keys")
	full := "ssh-ed25519 " + edKey + " deploy@ci"
	statetest.Expect(t, statetest.Call(t, "ssh_auth.present", full, map[string]any{"user": u}, true), statetest.WouldChange)
	statetest.Expect(t, statetest.Call(t, "ssh_auth.present", full, map[string]any{"user": u}, false), statetest.Changed)
	statetest.Expect(t, statetest.Call(t, "ssh_auth.present", full, map[string]any{"user": u}, false), statetest.Unchanged)
	// A bare key with enc, comment and options.
	statetest.Expect(t, statetest.Call(t, "ssh_auth.present", rsaBody, map[string]any{"user": u, "comment": "backup", "options": []any{"no-pty", "from=\"10.0.0.1\""}}, false), statetest.Changed)
	b, _ := os.ReadFile(file)
	want := full + "\nno-pty,from=\"10.0.0.1\" ssh-rsa " + rsaBody + " backup\n"
	if string(b) != want {
		t.Fatalf("authorized_keys:\n%s\nwant:\n%s", b, want)
	}
	st, _ := os.Stat(file)
	dst, _ := os.Stat(filepath.Dir(file))
	if st.Mode().Perm() != 0o600 || dst.Mode().Perm() != 0o700 {
		t.Errorf("modes %v %v", st.Mode(), dst.Mode())
	}
	if sys := st.Sys().(*syscall.Stat_t); sys.Uid == 0 {
		t.Error("authorized_keys is owned by root, not the user")
	}
	statetest.Expect(t, statetest.Call(t, "ssh_auth.absent", rsaBody, map[string]any{"user": u}, false), statetest.Changed)
	statetest.Expect(t, statetest.Call(t, "ssh_auth.absent", rsaBody, map[string]any{"user": u}, false), statetest.Unchanged)
	if b, _ := os.ReadFile(file); strings.Contains(string(b), rsaBody) || !strings.Contains(string(b), edKey) {
		t.Fatalf("after absent:\n%s", b)
	}
	if r := statetest.Call(t, "ssh_auth.present", full, map[string]any{"user": "no-such-user-halite"}, false); statetest.Classify(r) != statetest.Failed {
		t.Errorf("unknown user: %s", statetest.Format(r))
	}
}
