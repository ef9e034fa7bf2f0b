package file

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

const directoryDoc = `Ensure a directory exists with the given owner and mode.

Arguments: user, group, dir_mode (alias mode), file_mode (used by recurse),
makedirs (create missing parents), recurse (a list of user, group, mode,
ignore_files, ignore_dirs: apply owner and modes to everything below;
symlinks are left alone), clean (remove everything below that is not
managed by a file state this one requires or watches; changes list it
under "removed"), exclude_pat (a glob or E@regex of relative paths clean
leaves alone).`

func directory(ctx context.Context, req *state.Request) state.Result {
	name := filepath.Clean(req.Name)
	a := args.Lenient(req.Args, req.Warn)
	userName := a.String("user", "")
	groupName := a.String("group", "")
	dm, hasDM := a.Raw("dir_mode")
	if !hasDM {
		dm, hasDM = a.Raw("mode")
	} else {
		a.Ignore("mode")
	}
	fm, hasFM := a.Raw("file_mode")
	makedirs := a.Bool("makedirs", false)
	recurse, _ := a.Strings("recurse")
	clean := a.Bool("clean", false)
	excludePat := a.String("exclude_pat", "")
	a.Ignore("allow_symlink", "follow_symlinks")
	var dirMode, fileMode fs.FileMode
	if hasDM {
		m, err := ParseMode(dm)
		if err != nil {
			a.Fail("dir_mode", err.Error())
		}
		dirMode = m
	}
	if hasFM {
		m, err := ParseMode(fm)
		if err != nil {
			a.Fail("file_mode", err.Error())
		}
		fileMode = m
	}
	rec := map[string]bool{}
	for _, r := range recurse {
		switch r {
		case "user", "group", "mode", "ignore_files", "ignore_dirs", "silent":
			rec[r] = true
		default:
			a.Fail("recurse", fmt.Sprintf("unknown entry %q (want user, group, mode, ignore_files, ignore_dirs)", r))
		}
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
	o, err := lookupOwner(userName, groupName)
	if err != nil {
		if req.Test {
			return state.Result{Comment: err.Error()}
		}
		return fail("%v", err)
	}

	cur, err := lookup(req, name, true)
	if err != nil {
		return fail("%v", err)
	}
	fi, exists := cur.fi, cur.exists()
	if exists && !fi.IsDir() {
		return fail("Specified location %s exists and is a file", name)
	}
	// In a dry run: the directories it would create, for the states after
	// it, and what the prediction rests on besides the disk.
	var made []state.PathPrediction
	var note string
	if by := cur.by(); exists && by != "" {
		note = leftBy(name, by)
	}
	changes := map[string]any{}
	if !exists {
		missing, gone, by, err := missingDirs(req, filepath.Dir(name))
		if err != nil && !makedirs {
			return fail("No directory to create %s in", name)
		}
		switch {
		case err != nil:
			return fail("Failed to create directory %s: %v", name, err)
		case len(missing) == 0 && by != "":
			note = fmt.Sprintf("parent directory %s would be created by state '%s' earlier in this run", filepath.Dir(name), by)
		case len(missing) > 0 && !makedirs && (gone != nil || !req.DryRun()):
			if gone != nil {
				return fail("No directory to create %s in: state '%s' would remove %s earlier in this run", name, gone.By, gone.Path)
			}
			return fail("No directory to create %s in", name)
		case len(missing) > 0 && !makedirs:
			note = fmt.Sprintf("parent directory %s does not exist yet; it would have to be created first (by another state or makedirs)", filepath.Dir(name))
		case len(missing) > 0:
			m := dirMode
			if !hasDM {
				m = 0o755
			}
			made = newDirs(missing, m)
		}
		if req.Test {
			changes[name] = map[string]any{"directory": "new"}
		} else {
			mk := os.Mkdir
			if makedirs {
				mk = os.MkdirAll
			}
			m := dirMode
			if !hasDM {
				m = 0o755
			}
			if err := mk(name, m.Perm()); err != nil {
				return fail("Failed to create directory %s: %v", name, err)
			}
			changes[name] = "New Dir"
			if fi, err = os.Stat(name); err != nil {
				return fail("%v", err)
			}
			exists = true
		}
	}
	if exists {
		pc := permChanges(fi, o, dirMode, hasDM)
		if req.Test && len(pc) > 0 {
			changes[name] = pc
		} else {
			for k, v := range pc {
				changes[k] = v
			}
		}
		if !req.Test {
			if err := applyPerms(name, o, dirMode, hasDM); err != nil {
				return state.Result{Result: state.False(), Changes: changes, Comment: err.Error()}
			}
		}
	}
	// A directory that exists only as a prediction has nothing below it
	// to recurse into yet.
	if len(rec) > 0 && exists && (cur.pending == nil || isDir(name)) {
		ro := owner{uid: -1, gid: -1}
		if rec["user"] {
			ro.uid, ro.user = o.uid, o.user
		}
		if rec["group"] {
			ro.gid, ro.group = o.gid, o.group
		}
		err := filepath.WalkDir(name, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p == name || d.Type()&fs.ModeSymlink != 0 {
				return nil
			}
			if d.IsDir() && rec["ignore_dirs"] {
				return nil
			}
			if !d.IsDir() && rec["ignore_files"] {
				return nil
			}
			m, want := fileMode, rec["mode"] && hasFM
			if d.IsDir() {
				m, want = dirMode, rec["mode"] && hasDM
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			pc := permChanges(info, ro, m, want)
			if len(pc) == 0 {
				return nil
			}
			changes[p] = pc
			if req.Test {
				return nil
			}
			return applyPerms(p, ro, m, want)
		})
		if err != nil {
			return state.Result{Result: state.False(), Changes: changes, Comment: fmt.Sprintf("Failed to apply recurse to %s: %v", name, err)}
		}
	}
	if clean && exists && (cur.pending == nil || isDir(name)) {
		removed, err := cleanDir(name, keptBy(name, req.Required), keepPat, req.Test)
		if len(removed) > 0 {
			changes["removed"] = removed
		}
		if err != nil {
			return state.Result{Result: state.False(), Changes: changes, Comment: err.Error()}
		}
	}
	if req.Test {
		res := pending(changes, withNote(testDirComment(changes), note),
			withNote(fmt.Sprintf("The directory %s is in the correct state", name), note))
		if len(changes) > 0 {
			m := dirMode
			if !hasDM {
				m = 0o755
				if exists {
					m = permBits(fi.Mode())
				}
			}
			uid, gid := predictOwner(o, fi)
			res.Predicted = append(made, state.PathPrediction{Path: name, Kind: state.PathDir, Mode: m, UID: uid, GID: gid})
		}
		return res
	}
	if len(changes) == 0 {
		return ok(fmt.Sprintf("The directory %s is in the correct state", name), nil)
	}
	return ok(fmt.Sprintf("Directory %s updated", name), changes)
}

// keptBy is what clean keeps: the paths of the file states this one
// requires or watches (a directory with everything below it), as Salt's
// clean keeps "files that are set up by salt and required by this
// function".
func keptBy(root string, required []state.Ref) *keepSet {
	keep := newKeepSet(root)
	for _, r := range required {
		if r.State != "file" || !strings.HasPrefix(filepath.Clean(r.Name), root+"/") {
			continue
		}
		p := filepath.Clean(r.Name)
		if r.Fun == "directory" || r.Fun == "recurse" || isDir(p) {
			keep.addTree(root, p)
		} else {
			keep.add(root, p)
		}
	}
	return keep
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// testDirComment lists predicted changes as Salt does.
func testDirComment(changes map[string]any) string {
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("The following files will be changed:\n")
	for _, k := range keys {
		if m, ok := changes[k].(map[string]any); ok {
			ks := make([]string, 0, len(m))
			for kk := range m {
				ks = append(ks, kk)
			}
			sort.Strings(ks)
			for _, kk := range ks {
				fmt.Fprintf(&b, "%s: %s - %v\n", k, kk, m[kk])
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}
