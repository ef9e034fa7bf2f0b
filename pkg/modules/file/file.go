// Package file provides the read-only and directory-making file.*
// execution functions (file.stats, file.get_hash, file.read ...). The
// file.* states (file.managed and friends) live with the state system.
package file

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/halite/halite/pkg/digest"
	"github.com/halite/halite/pkg/modules"
)

// MaxRead is the largest file file.read returns: a job's return must fit
// in one codec frame (16 MiB) with room to spare.
const MaxRead = 8 << 20

// ErrTooLarge is returned by file.read for files over MaxRead.
var ErrTooLarge = errors.New("file too large to return")

func init() {
	modules.Register("file.stats", `Return information about a file or directory: inode, uid, gid, user,
group, atime, mtime, ctime (Unix seconds), size, mode ("0644"), type
(file, dir, link, char, block, pipe, socket) and target (the resolved
path). With hash_type (md5, sha1, sha256, sha512) also its checksum as
"sum". With follow_symlinks=false a symlink describes itself.

CLI Example:

    halite-master run '*' file.stats /etc/passwd
    halite-master run '*' file.stats /etc/passwd hash_type=sha256
`, stats)
	modules.Register("file.file_exists", `Return true when PATH exists and is a regular file (after following
symlinks).

CLI Example:

    halite-master run '*' file.file_exists /etc/passwd
`, exists(func(fi fs.FileInfo) bool { return fi.Mode().IsRegular() }))
	modules.Register("file.directory_exists", `Return true when PATH exists and is a directory (after following
symlinks).

CLI Example:

    halite-master run '*' file.directory_exists /etc
`, exists(func(fi fs.FileInfo) bool { return fi.IsDir() }))
	modules.Register("file.exists", `Return true when PATH exists, whatever its type.

CLI Example:

    halite-master run '*' file.exists /etc/passwd
`, exists(func(fs.FileInfo) bool { return true }))
	modules.Register("file.read", `Return the contents of a file as text (binary=true: as bytes). Files over
8 MiB are refused; use cmd.run with head or tail for a part of one.

CLI Example:

    halite-master run '*' file.read /etc/hosts
`, read)
	modules.Register("file.get_hash", `Return the hex checksum of a file. FORM is md5, sha1, sha256 (default)
or sha512.

CLI Example:

    halite-master run '*' file.get_hash /etc/shadow
    halite-master run '*' file.get_hash /etc/shadow form=sha512
`, getHash)
	modules.Register("file.mkdir", `Create a directory and any missing parents; return true (also when it
already exists). user, group and mode (octal, "0755") apply to the
directories created.

CLI Example:

    halite-master run '*' file.mkdir /opt/app/logs user=app group=app mode=0750
`, mkdir)
}

// absPath reads a path argument: ~ and ~user are expanded, and the result
// must be absolute (a minion's cwd is not something users reason about).
func absPath(c *modules.Call, pos int, name string) (string, error) {
	p, err := c.String(pos, name)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(p, "~") {
		userPart, rest, _ := strings.Cut(p[1:], "/")
		var home string
		if userPart == "" {
			home, err = os.UserHomeDir()
		} else {
			var u *user.User
			if u, err = user.Lookup(userPart); err == nil {
				home = u.HomeDir
			}
		}
		if err != nil {
			return "", &modules.ArgError{Name: name, Msg: fmt.Sprintf("cannot expand %q: %v", p, err)}
		}
		p = filepath.Join(home, rest)
	}
	if !filepath.IsAbs(p) {
		return "", &modules.ArgError{Name: name, Msg: fmt.Sprintf("%q is not an absolute path", p)}
	}
	return filepath.Clean(p), nil
}

func exists(test func(fs.FileInfo) bool) modules.Func {
	return func(_ context.Context, c *modules.Call) (any, error) {
		if err := c.Expect(1, "path"); err != nil {
			return nil, err
		}
		p, err := absPath(c, 0, "path")
		if err != nil {
			return nil, err
		}
		fi, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return false, nil
			}
			return nil, err
		}
		return test(fi), nil
	}
}

func stats(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "path", "hash_type", "follow_symlinks"); err != nil {
		return nil, err
	}
	p, err := absPath(c, 0, "path")
	if err != nil {
		return nil, err
	}
	hashType, err := c.OptString(1, "hash_type", "")
	if err != nil {
		return nil, err
	}
	follow, err := c.OptBool(2, "follow_symlinks", true)
	if err != nil {
		return nil, err
	}
	var fi fs.FileInfo
	if follow {
		fi, err = os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) {
			fi, err = os.Lstat(p) // a dangling symlink still has an owner
		}
	} else {
		fi, err = os.Lstat(p)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("path not found: %s", p)
	}
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, fmt.Errorf("stat %s: no system information", p)
	}
	ret := map[string]any{
		"inode": st.Ino,
		"uid":   st.Uid,
		"gid":   st.Gid,
		"user":  userName(st.Uid),
		"group": groupName(st.Gid),
		"atime": timespec(st.Atim),
		"mtime": timespec(st.Mtim),
		"ctime": timespec(st.Ctim),
		"size":  fi.Size(),
		"mode":  fmt.Sprintf("%04o", fi.Mode().Perm()|specialBits(fi.Mode())),
		"type":  fileType(fi.Mode()),
	}
	if target, err := filepath.EvalSymlinks(p); err == nil {
		ret["target"] = target
	} else {
		ret["target"] = p
	}
	if hashType != "" && fi.Mode().IsRegular() {
		sum, err := hashFile(p, hashType)
		if err != nil {
			return nil, err
		}
		ret["sum"] = sum
	}
	return ret, nil
}

