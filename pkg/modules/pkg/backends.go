package pkg

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"time"
)

// Apt manages packages with dpkg and apt-get (Debian, Ubuntu).
type Apt struct{}

// aptEnv keeps apt and the maintainer scripts it runs from asking
// questions nobody is there to answer.
var aptEnv = map[string]string{
	"DEBIAN_FRONTEND":          "noninteractive",
	"APT_LISTBUGS_FRONTEND":    "none",
	"APT_LISTCHANGES_FRONTEND": "none",
	"NEEDRESTART_MODE":         "a",
}

// aptOpts keep existing configuration files on upgrade (what a managed
// host wants: the state system owns them) and wait for the dpkg lock
// instead of failing when another apt run holds it.
var aptOpts = []string{
	"-q", "-y",
	"-o", "DPkg::Options::=--force-confdef",
	"-o", "DPkg::Options::=--force-confold",
	"-o", "DPkg::Lock::Timeout=300",
}

// Name implements Manager.
func (*Apt) Name() string { return "apt" }

// List implements Manager.
func (*Apt) List(ctx context.Context) (Installed, error) {
	arch, err := runTool(ctx, "dpkg --print-architecture", nil, "dpkg", "--print-architecture")
	if err != nil {
		return nil, err
	}
	res, err := runTool(ctx, "dpkg-query", nil, "dpkg-query", "-W",
		"-f=${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n")
	if err != nil {
		return nil, err
	}
	return ParseDpkgQuery(res.Stdout, strings.TrimSpace(arch.Stdout)), nil
}

// Refresh implements Manager.
func (*Apt) Refresh(ctx context.Context) error {
	_, err := runTool(ctx, "apt-get update", aptEnv, append(append([]string{"apt-get"}, aptOpts...), "update")...)
	return err
}

// Install implements Manager. Package files are installed with dpkg -i,
// as Salt does; names go through apt-get.
func (*Apt) Install(ctx context.Context, specs []Spec) error {
	var (
		files, names []string
		pinned       bool
	)
	for _, s := range specs {
		switch {
		case s.Source != "":
			files = append(files, s.Source)
		case s.Version != "":
			names = append(names, s.Name+"="+s.Version)
			pinned = true
		default:
			names = append(names, s.Name)
		}
	}
	if len(files) > 0 {
		argv := append([]string{"dpkg", "-i", "--force-confdef", "--force-confold"}, files...)
		if err := dpkgWithLock(ctx, "dpkg -i", argv); err != nil {
			return err
		}
	}
	if len(names) > 0 {
		argv := append([]string{"apt-get"}, aptOpts...)
		if pinned {
			argv = append(argv, "--allow-downgrades")
		}
		if r := repoOf(specs); r != "" {
			argv = append(argv, "-t", r)
		}
		argv = append(append(argv, "install"), names...)
		if _, err := runTool(ctx, "apt-get install", aptEnv, argv...); err != nil {
			return err
		}
	}
	return nil
}

// Remove implements Manager. dpkg does it when nothing else depends on
// the packages, which gives the same result as apt-get without apt-get's
// cost of rebuilding its cache (seconds on a large package list). When
// dpkg refuses, apt-get removes the dependents too, as Salt does.
func (*Apt) Remove(ctx context.Context, names []string, purge bool) error {
	action, flag := "remove", "--remove"
	if purge {
		action, flag = "purge", "--purge"
	}
	if dpkgWithLock(ctx, "dpkg "+flag, append([]string{"dpkg", flag}, names...)) == nil {
		return nil
	}
	argv := append(append(append([]string{"apt-get"}, aptOpts...), action), names...)
	_, err := runTool(ctx, "apt-get "+action, aptEnv, argv...)
	return err
}

// dpkgLockWait is how long dpkg -i waits for another package run to
// release the dpkg lock; apt-get waits by itself (DPkg::Lock::Timeout).
const dpkgLockWait = 5 * time.Minute

// dpkgWithLock runs dpkg, retrying while another process holds the dpkg
// lock: dpkg, unlike apt-get, fails at once in that case.
func dpkgWithLock(ctx context.Context, what string, argv []string) error {
	deadline := time.Now().Add(dpkgLockWait)
	for delay := 200 * time.Millisecond; ; delay = min(2*delay, 2*time.Second) {
		_, err := runTool(ctx, what, aptEnv, argv...)
		if err == nil || !isDpkgLocked(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the dpkg lock: %w", ctx.Err())
		case <-time.After(delay):
		}
	}
}

func isDpkgLocked(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "dpkg frontend lock") || strings.Contains(msg, "dpkg status database is locked")
}

// ParseDpkgQuery parses dpkg-query -W output in the format
// "${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}" and keeps
// installed packages. Packages of a foreign architecture are named
// "name:arch", as Salt names them.
func ParseDpkgQuery(out, nativeArch string) Installed {
	inst := Installed{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 4 || f[0] == "" || f[1] == "" {
			continue
		}
		// Status-Abbrev: desired action, then state; "i" is installed.
		if st := f[3]; len(st) < 2 || st[1] != 'i' {
			continue
		}
		name := f[0]
		if arch := f[2]; arch != "" && arch != "all" && nativeArch != "" && arch != nativeArch {
			name += ":" + arch
		}
		inst[name] = appendUnique(inst[name], f[1])
	}
	return inst
}

