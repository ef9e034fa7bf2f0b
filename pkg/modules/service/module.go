package service

import (
	"context"
	"errors"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("service.status", `Return true when the service is running, false when it is stopped or
does not exist.

CLI Example:

    halite-master run '*' service.status nginx
`, query(func(ctx context.Context, m Manager, n string) (bool, error) { return m.Status(ctx, n) }, false))
	modules.Register("service.start", `Start the service; return true, or an error with the init system's
explanation.

CLI Example:

    halite-master run '*' service.start nginx
`, action(func(ctx context.Context, m Manager, n string) error { return m.Start(ctx, n) }))
	modules.Register("service.stop", `Stop the service; return true, or an error with the init system's
explanation.

CLI Example:

    halite-master run '*' service.stop nginx
`, action(func(ctx context.Context, m Manager, n string) error { return m.Stop(ctx, n) }))
	modules.Register("service.restart", `Restart the service; return true, or an error with the init system's
explanation.

CLI Example:

    halite-master run '*' service.restart nginx
`, action(func(ctx context.Context, m Manager, n string) error { return m.Restart(ctx, n) }))
	modules.Register("service.reload", `Reload the service's configuration; return true, or an error with the
init system's explanation.

CLI Example:

    halite-master run '*' service.reload nginx
`, action(func(ctx context.Context, m Manager, n string) error { return m.Reload(ctx, n) }))
	modules.Register("service.enable", `Make the service start at boot (systemctl enable, update-rc.d,
chkconfig or rc-update); return true.

CLI Example:

    halite-master run '*' service.enable nginx
`, action(func(ctx context.Context, m Manager, n string) error { return m.Enable(ctx, n) }))
	modules.Register("service.disable", `Stop the service from starting at boot; return true.

CLI Example:

    halite-master run '*' service.disable nginx
`, action(func(ctx context.Context, m Manager, n string) error { return m.Disable(ctx, n) }))
	modules.Register("service.enabled", `Return true when the service starts at boot.

CLI Example:

    halite-master run '*' service.enabled nginx
`, query(func(ctx context.Context, m Manager, n string) (bool, error) { return m.IsEnabled(ctx, n) }, false))
	modules.Register("service.disabled", `Return true when the service does not start at boot.

CLI Example:

    halite-master run '*' service.disabled nginx
`, query(func(ctx context.Context, m Manager, n string) (bool, error) { return m.IsEnabled(ctx, n) }, true))
	modules.Register("service.available", `Return true when the init system knows the service.

CLI Example:

    halite-master run '*' service.available nginx
`, query(func(ctx context.Context, m Manager, n string) (bool, error) { return m.Available(ctx, n) }, false))
	modules.Register("service.missing", `Return true when the init system does not know the service (the
opposite of service.available).

CLI Example:

    halite-master run '*' service.missing nginx
`, query(func(ctx context.Context, m Manager, n string) (bool, error) { return m.Available(ctx, n) }, true))
}

func name(c *modules.Call) (string, error) {
	if err := c.Expect(1, "name"); err != nil {
		return "", err
	}
	return c.String(0, "name")
}

// query answers a yes/no question; a service that does not exist is a
// "no" (false), as in Salt, not an error.
func query(ask func(context.Context, Manager, string) (bool, error), negate bool) modules.Func {
	return func(ctx context.Context, c *modules.Call) (any, error) {
		n, err := name(c)
		if err != nil {
			return nil, err
		}
		ok, err := ask(ctx, Detect(), n)
		if errors.Is(err, ErrUnknownService) {
			ok, err = false, nil
		}
		if err != nil {
			return nil, err
		}
		return ok != negate, nil
	}
}

func action(do func(context.Context, Manager, string) error) modules.Func {
	return func(ctx context.Context, c *modules.Call) (any, error) {
		n, err := name(c)
		if err != nil {
			return nil, err
		}
		if err := do(ctx, Detect(), n); err != nil {
			return nil, err
		}
		return true, nil
	}
}