func timespec(ts syscall.Timespec) float64 {
	return float64(ts.Sec) + float64(ts.Nsec)/1e9
}

// specialBits turns Go's setuid/setgid/sticky flags back into the octal
// bits users write ("4755").
func specialBits(m fs.FileMode) fs.FileMode {
	var b fs.FileMode
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

func fileType(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "dir"
	case m&fs.ModeSymlink != 0:
		return "link"
	case m&fs.ModeNamedPipe != 0:
		return "pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "char"
	case m&fs.ModeDevice != 0:
		return "block"
	}
	return "file"
}

func userName(uid uint32) string {
	if u, err := user.LookupId(strconv.FormatUint(uint64(uid), 10)); err == nil {
		return u.Username
	}
	return strconv.FormatUint(uint64(uid), 10)
}

func groupName(gid uint32) string {
	if g, err := user.LookupGroupId(strconv.FormatUint(uint64(gid), 10)); err == nil {
		return g.Name
	}
	return strconv.FormatUint(uint64(gid), 10)
}

func read(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "path", "binary"); err != nil {
		return nil, err
	}
	p, err := absPath(c, 0, "path")
	if err != nil {
		return nil, err
	}
	binary, err := c.OptBool(1, "binary", false)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxRead+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if len(b) > MaxRead {
		return nil, fmt.Errorf("%s: %w (over %d MiB)", p, ErrTooLarge, MaxRead>>20)
	}
	if binary {
		return b, nil
	}
	return string(b), nil
}

// newHash returns the hash for a Salt hash type name.
func newHash(form string) (hash.Hash, error) {
	h, err := digest.New(form)
	if err != nil {
		return nil, &modules.ArgError{Name: "form", Msg: err.Error()}
	}
	return h, nil
}

func hashFile(p, form string) (string, error) {
	h, err := newHash(form)
	if err != nil {
		return "", err
	}
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func getHash(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "path", "form", "chunk_size"); err != nil {
		return nil, err
	}
	p, err := absPath(c, 0, "path")
	if err != nil {
		return nil, err
	}
	form, err := c.OptString(1, "form", "sha256")
	if err != nil {
		return nil, err
	}
	if _, err := c.OptInt(2, "chunk_size", 0); err != nil { // accepted for Salt compatibility
		return nil, err
	}
	return hashFile(p, form)
}

func mkdir(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(4, "dir_path", "user", "group", "mode"); err != nil {
		return nil, err
	}
	p, err := absPath(c, 0, "dir_path")
	if err != nil {
		return nil, err
	}
	owner, err := c.OptString(1, "user", "")
	if err != nil {
		return nil, err
	}
	group, err := c.OptString(2, "group", "")
	if err != nil {
		return nil, err
	}
	mode := fs.FileMode(0o755)
	if v, ok, err := c.Value(3, "mode"); err != nil {
		return nil, err
	} else if ok {
		if mode, err = parseMode(v); err != nil {
			return nil, err
		}
	}
	uid, gid := -1, -1
	if owner != "" {
		u, err := user.Lookup(owner)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", owner, err)
		}
		uid, _ = strconv.Atoi(u.Uid)
	}
	if group != "" {
		g, err := user.LookupGroup(group)
		if err != nil {
			return nil, fmt.Errorf("group %s: %w", group, err)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	// Create one level at a time so that only the directories made here
	// get the owner and mode.
	var created []string
	for dir := p; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(dir); err == nil {
			break
		}
		created = append(created, dir)
		if dir == filepath.Dir(dir) {
			break
		}
	}
	for i := len(created) - 1; i >= 0; i-- {
		d := created[i]
		if err := os.Mkdir(d, mode); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		if err := os.Chmod(d, mode); err != nil { // umask must not narrow it
			return nil, err
		}
		if uid >= 0 || gid >= 0 {
			if err := os.Lchown(d, uid, gid); err != nil {
				return nil, err
			}
		}
	}
	if fi, err := os.Stat(p); err != nil {
		return nil, err
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("%s exists and is not a directory", p)
	}
	return true, nil
}

// parseMode reads a mode the way Salt users write it: the text "0750" or
// "750", or the integer 750 whose digits are meant as octal (Salt's rule;
// an unquoted 0750 arrives as 750, see yamlvalue).
func parseMode(v any) (fs.FileMode, error) {
	s := strings.TrimSpace(fmt.Sprint(v))
	n, err := strconv.ParseUint(s, 8, 32)
	if err != nil || n > 0o7777 {
		return 0, &modules.ArgError{Name: "mode", Msg: fmt.Sprintf("%q is not an octal mode like 0755", s)}
	}
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
	return m, nil
}
