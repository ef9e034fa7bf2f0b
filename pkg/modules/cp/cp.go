// Package cp provides Salt's cp.list_master, cp.list_master_dirs and
// cp.list_states: what the master's file server holds (masterless: the
// minion's own file_roots), which formulas use to find their own files.
package cp

import (
	"context"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("cp.list_master", `List the files of the file server in SALTENV (default base), under
PREFIX when given.

CLI Example:

    halite-master run '*' cp.list_master prefix=nginx/
`, listMaster)
	modules.Register("cp.list_master_dirs", `List the directories of the file server in SALTENV (default base), under
PREFIX when given.

CLI Example:

    halite-master run '*' cp.list_master_dirs
`, listDirs)
	modules.Register("cp.list_states", `List the SLS names the file server offers in SALTENV (default base).

CLI Example:

    halite-master run '*' cp.list_states
`, listStates)
}

// files lists every file of saltenv (relative, slash separated).
func files(ctx context.Context, c *modules.Call) ([]string, error) {
	if err := c.Expect(2, "saltenv", "prefix"); err != nil {
		return nil, err
	}
	saltenv, err := c.OptString(0, "saltenv", "base")
	if err != nil {
		return nil, err
	}
	prefix, err := c.OptString(1, "prefix", "")
	if err != nil {
		return nil, err
	}
	var out []string
	if c.Env != nil && c.Env.Files != nil {
		out, err = c.Env.Files.ListFiles(ctx, prefix, saltenv)
		if err != nil {
			return nil, err
		}
	} else {
		out = localFiles(c, saltenv, prefix)
	}
	sort.Strings(out)
	return out, nil
}

// localFiles walks the minion's own file_roots (masterless).
func localFiles(c *modules.Call, saltenv, prefix string) []string {
	var roots []string
	if c.Env != nil {
		if fr, ok := c.Env.Opts["file_roots"].(map[string]any); ok {
			if l, ok := fr[saltenv].([]any); ok {
				for _, r := range l {
					if s, ok := r.(string); ok {
						roots = append(roots, s)
					}
				}
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.Type().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return nil
			}
			rel = filepath.ToSlash(rel)
			if strings.HasPrefix(rel, prefix) && !seen[rel] {
				seen[rel] = true
				out = append(out, rel)
			}
			return nil
		})
	}
	return out
}

func toAny(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

func listMaster(ctx context.Context, c *modules.Call) (any, error) {
	fs, err := files(ctx, c)
	if err != nil {
		return nil, err
	}
	return toAny(fs), nil
}

func listDirs(ctx context.Context, c *modules.Call) (any, error) {
	fs, err := files(ctx, c)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, f := range fs {
		for d := path.Dir(f); d != "." && d != "/" && !set[d]; d = path.Dir(d) {
			set[d] = true
		}
	}
	dirs := make([]string, 0, len(set))
	for d := range set {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return toAny(dirs), nil
}

func listStates(ctx context.Context, c *modules.Call) (any, error) {
	fs, err := files(ctx, c)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range fs {
		name, ok := strings.CutSuffix(f, ".sls")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "/init")
		out = append(out, strings.ReplaceAll(name, "/", "."))
	}
	sort.Strings(out)
	return toAny(out), nil
}
