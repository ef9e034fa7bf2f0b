package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/halite/halite/pkg/modules"
)

// Masking is systemd's: a unit masked is a link to /dev/null in
// /etc/systemd/system (or, for runtime: True, in /run/systemd/system,
// gone at reboot), which neither a start nor a dependency can get past.
// Masks makes the link itself, as systemctl mask does, so masking works
// also where systemd is installed but not running (an image being built,
// a container); when systemd runs, it is told to reload.
type Masks struct {
	// Root is prefixed to the unit directories; "" is the real system.
	Root string
}

// ErrNoMasking is returned where systemd is not installed.
var ErrNoMasking = errors.New("Service masking not available on this minion")

func (m Masks) link(name string, runtime bool) (string, error) {
	if err := ValidName(name); err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(m.Root, "/etc/systemd")); err != nil {
		return "", ErrNoMasking
	}
	dir := "/etc/systemd/system"
	if runtime {
		dir = "/run/systemd/system"
	}
	return filepath.Join(m.Root, dir, UnitName(name)), nil
}

// Masked reports whether the unit is masked (persistently, or at runtime
// when runtime is set).
func (m Masks) Masked(name string, runtime bool) (bool, error) {
	p, err := m.link(name, runtime)
	if err != nil {
		return false, err
	}
	t, err := os.Readlink(p)
	return err == nil && t == "/dev/null", nil
}

// Mask masks the unit. A unit file of its own at the link's place (an
// administrator's unit in /etc/systemd/system) is not replaced: systemctl
// refuses that too.
func (m Masks) Mask(ctx context.Context, name string, runtime bool) error {
	p, err := m.link(name, runtime)
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(p); err == nil && fi.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("Failed to mask unit: File %s already exists.", p)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".halite-mask"
	_ = os.Remove(tmp)
	if err := os.Symlink("/dev/null", tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return m.reload(ctx)
}

// Unmask removes the mask, if any; a unit file that is not a mask is
// left alone.
func (m Masks) Unmask(ctx context.Context, name string, runtime bool) error {
	masked, err := m.Masked(name, runtime)
	if err != nil || !masked {
		return err
	}
	p, _ := m.link(name, runtime)
	if err := os.Remove(p); err != nil {
		return err
	}
	return m.reload(ctx)
}

func (m Masks) reload(ctx context.Context) error {
	if m.Root != "" {
		return nil
	}
	if _, ok := Detect().(*Systemd); !ok {
		return nil
	}
	return must(ctx, "systemctl daemon-reload", nil, false, "systemctl", "daemon-reload")
}

func init() {
	modules.Register("service.masked", `Return true when the systemd unit NAME is masked (runtime=true: masked
until the next boot only).

CLI Example:

    halite-master run '*' service.masked nginx
`, maskQuery)
	modules.Register("service.mask", `Mask the systemd unit NAME, so that nothing can start it (runtime=true:
until the next boot only); return true.

CLI Example:

    halite-master run '*' service.mask nginx
`, maskAction(Masks.Mask))
	modules.Register("service.unmask", `Unmask the systemd unit NAME (runtime=true: the runtime mask); return true.

CLI Example:

    halite-master run '*' service.unmask nginx
`, maskAction(Masks.Unmask))
}

func maskArgs(c *modules.Call) (string, bool, error) {
	if err := c.Expect(2, "name", "runtime"); err != nil {
		return "", false, err
	}
	n, err := c.String(0, "name")
	if err != nil {
		return "", false, err
	}
	rt, err := c.OptBool(1, "runtime", false)
	return n, rt, err
}

func maskQuery(_ context.Context, c *modules.Call) (any, error) {
	n, rt, err := maskArgs(c)
	if err != nil {
		return nil, err
	}
	return Masks{}.Masked(n, rt)
}

func maskAction(do func(Masks, context.Context, string, bool) error) modules.Func {
	return func(ctx context.Context, c *modules.Call) (any, error) {
		n, rt, err := maskArgs(c)
		if err != nil {
			return nil, err
		}
		if err := do(Masks{}, ctx, n, rt); err != nil {
			return nil, err
		}
		return true, nil
	}
}
