// Package pkg manages operating system packages: the pkg.* execution
// functions and the backends behind them (apt/dpkg, dnf/yum/rpm, apk),
// which the pkg.installed/removed/latest states reuse through Manager and
// the Install/Remove helpers.
//
// Changes are computed the way Salt does it: list the installed packages
// before and after the package tool ran and report the difference as
// {"name": {"old": "1.0", "new": "1.1"}}, so the report is true whatever
// the tool printed, dependencies included.
package pkg

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"github.com/halite/halite/pkg/modules/cmd"
)

// Sentinel errors.
var (
	// ErrNoManager is returned by Detect on a host without a supported
	// package tool.
	ErrNoManager = errors.New("no supported package manager (apt, dnf, yum, apk) found")
	// ErrBadSpec is wrapped by errors about package names, versions and
	// sources that cannot be passed to a package tool.
	ErrBadSpec = errors.New("invalid package specification")
)

// Installed maps package names to their installed versions (usually one;
// rpm allows several, kernels for example).
type Installed map[string][]string

// Spec names one package to install.
type Spec struct {
	Name string
	// Version pins a version ("" for the candidate the tool picks).
	Version string
	// Source is an absolute path to a package file (.deb, .rpm, .apk) to
	// install instead of fetching Name from a repository.
	Source string
	// Repo restricts the install to one repository (Salt's fromrepo):
	// apt's target release (-t), dnf/yum's only enabled repository, an
	// apk repository URL.
	Repo string
}

// Validate refuses what could be mistaken for an option by the package
// tool or that a tool cannot mean as a package.
func (s Spec) Validate() error {
	if s.Name == "" && s.Source == "" {
		return fmt.Errorf("%w: empty package name", ErrBadSpec)
	}
	for what, v := range map[string]string{"name": s.Name, "version": s.Version, "fromrepo": s.Repo} {
		if strings.HasPrefix(v, "-") || strings.ContainsAny(v, " \t\n\r\x00/") {
			return fmt.Errorf("%w: %s %q", ErrBadSpec, what, v)
		}
	}
	if s.Source != "" {
		if !filepath.IsAbs(s.Source) {
			return fmt.Errorf("%w: source %q is not an absolute path", ErrBadSpec, s.Source)
		}
		if fi, err := os.Stat(s.Source); err != nil {
			return fmt.Errorf("%w: source: %v", ErrBadSpec, err)
		} else if !fi.Mode().IsRegular() {
			return fmt.Errorf("%w: source %s is not a file", ErrBadSpec, s.Source)
		}
	}
	return nil
}

// repoOf is the repository the specs ask for ("" for any).
func repoOf(specs []Spec) string {
	for _, s := range specs {
		if s.Repo != "" {
			return s.Repo
		}
	}
	return ""
}

// Manager is one package tool.
type Manager interface {
	// Name is the tool: "apt", "dnf", "yum" or "apk".
	Name() string
	// List returns the installed packages.
	List(ctx context.Context) (Installed, error)
	// Refresh updates the repository metadata (apt-get update).
	Refresh(ctx context.Context) error
	// Install installs the packages (specs already validated).
	Install(ctx context.Context, specs []Spec) error
	// Remove removes the packages; purge also removes their
	// configuration where the tool distinguishes the two.
	Remove(ctx context.Context, names []string, purge bool) error
}

// Detect returns the Manager for this host, chosen by which tool exists.
func Detect() (Manager, error) {
	has := func(bin string) bool { _, err := exec.LookPath(bin); return err == nil }
	switch {
	case has("apt-get") && has("dpkg-query"):
		return &Apt{}, nil
	case has("dnf") && has("rpm"):
		return &RPM{Tool: "dnf"}, nil
	case has("yum") && has("rpm"):
		return &RPM{Tool: "yum"}, nil
	case has("apk"):
		return &Apk{}, nil
	}
	return nil, ErrNoManager
}

