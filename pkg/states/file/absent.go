package file

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

const absentDoc = `Make sure a file, symlink or directory (with everything in it) does not
exist. Refuses to remove "/".`

func absent(ctx context.Context, req *state.Request) state.Result {
	name := req.Name
	if err := args.Lenient(req.Args, req.Warn).Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(name); err != nil {
		return fail("%v", err)
	}
	name = filepath.Clean(name)
	if name == "/" {
		return fail(`Refusing to make "/" absent`)
	}
	cur, err := lookup(req, name, false)
	if err != nil {
		return fail("%v", err)
	}
	if !cur.exists() {
		comment := fmt.Sprintf("File %s is not present", name)
		if by := cur.by(); by != "" {
			comment += fmt.Sprintf(" (state '%s' would remove it earlier in this run)", by)
		}
		return ok(comment, nil)
	}
	fi := cur.fi
	kind := "file"
	if fi.Mode()&fs.ModeSymlink == 0 && fi.IsDir() {
		kind = "directory"
	}
	changes := map[string]any{"removed": name}
	if req.Test {
		comment := fmt.Sprintf("%s %s is set for removal", capitalize(kind), name)
		if by := cur.by(); by != "" {
			comment = withNote(comment, leftBy(name, by))
		}
		return state.Result{Changes: changes, Comment: comment,
			Predicted: []state.PathPrediction{{Path: name, Kind: state.PathAbsent, UID: -1, GID: -1}}}
	}
	if kind == "directory" {
		err = os.RemoveAll(name)
	} else {
		err = os.Remove(name)
	}
	if err != nil {
		return fail("Failed to remove %s %s: %v", kind, name, err)
	}
	return ok(fmt.Sprintf("Removed %s %s", kind, name), changes)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
