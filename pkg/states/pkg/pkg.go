// Package pkg provides pkg.installed, pkg.removed and pkg.latest: system
// packages through the host's package tool (apt, dnf/yum or apk, as
// detected by pkg/modules/pkg).
//
//	web-packages:
//	  pkg.installed:
//	    - pkgs:
//	      - nginx
//	      - curl: 7.88.1-10+deb12u5
//
// Changes are the difference between the installed package lists before
// and after, {name: {old, new}}, dependencies included, as Salt reports
// them. In test mode the changes are predicted from the package tool's
// candidate versions (apt) without installing anything.
package pkg

import (
	"context"
	"fmt"
	"sort"
	"strings"

	modpkg "github.com/halite/halite/pkg/modules/pkg"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "pkg.installed", Func: installed, Doc: `Ensure packages are installed.

Arguments: name, or pkgs (a list of names and {name: version} mappings);
version (an exact version, for name); refresh (update the package lists
first). A package installed at another version than the one asked for is
installed at that version (upgraded or downgraded).`})
	state.Register(state.Def{Name: "pkg.removed", Func: removed, Doc: `Ensure packages are not installed (their configuration files stay).

Arguments: name or pkgs.`})
	state.Register(state.Def{Name: "pkg.purged", Func: purged, Doc: `Ensure packages are not installed, their configuration files removed
too (apt's purge; on rpm and apk systems the same as pkg.removed).

Arguments: name or pkgs.`})
	state.Register(state.Def{Name: "pkg.latest", Func: latest, Doc: `Ensure packages are installed at the newest version the
repositories offer.

Arguments: name or pkgs, refresh.`})
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}

// target is one package a state names.
type target struct {
	name    string
	version string // "" for any
}

// parseTargets reads name/version or pkgs.
func parseTargets(req *state.Request, a *args.Args, allowVersion bool) []target {
	version := ""
	if allowVersion {
		version = a.String("version", "")
	}
	var out []target
	if l, ok := a.List("pkgs"); ok {
		for i, it := range l {
			if s, ok := args.Scalar(it); ok {
				out = append(out, target{name: s})
				continue
			}
			m, err := args.ToMap(it)
			if err != nil || len(m) != 1 {
				a.Fail("pkgs", fmt.Sprintf("item %d: want a name or {name: version}", i))
				continue
			}
			for n, v := range m {
				vs, ok := args.Scalar(v)
				if v == nil {
					vs, ok = "", true
				}
				if !ok {
					a.Fail("pkgs", fmt.Sprintf("item %d: version of %s is not text", i, n))
				}
				if vs != "" && !allowVersion {
					a.Fail("pkgs", fmt.Sprintf("%s: versions are only for pkg.installed", n))
				}
				out = append(out, target{name: n, version: vs})
			}
		}
		if version != "" {
			a.Fail("version", "use {name: version} items in pkgs instead")
		}
	} else {
		out = append(out, target{name: req.Name, version: version})
	}
	seen := map[string]bool{}
	for _, t := range out {
		if err := (modpkg.Spec{Name: t.name, Version: t.version}).Validate(); err != nil {
			a.Fail("pkgs", err.Error())
		}
		if strings.ContainsAny(t.version, "<>=") {
			a.Fail("version", fmt.Sprintf("%s: version comparisons are not supported, give an exact version", t.name))
		}
		if seen[t.name] {
			a.Fail("pkgs", fmt.Sprintf("%s is listed twice", t.name))
		}
		seen[t.name] = true
	}
	return out
}

func names(ts []target) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.name
	}
	return out
}

// satisfied reports whether the installed versions (comma-joined) meet t.
func satisfied(t target, inst string) bool {
	if inst == "" {
		return false
	}
	if t.version == "" {
		return true
	}
	for _, v := range strings.Split(inst, ",") {
		if v == t.version {
			return true
		}
	}
	return false
}

func manager() (modpkg.Manager, error) {
	m, err := modpkg.Detect()
	if err != nil {
		return nil, err
	}
	return m, nil
}

