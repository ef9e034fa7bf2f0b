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
	if err := args.New(req.Args).Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(name); err != nil {
		return fail("%v", err)
	}
	name = filepath.Clean(name)
	if name == "/" {
		return fail(`Refusing to make "/" absent`)
	}
	fi, err := os.Lstat(name)
	if os.IsNotExist(err) {
		return ok(fmt.Sprintf("File %s is not present", name), nil)
	}
	if err != nil {
		return fail("%v", err)
	}
	kind := "file"
	if fi.Mode()&fs.ModeSymlink == 0 && fi.IsDir() {
		kind = "directory"
	}
	changes := map[string]any{"removed": name}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("%s %s is set for removal", capitalize(kind), name)}
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
