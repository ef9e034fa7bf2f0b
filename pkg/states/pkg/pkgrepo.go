package pkg

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	modpkg "github.com/halite/halite/pkg/modules/pkg"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "pkgrepo.managed", Func: repoManaged, Doc: `Ensure a package repository is configured.

apt: name is the sources line ("deb [signed-by=/etc/apt/keyrings/x.gpg]
https://example.com/debian bookworm main"); file is the .list file
(default /etc/apt/sources.list.d/<host>.list); clean_file=True makes the
line the file's only content; key_url (salt://, http(s):// or a path) is
fetched to the line's signed-by keyring (signedby overrides it), armored
keys to a .asc path as they are, or dearmored with gpg for .gpg. dnf/yum:
name is the repo id, with humanname, baseurl or mirrorlist, gpgcheck,
gpgkey, enabled, written to /etc/yum.repos.d/<name>.repo (or file).
The package lists are refreshed after a change unless refresh=False.`})
	state.Register(state.Def{Name: "pkgrepo.absent", Func: repoAbsent, Doc: `Ensure a repository is not configured: its sources line is removed from
file (apt), or its .repo file is deleted (dnf/yum).`})
}

// Where repositories live; variables for tests.
var (
	aptSourcesDir = "/etc/apt/sources.list.d"
	yumReposDir   = "/etc/yum.repos.d"
)

var signedByRe = regexp.MustCompile(`signed-by=([^\s\]]+)`)

// aptFile is where a sources line goes by default: a file named after
// the repository's host.
func aptFile(line string) string {
	host := "halite"
	for _, f := range strings.Fields(line) {
		if i := strings.Index(f, "://"); i > 0 {
			h := f[i+3:]
			if j := strings.IndexAny(h, "/:"); j >= 0 {
				h = h[:j]
			}
			host = strings.ReplaceAll(h, ".", "_")
			break
		}
	}
	return filepath.Join(aptSourcesDir, host+".list")
}

func normLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func repoManaged(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	file := a.String("file", "")
	clean := a.Bool("clean_file", false)
	keyURL := a.String("key_url", "")
	signedBy := a.String("signedby", "")
	refresh := a.Bool("refresh", a.Bool("refresh_db", true))
	disabled := a.Bool("disabled", false) || !a.Bool("enabled", true)
	human := a.String("humanname", "")
	baseURL := a.String("baseurl", "")
	mirror := a.String("mirrorlist", "")
	gpgcheck, hasGPGCheck := a.Raw("gpgcheck")
	gpgkey := a.String("gpgkey", "")
	a.Ignore("dist", "comps", "architectures", "keyid", "keyserver", "consolidate", "comments", "aptkey", "require_in", "saltenv", "skip_verify")
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	m, err := manager()
	if err != nil {
		return fail("%v", err)
	}
	switch m.Name() {
	case "apt":
		return aptRepo(ctx, req, m, file, clean, keyURL, signedBy, refresh, disabled)
	case "dnf", "yum", "rpm":
		enabled := "1"
		if disabled {
			enabled = "0"
		}
		var b strings.Builder
		fmt.Fprintf(&b, "[%s]\n", req.Name)
		if human != "" {
			fmt.Fprintf(&b, "name=%s\n", human)
		}
		if baseURL != "" {
			fmt.Fprintf(&b, "baseurl=%s\n", baseURL)
		}
		if mirror != "" {
			fmt.Fprintf(&b, "mirrorlist=%s\n", mirror)
		}
		fmt.Fprintf(&b, "enabled=%s\n", enabled)
		if hasGPGCheck {
			v := "0"
			if b, ok := gpgcheck.(bool); ok && b || fmt.Sprint(gpgcheck) == "1" {
				v = "1"
			}
			fmt.Fprintf(&b, "gpgcheck=%s\n", v)
		}
		if gpgkey != "" {
			fmt.Fprintf(&b, "gpgkey=%s\n", gpgkey)
		}
		if file == "" {
			file = filepath.Join(yumReposDir, req.Name+".repo")
		}
		return writeIfChanged(ctx, req, m, file, []byte(b.String()), refresh, "Configured package repo '"+req.Name+"'")
	}
	return fail("pkgrepo.managed does not support the %s package manager", m.Name())
}