// Change is one package's versions before and after ("" when absent).
type Change struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// Changes is what an install or removal did, keyed by package name.
type Changes map[string]Change

// Map returns the changes in Salt's return shape.
func (c Changes) Map() map[string]any {
	out := make(map[string]any, len(c))
	for name, ch := range c {
		out[name] = map[string]any{"old": ch.Old, "new": ch.New}
	}
	return out
}

// Diff compares two package lists.
func Diff(before, after Installed) Changes {
	out := Changes{}
	for name, v := range after {
		old, nw := joinVersions(before[name]), joinVersions(v)
		if old != nw {
			out[name] = Change{Old: old, New: nw}
		}
	}
	for name, v := range before {
		if _, still := after[name]; !still {
			out[name] = Change{Old: joinVersions(v), New: ""}
		}
	}
	return out
}

// joinVersions is Salt's text form of several installed versions.
func joinVersions(v []string) string {
	v = append([]string(nil), v...)
	sort.Strings(v)
	return strings.Join(v, ",")
}

// Version returns the installed version of each name ("" when not
// installed; versions joined with "," when several are).
func Version(ctx context.Context, m Manager, names ...string) (map[string]string, error) {
	inst, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		out[n] = joinVersions(inst[n])
	}
	return out, nil
}

// Install validates specs, optionally refreshes the metadata, installs and
// reports what changed. When the tool fails, the changes it made before
// failing are returned with the error.
func Install(ctx context.Context, m Manager, specs []Spec, refresh bool) (Changes, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("%w: no packages given", ErrBadSpec)
	}
	for _, s := range specs {
		if err := s.Validate(); err != nil {
			return nil, err
		}
	}
	if refresh {
		if err := m.Refresh(ctx); err != nil {
			return nil, err
		}
	}
	return withDiff(ctx, m, func() error { return m.Install(ctx, specs) })
}

// Remove removes names and reports what changed. Names not installed are
// skipped, so removing nothing is not an error (Salt's behaviour).
func Remove(ctx context.Context, m Manager, names []string, purge bool) (Changes, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: no packages given", ErrBadSpec)
	}
	for _, n := range names {
		if err := (Spec{Name: n}).Validate(); err != nil {
			return nil, err
		}
	}
	before, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	var present []string
	for _, n := range names {
		if _, ok := before[n]; ok {
			present = append(present, n)
		}
	}
	if len(present) == 0 {
		return Changes{}, nil
	}
	runErr := m.Remove(ctx, present, purge)
	after, err := m.List(ctx)
	if err != nil {
		return nil, errors.Join(runErr, err)
	}
	return Diff(before, after), runErr
}

func withDiff(ctx context.Context, m Manager, run func() error) (Changes, error) {
	before, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	runErr := run()
	after, err := m.List(ctx)
	if err != nil {
		return nil, errors.Join(runErr, err)
	}
	return Diff(before, after), runErr
}

// maxErrorOutput bounds how much of a tool's output goes into an error.
const maxErrorOutput = 2000

// runTool runs a package tool and turns a failure into an error that
// names the step (what, e.g. "apt-get install") and carries the tool's own
// explanation.
func runTool(ctx context.Context, what string, env map[string]string, argv ...string) (cmd.Result, error) {
	res, err := cmd.Run(ctx, cmd.Options{Argv: argv, Env: env, Cwd: "/"})
	if err != nil {
		return res, fmt.Errorf("%s: %w", what, err)
	}
	if res.Retcode != 0 {
		msg := strings.TrimSpace(res.Stderr)
		if msg == "" {
			msg = strings.TrimSpace(res.Stdout)
		}
		if len(msg) > maxErrorOutput {
			msg = "..." + msg[len(msg)-maxErrorOutput:]
		}
		return res, fmt.Errorf("%s exited with status %d: %s", what, res.Retcode, msg)
	}
	return res, nil
}