func installed(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	targets := parseTargets(req, a, true)
	refresh := a.Bool("refresh", false)
	fromrepo := a.String("fromrepo", "")
	a.Ignore("skip_suggestions", "allow_updates", "normalize", "cache_valid_time")
	if err := (modpkg.Spec{Name: "x", Repo: fromrepo}).Validate(); err != nil {
		a.Fail("fromrepo", err.Error())
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	m, err := manager()
	if err != nil {
		return fail("%v", err)
	}
	have, err := modpkg.Version(ctx, m, names(targets)...)
	if err != nil {
		return fail("Unable to list installed packages: %v", err)
	}
	var todo []target
	for _, t := range targets {
		if !satisfied(t, have[t.name]) {
			todo = append(todo, t)
		}
	}
	if len(todo) == 0 {
		return state.Result{Result: state.True(), Comment: "All specified packages are already installed"}
	}
	list := strings.Join(names(todo), ", ")
	if req.Test {
		pol, known, err := policies(ctx, m, names(todo))
		if err != nil {
			return fail("%v", err)
		}
		changes := map[string]any{}
		var unknown []string
		for _, t := range todo {
			newV := t.version
			if newV == "" {
				newV = "(latest)"
				if known {
					newV = pol[t.name].Candidate
				}
			}
			if known && !refresh && pol[t.name].Candidate == "" {
				unknown = append(unknown, t.name)
			}
			changes[t.name] = map[string]any{"old": have[t.name], "new": newV}
		}
		comment := "The following packages would be installed/updated: " + list
		if len(unknown) > 0 {
			comment += "\nNot found in the package lists (yet): " + strings.Join(unknown, ", ")
		}
		return state.Result{Changes: changes, Comment: comment}
	}
	specs := make([]modpkg.Spec, len(todo))
	for i, t := range todo {
		specs[i] = modpkg.Spec{Name: t.name, Version: t.version, Repo: fromrepo}
	}
	ch, err := modpkg.Install(ctx, m, specs, refresh)
	changes := ch.Map()
	if err != nil {
		return state.Result{Result: state.False(), Changes: changes,
			Comment: fmt.Sprintf("An error was encountered while installing package(s): %v", err)}
	}
	after, err := modpkg.Version(ctx, m, names(todo)...)
	if err != nil {
		return state.Result{Result: state.False(), Changes: changes, Comment: fmt.Sprintf("Unable to list installed packages: %v", err)}
	}
	var failed []string
	for _, t := range todo {
		if !satisfied(t, after[t.name]) {
			failed = append(failed, t.name)
		}
	}
	if len(failed) > 0 {
		return state.Result{Result: state.False(), Changes: changes,
			Comment: "The following packages failed to install/update: " + strings.Join(failed, ", ")}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: "The following packages were installed/updated: " + list}
}

func removed(ctx context.Context, req *state.Request) state.Result { return remove(ctx, req, false) }

func purged(ctx context.Context, req *state.Request) state.Result { return remove(ctx, req, true) }

func remove(ctx context.Context, req *state.Request, purge bool) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	targets := parseTargets(req, a, false)
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	m, err := manager()
	if err != nil {
		return fail("%v", err)
	}
	have, err := modpkg.Version(ctx, m, names(targets)...)
	if err != nil {
		return fail("Unable to list installed packages: %v", err)
	}
	var present []string
	for _, t := range targets {
		if have[t.name] != "" {
			present = append(present, t.name)
		}
	}
	if len(present) == 0 {
		return state.Result{Result: state.True(), Comment: "All specified packages are already absent"}
	}
	if req.Test {
		changes := map[string]any{}
		for _, n := range present {
			changes[n] = map[string]any{"old": have[n], "new": ""}
		}
		return state.Result{Changes: changes, Comment: "The following packages will be removed: " + strings.Join(present, ", ")}
	}
	ch, err := modpkg.Remove(ctx, m, present, purge)
	changes := ch.Map()
	if err != nil {
		return state.Result{Result: state.False(), Changes: changes,
			Comment: fmt.Sprintf("An error was encountered while removing package(s): %v", err)}
	}
	after, err := modpkg.Version(ctx, m, present...)
	if err != nil {
		return state.Result{Result: state.False(), Changes: changes, Comment: fmt.Sprintf("Unable to list installed packages: %v", err)}
	}
	var left []string
	for _, n := range present {
		if after[n] != "" {
			left = append(left, n)
		}
	}
	if len(left) > 0 {
		return state.Result{Result: state.False(), Changes: changes, Comment: "The following packages were not removed: " + strings.Join(left, ", ")}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: "All targeted packages were removed."}
}

