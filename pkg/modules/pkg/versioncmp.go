package pkg

import (
	"context"
	"strings"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("pkg.version_cmp", `Compare two package versions the way dpkg does (epoch, upstream version
and revision; "~" sorts before anything, even the end): -1 when PKG1 is
older, 0 when equal, 1 when newer.

CLI Example:

    halite-master run '*' pkg.version_cmp 0.2.4-0ubuntu1 0.2.4.1-0ubuntu1
`, versionCmp)
}

func versionCmp(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "pkg1", "pkg2", "ignore_epoch"); err != nil {
		return nil, err
	}
	a, err := c.String(0, "pkg1")
	if err != nil {
		return nil, err
	}
	b, err := c.String(1, "pkg2")
	if err != nil {
		return nil, err
	}
	ignoreEpoch, err := c.OptBool(2, "ignore_epoch", false)
	if err != nil {
		return nil, err
	}
	return CompareDebVersions(a, b, ignoreEpoch), nil
}

// CompareDebVersions is dpkg's version comparison: -1, 0 or 1.
func CompareDebVersions(a, b string, ignoreEpoch bool) int {
	ea, ua, ra := splitDeb(a)
	eb, ub, rb := splitDeb(b)
	if !ignoreEpoch {
		if c := compareNum(ea, eb); c != 0 {
			return c
		}
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return c
	}
	return verrevcmp(ra, rb)
}

func splitDeb(v string) (epoch, upstream, revision string) {
	v = strings.TrimSpace(v)
	if i := strings.IndexByte(v, ':'); i >= 0 {
		epoch, v = v[:i], v[i+1:]
	}
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		v, revision = v[:i], v[i+1:]
	}
	return epoch, v, revision
}

func compareNum(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	switch {
	case len(a) != len(b):
		if len(a) < len(b) {
			return -1
		}
		return 1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// order is dpkg's character weight: ~ first, then the end, then letters,
// then everything else.
func order(c byte) int {
	switch {
	case c == '~':
		return -1
	case c >= '0' && c <= '9':
		return 0
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		return int(c)
	case c == 0:
		return 0
	}
	return int(c) + 256
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// verrevcmp is dpkg's verrevcmp.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		firstDiff := 0
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			var ac, bc int
			if i < len(a) {
				ac = order(a[i])
			}
			if j < len(b) {
				bc = order(b[j])
			}
			if ac != bc {
				if ac < bc {
					return -1
				}
				return 1
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for i < len(a) && isDigit(a[i]) && j < len(b) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			if firstDiff < 0 {
				return -1
			}
			return 1
		}
	}
	return 0
}
