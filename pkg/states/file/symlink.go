package file

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

const symlinkDoc = `Make name a symbolic link to target.

Arguments: target (required), force (replace a file or directory that is in
the way), makedirs (create missing parents), user, group (owner of the link
itself). An existing link is retargeted atomically.`

func symlink(ctx context.Context, req *state.Request) state.Result {
	name := req.Name
	a := args.Lenient(req.Args, req.Warn)
	target := a.String("target", "")
	force := a.Bool("force", false)
	makedirs := a.Bool("makedirs", false)
	userName := a.String("user", "")
	groupName := a.String("group", "")
	a.Ignore("mode", "backupname", "follow_symlinks")
	if target == "" {
		a.Fail("target", "required")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(name); err != nil {
		return fail("%v", err)
	}
	name = filepath.Clean(name)
	o, err := lookupOwner(userName, groupName)
	if err != nil {
		if req.Test {
			return state.Result{Comment: err.Error()}
		}
		return fail("%v", err)
	}

	cur, err := lookup(req, name, false)
	if err != nil {
		return fail("%v", err)
	}
	fi, exists := cur.fi, cur.exists()
	// In a dry run, what the link would be, for the states after it.
	link := state.PathPrediction{Path: name, Kind: state.PathSymlink, Target: target, UID: -1, GID: -1}
	changes := map[string]any{}
	var comment string
	switch {
	case !exists:
		made, note, err := ensureParent(req, name, makedirs, 0)
		if err != nil {
			if err.Error() == "Parent directory not present" {
				return fail("Directory %s for symlink is not present", filepath.Dir(name))
			}
			return fail("%v", err)
		}
		changes["new"] = name
		comment = fmt.Sprintf("Created new symlink %s -> %s", name, target)
		if req.Test {
			return state.Result{Changes: changes, Comment: withNote(fmt.Sprintf("Symlink %s to %s is set for creation", name, target), note),
				Predicted: append(made, link)}
		}
		if err := os.Symlink(target, name); err != nil {
			return fail("Unable to create new symlink %s -> %s: %v", name, target, err)
		}
	case fi.Mode()&fs.ModeSymlink != 0:
		old := ""
		if cur.pending != nil {
			old = cur.pending.Target
		} else if old, err = os.Readlink(name); err != nil {
			return fail("%v", err)
		}
		if old != target {
			changes["change"] = name
			comment = fmt.Sprintf("Set target of symlink %s -> %s", name, target)
			if req.Test {
				return state.Result{Changes: changes, Comment: fmt.Sprintf("Symlink %s target is set to be changed to %s", name, target),
					Predicted: []state.PathPrediction{link}}
			}
			if err := replaceLink(name, target); err != nil {
				return fail("Unable to retarget symlink %s: %v", name, err)
			}
		}
	default:
		what := "File"
		if fi.IsDir() {
			what = "Directory"
		}
		if !force {
			return fail("%s exists where the symlink %s should be", what, name)
		}
		changes["forced"] = "Symlink was forcibly replaced"
		changes["new"] = name
		comment = fmt.Sprintf("Created new symlink %s -> %s", name, target)
		if req.Test {
			return state.Result{Changes: changes, Comment: fmt.Sprintf("%s %s is set to be replaced by a symlink to %s", what, name, target),
				Predicted: []state.PathPrediction{link}}
		}
		if err := os.RemoveAll(name); err != nil {
			return fail("Unable to remove %s: %v", name, err)
		}
		if err := os.Symlink(target, name); err != nil {
			return fail("Unable to create new symlink %s -> %s: %v", name, target, err)
		}
	}

	// Ownership of the link itself (a link that exists only as a
	// prediction is created by the minion's user, like a new one).
	if (o.uid >= 0 || o.gid >= 0) && cur.pending == nil {
		if lfi, err := os.Lstat(name); err == nil {
			uid, gid := ownerOf(lfi)
			if (o.uid >= 0 && uid != o.uid) || (o.gid >= 0 && gid != o.gid) {
				changes["ownership"] = ownerString(o, uid, gid)
				if !req.Test {
					if err := os.Lchown(name, o.uid, o.gid); err != nil {
						return state.Result{Result: state.False(), Changes: changes, Comment: fmt.Sprintf("Failed to set ownership of %s: %v", name, err)}
					}
				}
			}
		}
	}
	if req.Test {
		return pending(changes, fmt.Sprintf("Ownership of symlink %s is set to be changed", name),
			fmt.Sprintf("Symlink %s is present", name))
	}
	if len(changes) == 0 {
		return ok(fmt.Sprintf("Symlink %s is present", name), nil)
	}
	if comment == "" {
		comment = fmt.Sprintf("Set ownership of symlink %s to %v", name, changes["ownership"])
	}
	return ok(comment, changes)
}

func ownerString(o owner, uid, gid int) string {
	u, g := o.user, o.group
	if u == "" {
		u = strconv.Itoa(uid)
	}
	if g == "" {
		g = strconv.Itoa(gid)
	}
	return u + ":" + g
}

// replaceLink points an existing symlink elsewhere without a moment where
// it is missing: a new link beside it, renamed over it.
func replaceLink(name, target string) error {
	tmp := filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".halite-link")
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
