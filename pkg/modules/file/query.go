package file

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/value"
)

func init() {
	modules.Register("file.is_link", "Return true when PATH is a symbolic link.\n\nCLI Example:\n\n    halite-master run '*' file.is_link /etc/localtime\n", isLink)
	modules.Register("file.readlink", "Return the target of the symbolic link PATH (canonicalize=true: the final path, all links followed).\n\nCLI Example:\n\n    halite-master run '*' file.readlink /etc/localtime\n", readlink)
	modules.Register("file.get_mode", "Return the permission bits of PATH as Salt prints them (\"0644\"); \"\" when it does not exist.\n\nCLI Example:\n\n    halite-master run '*' file.get_mode /etc/passwd\n", getMode)
	modules.Register("file.get_group", "Return the name of the group owning PATH (its gid when it has no name).\n\nCLI Example:\n\n    halite-master run '*' file.get_group /etc/shadow\n", getGroup)
	modules.Register("file.search", "Return true when the regular expression PATTERN matches in PATH (multiline=true: ^ and $ match at line ends; ignore_if_missing=true: false for a missing file).\n\nCLI Example:\n\n    halite-master run '*' file.search /etc/hosts '^127\\.0\\.1\\.1'\n", search)
	modules.Register("file.contains", "Return true when PATH contains TEXT (stripped of surrounding whitespace).\n\nCLI Example:\n\n    halite-master run '*' file.contains /etc/crontab backup\n", contains)
	modules.Register("file.access", "Return true when PATH can be accessed in MODE: f (exists), r, w or x (any combination of r, w, x).\n\nCLI Example:\n\n    halite-master run '*' file.access /etc/shadow r\n", access)
}

func isLink(_ context.Context, c *modules.Call) (any, error) {
	p, err := pathArg(c, 1)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(p)
	return err == nil && fi.Mode()&os.ModeSymlink != 0, nil
}

func readlink(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "path", "canonicalize"); err != nil {
		return nil, err
	}
	p, err := c.String(0, "path")
	if err != nil {
		return nil, err
	}
	canon, err := c.OptBool(1, "canonicalize", false)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("Path to link must be absolute.")
	}
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		return nil, fmt.Errorf("A valid link was not specified.")
	}
	if canon {
		return resolvePath(p)
	}
	return os.Readlink(p)
}

func resolvePath(p string) (string, error) {
	for i := 0; i < 40; i++ {
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			return p, nil
		}
		t, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(t, "/") {
			t = p[:strings.LastIndexByte(p, '/')+1] + t
		}
		p = t
	}
	return "", fmt.Errorf("too many levels of symbolic links")
}

func getMode(_ context.Context, c *modules.Call) (any, error) {
	_, fi, err := statArg(c)
	if err != nil {
		return nil, err
	}
	if fi == nil {
		return "", nil
	}
	m := uint32(fi.Mode().Perm())
	if fi.Mode()&os.ModeSetuid != 0 {
		m |= 0o4000
	}
	if fi.Mode()&os.ModeSetgid != 0 {
		m |= 0o2000
	}
	if fi.Mode()&os.ModeSticky != 0 {
		m |= 0o1000
	}
	return fmt.Sprintf("%04o", m), nil
}

func getGroup(_ context.Context, c *modules.Call) (any, error) {
	p, st, err := statArg(c)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return false, nil
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("no owner information for %s", p)
	}
	gid := strconv.FormatUint(uint64(sys.Gid), 10)
	if g, err := user.LookupGroupId(gid); err == nil {
		return g.Name, nil
	}
	return gid, nil
}

// readText reads a file for the search functions; missing is reported
// separately so each function can decide what a missing file means.
func readText(p string) (string, bool, error) {
	fi, err := os.Stat(p)
	if err != nil {
		if os.IsNotExist(err) {
			return "", true, nil
		}
		return "", false, err
	}
	if fi.Size() > MaxRead {
		return "", false, fmt.Errorf("%s: %w", p, ErrTooLarge)
	}
	b, err := os.ReadFile(p)
	return string(b), false, err
}

func search(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(6, "path", "pattern", "flags", "bufsize", "ignore_if_missing", "multiline"); err != nil {
		return nil, err
	}
	p, err := c.String(0, "path")
	if err != nil {
		return nil, err
	}
	pattern, err := c.String(1, "pattern")
	if err != nil {
		return nil, err
	}
	ignore, err := c.OptBool(4, "ignore_if_missing", false)
	if err != nil {
		return nil, err
	}
	multi, err := c.OptBool(5, "multiline", false)
	if err != nil {
		return nil, err
	}
	flags := 8 // Salt's default: re.MULTILINE
	if v, ok, _ := c.Value(2, "flags"); ok {
		n, isNum := value.Int(v)
		if !isNum {
			return nil, fmt.Errorf("flags: want Python's integer re flags, got %v", v)
		}
		flags = int(n)
	}
	if multi {
		flags |= 8
	}
	re, err := regexp.Compile(pyFlagPrefix(flags) + pattern)
	if err != nil {
		return nil, fmt.Errorf("pattern: %w", err)
	}
	text, missing, err := readText(p)
	if err != nil {
		return nil, err
	}
	if missing {
		if ignore {
			return false, nil
		}
		return nil, fmt.Errorf("%s: file not found", p)
	}
	return re.MatchString(text), nil
}

// pyFlagPrefix turns Python re flags (I=2, M=8, S=16) into a Go prefix.
func pyFlagPrefix(n int) string {
	s := ""
	if n&2 != 0 {
		s += "i"
	}
	if n&8 != 0 {
		s += "m"
	}
	if n&16 != 0 {
		s += "s"
	}
	if s == "" {
		return ""
	}
	return "(?" + s + ")"
}

func contains(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "path", "text"); err != nil {
		return nil, err
	}
	p, err := c.String(0, "path")
	if err != nil {
		return nil, err
	}
	text, err := c.String(1, "text")
	if err != nil {
		return nil, err
	}
	body, missing, err := readText(p)
	if err != nil || missing {
		return false, nil
	}
	return strings.Contains(body, strings.TrimSpace(text)), nil
}

func access(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "path", "mode"); err != nil {
		return nil, err
	}
	p, err := c.String(0, "path")
	if err != nil {
		return nil, err
	}
	mode, err := c.String(1, "mode")
	if err != nil {
		return nil, err
	}
	if mode == "f" {
		_, err := os.Stat(p)
		return err == nil, nil
	}
	var bits uint32
	for _, r := range strings.ToLower(mode) {
		switch r {
		case 'r':
			bits |= 4
		case 'w':
			bits |= 2
		case 'x':
			bits |= 1
		default:
			return nil, fmt.Errorf("Invalid mode specified.")
		}
	}
	return syscall.Access(p, bits) == nil, nil
}
