// Package status provides Salt's status.* functions: load, uptime, memory,
// CPU and disk figures read from /proc and statfs, in Salt's shapes so
// existing dashboards and scripts keep working.
package status

import (
	"context"
	"fmt"
	"path"
	"strings"
	"syscall"
	"time"

	"github.com/halite/halite/pkg/grains/procfs"
	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("status.loadavg", `Return the load averages as {"1-min": x, "5-min": y, "15-min": z}.

CLI Example:

    halite-master run '*' status.loadavg
`, loadavg)
	modules.Register("status.uptime", `Return the uptime: {"seconds", "since_iso", "since_t", "days", "time"},
where since_iso is the boot time (UTC, ISO 8601), since_t the boot time
as a Unix timestamp and time the remainder of the last day as H:MM.

CLI Example:

    halite-master run '*' status.uptime
`, uptime)
	modules.Register("status.meminfo", `Return /proc/meminfo as {"MemTotal": {"value": "16331500", "unit": "kB"}, ...}.

CLI Example:

    halite-master run '*' status.meminfo
`, meminfo)
	modules.Register("status.cpuinfo", `Return /proc/cpuinfo as a mapping (the last processor's block, with
"flags" split into a list), as Salt does.

CLI Example:

    halite-master run '*' status.cpuinfo
`, cpuinfo)
	modules.Register("status.diskusage", `Return the space of mounted filesystems as {mountpoint: {"available":
bytes, "total": bytes}}. Arguments select what to report: paths (starting
with /) and filesystem type globs (ext?, xfs); none reports every mounted
filesystem.

CLI Example:

    halite-master run '*' status.diskusage
    halite-master run '*' status.diskusage / /var
    halite-master run '*' status.diskusage ext? xfs
`, diskusage)
}

func loadavg(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	l, err := procfs.ReadLoadavg()
	if err != nil {
		return nil, err
	}
	return map[string]any{"1-min": l.Load1, "5-min": l.Load5, "15-min": l.Load15}, nil
}

func uptime(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	up, err := procfs.ReadUptime()
	if err != nil {
		return nil, err
	}
	return uptimeShape(time.Now(), up), nil
}

// uptimeShape builds Salt's uptime mapping for a host up for secs at now.
func uptimeShape(now time.Time, secs float64) map[string]any {
	whole := int64(secs)
	boot := now.Add(-time.Duration(whole) * time.Second).UTC()
	rem := whole % 86400
	return map[string]any{
		"seconds":   whole,
		"since_iso": boot.Format("2006-01-02T15:04:05.000000"),
		"since_t":   boot.Unix(),
		"days":      whole / 86400,
		"time":      fmt.Sprintf("%d:%02d", rem/3600, rem%3600/60),
	}
}

func meminfo(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	entries, err := procfs.ReadMeminfo()
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(entries))
	for _, e := range entries {
		v := map[string]any{"value": e.Value}
		if e.Unit != "" {
			v["unit"] = e.Unit
		}
		out[e.Key] = v
	}
	return out, nil
}

func cpuinfo(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	info, err := procfs.ReadCPUInfo()
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, blk := range info {
		for k, v := range blk {
			if k == "flags" || k == "Features" {
				out[k] = strings.Fields(v)
			} else {
				out[k] = v
			}
		}
	}
	return out, nil
}

func diskusage(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(modules.Variadic); err != nil {
		return nil, err
	}
	args, err := c.RestStrings(0)
	if err != nil {
		return nil, err
	}
	var paths, fstypes []string
	for _, a := range args {
		if strings.HasPrefix(a, "/") {
			paths = append(paths, a)
		} else {
			if _, err := path.Match(a, ""); err != nil {
				return nil, &modules.ArgError{Name: a, Msg: "malformed filesystem type glob"}
			}
			fstypes = append(fstypes, a)
		}
	}
	if len(args) == 0 {
		fstypes = []string{"*"}
	}
	out := map[string]any{}
	for _, p := range paths {
		avail, total, err := statfs(p)
		if err != nil {
			return nil, err
		}
		out[p] = map[string]any{"available": avail, "total": total}
	}
	if len(fstypes) > 0 {
		mounts, err := procfs.ReadMounts()
		if err != nil {
			return nil, err
		}
		for _, m := range mounts {
			if !matchAny(fstypes, m.FSType) {
				continue
			}
			// Mounts that vanish or deny access between reading the
			// table and statfs are skipped, not fatal.
			if avail, total, err := statfs(m.Mountpoint); err == nil {
				out[m.Mountpoint] = map[string]any{"available": avail, "total": total}
			}
		}
	}
	return out, nil
}

func matchAny(globs []string, s string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, s); ok {
			return true
		}
	}
	return false
}

// statfs returns the bytes available to unprivileged users and the total
// size of the filesystem holding p.
func statfs(p string) (avail, total uint64, err error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(p, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", p, err)
	}
	bs := uint64(st.Frsize) // block counts are in fragment-size units
	if bs == 0 {
		bs = uint64(st.Bsize)
	}
	return st.Bavail * bs, st.Blocks * bs, nil
}
