// Package ini provides Salt's ini.* states: options and sections of INI
// files (php.ini, my.cnf, systemd drop-ins, ...), standing on the ini
// execution module's file model, which keeps every line it does not
// change.
//
//	/etc/php/8.2/fpm/php.ini:
//	  ini.options_present:
//	    - sections:
//	        PHP:
//	          memory_limit: 256M
package ini

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	modini "github.com/halite/halite/pkg/modules/ini"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "ini.options_present", Func: optionsPresent, Doc: `Set options in an INI file, creating the file or sections as needed.

Arguments: sections ({section: {key: value}}; a value that is not a
mapping is a top-level option), separator (default "="), strict (True:
remove the options of the named sections, and the top-level ones, that
are not listed).`})
	state.Register(state.Def{Name: "ini.options_absent", Func: optionsAbsent, Doc: `Remove options from an INI file.

Arguments: sections ({section: [key, ...]}; a key with a value that is
not a list is a top-level option), separator.`})
	state.Register(state.Def{Name: "ini.sections_present", Func: sectionsPresent, Doc: `Ensure sections exist in an INI file.

Arguments: sections (a list of names, or {section: {key: value}}: a
missing section is created with those options), separator.`})
	state.Register(state.Def{Name: "ini.sections_absent", Func: sectionsAbsent, Doc: `Remove sections, and their options, from an INI file.

Arguments: sections (a list of names), separator.`})
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}

// edit reads the file, lets change edit it, and writes it when something
// changed (not in test mode).
func edit(req *state.Request, sep string, change func(f *modini.File) (map[string]any, error)) state.Result {
	if !filepath.IsAbs(req.Name) {
		return fail("%s is not an absolute path", req.Name)
	}
	f, _, err := modini.Read(req.Name, sep)
	if err != nil {
		return fail("%v", err)
	}
	changes, err := change(f)
	if err != nil {
		return fail("%v", err)
	}
	if len(changes) == 0 {
		return state.Result{Result: state.True(), Comment: "No changes detected."}
	}
	if req.Test {
		return state.Result{Changes: changes, Comment: "Changes would be made to " + req.Name}
	}
	if err := os.MkdirAll(filepath.Dir(req.Name), 0o755); err != nil {
		return fail("%v", err)
	}
	if err := modini.Save(req.Name, f); err != nil {
		return fail("Unable to write %s: %v", req.Name, err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: "Changes take effect"}
}

func optionsPresent(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	sections, _ := a.Map("sections")
	sep := a.String("separator", "=")
	strict := a.Bool("strict", false)
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	return edit(req, sep, func(f *modini.File) (map[string]any, error) {
		changes := modini.Apply(f, sections)
		if !strict {
			return changes, nil
		}
		for name, body := range sections {
			m, isSection := body.(map[string]any)
			if !isSection {
				continue
			}
			for _, k := range f.Keys(name) {
				if _, keep := m[k]; keep {
					continue
				}
				old, _ := f.Get(name, k)
				f.Remove(name, k)
				sc, _ := changes[name].(map[string]any)
				if sc == nil {
					sc = map[string]any{}
					changes[name] = sc
				}
				sc[k] = map[string]any{"before": old, "after": nil}
			}
		}
		top := map[string]bool{}
		for name, body := range sections {
			if _, isSection := body.(map[string]any); !isSection {
				top[name] = true
			}
		}
		if len(top) > 0 {
			for _, k := range f.Keys("") {
				if !top[k] {
					old, _ := f.Get("", k)
					f.Remove("", k)
					changes[k] = map[string]any{"before": old, "after": nil}
				}
			}
		}
		return changes, nil
	})
}

func optionsAbsent(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	sections, _ := a.Map("sections")
	sep := a.String("separator", "=")
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if _, err := os.Stat(req.Name); os.IsNotExist(err) {
		return state.Result{Result: state.True(), Comment: "No anomaly detected"}
	}
	return edit(req, sep, func(f *modini.File) (map[string]any, error) {
		changes := map[string]any{}
		for _, name := range sortedKeys(sections) {
			list, isList := sections[name].([]any)
			if !isList {
				if old, had := f.Get("", name); had {
					f.Remove("", name)
					changes[name] = map[string]any{"before": old, "after": nil}
				}
				continue
			}
			sc := map[string]any{}
			for _, k := range list {
				key := modini.Str(k)
				if old, had := f.Get(name, key); had {
					f.Remove(name, key)
					sc[key] = map[string]any{"before": old, "after": nil}
				}
			}
			if len(sc) > 0 {
				changes[name] = sc
			}
		}
		return changes, nil
	})
}

// sectionNames reads sections given as a list of names or a mapping.
func sectionNames(a *args.Args) (names []string, bodies map[string]any) {
	raw, _ := a.Raw("sections")
	if m, err := args.ToMap(raw); err == nil && raw != nil {
		if l, isList := raw.([]any); !isList || len(l) == 0 || isMapList(l) {
			a.Ignore("sections")
			return sortedKeys(m), m
		}
	}
	l, _ := a.Strings("sections")
	return l, nil
}

func isMapList(l []any) bool {
	for _, it := range l {
		if _, ok := it.(map[string]any); !ok {
			return false
		}
	}
	return true
}

func sectionsPresent(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	names, bodies := sectionNames(a)
	sep := a.String("separator", "=")
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	return edit(req, sep, func(f *modini.File) (map[string]any, error) {
		changes := map[string]any{}
		for _, name := range names {
			if f.HasSection(name) {
				continue
			}
			body, _ := bodies[name].(map[string]any)
			f.AddSection(name)
			modini.Apply(f, map[string]any{name: body})
			changes[name] = map[string]any{"before": nil, "after": body}
		}
		return changes, nil
	})
}

func sectionsAbsent(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	names, _ := sectionNames(a)
	sep := a.String("separator", "=")
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if _, err := os.Stat(req.Name); os.IsNotExist(err) {
		return state.Result{Result: state.True(), Comment: "No anomaly detected"}
	}
	return edit(req, sep, func(f *modini.File) (map[string]any, error) {
		changes := map[string]any{}
		for _, name := range names {
			if !f.HasSection(name) {
				continue
			}
			before := map[string]any{}
			for k, v := range f.Section(name) {
				before[k] = v
			}
			f.RemoveSection(name)
			changes[name] = map[string]any{"before": before, "after": nil}
		}
		return changes, nil
	})
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
