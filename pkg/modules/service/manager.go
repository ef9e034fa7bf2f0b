// Package service controls system services: the service.* execution
// functions and the init-system backends behind them (systemd, SysV init
// scripts with update-rc.d or chkconfig, OpenRC), which the
// service.running/dead/enabled states reuse through Manager.
package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/halite/halite/pkg/modules/cmd"
)

// Sentinel errors callers branch on.
var (
	// ErrUnknownService is returned for a service the init system does
	// not know.
	ErrUnknownService = errors.New("service is not available")
	// ErrBadName is returned for a name that cannot be a service (it
	// would escape the init script directory or look like an option).
	ErrBadName = errors.New("invalid service name")
)

// Manager is one init system.
type Manager interface {
	// Name is "systemd", "sysvinit" or "openrc".
	Name() string
	// Available reports whether the service exists.
	Available(ctx context.Context, name string) (bool, error)
	// Status reports whether the service is running.
	Status(ctx context.Context, name string) (bool, error)
	Start(ctx context.Context, name string) error
	Stop(ctx context.Context, name string) error
	Restart(ctx context.Context, name string) error
	Reload(ctx context.Context, name string) error
	// Enable makes the service start at boot; Disable stops that.
	Enable(ctx context.Context, name string) error
	Disable(ctx context.Context, name string) error
	// IsEnabled reports whether the service starts at boot.
	IsEnabled(ctx context.Context, name string) (bool, error)
}

// Detect returns the Manager for the running init system: systemd when it
// is PID 1 (sd_booted's test), OpenRC when its tools are present, SysV
// init scripts otherwise.
func Detect() Manager {
	comm, _ := os.ReadFile("/proc/1/comm")
	_, runDir := os.Stat("/run/systemd/system")
	_, openrc := exec.LookPath("openrc-run")
	_, rcService := exec.LookPath("rc-service")
	return detect(strings.TrimSpace(string(comm)), runDir == nil, openrc == nil && rcService == nil)
}

func detect(pid1 string, systemdRunDir, openrcTools bool) Manager {
	switch {
	case pid1 == "systemd" || systemdRunDir:
		return &Systemd{}
	case openrcTools:
		return &OpenRC{}
	}
	return &SysV{}
}

// ValidName refuses names that could name a file outside the init script
// directory or be read as an option by the tools.
func ValidName(name string) error {
	if name == "" || name == "." || name == ".." || strings.HasPrefix(name, "-") || strings.HasPrefix(name, ".") {
		return fmt.Errorf("%w: %q", ErrBadName, name)
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("@._:+-\\", c)
		if !ok {
			return fmt.Errorf("%w: %q", ErrBadName, name)
		}
	}
	return nil
}

// maxErrorOutput bounds how much of a tool's output goes into an error.
const maxErrorOutput = 2000

// runTool runs an init system tool. It returns the exit status; err is
// for failures to run it at all.
func runTool(ctx context.Context, env map[string]string, clean bool, argv ...string) (cmd.Result, error) {
	res, err := cmd.Run(ctx, cmd.Options{Argv: argv, Env: env, CleanEnv: clean, Cwd: "/", CombineOutput: true})
	if err != nil {
		return res, fmt.Errorf("%s: %w", argv[0], err)
	}
	return res, nil
}

// must runs a tool and turns a non-zero exit into an error carrying the
// tool's output, which is where init scripts explain themselves.
func must(ctx context.Context, what string, env map[string]string, clean bool, argv ...string) error {
	res, err := runTool(ctx, env, clean, argv...)
	if err != nil {
		return err
	}
	if res.Retcode != 0 {
		msg := strings.TrimSpace(res.Stdout)
		if len(msg) > maxErrorOutput {
			msg = "..." + msg[len(msg)-maxErrorOutput:]
		}
		if msg == "" {
			return fmt.Errorf("%s exited with status %d", what, res.Retcode)
		}
		return fmt.Errorf("%s exited with status %d: %s", what, res.Retcode, msg)
	}
	return nil
}

// Systemd controls units with systemctl.
type Systemd struct{}

// unitSuffixes are the unit types a name may already carry.
var unitSuffixes = []string{".service", ".socket", ".timer", ".target", ".mount", ".automount",
	".path", ".slice", ".scope", ".swap", ".device"}

// UnitName is the unit systemctl is given for a service name: nginx
// becomes nginx.service; names with a unit type are kept.
func UnitName(name string) string {
	for _, s := range unitSuffixes {
		if strings.HasSuffix(name, s) {
			return name
		}
	}
	return name + ".service"
}

// Name implements Manager.
func (*Systemd) Name() string { return "systemd" }

func (*Systemd) systemctl(ctx context.Context, action, name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	return must(ctx, "systemctl "+action+" "+UnitName(name), nil, false, "systemctl", action, "--", UnitName(name))
}