func aptRepo(ctx context.Context, req *state.Request, m modpkg.Manager, file string, clean bool, keyURL, signedBy string, refresh, disabled bool) state.Result {
	line := normLine(req.Name)
	if !strings.HasPrefix(line, "deb ") && !strings.HasPrefix(line, "deb-src ") {
		return fail("%q is not a sources line (deb URI SUITE COMPONENT...)", req.Name)
	}
	if file == "" {
		file = aptFile(line)
	}
	if signedBy == "" {
		if mm := signedByRe.FindStringSubmatch(line); mm != nil {
			signedBy = mm[1]
		}
	}
	changes := map[string]any{}
	// The key first: a repository whose key is missing breaks apt-get
	// update for every repository.
	if keyURL != "" {
		if signedBy == "" {
			return fail("key_url needs a signed-by keyring in the sources line (or signedby): apt-key is gone from Debian 12")
		}
		key, err := fetchKey(ctx, req, keyURL)
		if err != nil {
			return fail("Failed to fetch the key %s: %v", keyURL, err)
		}
		if bytes.Contains(key, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----")) && !strings.HasSuffix(signedBy, ".asc") {
			if key, err = dearmor(ctx, key); err != nil {
				return fail("Failed to dearmor the key for %s: %v", signedBy, err)
			}
		}
		old, _ := os.ReadFile(signedBy)
		if !bytes.Equal(old, key) {
			changes["key"] = signedBy
			if !req.Test {
				if err := os.MkdirAll(filepath.Dir(signedBy), 0o755); err != nil {
					return fail("%v", err)
				}
				if err := os.WriteFile(signedBy, key, 0o644); err != nil {
					return fail("Failed to write %s: %v", signedBy, err)
				}
			}
		}
	}
	want := line
	if disabled {
		want = "# " + line
	}
	b, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return fail("%v", err)
	}
	var lines []string
	found := false
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if l == "" && len(b) == 0 {
			continue
		}
		bare := normLine(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		if bare == line {
			if found {
				continue
			}
			found = true
			l = want
		}
		if clean && bare != line {
			continue
		}
		lines = append(lines, l)
	}
	if !found {
		lines = append(lines, want)
	}
	content := []byte(strings.Join(lines, "\n") + "\n")
	if !bytes.Equal(content, b) {
		changes["line"] = want
		changes["file"] = file
	}
	if len(changes) == 0 {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Package repo '%s' already configured", req.Name)}
	}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Package repo '%s' would be configured", req.Name)}
	}
	if _, changed := changes["line"]; changed {
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return fail("%v", err)
		}
		if err := os.WriteFile(file, content, 0o644); err != nil {
			return fail("Failed to write %s: %v", file, err)
		}
	}
	if refresh {
		if err := m.Refresh(ctx); err != nil {
			return state.Result{Result: state.False(), Changes: changes, Comment: fmt.Sprintf("Configured package repo '%s', but refreshing the package lists failed: %v", req.Name, err)}
		}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Configured package repo '%s'", req.Name)}
}

func writeIfChanged(ctx context.Context, req *state.Request, m modpkg.Manager, file string, content []byte, refresh bool, done string) state.Result {
	old, _ := os.ReadFile(file)
	if bytes.Equal(old, content) {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Package repo '%s' already configured", req.Name)}
	}
	changes := map[string]any{"file": file}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Package repo '%s' would be configured", req.Name)}
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fail("%v", err)
	}
	if err := os.WriteFile(file, content, 0o644); err != nil {
		return fail("Failed to write %s: %v", file, err)
	}
	if refresh {
		if err := m.Refresh(ctx); err != nil {
			return state.Result{Result: state.False(), Changes: changes, Comment: done + ", but refreshing failed: " + err.Error()}
		}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: done}
}

// fetchKey reads a key from salt://, http(s):// or a local path.
func fetchKey(ctx context.Context, req *state.Request, url string) ([]byte, error) {
	switch {
	case strings.HasPrefix(url, "salt://") || strings.HasPrefix(url, "halite://"):
		if req.Env == nil || req.Env.Files == nil {
			return nil, fmt.Errorf("no file server to fetch %s from", url)
		}
		p, err := req.Env.Files.CacheFile(ctx, url, "base")
		if err != nil {
			return nil, err
		}
		return os.ReadFile(p)
	case strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://"):
		ctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s", resp.Status)
		}
		return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	case strings.HasPrefix(url, "file://"):
		return os.ReadFile(strings.TrimPrefix(url, "file://"))
	case filepath.IsAbs(url):
		return os.ReadFile(url)
	}
	return nil, fmt.Errorf("unsupported key_url %q", url)
}

func dearmor(ctx context.Context, key []byte) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "gpg", "--dearmor")
	cmd.Stdin = bytes.NewReader(key)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("gpg --dearmor: %v: %s", err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

func repoAbsent(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	file := a.String("file", "")
	a.Ignore("keyid", "keyid_ppa")
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	m, err := manager()
	if err != nil {
		return fail("%v", err)
	}
	if m.Name() != "apt" {
		if file == "" {
			file = filepath.Join(yumReposDir, req.Name+".repo")
		}
		if _, err := os.Stat(file); err != nil {
			return state.Result{Result: state.True(), Comment: fmt.Sprintf("Package repo %s is absent", req.Name)}
		}
		if req.Test {
			return state.Result{Changes: map[string]any{"file": file}, Comment: fmt.Sprintf("Package repo %s would be removed", req.Name)}
		}
		if err := os.Remove(file); err != nil {
			return fail("%v", err)
		}
		return state.Result{Result: state.True(), Changes: map[string]any{"file": file}, Comment: fmt.Sprintf("Removed package repo %s", req.Name)}
	}
	line := normLine(req.Name)
	if file == "" {
		file = aptFile(line)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Package repo %s is absent", req.Name)}
	}
	var keep []string
	removed := false
	for _, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if normLine(strings.TrimPrefix(strings.TrimSpace(l), "#")) == line {
			removed = true
			continue
		}
		keep = append(keep, l)
	}
	if !removed {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Package repo %s is absent", req.Name)}
	}
	changes := map[string]any{"line": line, "file": file}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Package repo %s would be removed", req.Name)}
	}
	out := strings.Join(keep, "\n")
	if strings.TrimSpace(out) == "" {
		err = os.Remove(file)
	} else {
		err = os.WriteFile(file, []byte(out+"\n"), 0o644)
	}
	if err != nil {
		return fail("%v", err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Removed package repo %s", req.Name)}
}