func appendUnique(l []string, v string) []string {
	for _, x := range l {
		if x == v {
			return l
		}
	}
	return append(l, v)
}

// RPM manages packages with rpm and dnf or yum (Fedora, RHEL and
// derivatives).
type RPM struct {
	// Tool is "dnf" or "yum".
	Tool string
}

// Name implements Manager.
func (r *RPM) Name() string { return r.Tool }

// List implements Manager.
func (r *RPM) List(ctx context.Context) (Installed, error) {
	res, err := runTool(ctx, "rpm -qa", nil, "rpm", "-qa", "--nodigest", "--nosignature",
		"--queryformat", `%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n`)
	if err != nil {
		return nil, err
	}
	return ParseRPMQuery(res.Stdout, machine()), nil
}

// Refresh implements Manager.
func (r *RPM) Refresh(ctx context.Context) error {
	_, err := runTool(ctx, r.Tool+" makecache", nil, r.Tool, "-y", "makecache")
	return err
}

// Install implements Manager.
func (r *RPM) Install(ctx context.Context, specs []Spec) error {
	argv := []string{r.Tool, "-y", "install"}
	if repo := repoOf(specs); repo != "" {
		argv = append(argv, "--disablerepo=*", "--enablerepo="+repo)
	}
	for _, s := range specs {
		switch {
		case s.Source != "":
			argv = append(argv, s.Source)
		case s.Version != "":
			argv = append(argv, s.Name+"-"+s.Version)
		default:
			argv = append(argv, s.Name)
		}
	}
	_, err := runTool(ctx, r.Tool+" install", nil, argv...)
	return err
}

// Remove implements Manager; rpm has no separate purge.
func (r *RPM) Remove(ctx context.Context, names []string, _ bool) error {
	_, err := runTool(ctx, r.Tool+" remove", nil, append([]string{r.Tool, "-y", "remove"}, names...)...)
	return err
}

// ParseRPMQuery parses rpm -qa output in the format
// "%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}". Versions are
// "[epoch:]version-release"; packages of another architecture than the
// host's (and not noarch) are named "name.arch", as Salt names them.
func ParseRPMQuery(out, nativeArch string) Installed {
	inst := Installed{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 5 || f[0] == "" || f[2] == "" || f[0] == "gpg-pubkey" {
			continue
		}
		v := f[2]
		if f[3] != "" && f[3] != "(none)" {
			v += "-" + f[3]
		}
		if e := f[1]; e != "" && e != "(none)" && e != "0" {
			v = e + ":" + v
		}
		name := f[0]
		if arch := f[4]; arch != "" && arch != "noarch" && arch != "(none)" && nativeArch != "" && arch != nativeArch {
			name += "." + arch
		}
		inst[name] = appendUnique(inst[name], v)
	}
	return inst
}

// Apk manages packages with apk (Alpine).
type Apk struct{}

// Name implements Manager.
func (*Apk) Name() string { return "apk" }

// List implements Manager.
func (*Apk) List(ctx context.Context) (Installed, error) {
	res, err := runTool(ctx, "apk info", nil, "apk", "info", "-v")
	if err != nil {
		return nil, err
	}
	return ParseApkInfo(res.Stdout), nil
}

// Refresh implements Manager.
func (*Apk) Refresh(ctx context.Context) error {
	_, err := runTool(ctx, "apk update", nil, "apk", "update")
	return err
}

// Install implements Manager.
func (*Apk) Install(ctx context.Context, specs []Spec) error {
	argv := []string{"apk", "add", "--wait", "300"}
	if r := repoOf(specs); r != "" {
		argv = append(argv, "--repository", r)
	}
	local := false
	for _, s := range specs {
		switch {
		case s.Source != "":
			argv = append(argv, s.Source)
			local = true
		case s.Version != "":
			argv = append(argv, s.Name+"="+s.Version)
		default:
			argv = append(argv, s.Name)
		}
	}
	if local {
		argv = append(argv[:2], append([]string{"--allow-untrusted"}, argv[2:]...)...)
	}
	_, err := runTool(ctx, "apk add", nil, argv...)
	return err
}

// Remove implements Manager.
func (*Apk) Remove(ctx context.Context, names []string, _ bool) error {
	_, err := runTool(ctx, "apk del", nil, append([]string{"apk", "del", "--wait", "300"}, names...)...)
	return err
}

// ParseApkInfo parses apk info -v output: one "name-version-rN" per line.
// Alpine versions contain no dash, so the last two dash-separated parts
// are the version and release.
func ParseApkInfo(out string) Installed {
	inst := Installed{}
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "WARNING") || strings.ContainsAny(line, " \t") {
			continue
		}
		parts := strings.Split(line, "-")
		if len(parts) < 3 {
			continue
		}
		name := strings.Join(parts[:len(parts)-2], "-")
		rel := parts[len(parts)-1]
		if name == "" || parts[len(parts)-2] == "" || len(rel) < 2 || rel[0] != 'r' {
			continue
		}
		inst[name] = appendUnique(inst[name], parts[len(parts)-2]+"-"+rel)
	}
	return inst
}

// machine is uname -m.
func machine() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return ""
	}
	b := make([]byte, 0, len(u.Machine))
	for _, c := range u.Machine {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}
