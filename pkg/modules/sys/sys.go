// Package sys provides Salt's sys.* functions, which describe the
// execution functions this minion has by reading the module registry:
// sys.list_functions, sys.list_modules and sys.doc.
package sys

import (
	"context"
	"path"
	"sort"
	"strings"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("sys.list_functions", `List the functions available on the minion. With arguments, list only
the functions of those modules; an argument containing *, ?, [ or . is a glob
over function names instead.

CLI Example:

    halite-master run '*' sys.list_functions
    halite-master run '*' sys.list_functions sys
    halite-master run '*' sys.list_functions 'sys.list_*'
`, listFunctions)
	modules.Register("sys.list_modules", `List the modules available on the minion. Arguments are module names or
globs (matched against function names) to filter the list.

CLI Example:

    halite-master run '*' sys.list_modules
    halite-master run '*' sys.list_modules 's*'
`, listModules)
	modules.Register("sys.doc", `Return the documentation of functions, as a mapping from function name
to text. Without arguments, every function's; an argument is a module
name (sys), a function name (sys.doc) or a glob ('cmd.run*').

CLI Example:

    halite-master run '*' sys.doc
    halite-master run '*' sys.doc cmd
    halite-master run '*' sys.doc test.ping
`, doc)
}

// selectNames returns the registered functions an argument selects, the
// way Salt does: a glob matches function names; a plain word is a module
// name, so "sys" selects sys.* but not sysctl.*; with exact, a word may also
// be one function's full name.
func selectNames(pattern string, exact bool) ([]string, error) {
	names := modules.Names()
	var out []string
	if isGlob(pattern) || (!exact && strings.Contains(pattern, ".")) {
		if _, err := path.Match(pattern, ""); err != nil {
			return nil, &modules.ArgError{Name: pattern, Msg: "malformed glob"}
		}
		for _, n := range names {
			if ok, _ := path.Match(pattern, n); ok {
				out = append(out, n)
			}
		}
		return out, nil
	}
	prefix := strings.TrimSuffix(pattern, ".") + "."
	for _, n := range names {
		if strings.HasPrefix(n, prefix) || (exact && n == pattern) {
			out = append(out, n)
		}
	}
	return out, nil
}

func patterns(c *modules.Call) ([]string, error) {
	if err := c.Expect(modules.Variadic); err != nil {
		return nil, err
	}
	return c.RestStrings(0)
}

func listFunctions(_ context.Context, c *modules.Call) (any, error) {
	pats, err := patterns(c)
	if err != nil {
		return nil, err
	}
	if len(pats) == 0 {
		return modules.Names(), nil
	}
	set := map[string]bool{}
	for _, p := range pats {
		names, err := selectNames(p, false)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			set[n] = true
		}
	}
	return sorted(set), nil
}

func listModules(_ context.Context, c *modules.Call) (any, error) {
	pats, err := patterns(c)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	if len(pats) == 0 {
		pats = []string{"*"}
	}
	for _, p := range pats {
		if !isGlob(p) {
			// A plain word is a module name, kept when it has functions.
			if names, _ := selectNames(p, false); len(names) > 0 && !strings.Contains(p, ".") {
				set[p] = true
			}
			continue
		}
		names, err := selectNames(p, false)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			mod, _, _ := strings.Cut(n, ".")
			set[mod] = true
		}
	}
	return sorted(set), nil
}

func doc(_ context.Context, c *modules.Call) (any, error) {
	pats, err := patterns(c)
	if err != nil {
		return nil, err
	}
	if len(pats) == 0 {
		pats = []string{"*"}
	}
	out := map[string]any{}
	for _, p := range pats {
		names, err := selectNames(p, true)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if e, ok := modules.Lookup(n); ok {
				out[n] = e.Doc
			}
		}
	}
	return out, nil
}

func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func isGlob(s string) bool { return strings.ContainsAny(s, "*?[") }
