package file

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("file.dirname", "Return the directory part of PATH (Python's os.path.dirname).\n\nCLI Example:\n\n    halite-master run '*' file.dirname /etc/hosts\n", dirname)
	modules.Register("file.basename", "Return the last part of PATH (Python's os.path.basename).\n\nCLI Example:\n\n    halite-master run '*' file.basename /etc/hosts\n", basename)
	modules.Register("file.join", "Join path parts (Python's os.path.join: an absolute part starts over).\n\nCLI Example:\n\n    halite-master run '*' file.join /etc nginx nginx.conf\n", join)
	modules.Register("file.readdir", "Return the entries of the directory PATH, with . and .. first.\n\nCLI Example:\n\n    halite-master run '*' file.readdir /etc/apt\n", readdir)
	modules.Register("file.contains_regex", "Return true when a line of PATH matches REGEX (lchar strips leading characters first).\n\nCLI Example:\n\n    halite-master run '*' file.contains_regex /etc/hosts '^127'\n", containsRegex)
	modules.Register("file.get_user", "Return the name of the user owning PATH (its uid when it has no name).\n\nCLI Example:\n\n    halite-master run '*' file.get_user /etc/passwd\n", getUser)
}

func pathArg(c *modules.Call, n int) (string, error) {
	if err := c.Expect(n, "path"); err != nil {
		return "", err
	}
	return c.String(0, "path")
}

func dirname(_ context.Context, c *modules.Call) (any, error) {
	p, err := pathArg(c, 1)
	if err != nil {
		return nil, err
	}
	// Python's dirname: everything up to the last slash, without its
	// trailing slashes unless it is nothing but slashes.
	head := p[:strings.LastIndexByte(p, '/')+1]
	if head != strings.Repeat("/", len(head)) {
		head = strings.TrimRight(head, "/")
	}
	return head, nil
}

func basename(_ context.Context, c *modules.Call) (any, error) {
	p, err := pathArg(c, 1)
	if err != nil {
		return nil, err
	}
	return p[strings.LastIndexByte(p, '/')+1:], nil
}

func join(_ context.Context, c *modules.Call) (any, error) {
	parts, err := c.RestStrings(0)
	if err != nil {
		return nil, err
	}
	out := ""
	for _, p := range parts {
		switch {
		case len(p) > 0 && p[0] == '/':
			out = p
		case out == "" || out[len(out)-1] == '/':
			out += p
		default:
			out += "/" + p
		}
	}
	return out, nil
}

func readdir(_ context.Context, c *modules.Call) (any, error) {
	p, err := pathArg(c, 1)
	if err != nil {
		return nil, err
	}
	if !filepath.IsAbs(p) {
		return nil, fmt.Errorf("dir path must be absolute: %s", p)
	}
	ents, err := os.ReadDir(p)
	if err != nil {
		return nil, err
	}
	out := []any{".", ".."}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, n)
	}
	return out, nil
}

func containsRegex(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "path", "regex", "lchar"); err != nil {
		return nil, err
	}
	p, err := c.String(0, "path")
	if err != nil {
		return nil, err
	}
	expr, err := c.String(1, "regex")
	if err != nil {
		return nil, err
	}
	lchar, err := c.OptString(2, "lchar", "")
	if err != nil {
		return nil, err
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, fmt.Errorf("regex: %w", err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		if os.IsNotExist(err) {
			return false, nil
		}
		return nil, err
	}
	start := 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '\n' {
			line := string(b[start:i])
			if lchar != "" {
				for len(line) > 0 && containsRune(lchar, rune(line[0])) {
					line = line[1:]
				}
			}
			if re.MatchString(line) {
				return true, nil
			}
			start = i + 1
		}
	}
	return false, nil
}

func containsRune(s string, r rune) bool {
	for _, x := range s {
		if x == r {
			return true
		}
	}
	return false
}

// statArg reads the (path, follow_symlinks=True) arguments the file.get_*
// functions share and stats the path; fi is nil when it does not exist.
func statArg(c *modules.Call) (p string, fi os.FileInfo, err error) {
	if err := c.Expect(2, "path", "follow_symlinks"); err != nil {
		return "", nil, err
	}
	if p, err = c.String(0, "path"); err != nil {
		return "", nil, err
	}
	follow, err := c.OptBool(1, "follow_symlinks", true)
	if err != nil {
		return "", nil, err
	}
	stat := os.Stat
	if !follow {
		stat = os.Lstat
	}
	fi, _ = stat(p)
	return p, fi, nil
}

func getUser(_ context.Context, c *modules.Call) (any, error) {
	p, st, err := statArg(c)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return false, nil // Salt returns False for a missing file
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("no owner information for %s", p)
	}
	uid := strconv.FormatUint(uint64(sys.Uid), 10)
	if u, err := user.LookupId(uid); err == nil {
		return u.Username, nil
	}
	return uid, nil
}
