// Package svc drives system services for the service states: systemd when
// it is the running init, SysV init scripts otherwise (containers and the
// CI and development machines here, where systemd is not PID 1).
package svc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/halite/halite/pkg/states/internal/run"
)

// Manager controls services. Status and Enabled answer questions; the
// others act and return an error carrying the tool's message on failure.
type Manager interface {
	Name() string
	Available(ctx context.Context, name string) (bool, error)
	Status(ctx context.Context, name string) (bool, error)
	Start(ctx context.Context, name string) error
	Stop(ctx context.Context, name string) error
	Restart(ctx context.Context, name string) error
	Reload(ctx context.Context, name string) error
	Enabled(ctx context.Context, name string) (bool, error)
	Enable(ctx context.Context, name string) error
	Disable(ctx context.Context, name string) error
}

// Detect picks systemd when it runs the machine, SysV otherwise.
func Detect() Manager {
	if fi, err := os.Stat("/run/systemd/system"); err == nil && fi.IsDir() {
		return Systemd{}
	}
	return SysV{InitDir: "/etc/init.d", RCDir: "/etc"}
}

// validName rejects names that could escape the init directory or be read
// as options.
func validName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\x00\n") || strings.HasPrefix(name, "-") || name == "." || name == ".." {
		return fmt.Errorf("invalid service name %q", name)
	}
	return nil
}

// SysV manages /etc/init.d scripts, enabling them with update-rc.d (Debian)
// or chkconfig (Red Hat).
type SysV struct {
	InitDir string // /etc/init.d
	RCDir   string // directory holding rcN.d
}

func (SysV) Name() string { return "sysvinit" }

func (s SysV) script(name string) (string, error) {
	if err := validName(name); err != nil {
		return "", err
	}
	return filepath.Join(s.InitDir, name), nil
}

func (s SysV) Available(ctx context.Context, name string) (bool, error) {
	p, err := s.script(name)
	if err != nil {
		return false, err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return false, nil
	}
	return fi.Mode().IsRegular() && fi.Mode()&0o111 != 0, nil
}

// Status runs the script's status action: exit 0 is running (LSB).
func (s SysV) Status(ctx context.Context, name string) (bool, error) {
	p, err := s.script(name)
	if err != nil {
		return false, err
	}
	r, err := run.Run(ctx, run.Cmd{Path: p, Args: []string{"status"}, CLocale: true, Dir: "/"})
	if err != nil {
		return false, fmt.Errorf("%s status: %w", name, err)
	}
	return r.Retcode == 0, nil
}

func (s SysV) action(ctx context.Context, name, action string) error {
	p, err := s.script(name)
	if err != nil {
		return err
	}
	// service(8) runs the script with a clean environment, as at boot.
	if svc, err := exec.LookPath("service"); err == nil {
		_, err = run.Tool(ctx, svc, name, action)
		return err
	}
	_, err = run.Tool(ctx, p, action)
	return err
}

func (s SysV) Start(ctx context.Context, name string) error   { return s.action(ctx, name, "start") }
func (s SysV) Stop(ctx context.Context, name string) error    { return s.action(ctx, name, "stop") }
func (s SysV) Restart(ctx context.Context, name string) error { return s.action(ctx, name, "restart") }
func (s SysV) Reload(ctx context.Context, name string) error  { return s.action(ctx, name, "reload") }

// Enabled reports whether the service starts in any of the multi-user
// runlevels 2-5 (an S link in /etc/rcN.d).
func (s SysV) Enabled(ctx context.Context, name string) (bool, error) {
	if err := validName(name); err != nil {
		return false, err
	}
	for _, rl := range []string{"2", "3", "4", "5"} {
		m, err := filepath.Glob(filepath.Join(s.RCDir, "rc"+rl+".d", "S[0-9][0-9]"+globEscape(name)))
		if err != nil {
			return false, err
		}
		if len(m) > 0 {
			return true, nil
		}
	}
	return false, nil
}

func globEscape(s string) string {
	r := strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`, `\`, `\\`)
	return r.Replace(s)
}

func (s SysV) Enable(ctx context.Context, name string) error {
	if err := validName(name); err != nil {
		return err
	}
	if p, err := exec.LookPath("update-rc.d"); err == nil {
		if _, err := run.Tool(ctx, p, name, "defaults"); err != nil {
			return err
		}
		_, err = run.Tool(ctx, p, name, "enable")
		return err
	}
	if p, err := exec.LookPath("chkconfig"); err == nil {
		_, err = run.Tool(ctx, p, name, "on")
		return err
	}
	return errors.New("neither update-rc.d nor chkconfig is available to enable services")
}

func (s SysV) Disable(ctx context.Context, name string) error {
	if err := validName(name); err != nil {
		return err
	}
	if p, err := exec.LookPath("update-rc.d"); err == nil {
		_, err = run.Tool(ctx, p, name, "disable")
		return err
	}
	if p, err := exec.LookPath("chkconfig"); err == nil {
		_, err = run.Tool(ctx, p, name, "off")
		return err
	}
	return errors.New("neither update-rc.d nor chkconfig is available to disable services")
}

// Systemd manages units with systemctl.
type Systemd struct{}

func (Systemd) Name() string { return "systemd" }

func unit(name string) string {
	if strings.Contains(name, ".") {
		return name
	}
	return name + ".service"
}

func (Systemd) ctl(ctx context.Context, args ...string) (run.Result, error) {
	return run.Run(ctx, run.Cmd{Path: "systemctl", Args: args, CLocale: true, Dir: "/"})
}

func (d Systemd) Available(ctx context.Context, name string) (bool, error) {
	if err := validName(name); err != nil {
		return false, err
	}
	r, err := d.ctl(ctx, "show", "--property=LoadState", "--value", unit(name))
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(r.Stdout) == "loaded", nil
}

func (d Systemd) Status(ctx context.Context, name string) (bool, error) {
	if err := validName(name); err != nil {
		return false, err
	}
	r, err := d.ctl(ctx, "is-active", "--quiet", unit(name))
	if err != nil {
		return false, err
	}
	return r.Retcode == 0, nil
}

func (d Systemd) act(ctx context.Context, verb, name string) error {
	if err := validName(name); err != nil {
		return err
	}
	_, err := run.Tool(ctx, "systemctl", verb, unit(name))
	return err
}

func (d Systemd) Start(ctx context.Context, name string) error   { return d.act(ctx, "start", name) }
func (d Systemd) Stop(ctx context.Context, name string) error    { return d.act(ctx, "stop", name) }
func (d Systemd) Restart(ctx context.Context, name string) error { return d.act(ctx, "restart", name) }
func (d Systemd) Reload(ctx context.Context, name string) error  { return d.act(ctx, "reload", name) }
func (d Systemd) Enable(ctx context.Context, name string) error  { return d.act(ctx, "enable", name) }
func (d Systemd) Disable(ctx context.Context, name string) error { return d.act(ctx, "disable", name) }

func (d Systemd) Enabled(ctx context.Context, name string) (bool, error) {
	if err := validName(name); err != nil {
		return false, err
	}
	r, err := d.ctl(ctx, "is-enabled", unit(name))
	if err != nil {
		return false, err
	}
	switch strings.TrimSpace(r.Stdout) {
	case "enabled", "enabled-runtime", "static", "alias", "indirect", "generated":
		return true, nil
	}
	return false, nil
}
