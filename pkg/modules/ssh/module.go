package ssh

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/halite/halite/pkg/atomicfile"
	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/modules/cmd"
)

func init() {
	modules.Register("ssh.get_known_host_entries", `Return the entries for HOSTNAME in USER's known_hosts (or CONFIG;
/etc/ssh/ssh_known_hosts without a user) as [{enc, key, fingerprint}], or
None.

CLI Example:

    halite-master run '*' ssh.get_known_host_entries root github.com
`, getKnownHostEntries)
	modules.Register("ssh.recv_known_host_entries", `Ask HOSTNAME's ssh server for its keys (ssh-keyscan; port, enc, timeout)
and return them as [{enc, key, fingerprint}].

CLI Example:

    halite-master run '*' ssh.recv_known_host_entries github.com
`, recvKnownHostEntries)
	modules.Register("ssh.rm_known_host", `Remove HOSTNAME's entries from USER's known_hosts (or CONFIG).

CLI Example:

    halite-master run '*' ssh.rm_known_host root github.com
`, rmKnownHost)
}

// Target is a known_hosts file and the owner it must have.
type Target struct {
	Path     string
	UID, GID int
}

// KnownHostsFile resolves Salt's user/config pair: config relative to the
// user's home (default .ssh/known_hosts), or /etc/ssh/ssh_known_hosts
// (config must then be absolute) without a user.
func KnownHostsFile(userName, config string) (Target, error) {
	if userName == "" {
		if config == "" {
			config = "/etc/ssh/ssh_known_hosts"
		}
		if !filepath.IsAbs(config) {
			return Target{}, fmt.Errorf("If not specifying a user, specify an absolute config path")
		}
		return Target{Path: config, UID: -1, GID: -1}, nil
	}
	u, err := user.Lookup(userName)
	if err != nil {
		return Target{}, fmt.Errorf("User %s does not exist", userName)
	}
	if config == "" {
		config = ".ssh/known_hosts"
	}
	if !filepath.IsAbs(config) {
		config = filepath.Join(u.HomeDir, config)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return Target{Path: config, UID: uid, GID: gid}, nil
}

// Open resolves user/config and reads the file, for host (on port):
// the file, its entries, the host's pattern and its current entries.
func Open(userName, config, host string, port int) (Target, *KnownHosts, string, []Entry, error) {
	t, err := KnownHostsFile(userName, config)
	if err != nil {
		return Target{}, nil, "", nil, err
	}
	k, err := t.Read()
	if err != nil {
		return Target{}, nil, "", nil, err
	}
	pattern := HostPattern(host, port)
	return t, k, pattern, k.Find(pattern), nil
}

// Read loads the file; a missing one is empty.
func (t Target) Read() (*KnownHosts, error) {
	b, err := os.ReadFile(t.Path)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	return ParseKnownHosts(string(b)), nil
}

// Write saves the file: a user's gets its directory (0700) and file
// (0600) owned by the user; a system file is 0644.
func (t Target) Write(k *KnownHosts) error {
	dir := filepath.Dir(t.Path)
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		if t.UID >= 0 {
			_ = os.Chown(dir, t.UID, t.GID)
		}
	}
	mode := os.FileMode(0o644)
	if t.UID >= 0 {
		mode = 0o600
	}
	if fi, err := os.Stat(t.Path); err == nil {
		mode = fi.Mode().Perm()
	}
	return atomicfile.Write(t.Path, []byte(k.String()), mode, t.UID, t.GID)
}

// Scan asks host's ssh server for its keys with ssh-keyscan.
func Scan(ctx context.Context, host string, port int, enc string, timeout time.Duration) ([]Entry, error) {
	if host == "" || strings.HasPrefix(host, "-") {
		return nil, fmt.Errorf("invalid host %q", host)
	}
	argv := []string{"ssh-keyscan", "-T", strconv.Itoa(max(1, int(timeout.Seconds())))}
	if port != 0 {
		argv = append(argv, "-p", strconv.Itoa(port))
	}
	if enc != "" {
		argv = append(argv, "-t", strings.TrimPrefix(enc, "ssh-"))
	}
	argv = append(argv, "--", host)
	res, err := cmd.Run(ctx, cmd.Options{Argv: argv, Timeout: timeout + 10*time.Second})
	if err != nil {
		return nil, fmt.Errorf("ssh-keyscan: %w", err)
	}
	var out []Entry
	for _, l := range strings.Split(res.Stdout, "\n") {
		if _, e, ok := entryOf(l); ok {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("Unable to receive remote host key of %s", host)
	}
	return out, nil
}

func describe(entries []Entry, hashType string) any {
	if len(entries) == 0 {
		return nil
	}
	out := make([]any, 0, len(entries))
	for _, e := range entries {
		fp, _ := Fingerprint(e.Key, hashType)
		out = append(out, map[string]any{"enc": e.Enc, "key": e.Key, "fingerprint": fp})
	}
	return out
}

func getKnownHostEntries(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(5, "user", "hostname", "config", "port", "fingerprint_hash_type"); err != nil {
		return nil, err
	}
	userName, _ := c.OptString(0, "user", "")
	host, err := c.String(1, "hostname")
	if err != nil {
		return nil, err
	}
	config, _ := c.OptString(2, "config", "")
	port, err := c.OptInt(3, "port", 0)
	if err != nil {
		return nil, err
	}
	hashType, _ := c.OptString(4, "fingerprint_hash_type", "sha256")
	t, err := KnownHostsFile(userName, config)
	if err != nil {
		return nil, err
	}
	k, err := t.Read()
	if err != nil {
		return nil, err
	}
	return describe(k.Find(HostPattern(host, port)), hashType), nil
}

func recvKnownHostEntries(ctx context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(5, "hostname", "enc", "port", "timeout", "fingerprint_hash_type"); err != nil {
		return nil, err
	}
	host, err := c.String(0, "hostname")
	if err != nil {
		return nil, err
	}
	enc, _ := c.OptString(1, "enc", "")
	port, err := c.OptInt(2, "port", 0)
	if err != nil {
		return nil, err
	}
	timeout, err := c.OptInt(3, "timeout", 5)
	if err != nil {
		return nil, err
	}
	hashType, _ := c.OptString(4, "fingerprint_hash_type", "sha256")
	entries, err := Scan(ctx, host, port, enc, time.Duration(timeout)*time.Second)
	if err != nil {
		return nil, err
	}
	return describe(entries, hashType), nil
}

func rmKnownHost(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(4, "user", "hostname", "config", "port"); err != nil {
		return nil, err
	}
	userName, _ := c.OptString(0, "user", "")
	host, err := c.String(1, "hostname")
	if err != nil {
		return nil, err
	}
	config, _ := c.OptString(2, "config", "")
	port, err := c.OptInt(3, "port", 0)
	if err != nil {
		return nil, err
	}
	t, err := KnownHostsFile(userName, config)
	if err != nil {
		return nil, err
	}
	k, err := t.Read()
	if err != nil {
		return nil, err
	}
	if k.Remove(HostPattern(host, port)) == 0 {
		return map[string]any{"status": "removed", "comment": "Host " + host + " was not in " + t.Path}, nil
	}
	if err := t.Write(k); err != nil {
		return nil, err
	}
	return map[string]any{"status": "removed", "comment": "Removed " + host + " from " + t.Path}, nil
}
