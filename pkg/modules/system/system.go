// Package system provides the execution functions for host-wide settings
// that formulas read: timezone.get_zone, locale.get_locale, sysctl.get.
package system

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("timezone.get_zone", "Return the system time zone (Europe/Berlin).\n\nCLI Example:\n\n    halite-master run '*' timezone.get_zone\n", getZone)
	modules.Register("locale.get_locale", "Return the system's default locale (LANG in /etc/default/locale, or the LANG of the environment).\n\nCLI Example:\n\n    halite-master run '*' locale.get_locale\n", getLocale)
	modules.Register("sysctl.get", "Return the value of the kernel parameter NAME (as sysctl -n prints it).\n\nCLI Example:\n\n    halite-master run '*' sysctl.get net.ipv4.ip_forward\n", sysctlGet)
}

func getZone(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	if t, err := os.Readlink("/etc/localtime"); err == nil {
		if i := strings.Index(t, "zoneinfo/"); i >= 0 {
			return t[i+len("zoneinfo/"):], nil
		}
	}
	if b, err := os.ReadFile("/etc/timezone"); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	return "UTC", nil
}

var langLine = regexp.MustCompile(`(?m)^LANG=["']?([^"'\n]*)`)

func getLocale(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	for _, f := range []string{"/etc/default/locale", "/etc/locale.conf"} {
		if b, err := os.ReadFile(f); err == nil {
			if m := langLine.FindSubmatch(b); m != nil {
				return string(m[1]), nil
			}
		}
	}
	return os.Getenv("LANG"), nil
}

func sysctlGet(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "name"); err != nil {
		return nil, err
	}
	name, err := c.String(0, "name")
	if err != nil {
		return nil, err
	}
	if strings.Contains(name, "..") || strings.ContainsAny(name, " \n") {
		return nil, fmt.Errorf("%q is not a kernel parameter", name)
	}
	b, err := os.ReadFile(filepath.Join("/proc/sys", strings.ReplaceAll(name, ".", "/")))
	if err != nil {
		return "", nil
	}
	return strings.Join(strings.Fields(string(b)), "\t"), nil
}
