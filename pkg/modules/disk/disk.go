// Package disk provides Salt's disk.* functions: filesystem space and
// inode usage per mount point, computed with statfs the way df -P does.
package disk

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/halite/halite/pkg/grains/procfs"
	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("disk.usage", `Return usage of mounted filesystems, keyed by mount point, in df -P's
shape and units (1K blocks; values are text, as Salt returns them):

    {"/": {"filesystem": "/dev/sda1", "1K-blocks": "41152736",
           "used": "8843924", "available": "30195652", "capacity": "23%"}}

Like df, filesystems of size zero (proc, sysfs ...) are left out. ARGS is
df-style flags: "a" includes them, "l" keeps local filesystems only.

CLI Example:

    halite-master run '*' disk.usage
    halite-master run '*' disk.usage args=a
`, usage)
	modules.Register("disk.inodeusage", `Return inode usage of mounted filesystems, keyed by mount point:

    {"/": {"inodes": "2621440", "used": "201514", "free": "2419926",
           "use": "8%", "filesystem": "/dev/sda1"}}

Filesystems without inodes (size zero) are left out.

CLI Example:

    halite-master run '*' disk.inodeusage
`, inodeusage)
}

// networkFS are filesystem types df -l leaves out.
var networkFS = map[string]bool{
	"nfs": true, "nfs4": true, "cifs": true, "smb3": true, "smbfs": true, "9p": true,
	"fuse.sshfs": true, "sshfs": true, "glusterfs": true, "fuse.glusterfs": true,
	"ceph": true, "fuse.ceph": true, "lustre": true, "afs": true, "davfs": true,
}

type flags struct{ all, local bool }

func parseFlags(c *modules.Call) (flags, error) {
	var f flags
	if err := c.Expect(1, "args"); err != nil {
		return f, err
	}
	s, err := c.OptString(0, "args", "")
	if err != nil {
		return f, err
	}
	for _, ch := range strings.ReplaceAll(s, "-", "") {
		switch ch {
		case 'a':
			f.all = true
		case 'l':
			f.local = true
		case 'P', 'k':
			// Already df -P's format in 1K blocks.
		default:
			return f, &modules.ArgError{Name: "args", Msg: fmt.Sprintf("unsupported flag %q (want a, l, P or k)", ch)}
		}
	}
	return f, nil
}

// mounted yields every mount's statfs, skipping mounts that cannot be
// read (gone, or denied) and, unless all, ones of size zero.
func mounted(f flags, fn func(m procfs.Mount, st *syscall.Statfs_t)) error {
	mounts, err := procfs.ReadMounts()
	if err != nil {
		return err
	}
	for _, m := range mounts {
		if f.local && networkFS[m.FSType] {
			continue
		}
		var st syscall.Statfs_t
		if err := syscall.Statfs(m.Mountpoint, &st); err != nil {
			continue
		}
		if st.Blocks == 0 && !f.all {
			continue
		}
		fn(m, &st)
	}
	return nil
}

func usage(_ context.Context, c *modules.Call) (any, error) {
	f, err := parseFlags(c)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	err = mounted(f, func(m procfs.Mount, st *syscall.Statfs_t) {
		out[m.Mountpoint] = dfRow(m.Device, st)
	})
	return out, err
}

// dfRow computes df -P's columns for one filesystem.
func dfRow(device string, st *syscall.Statfs_t) map[string]any {
	frsize := uint64(st.Frsize)
	if frsize == 0 {
		frsize = uint64(st.Bsize)
	}
	kb := func(blocks uint64) uint64 { return blocks * frsize / 1024 }
	total := kb(st.Blocks)
	used := kb(st.Blocks - st.Bfree)
	avail := kb(st.Bavail)
	return map[string]any{
		"filesystem": device,
		"1K-blocks":  strconv.FormatUint(total, 10),
		"used":       strconv.FormatUint(used, 10),
		"available":  strconv.FormatUint(avail, 10),
		"capacity":   percent(used, used+avail),
	}
}

// percent is df's rounded-up percentage, "-" when undefined.
func percent(part, whole uint64) string {
	if whole == 0 {
		return "-"
	}
	return strconv.FormatUint((part*100+whole-1)/whole, 10) + "%"
}

func inodeusage(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	out := map[string]any{}
	err := mounted(flags{}, func(m procfs.Mount, st *syscall.Statfs_t) {
		if st.Files == 0 {
			return
		}
		used := st.Files - st.Ffree
		out[m.Mountpoint] = map[string]any{
			"inodes":     strconv.FormatUint(st.Files, 10),
			"used":       strconv.FormatUint(used, 10),
			"free":       strconv.FormatUint(st.Ffree, 10),
			"use":        percent(used, st.Files),
			"filesystem": m.Device,
		}
	})
	return out, err
}
