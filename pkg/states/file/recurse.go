package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/targeting"
)

const recurseDoc = `Copy a directory of the file server to the minion, recursively.

source is a salt:// directory (?saltenv=ENV selects the environment); each
file below it is managed at the same relative path under name, as
file.managed would, and each directory as file.directory would.

Arguments: user, group, dir_mode, file_mode, makedirs (create the
parents of name), template (jinja, applied to every file) with context and
defaults, include_pat and exclude_pat (fnmatch globs, or E@regex, matched
against the path relative to source), maxdepth (0: only the files directly
in source), clean (remove what is under name and not in source; paths
matching exclude_pat are kept), replace (False: leave existing files'
content alone), backup, saltenv.

Changes are keyed by path, with that file's or directory's own changes,
plus "removed" for what clean removed. Empty directories of the source
are not copied (the file server lists files); keep_symlinks and
force_symlinks are accepted and ignored.`

func recurse(ctx context.Context, req *state.Request) state.Result {
	name := filepath.Clean(req.Name)
	a := args.Lenient(req.Args, req.Warn)
	sources, _ := a.Strings("source")
	saltenv := a.String("saltenv", "base")
	clean := a.Bool("clean", false)
	includePat := a.String("include_pat", "")
	excludePat := a.String("exclude_pat", "")
	maxdepth, hasMaxdepth := a.OptInt("maxdepth")
	makedirs := a.Bool("makedirs", false)
	replace := a.Bool("replace", true)
	userName := a.String("user", "")
	groupName := a.String("group", "")
	dirMode, hasDirMode := a.Raw("dir_mode")
	fileMode, hasFileMode := a.Raw("file_mode")
	template := a.String("template", "")
	tplContext, hasContext := a.Raw("context")
	tplDefaults, hasDefaults := a.Raw("defaults")
	backup := a.String("backup", "")
	a.Ignore("keep_symlinks", "force_symlinks", "keep_source", "include_empty", "show_changes", "follow_symlinks", "sym_mode", "skip_verify")
	if len(sources) == 0 {
		a.Fail("source", "required: a salt:// directory")
	}
	if s, ok := fileMode.(string); ok && strings.EqualFold(s, "keep") {
		// The file server does not carry modes; files keep what they have.
		hasFileMode = false
		req.Warn("file_mode: keep is not supported; the files' modes are left as they are")
	}
	match, err := includeExclude(includePat, excludePat)
	if err != nil {
		a.Fail("include_pat", err.Error())
	}
	keepPat, err := includeExclude("", excludePat)
	if err != nil {
		a.Fail("exclude_pat", err.Error())
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(req.Name); err != nil {
		return fail("%v", err)
	}
	if req.Env == nil || req.Env.Files == nil {
		return fail("file.recurse needs the file server (no file client on this minion)")
	}

	// The first source that has files wins, as with file.managed's list.
	var srcURL, srcDir, srcEnv string
	var rels []string
	for _, s := range sources {
		base, env, dir, err := splitSource(s, saltenv)
		if err != nil {
			return fail("%v", err)
		}
		files, err := req.Env.Files.ListFiles(ctx, dir, env)
		if err != nil {
			return fail("List %s: %v", s, err)
		}
		for _, f := range files {
			rel, ok := strings.CutPrefix(f, dir+"/")
			if !ok || dir == "" {
				rel, ok = f, dir == ""
			}
			if ok && rel != "" {
				rels = append(rels, rel)
			}
		}
		if len(rels) > 0 {
			srcURL, srcDir, srcEnv = base, dir, env
			break
		}
	}
	if len(rels) == 0 {
		return fail("The directory '%s' does not exist on the salt fileserver in saltenv '%s'", strings.Join(sources, ", "), saltenv)
	}
	sort.Strings(rels)

	// What the state manages: files, and the directories above them.
	var files []string
	dirs := map[string]bool{}
	for _, rel := range rels {
		if !validRel(rel) || (hasMaxdepth && strings.Count(rel, "/") > maxdepth) || !match(rel) {
			continue
		}
		files = append(files, rel)
		for d := path.Dir(rel); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	dirList := make([]string, 0, len(dirs))
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList) // parents before children

	var overlay *state.PendingPaths
	if req.DryRun() {
		overlay = req.Pending.Clone()
	}
	var predicted []state.PathPrediction
	changes := map[string]any{}
	var failures []string
	sub := func(fn state.Func, target string, subArgs map[string]any) {
		r := &state.Request{ID: req.ID, Name: target, Args: subArgs, Test: req.Test, SLS: req.SLS, Env: req.Env, Render: req.Render, Pending: overlay, Accumulators: req.Accumulators}
		res := fn(ctx, r)
		if res.Result != nil && !*res.Result {
			failures = append(failures, res.Comment)
			return
		}
		if len(res.Changes) > 0 {
			if c, ok := res.Changes[target]; ok && len(res.Changes) == 1 {
				changes[target] = c // file.directory keys its changes by path already
			} else {
				changes[target] = res.Changes
			}
		}
		if overlay != nil && len(res.Predicted) > 0 {
			overlay.Record(req.ID, res.Predicted...)
			predicted = append(predicted, res.Predicted...)
		}
	}
	dirArgs := func(mk bool) map[string]any {
		m := map[string]any{"makedirs": mk}
		if userName != "" {
			m["user"] = userName
		}
		if groupName != "" {
			m["group"] = groupName
		}
		if hasDirMode {
			m["dir_mode"] = dirMode
		}
		return m
	}
	sub(directory, name, dirArgs(makedirs))
	if len(failures) > 0 {
		return fail("%s", failures[0])
	}
	for _, d := range dirList {
		sub(directory, filepath.Join(name, filepath.FromSlash(d)), dirArgs(true))
	}
	for _, rel := range files {
		m := dirArgs(true)
		m["source"] = srcURL + "/" + rel
		if srcDir == "" {
			m["source"] = srcURL + rel
		}
		m["saltenv"] = srcEnv
		m["replace"] = replace
		if hasFileMode {
			m["mode"] = fileMode
		}
		if template != "" {
			m["template"] = template
		}
		if hasContext {
			m["context"] = tplContext
		}
		if hasDefaults {
			m["defaults"] = tplDefaults
		}
		if backup != "" {
			m["backup"] = backup
		}
		sub(managed, filepath.Join(name, filepath.FromSlash(rel)), m)
	}

	if clean {
		keep := newKeepSet(name)
		for _, rel := range files {
			keep.add(name, filepath.Join(name, filepath.FromSlash(rel)))
		}
		removed, err := cleanDir(name, keep, keepPat, req.Test)
		if err != nil {
			failures = append(failures, err.Error())
		}
		if len(removed) > 0 {
			changes["removed"] = removed
			if overlay != nil {
				for _, p := range removed {
					predicted = append(predicted, state.PathPrediction{Path: p, Kind: state.PathAbsent, UID: -1, GID: -1})
				}
			}
		}
	}

	if len(failures) > 0 {
		return state.Result{Result: state.False(), Changes: changes, Comment: strings.Join(failures, "\n")}
	}
	if req.Test {
		res := pending(changes, fmt.Sprintf("The directory %s would be recursively updated (%d paths)", name, len(changes))+testNote,
			fmt.Sprintf("The directory %s is in the correct state", name))
		res.Predicted = predicted
		return res
	}
	if len(changes) == 0 {
		return ok(fmt.Sprintf("The directory %s is in the correct state", name), nil)
	}
	return ok(fmt.Sprintf("Recursively updated %s", name), changes)
}

// splitSource takes a salt:// directory URL apart: the URL without query
// or trailing slash, the environment (?saltenv= or ?env= win over the
// state's saltenv) and the file server path.
func splitSource(src, saltenv string) (base, env, dir string, err error) {
	base, q, _ := strings.Cut(src, "?")
	if q != "" {
		vals, err := url.ParseQuery(q)
		if err != nil {
			return "", "", "", fmt.Errorf("source %s: bad query: %w", src, err)
		}
		if e := vals.Get("saltenv"); e != "" {
			saltenv = e
		} else if e := vals.Get("env"); e != "" {
			saltenv = e
		}
	}
	base = strings.TrimRight(base, "/")
	var rest string
	var ok bool
	if rest, ok = strings.CutPrefix(base, "salt://"); !ok {
		if rest, ok = strings.CutPrefix(base, "halite://"); !ok {
			return "", "", "", fmt.Errorf("source %s: file.recurse takes a salt:// directory", src)
		}
	}
	if !validRel(rest) {
		return "", "", "", fmt.Errorf("source %s: not a clean path", src)
	}
	if rest == "" {
		base += "/" // salt:// itself: files are salt://REL
	}
	return base, saltenv, rest, nil
}

// validRel refuses a relative path that climbs out of where it is joined.
func validRel(rel string) bool {
	return !strings.Contains("/"+rel+"/", "/../") && !strings.HasPrefix(rel, "/")
}

// includeExclude is Salt's check_include_exclude: each pattern is an
// fnmatch glob, or a regular expression after "E@" (searched, not
// anchored); a path is in when it matches include (if given) and not
// exclude (if given).
func includeExclude(include, exclude string) (func(string) bool, error) {
	compile := func(p string) (func(string) bool, error) {
		if p == "" {
			return nil, nil
		}
		if re, ok := strings.CutPrefix(p, "E@"); ok {
			r, err := regexp.Compile(re)
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %w", p, err)
			}
			return r.MatchString, nil
		}
		return targeting.CompilePattern(p).Match, nil
	}
	in, err := compile(include)
	if err != nil {
		return nil, err
	}
	ex, err := compile(exclude)
	if err != nil {
		return nil, err
	}
	return func(rel string) bool {
		return (in == nil || in(rel)) && (ex == nil || !ex(rel))
	}, nil
}

