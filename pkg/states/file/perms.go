package file

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
)

// ErrBadMode is wrapped by ParseMode errors.
var ErrBadMode = errors.New("invalid mode")

// ParseMode reads a file mode the way Salt does: an octal string ("0644",
// "644", "4755") or a number whose decimal digits are the octal digits (644
// as YAML reads `mode: 644`). Setuid, setgid and sticky bits map to their
// fs.FileMode flags.
//
// An unquoted `mode: 0644` reaches here as 644: the SLS loader drops
// leading zeros as Salt's does (see yamlvalue), rather than reading YAML
// 1.1 octal (420).
func ParseMode(v any) (fs.FileMode, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
		s = strings.TrimPrefix(strings.TrimPrefix(s, "0o"), "0O")
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case uint64:
		s = strconv.FormatUint(x, 10)
	case float64:
		if x != math.Trunc(x) || x < 0 || x > 1e6 {
			return 0, fmt.Errorf("%w: %v", ErrBadMode, x)
		}
		s = strconv.FormatInt(int64(x), 10)
	default:
		return 0, fmt.Errorf("%w: %T", ErrBadMode, v)
	}
	if s == "" || len(s) > 5 {
		return 0, fmt.Errorf("%w: %q", ErrBadMode, s)
	}
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 07777 {
		return 0, fmt.Errorf("%w: %q (want octal like 0644)", ErrBadMode, s)
	}
	return octalToMode(uint32(n)), nil
}

func octalToMode(n uint32) fs.FileMode {
	m := fs.FileMode(n & 0o777)
	if n&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if n&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if n&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// permBits keeps the parts of a mode that chmod sets.
func permBits(m fs.FileMode) fs.FileMode {
	return m & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

// FormatMode renders m as Salt shows modes: four octal digits.
func FormatMode(m fs.FileMode) string {
	n := uint32(m & fs.ModePerm)
	if m&fs.ModeSetuid != 0 {
		n |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		n |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		n |= 0o1000
	}
	return fmt.Sprintf("%04o", n)
}

// owner is a wanted user and group, by name as given and by id.
type owner struct {
	user, group string // as the user wrote them ("" = not managed)
	uid, gid    int    // -1 = not managed
}

// lookupOwner resolves user and group names (or numeric ids). The errors
// read like Salt's: "User foo is not available".
func lookupOwner(userName, groupName string) (owner, error) {
	o := owner{user: userName, group: groupName, uid: -1, gid: -1}
	var errs []string
	if userName != "" {
		if id, err := resolveUser(userName); err != nil {
			errs = append(errs, fmt.Sprintf("User %s is not available", userName))
		} else {
			o.uid = id
		}
	}
	if groupName != "" {
		if id, err := resolveGroup(groupName); err != nil {
			errs = append(errs, fmt.Sprintf("Group %s is not available", groupName))
		} else {
			o.gid = id
		}
	}
	if errs != nil {
		return o, errors.New(strings.Join(errs, " "))
	}
	return o, nil
}

func resolveUser(s string) (int, error) {
	if u, err := user.Lookup(s); err == nil {
		return strconv.Atoi(u.Uid)
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, nil
	}
	return 0, fmt.Errorf("unknown user %s", s)
}

func resolveGroup(s string) (int, error) {
	if g, err := user.LookupGroup(s); err == nil {
		return strconv.Atoi(g.Gid)
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, nil
	}
	return 0, fmt.Errorf("unknown group %s", s)
}

// ownerOf returns a file's uid and gid.
func ownerOf(fi fs.FileInfo) (uid, gid int) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), int(st.Gid)
	}
	return -1, -1
}

// permChanges compares fi with the wanted owner and mode (mode 0 with
// wantMode false = not managed) and returns Salt's change keys: user,
// group, mode.
func permChanges(fi fs.FileInfo, o owner, mode fs.FileMode, wantMode bool) map[string]any {
	ch := map[string]any{}
	uid, gid := ownerOf(fi)
	if o.uid >= 0 && uid != o.uid {
		ch["user"] = o.user
	}
	if o.gid >= 0 && gid != o.gid {
		ch["group"] = o.group
	}
	if wantMode && fi.Mode()&fs.ModeSymlink == 0 && permBits(fi.Mode()) != mode {
		ch["mode"] = FormatMode(mode)
	}
	return ch
}

// applyPerms sets owner then mode (chown clears setuid bits, so the order
// matters).
func applyPerms(path string, o owner, mode fs.FileMode, wantMode bool) error {
	if o.uid >= 0 || o.gid >= 0 {
		if err := os.Chown(path, o.uid, o.gid); err != nil {
			return fmt.Errorf("chown %s: %w", path, err)
		}
	}
	if wantMode {
		if err := os.Chmod(path, mode); err != nil {
			return fmt.Errorf("chmod %s: %w", path, err)
		}
	}
	return nil
}
