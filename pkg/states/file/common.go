package file

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/halite/halite/pkg/atomicfile"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/diff"
)

// Salt's comment for a dry run that would change a file.
const testNote = "\nNote: No changes made, actual changes may\nbe different due to other states."

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}

func ok(comment string, changes map[string]any) state.Result {
	if len(changes) == 0 {
		changes = nil
	}
	return state.Result{Result: state.True(), Comment: comment, Changes: changes}
}

// pending is a test-mode result: nil when something would change, true
// when nothing would.
func pending(changes map[string]any, comment, cleanComment string) state.Result {
	if len(changes) == 0 {
		return state.Result{Result: state.True(), Comment: cleanComment}
	}
	return state.Result{Changes: changes, Comment: comment}
}

// checkAbs validates a state's name as a path.
func checkAbs(name string) error {
	if name == "" {
		return fmt.Errorf("Must provide name to file state")
	}
	if !filepath.IsAbs(name) {
		return fmt.Errorf("Specified file %s is not an absolute path", name)
	}
	return nil
}

// filePerms is the owner and mode a written file gets (uid or gid -1:
// the writer's).
type filePerms struct {
	uid, gid int
	mode     fs.FileMode
}

// keepPerms is the owner and mode of old, or 0644 for a new file.
func keepPerms(old fs.FileInfo) filePerms {
	return wantPerms(old, owner{uid: -1, gid: -1}, 0, false)
}

// wantPerms is what a file ends with: the wanted owner and mode where the
// state manages them, otherwise those of old (0644 for a new file).
func wantPerms(old fs.FileInfo, o owner, mode fs.FileMode, hasMode bool) filePerms {
	p := filePerms{uid: o.uid, gid: o.gid, mode: 0o644}
	if old != nil {
		uid, gid := ownerOf(old)
		if p.uid < 0 {
			p.uid = uid
		}
		if p.gid < 0 {
			p.gid = gid
		}
		p.mode = permBits(old.Mode())
	}
	if hasMode {
		p.mode = mode
	}
	return p
}

// atomicWrite replaces path with data, with the owner and mode of p (see
// atomicfile.Write).
func atomicWrite(path string, data []byte, p filePerms) error {
	return atomicfile.Write(path, data, p.mode, p.uid, p.gid)
}

// textDiff is the "diff" change value, honouring show_changes.
func textDiff(old, new []byte, show bool) string {
	if !show {
		return "<show_changes=False>"
	}
	return diff.Unified(old, new)
}

// splitKeep splits text into lines without their newlines and reports
// whether it ended with one.
func splitKeep(b []byte) (lines []string, trailingNL bool) {
	s := string(b)
	if s == "" {
		return nil, false
	}
	trailingNL = strings.HasSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n"), trailingNL
}

func joinLines(lines []string, trailingNL bool) []byte {
	if len(lines) == 0 {
		return nil
	}
	s := strings.Join(lines, "\n")
	if trailingNL {
		s += "\n"
	}
	return []byte(s)
}
