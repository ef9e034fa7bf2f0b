package state

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Source supplies SLS files and the top file. The minion implements it
// over the master's file server; DirSource serves a local directory.
type Source interface {
	// ReadSLS returns the source of the SLS called slsName ("web.nginx")
	// in saltenv, and a file name for messages and template variables.
	// A missing SLS is reported with an error wrapping ErrSLSNotFound.
	ReadSLS(ctx context.Context, saltenv, slsName string) (src []byte, file string, err error)
	// Top returns the top file of saltenv, or an error wrapping
	// ErrSLSNotFound when there is none.
	Top(ctx context.Context, saltenv string) ([]byte, error)
}

// DirSource serves a state tree from the directory root, the same tree for
// every saltenv: `a.b` is root/a/b.sls or root/a/b/init.sls, the top file
// is root/top.sls. Names are resolved strictly inside root: no `..`, no
// absolute paths, and no symlink that leads outside.
func DirSource(root string) Source { return dirSource{root: root} }

type dirSource struct{ root string }

func (d dirSource) ReadSLS(ctx context.Context, saltenv, sls string) ([]byte, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	rel, err := slsRelPath(sls)
	if err != nil {
		return nil, "", err
	}
	for _, cand := range []string{rel + ".sls", rel + "/init.sls"} {
		b, err := d.read(cand)
		if err == nil {
			return b, filepath.Join(d.root, filepath.FromSlash(cand)), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("read SLS %s: %w", sls, err)
		}
	}
	return nil, "", fmt.Errorf("SLS %s in %s: %w", sls, d.root, ErrSLSNotFound)
}

func (d dirSource) Top(ctx context.Context, saltenv string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := d.read("top.sls")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("top file in %s: %w", d.root, ErrSLSNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("read top file: %w", err)
	}
	return b, nil
}

// read opens rel through an os.Root, which refuses to follow a symlink or
// `..` out of the tree.
func (d dirSource) read(rel string) ([]byte, error) {
	r, err := os.OpenRoot(d.root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b, err := r.ReadFile(filepath.FromSlash(rel))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		// os.Root reports an escape as a plain error; name it.
		if strings.Contains(err.Error(), "escapes") {
			return nil, fmt.Errorf("%s: %w", rel, ErrOutsideRoot)
		}
	}
	return b, err
}

// slsRelPath maps "a.b" to "a/b", refusing anything that is not a plain
// dotted name.
func slsRelPath(sls string) (string, error) {
	if sls == "" {
		return "", fmt.Errorf("empty SLS name: %w", ErrSLSNotFound)
	}
	parts := strings.Split(sls, ".")
	for _, p := range parts {
		if p == "" || strings.ContainsAny(p, "/\\\x00") || strings.TrimSpace(p) != p {
			return "", fmt.Errorf("SLS name %q: %w", sls, ErrOutsideRoot)
		}
	}
	return strings.Join(parts, "/"), nil
}

// ReadFile reads a file of saltenv's tree by its slash-separated path; a
// missing file is an error wrapping fs.ErrNotExist.
type ReadFile func(ctx context.Context, saltenv, rel string) ([]byte, error)

// FileSource serves SLS files and the top file through read: the master's
// file server (orchestrate) and the minion's client of it, with the same
// naming rules as DirSource. Names are salt:// paths.
func FileSource(read ReadFile) Source { return fileSource{read} }

type fileSource struct{ read ReadFile }

func (f fileSource) ReadSLS(ctx context.Context, saltenv, sls string) ([]byte, string, error) {
	rel, err := slsRelPath(sls)
	if err != nil {
		return nil, "", err
	}
	for _, cand := range []string{rel + ".sls", rel + "/init.sls"} {
		b, err := f.read(ctx, saltenv, cand)
		if err == nil {
			return b, "salt://" + cand, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", fmt.Errorf("read SLS %s: %w", sls, err)
		}
	}
	return nil, "", fmt.Errorf("SLS %s (saltenv %s): %w", sls, saltenv, ErrSLSNotFound)
}

func (f fileSource) Top(ctx context.Context, saltenv string) ([]byte, error) {
	b, err := f.read(ctx, saltenv, "top.sls")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("top file (saltenv %s): %w", saltenv, ErrSLSNotFound)
	}
	return b, err
}
