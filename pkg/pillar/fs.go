package pillar

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// MaxFileSize is the largest pillar file (SLS or top file) read.
const MaxFileSize = 16 << 20

// errOutsideRoot marks a name that would leave its pillar root.
var errOutsideRoot = errors.New("path outside the pillar root")

// slsFile is an SLS located on disk.
type slsFile struct {
	path   string // path on disk, for messages
	tpl    string // root-relative slash path, the template's name
	isInit bool
}

// slsRelPath maps "a.b" to "a/b", refusing anything that is not a plain
// dotted name: the names come from top files and includes.
func slsRelPath(sls string) (string, error) {
	if sls == "" {
		return "", fmt.Errorf("empty SLS name: %w", errOutsideRoot)
	}
	parts := strings.Split(sls, ".")
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, "/\\\x00") || strings.TrimSpace(p) != p {
			return "", fmt.Errorf("SLS name %q: %w", sls, errOutsideRoot)
		}
	}
	return strings.Join(parts, "/"), nil
}

// roots opens pillar roots once per compile and keeps them open, so each
// file read costs no more than its own open.
type roots struct {
	open map[string]*os.Root
	errs map[string]error
}

func (rs *roots) get(dir string) (*os.Root, error) {
	if r, ok := rs.open[dir]; ok {
		return r, nil
	}
	if err, ok := rs.errs[dir]; ok {
		return nil, err
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		if rs.errs == nil {
			rs.errs = map[string]error{}
		}
		rs.errs[dir] = err
		return nil, err
	}
	if rs.open == nil {
		rs.open = map[string]*os.Root{}
	}
	rs.open[dir] = r
	return r, nil
}

func (rs *roots) close() {
	for _, r := range rs.open {
		r.Close()
	}
	rs.open = nil
}

// findSLS reads SLS sls from dirs: a/b.sls in any root wins over
// a/b/init.sls, then the first root wins, as in Salt's file server. A
// missing SLS wraps fs.ErrNotExist.
func (rs *roots) findSLS(ctx context.Context, dirs []string, sls string) ([]byte, slsFile, error) {
	rel, err := slsRelPath(sls)
	if err != nil {
		return nil, slsFile{}, err
	}
	for _, cand := range []string{rel + ".sls", rel + "/init.sls"} {
		for _, dir := range dirs {
			if err := ctx.Err(); err != nil {
				return nil, slsFile{}, err
			}
			b, err := rs.read(dir, cand)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			f := slsFile{path: filepath.Join(dir, filepath.FromSlash(cand)), tpl: cand, isInit: strings.HasSuffix(cand, "/init.sls")}
			if err != nil {
				return nil, f, err
			}
			return b, f, nil
		}
	}
	return nil, slsFile{}, fmt.Errorf("SLS %s: %w", sls, fs.ErrNotExist)
}

// findTop reads the top file of a saltenv: top.sls in the first root
// that has one. None wraps fs.ErrNotExist.
func (rs *roots) findTop(ctx context.Context, dirs []string) ([]byte, slsFile, error) {
	for _, dir := range dirs {
		if err := ctx.Err(); err != nil {
			return nil, slsFile{}, err
		}
		b, err := rs.read(dir, "top.sls")
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		f := slsFile{path: filepath.Join(dir, "top.sls"), tpl: "top.sls"}
		return b, f, err
	}
	return nil, slsFile{}, fmt.Errorf("top file: %w", fs.ErrNotExist)
}

// read reads rel under dir through os.Root, which refuses `..` and
// symlinks leading out of the root, even when swapped in mid-read.
func (rs *roots) read(dir, rel string) ([]byte, error) {
	r, err := rs.get(dir)
	if err != nil {
		return nil, err
	}
	f, err := r.Open(filepath.FromSlash(rel))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && strings.Contains(err.Error(), "escapes") {
			return nil, fmt.Errorf("%s: %w", rel, errOutsideRoot)
		}
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory: %w", rel, fs.ErrNotExist)
	}
	if st.Size() > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", rel, MaxFileSize)
	}
	b := make([]byte, 0, st.Size()+1)
	for {
		n, err := f.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) > MaxFileSize {
			return nil, fmt.Errorf("%s is larger than %d bytes", rel, MaxFileSize)
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// listSLS returns the names of every SLS under roots ("a.b" for a/b.sls
// and a/b/init.sls), sorted, without the top file. Salt matches SLS globs
// in top files and includes against this list.
func listSLS(ctx context.Context, roots []string) ([]string, error) {
	seen := map[string]bool{}
	for _, root := range roots {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if p == root && errors.Is(err, fs.ErrNotExist) {
					return filepath.SkipDir
				}
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(d.Name(), ".sls") {
				return nil
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			name := strings.TrimSuffix(filepath.ToSlash(rel), ".sls")
			if path.Base(name) == "init" && name != "init" {
				name = path.Dir(name)
			}
			name = strings.ReplaceAll(name, "/", ".")
			if name != "top" && !strings.Contains(name, "..") && !strings.HasPrefix(name, ".") {
				seen[name] = true
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list pillar root %s: %w", root, err)
		}
	}
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names, nil
}

// fingerprint hashes the (path, size, mtime, mode) of every entry under
// every pillar root, so any edit, addition, removal or rename in the tree
// changes it. It reads no file contents: a walk of a few hundred entries
// takes well under a millisecond. A symlink is followed one level, so
// swapping what it points at counts as a change. Directories whose name
// starts with a dot (.git) are skipped: no SLS can live there, and a git
// checkout's objects would make every walk slow.
func fingerprint(ctx context.Context, envs []string, roots map[string][]string) ([32]byte, error) {
	h := sha256.New()
	var num [8]byte
	writeStr := func(s string) {
		binary.LittleEndian.PutUint64(num[:], uint64(len(s)))
		h.Write(num[:])
		io.WriteString(h, s)
	}
	writeInt := func(n int64) {
		binary.LittleEndian.PutUint64(num[:], uint64(n))
		h.Write(num[:])
	}
	for _, env := range envs {
		writeStr("env:" + env)
		for _, root := range roots[env] {
			writeStr("root:" + root)
			err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					if p == root && errors.Is(err, fs.ErrNotExist) {
						writeStr("missing")
						return filepath.SkipDir
					}
					// An unreadable directory is part of the state of
					// the tree, not a reason to fail every Get.
					writeStr("error:" + p + ":" + err.Error())
					if d != nil && d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
					return filepath.SkipDir // .git and friends hold no pillar
				}
				info, err := d.Info()
				if err != nil {
					if errors.Is(err, fs.ErrNotExist) {
						return nil // removed mid-walk: the next walk sees it
					}
					return err
				}
				if info.Mode()&fs.ModeSymlink != 0 {
					if target, err := os.Stat(p); err == nil {
						info = target
					}
				}
				writeStr(p)
				writeInt(info.Size())
				writeInt(info.ModTime().UnixNano())
				writeInt(int64(info.Mode()))
				return nil
			})
			if err != nil {
				return [32]byte{}, fmt.Errorf("fingerprint pillar root %s: %w", root, err)
			}
		}
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, nil
}