func latest(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	targets := parseTargets(req, a, false)
	refresh := a.Bool("refresh", false)
	fromrepo := a.String("fromrepo", "")
	a.Ignore("skip_suggestions", "cache_valid_time")
	if err := (modpkg.Spec{Name: "x", Repo: fromrepo}).Validate(); err != nil {
		a.Fail("fromrepo", err.Error())
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	m, err := manager()
	if err != nil {
		return fail("%v", err)
	}
	if refresh && !req.Test {
		if err := m.Refresh(ctx); err != nil {
			return fail("%v", err)
		}
	}
	ns := names(targets)
	pol, known, err := policies(ctx, m, ns)
	if err != nil {
		return fail("%v", err)
	}
	have, err := modpkg.Version(ctx, m, ns...)
	if err != nil {
		return fail("Unable to list installed packages: %v", err)
	}
	var todo []string
	predicted := map[string]any{}
	if known {
		var missing []string
		for _, n := range ns {
			p := pol[n]
			switch {
			case p.Candidate == "":
				missing = append(missing, n)
			case !satisfied(target{name: n, version: p.Candidate}, have[n]):
				todo = append(todo, n)
				predicted[n] = map[string]any{"old": have[n], "new": p.Candidate}
			}
		}
		if len(missing) > 0 {
			if req.Test && refresh {
				return state.Result{Comment: "Cannot tell before the package lists are refreshed: " + strings.Join(missing, ", ")}
			}
			quoted := make([]string, len(missing))
			for i, n := range missing {
				quoted[i] = "'" + n + "'"
			}
			return fail("No information found for %s.", strings.Join(quoted, ", "))
		}
		if len(todo) == 0 {
			if len(ns) == 1 {
				return state.Result{Result: state.True(), Comment: fmt.Sprintf("Package %s is already up-to-date", ns[0])}
			}
			return state.Result{Result: state.True(), Comment: fmt.Sprintf("All packages are up-to-date (%s).", strings.Join(ns, ", "))}
		}
	} else {
		// Without candidate information the tool decides: install every
		// package (an upgrade where one is available) and report the diff.
		todo = ns
		if req.Test {
			return state.Result{Comment: "The following packages would be installed/upgraded if a newer version is available: " + strings.Join(ns, ", ")}
		}
	}
	sort.Strings(todo)
	if req.Test {
		return state.Result{Changes: predicted, Comment: "The following packages would be installed/upgraded: " + strings.Join(todo, ", ")}
	}
	specs := make([]modpkg.Spec, len(todo))
	for i, n := range todo {
		specs[i] = modpkg.Spec{Name: n, Repo: fromrepo}
	}
	ch, err := modpkg.Install(ctx, m, specs, false)
	changes := ch.Map()
	if err != nil {
		return state.Result{Result: state.False(), Changes: changes,
			Comment: fmt.Sprintf("An error was encountered while installing/upgrading package(s): %v", err)}
	}
	if known {
		after, err := modpkg.Version(ctx, m, todo...)
		if err != nil {
			return state.Result{Result: state.False(), Changes: changes, Comment: err.Error()}
		}
		var failed []string
		for _, n := range todo {
			if !satisfied(target{name: n, version: pol[n].Candidate}, after[n]) {
				failed = append(failed, n)
			}
		}
		if len(failed) > 0 {
			return state.Result{Result: state.False(), Changes: changes,
				Comment: "The following packages failed to update: " + strings.Join(failed, ", ")}
		}
	}
	if len(changes) == 0 {
		return state.Result{Result: state.True(), Comment: "All packages are up-to-date (" + strings.Join(todo, ", ") + ")."}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: "The following packages were successfully installed/upgraded: " + strings.Join(todo, ", ")}
}
