package pkg

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("pkg.list_pkgs", `List the installed packages as {"name": "version"}. With
versions_as_list=true, every value is a list of versions. Packages of a
foreign architecture are named name:arch (dpkg) or name.arch (rpm).

CLI Example:

    halite-master run '*' pkg.list_pkgs
`, listPkgs)
	modules.Register("pkg.version", `Return the installed version of a package ("" when it is not
installed), or for several names a mapping of name to version.

CLI Example:

    halite-master run '*' pkg.version bash
    halite-master run '*' pkg.version bash openssl
`, version)
	modules.Register("pkg.install", `Install packages with the host's package tool (apt, dnf, yum or apk) and
return what changed: {"name": {"old": "", "new": "1.2"}}. Nothing to
do returns {}.

    pkg.install NAME [version=V] [refresh=true]
    pkg.install pkgs='[vim, {curl: 7.88.1-10}]'
    pkg.install sources='[{mypkg: salt://pkgs/mypkg_1.0_all.deb}]'

pkgs is a list of names or {name: version} mappings and replaces NAME.
sources maps names to package files (salt://, halite:// or an absolute
path), installed with dpkg -i, rpm via dnf/yum, or apk --allow-untrusted.
refresh updates the repository metadata first. apt runs
non-interactively and keeps existing configuration files.

CLI Example:

    halite-master run '*' pkg.install nginx
    halite-master run '*' pkg.install nginx version=1.22.1-9 refresh=true
`, install)
	modules.Register("pkg.remove", `Remove packages and return what changed: {"name": {"old": "1.2", "new": ""}}.
Packages that are not installed are ignored.

    pkg.remove NAME
    pkg.remove pkgs='[foo, bar]'

CLI Example:

    halite-master run '*' pkg.remove nginx
`, remove(false))
	modules.Register("pkg.purge", `Remove packages and their configuration files (apt; the same as
pkg.remove elsewhere) and return what changed.

CLI Example:

    halite-master run '*' pkg.purge nginx
`, remove(true))
	modules.Register("pkg.refresh_db", `Update the repository metadata (apt-get update, dnf makecache, apk
update). Returns true.

CLI Example:

    halite-master run '*' pkg.refresh_db
`, refreshDB)
}

func listPkgs(ctx context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0, "versions_as_list"); err != nil {
		return nil, err
	}
	asList, err := c.OptBool(-1, "versions_as_list", false)
	if err != nil {
		return nil, err
	}
	m, err := Detect()
	if err != nil {
		return nil, err
	}
	inst, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(inst))
	for name, v := range inst {
		if asList {
			l := append([]string(nil), v...)
			sort.Strings(l)
			out[name] = l
		} else {
			out[name] = joinVersions(v)
		}
	}
	return out, nil
}

func version(ctx context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(modules.Variadic); err != nil {
		return nil, err
	}
	names, err := c.RestStrings(0)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, &modules.ArgError{Msg: "at least one package name is required"}
	}
	m, err := Detect()
	if err != nil {
		return nil, err
	}
	v, err := Version(ctx, m, names...)
	if err != nil {
		return nil, err
	}
	if len(names) == 1 {
		return v[names[0]], nil
	}
	out := make(map[string]any, len(v))
	for k, s := range v {
		out[k] = s
	}
	return out, nil
}

// specsFromCall reads name/pkgs/sources/version the way Salt's
// pkg.install does.
func specsFromCall(ctx context.Context, c *modules.Call) ([]Spec, error) {
	name, err := c.OptString(0, "name", "")
	if err != nil {
		return nil, err
	}
	ver, err := c.OptString(-1, "version", "")
	if err != nil {
		return nil, err
	}
	pkgs, _, err := c.Value(-1, "pkgs")
	if err != nil {
		return nil, err
	}
	sources, _, err := c.Value(-1, "sources")
	if err != nil {
		return nil, err
	}
	saltenv, err := c.OptString(-1, "saltenv", "base")
	if err != nil {
		return nil, err
	}
	var specs []Spec
	switch {
	case sources != nil:
		pairs, err := namedList("sources", sources)
		if err != nil {
			return nil, err
		}
		for _, p := range pairs {
			if p.value == "" {
				return nil, &modules.ArgError{Name: "sources", Msg: fmt.Sprintf("no file given for %s", p.name)}
			}
			path, err := fetchSource(ctx, c.Env, p.value, saltenv)
			if err != nil {
				return nil, err
			}
			specs = append(specs, Spec{Name: p.name, Source: path})
		}
	case pkgs != nil:
		pairs, err := namedList("pkgs", pkgs)
		if err != nil {
			return nil, err
		}
		for _, p := range pairs {
			specs = append(specs, Spec{Name: p.name, Version: p.value})
		}
	case name != "":
		specs = []Spec{{Name: name, Version: ver}}
	default:
		return nil, &modules.ArgError{Msg: "give a package name, pkgs or sources"}
	}
	return specs, nil
}