// Available implements Manager.
func (*Systemd) Available(ctx context.Context, name string) (bool, error) {
	if err := ValidName(name); err != nil {
		return false, err
	}
	res, err := runTool(ctx, nil, false, "systemctl", "show", "--property=LoadState", "--value", "--", UnitName(name))
	if err != nil {
		return false, err
	}
	state := strings.TrimSpace(res.Stdout)
	return res.Retcode == 0 && state != "" && state != "not-found", nil
}

// Status implements Manager.
func (*Systemd) Status(ctx context.Context, name string) (bool, error) {
	if err := ValidName(name); err != nil {
		return false, err
	}
	res, err := runTool(ctx, nil, false, "systemctl", "is-active", "--quiet", "--", UnitName(name))
	return err == nil && res.Retcode == 0, err
}

// Start implements Manager.
func (s *Systemd) Start(ctx context.Context, name string) error {
	return s.systemctl(ctx, "start", name)
}

// Stop implements Manager.
func (s *Systemd) Stop(ctx context.Context, name string) error { return s.systemctl(ctx, "stop", name) }

// Restart implements Manager.
func (s *Systemd) Restart(ctx context.Context, name string) error {
	return s.systemctl(ctx, "restart", name)
}

// Reload implements Manager.
func (s *Systemd) Reload(ctx context.Context, name string) error {
	return s.systemctl(ctx, "reload", name)
}

// Enable implements Manager.
func (s *Systemd) Enable(ctx context.Context, name string) error {
	return s.systemctl(ctx, "enable", name)
}

// Disable implements Manager.
func (s *Systemd) Disable(ctx context.Context, name string) error {
	return s.systemctl(ctx, "disable", name)
}

// IsEnabled implements Manager: systemctl is-enabled exits 0 for enabled,
// static, alias, indirect and generated units.
func (*Systemd) IsEnabled(ctx context.Context, name string) (bool, error) {
	if err := ValidName(name); err != nil {
		return false, err
	}
	res, err := runTool(ctx, nil, false, "systemctl", "is-enabled", "--quiet", "--", UnitName(name))
	return err == nil && res.Retcode == 0, err
}

// SysV controls init scripts, as on Debian without systemd as PID 1 (the
// development and CI machines here) and older RedHat systems.
type SysV struct {
	// InitDir holds the init scripts; /etc/init.d when empty.
	InitDir string
	// RCRoot holds the rcN.d link directories (/etc when empty);
	// IsEnabled looks in RCRoot/rcN.d and RCRoot/rc.d/rcN.d.
	RCRoot string
}

const defaultInitDir = "/etc/init.d"

func (s *SysV) initDir() string {
	if s.InitDir == "" {
		return defaultInitDir
	}
	return s.InitDir
}

// Name implements Manager.
func (*SysV) Name() string { return "sysvinit" }

// script returns the init script of an existing service.
func (s *SysV) script(name string) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	p := filepath.Join(s.initDir(), name)
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%s: %w", name, ErrUnknownService)
	}
	return p, nil
}

// serviceEnv is the environment init scripts run with: like service(8),
// not the minion's own.
var serviceEnv = map[string]string{
	"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"LANG": "C",
	"TERM": "dumb",
}

// argv is the command for an action: "service NAME ACTION" for the
// system's scripts, or the script itself from a custom InitDir.
func (s *SysV) argv(name, action string) ([]string, error) {
	p, err := s.script(name)
	if err != nil {
		return nil, err
	}
	if s.initDir() == defaultInitDir {
		if svc, err := exec.LookPath("service"); err == nil {
			return []string{svc, name, action}, nil
		}
	}
	return []string{p, action}, nil
}

func (s *SysV) run(ctx context.Context, name, action string) error {
	argv, err := s.argv(name, action)
	if err != nil {
		return err
	}
	return must(ctx, name+" "+action, serviceEnv, true, argv...)
}

