package template

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// MaxTemplateSize is the largest template file DirLoader reads.
const MaxTemplateSize = 16 << 20

// DirLoader returns a Loader over file_roots-style directories: the first
// root that has the name wins. It is strict, since the names come from
// templates that may be written by many people: absolute names, names
// with a ".." element, and symlinks leading out of the root are refused
// with ErrUnsafePath (CVE-2020-11652 was this mistake in Salt's file
// server). A "salt://" or "halite://" prefix is accepted and ignored.
func DirLoader(roots ...string) Loader {
	return dirLoader{roots: append([]string(nil), roots...)}
}

type dirLoader struct{ roots []string }

// CleanName validates a template name the way DirLoader does and returns
// its canonical slash-separated form.
func CleanName(name string) (string, error) {
	n := strings.TrimPrefix(name, "salt://")
	n = strings.TrimPrefix(n, "halite://")
	switch {
	case n == "":
		return "", fmt.Errorf("empty template name: %w", ErrUnsafePath)
	case strings.ContainsAny(n, "\x00\\"):
		return "", fmt.Errorf("template name %q contains a NUL or backslash: %w", name, ErrUnsafePath)
	case strings.HasPrefix(n, "/"):
		return "", fmt.Errorf("template name %q is absolute: %w", name, ErrUnsafePath)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", fmt.Errorf("template name %q contains '..': %w", name, ErrUnsafePath)
		}
	}
	c := path.Clean(n)
	if c == "." {
		return "", fmt.Errorf("template name %q names no file: %w", name, ErrUnsafePath)
	}
	return c, nil
}

func (l dirLoader) Load(ctx context.Context, name string) ([]byte, string, error) {
	clean, err := CleanName(name)
	if err != nil {
		return nil, "", err
	}
	for _, root := range l.roots {
		if err := ctx.Err(); err != nil {
			return nil, "", err
		}
		data, err := readInRoot(root, clean)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		return data, clean, nil
	}
	return nil, "", fmt.Errorf("%s: %w", clean, ErrNotFound)
}

// readInRoot reads name under root through os.Root, which refuses to
// follow a symlink out of the root even if it is swapped in mid-read.
func readInRoot(root, name string) ([]byte, error) {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", root, err)
	}
	defer r.Close()
	f, err := r.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		// os.Root refuses any symlink it cannot follow inside the root,
		// including absolute ones that happen to point back in.
		if escapes(root, name) || strings.Contains(err.Error(), "escapes from parent") {
			return nil, fmt.Errorf("template %s leads outside %s: %w", name, root, ErrUnsafePath)
		}
		return nil, fmt.Errorf("open template %s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat template %s: %w", name, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory: %w", name, fs.ErrNotExist)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxTemplateSize+1))
	if err != nil {
		return nil, fmt.Errorf("read template %s: %w", name, err)
	}
	if len(data) > MaxTemplateSize {
		return nil, fmt.Errorf("template %s is larger than %d bytes: %w", name, MaxTemplateSize, ErrLimit)
	}
	return data, nil
}

// escapes reports whether root/name resolves (through symlinks) outside
// root; used only to explain an error os.Root already refused.
func escapes(root, name string) bool {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return false
	}
	target, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(realRoot, target)
	return err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