type pair struct{ name, value string }

// namedList reads Salt's list form [a, {b: x}, ...] (or a comma-separated
// string of names) into pairs.
func namedList(arg string, v any) ([]pair, error) {
	var items []any
	switch t := v.(type) {
	case string:
		for _, s := range strings.Split(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				items = append(items, s)
			}
		}
	case []any:
		items = t
	case []string:
		for _, s := range t {
			items = append(items, s)
		}
	case map[string]any:
		items = []any{t}
	default:
		return nil, &modules.ArgError{Name: arg, Msg: "want a list of names or {name: value} mappings"}
	}
	var out []pair
	for _, it := range items {
		switch t := it.(type) {
		case string:
			out = append(out, pair{name: t})
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				val := ""
				if t[k] != nil {
					val = fmt.Sprint(t[k])
				}
				out = append(out, pair{name: k, value: val})
			}
		default:
			return nil, &modules.ArgError{Name: arg, Msg: fmt.Sprintf("item %v: want a name or a {name: value} mapping", it)}
		}
	}
	if len(out) == 0 {
		return nil, &modules.ArgError{Name: arg, Msg: "empty list"}
	}
	return out, nil
}

func fetchSource(ctx context.Context, env *modules.Env, src, saltenv string) (string, error) {
	switch {
	case strings.HasPrefix(src, "salt://"), strings.HasPrefix(src, "halite://"):
		if env == nil || env.Files == nil {
			return "", fmt.Errorf("cannot fetch %s: no file server configured", src)
		}
		p, err := env.Files.CacheFile(ctx, src, saltenv)
		if err != nil {
			return "", fmt.Errorf("fetch %s: %w", src, err)
		}
		return p, nil
	case strings.Contains(src, "://"):
		return "", &modules.ArgError{Name: "sources", Msg: fmt.Sprintf("unsupported URL %q (want salt://, halite:// or an absolute path)", src)}
	case !filepath.IsAbs(src):
		return "", &modules.ArgError{Name: "sources", Msg: fmt.Sprintf("%q is not an absolute path", src)}
	}
	return src, nil
}

func install(ctx context.Context, c *modules.Call) (any, error) {
	// skip_verify is accepted and ignored, for Salt compatibility.
	if err := c.Expect(1, "name", "refresh", "pkgs", "sources", "version", "saltenv", "skip_verify"); err != nil {
		return nil, err
	}
	refresh, err := c.OptBool(-1, "refresh", false)
	if err != nil {
		return nil, err
	}
	if _, err := c.OptBool(-1, "skip_verify", false); err != nil {
		return nil, err
	}
	specs, err := specsFromCall(ctx, c)
	if err != nil {
		return nil, err
	}
	m, err := Detect()
	if err != nil {
		return nil, err
	}
	changes, err := Install(ctx, m, specs, refresh)
	if err != nil {
		return nil, withChanges(err, changes)
	}
	return changes.Map(), nil
}

// withChanges mentions what did change before a failure, so a partial
// install is not reported as nothing.
func withChanges(err error, ch Changes) error {
	if len(ch) == 0 {
		return err
	}
	names := make([]string, 0, len(ch))
	for n, c := range ch {
		names = append(names, fmt.Sprintf("%s %q -> %q", n, c.Old, c.New))
	}
	sort.Strings(names)
	return fmt.Errorf("%w (changed before the failure: %s)", err, strings.Join(names, ", "))
}

func remove(purge bool) modules.Func {
	return func(ctx context.Context, c *modules.Call) (any, error) {
		if err := c.Expect(1, "name", "pkgs"); err != nil {
			return nil, err
		}
		name, err := c.OptString(0, "name", "")
		if err != nil {
			return nil, err
		}
		var names []string
		if v, ok, err := c.Value(-1, "pkgs"); err != nil {
			return nil, err
		} else if ok {
			pairs, err := namedList("pkgs", v)
			if err != nil {
				return nil, err
			}
			for _, p := range pairs {
				names = append(names, p.name)
			}
		} else if name != "" {
			// Salt accepts "a,b" as NAME for removals.
			for _, n := range strings.Split(name, ",") {
				if n = strings.TrimSpace(n); n != "" {
					names = append(names, n)
				}
			}
		}
		if len(names) == 0 {
			return nil, &modules.ArgError{Msg: "give a package name or pkgs"}
		}
		m, err := Detect()
		if err != nil {
			return nil, err
		}
		changes, err := Remove(ctx, m, names, purge)
		if err != nil {
			return nil, withChanges(err, changes)
		}
		return changes.Map(), nil
	}
}

func refreshDB(ctx context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	m, err := Detect()
	if err != nil {
		return nil, err
	}
	if err := m.Refresh(ctx); err != nil {
		return nil, err
	}
	return true, nil
}