// keepSet is what a clean keeps under a root: the paths listed, the
// directories above them, and whole trees below listed directories.
type keepSet struct {
	paths map[string]bool // kept, and walked into when a directory
	trees map[string]bool // kept with everything below
}

func newKeepSet(root string) *keepSet {
	return &keepSet{paths: map[string]bool{root: true}, trees: map[string]bool{}}
}

// add keeps p and the directories from root down to it.
func (k *keepSet) add(root, p string) {
	for d := p; d != root && strings.HasPrefix(d, root+"/"); d = filepath.Dir(d) {
		k.paths[d] = true
	}
}

// addTree keeps p and everything below it.
func (k *keepSet) addTree(root, p string) {
	k.add(root, p)
	k.trees[p] = true
}

// cleanDir removes (or, in test mode, lists) what is under root and not
// kept, except paths (relative to root) that keepPat refuses, which clean
// leaves alone as Salt's exclude_pat does.
func cleanDir(root string, keep *keepSet, keepPat func(string) bool, test bool) ([]string, error) {
	var removed []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if keep.trees[p] {
			return filepath.SkipDir
		}
		if keep.paths[p] {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if !keepPat(filepath.ToSlash(rel)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		removed = append(removed, p)
		if !test {
			if err := os.RemoveAll(p); err != nil {
				return fmt.Errorf("clean: %w", err)
			}
		}
		if d.IsDir() {
			return filepath.SkipDir
		}
		return nil
	})
	return removed, err
}