// Available implements Manager.
func (s *SysV) Available(_ context.Context, name string) (bool, error) {
	if _, err := s.script(name); err != nil {
		if errors.Is(err, ErrUnknownService) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// Status implements Manager: LSB status exits 0 when the service runs.
func (s *SysV) Status(ctx context.Context, name string) (bool, error) {
	argv, err := s.argv(name, "status")
	if err != nil {
		return false, err
	}
	res, err := runTool(ctx, serviceEnv, true, argv...)
	return err == nil && res.Retcode == 0, err
}

// Start implements Manager.
func (s *SysV) Start(ctx context.Context, name string) error { return s.run(ctx, name, "start") }

// Stop implements Manager.
func (s *SysV) Stop(ctx context.Context, name string) error { return s.run(ctx, name, "stop") }

// Restart implements Manager.
func (s *SysV) Restart(ctx context.Context, name string) error { return s.run(ctx, name, "restart") }

// Reload implements Manager.
func (s *SysV) Reload(ctx context.Context, name string) error { return s.run(ctx, name, "reload") }

// Enable implements Manager with update-rc.d (Debian) or chkconfig
// (RedHat).
func (s *SysV) Enable(ctx context.Context, name string) error {
	if _, err := s.script(name); err != nil {
		return err
	}
	if p, err := exec.LookPath("update-rc.d"); err == nil {
		if err := must(ctx, "update-rc.d "+name+" defaults", serviceEnv, true, p, name, "defaults"); err != nil {
			return err
		}
		return must(ctx, "update-rc.d "+name+" enable", serviceEnv, true, p, name, "enable")
	}
	if p, err := exec.LookPath("chkconfig"); err == nil {
		return must(ctx, "chkconfig "+name+" on", serviceEnv, true, p, name, "on")
	}
	return errors.New("neither update-rc.d nor chkconfig is installed")
}

// Disable implements Manager.
func (s *SysV) Disable(ctx context.Context, name string) error {
	if _, err := s.script(name); err != nil {
		return err
	}
	if p, err := exec.LookPath("update-rc.d"); err == nil {
		return must(ctx, "update-rc.d "+name+" disable", serviceEnv, true, p, name, "disable")
	}
	if p, err := exec.LookPath("chkconfig"); err == nil {
		return must(ctx, "chkconfig "+name+" off", serviceEnv, true, p, name, "off")
	}
	return errors.New("neither update-rc.d nor chkconfig is installed")
}

// IsEnabled implements Manager: a service is enabled when a start link
// (S<NN>name) exists for one of the multi-user runlevels or rcS.
func (s *SysV) IsEnabled(_ context.Context, name string) (bool, error) {
	if err := ValidName(name); err != nil {
		return false, err
	}
	root := s.RCRoot
	if root == "" {
		root = "/etc"
	}
	for _, lvl := range []string{"S", "2", "3", "4", "5"} {
		for _, dir := range []string{filepath.Join(root, "rc"+lvl+".d"), filepath.Join(root, "rc.d", "rc"+lvl+".d")} {
			entries, err := os.ReadDir(dir)
			if err != nil {
				continue
			}
			for _, e := range entries {
				if isStartLink(e.Name(), name) {
					return true, nil
				}
			}
		}
	}
	return false, nil
}

// isStartLink matches rc link names S<digits>name.
func isStartLink(link, name string) bool {
	rest, ok := strings.CutPrefix(link, "S")
	if !ok {
		return false
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	return i > 0 && rest[i:] == name
}

// OpenRC controls services with rc-service and rc-update (Alpine, Gentoo).
type OpenRC struct{}

// Name implements Manager.
func (*OpenRC) Name() string { return "openrc" }

func (*OpenRC) rc(ctx context.Context, name, action string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	return must(ctx, "rc-service "+name+" "+action, nil, false, "rc-service", name, action)
}

// Available implements Manager.
func (*OpenRC) Available(_ context.Context, name string) (bool, error) {
	if err := ValidName(name); err != nil {
		return false, err
	}
	fi, err := os.Stat(filepath.Join(defaultInitDir, name))
	return err == nil && fi.Mode().IsRegular(), nil
}

// Status implements Manager.
func (*OpenRC) Status(ctx context.Context, name string) (bool, error) {
	if err := ValidName(name); err != nil {
		return false, err
	}
	res, err := runTool(ctx, nil, false, "rc-service", name, "status")
	return err == nil && res.Retcode == 0, err
}

// Start implements Manager.
func (o *OpenRC) Start(ctx context.Context, name string) error { return o.rc(ctx, name, "start") }

// Stop implements Manager.
func (o *OpenRC) Stop(ctx context.Context, name string) error { return o.rc(ctx, name, "stop") }

// Restart implements Manager.
func (o *OpenRC) Restart(ctx context.Context, name string) error { return o.rc(ctx, name, "restart") }

// Reload implements Manager.
func (o *OpenRC) Reload(ctx context.Context, name string) error { return o.rc(ctx, name, "reload") }

// Enable implements Manager (default runlevel).
func (*OpenRC) Enable(ctx context.Context, name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	return must(ctx, "rc-update add "+name, nil, false, "rc-update", "add", name, "default")
}

// Disable implements Manager.
func (*OpenRC) Disable(ctx context.Context, name string) error {
	if err := ValidName(name); err != nil {
		return err
	}
	return must(ctx, "rc-update del "+name, nil, false, "rc-update", "del", name, "default")
}

// IsEnabled implements Manager: enabled in the boot or default runlevel.
func (*OpenRC) IsEnabled(_ context.Context, name string) (bool, error) {
	if err := ValidName(name); err != nil {
		return false, err
	}
	for _, lvl := range []string{"boot", "default"} {
		if _, err := os.Lstat(filepath.Join("/etc/runlevels", lvl, name)); err == nil {
			return true, nil
		}
	}
	return false, nil
}
