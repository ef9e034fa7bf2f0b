package file

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/halite/halite/pkg/state"
)

// The file states look at paths through req.Pending: in a dry run, what
// earlier states of the run predicted wins over the disk, so a file.managed
// into a directory that an earlier file.directory would create predicts a
// new file instead of failing, and a file.line on a file that an earlier
// file.managed would write predicts its edit of that content. In a real
// run req.Pending is nil and these are plain os.Stat, os.Lstat and reads.

// node is what is at a path, on disk or as predicted.
type node struct {
	fi fs.FileInfo // nil when nothing is there
	// pending is the prediction it comes from; nil when from the disk.
	pending *state.PendingPath
}

func (n node) exists() bool { return n.fi != nil }

// by names the earlier state whose prediction this is, "" for the disk.
func (n node) by() string {
	if n.pending == nil {
		return ""
	}
	return n.pending.By
}

// lookup is os.Stat (follow) or os.Lstat as the state sees path. A missing
// path is not an error; its node has no FileInfo (and, when an earlier
// state would remove it, that prediction).
func lookup(req *state.Request, path string, follow bool) (node, error) {
	pp, ok := req.Pending.Lookup(path)
	if follow {
		path, pp, ok = req.Pending.Resolve(path)
	}
	switch {
	case ok && pp.Kind == state.PathAbsent:
		return node{pending: &pp}, nil
	case ok && (pp.Kind != state.PathSymlink || !follow):
		return node{fi: predictedInfo{&pp}, pending: &pp}, nil
	}
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	fi, err := stat(path)
	if os.IsNotExist(err) {
		return node{}, nil
	}
	if err != nil {
		return node{}, err
	}
	return node{fi: fi}, nil
}

// readRegular reads a file that must be a regular file (after following
// symlinks), as the state sees it. exists is false when it is missing;
// known is false when an earlier state of a dry run would write it with
// content the run cannot predict.
func readRegular(req *state.Request, path string) (data []byte, n node, exists, known bool, err error) {
	n, err = lookup(req, path, true)
	if err != nil {
		return nil, n, false, false, err
	}
	if !n.exists() {
		return nil, n, false, false, nil
	}
	if n.fi.IsDir() {
		return nil, n, true, false, fmt.Errorf("Specified target %s is a directory", path)
	}
	if !n.fi.Mode().IsRegular() {
		return nil, n, true, false, fmt.Errorf("Specified target %s is not a regular file", path)
	}
	if n.pending != nil {
		return n.pending.Content, n, true, n.pending.HasContent, nil
	}
	data, err = os.ReadFile(path)
	return data, n, true, err == nil, err
}

// ensureParent makes sure path's directory exists, creating it (and any
// missing directory above it, with mode dirMode or 0755) when makedirs is
// set. The error texts are Salt's.
//
// In a dry run it creates nothing. It returns the directories it would
// create, as predictions for the states after it, and a note for the
// comment when the parent exists only in the predictions of earlier
// states, or not at all. In that last case the dry run predicts rather than
// fails: another state, a package or a command, may create the directory
// first, and only the real run can tell.
func ensureParent(req *state.Request, path string, makedirs bool, dirMode fs.FileMode) (made []state.PathPrediction, note string, err error) {
	parent := filepath.Dir(path)
	missing, gone, by, err := missingDirs(req, parent)
	if err != nil {
		return nil, "", err
	}
	if len(missing) == 0 {
		if by != "" {
			note = fmt.Sprintf("parent directory %s would be created by state '%s' earlier in this run", parent, by)
		}
		return nil, note, nil
	}
	if dirMode == 0 {
		dirMode = 0o755
	}
	if !makedirs {
		if gone != nil {
			return nil, "", fmt.Errorf("Parent directory not present: state '%s' would remove %s earlier in this run", gone.By, gone.Path)
		}
		if !req.DryRun() {
			return nil, "", fmt.Errorf("Parent directory not present")
		}
		return nil, fmt.Sprintf("parent directory %s does not exist yet; it would have to be created first (by another state or makedirs)", parent), nil
	}
	if req.Test {
		return newDirs(missing, dirMode), "", nil
	}
	if err := os.MkdirAll(parent, dirMode); err != nil {
		return nil, "", fmt.Errorf("Failed to create parent directory %s: %v", parent, err)
	}
	return nil, "", nil
}

// missingDirs walks up from dir to the first directory that exists (on
// disk or as predicted) and returns the missing ones, outermost first. by
// names the earlier state that would create dir when dir exists only as a
// prediction; gone is the prediction that removes a missing one, if any.
// Something other than a directory in the way is an error.
func missingDirs(req *state.Request, dir string) (missing []string, gone *state.PendingPath, by string, err error) {
	for d := dir; ; d = filepath.Dir(d) {
		n, err := lookup(req, d, true)
		if err != nil {
			return nil, nil, "", err
		}
		if n.exists() {
			if !n.fi.IsDir() {
				return nil, nil, "", fmt.Errorf("Parent %s is not a directory", d)
			}
			if _, err := os.Stat(d); d == dir && err != nil {
				by = n.by() // it exists only as a prediction
			}
			break
		}
		if gone == nil && n.pending != nil {
			gone = n.pending
		}
		missing = append([]string{d}, missing...)
		if d == filepath.Dir(d) {
			break
		}
	}
	return missing, gone, by, nil
}

// newDirs predicts the directories MkdirAll would create, owned by the
// minion's user.
func newDirs(dirs []string, mode fs.FileMode) []state.PathPrediction {
	out := make([]state.PathPrediction, len(dirs))
	for i, d := range dirs {
		out[i] = state.PathPrediction{Path: d, Kind: state.PathDir, Mode: mode, UID: os.Geteuid(), GID: os.Getegid()}
	}
	return out
}

// predictedInfo is the fs.FileInfo of a path as an earlier state of a dry
// run predicted it. Sys is a *syscall.Stat_t with the predicted owner when
// it is known, so ownerOf reads it like a real file's.
type predictedInfo struct{ p *state.PendingPath }

func (i predictedInfo) Name() string       { return filepath.Base(i.p.Path) }
func (i predictedInfo) Size() int64        { return int64(len(i.p.Content)) }
func (i predictedInfo) ModTime() time.Time { return time.Time{} }
func (i predictedInfo) IsDir() bool        { return i.p.Kind == state.PathDir }

func (i predictedInfo) Mode() fs.FileMode {
	m := i.p.Mode
	switch i.p.Kind {
	case state.PathDir:
		m |= fs.ModeDir
	case state.PathSymlink:
		m |= fs.ModeSymlink
	}
	return m
}

func (i predictedInfo) Sys() any {
	if i.p.UID < 0 || i.p.GID < 0 {
		return nil
	}
	return &syscall.Stat_t{Uid: uint32(i.p.UID), Gid: uint32(i.p.GID)}
}

// withNote appends a dry run's note about what it assumed to a comment.
func withNote(comment, note string) string {
	if note == "" {
		return comment
	}
	return comment + "\nNote: " + note + "."
}

// leftBy is the note for a prediction made from what an earlier state of
// the dry run would leave at path rather than from the disk.
func leftBy(path, by string) string {
	return fmt.Sprintf("predicted from %s as state '%s' would leave it earlier in this run", path, by)
}

// predictOwner is the owner a path will have after a state sets o on it:
// o where it is managed, otherwise what fi shows (or the minion's user for
// a new path).
func predictOwner(o owner, fi fs.FileInfo) (uid, gid int) {
	uid, gid = os.Geteuid(), os.Getegid()
	if fi != nil {
		uid, gid = ownerOf(fi)
	}
	if o.uid >= 0 {
		uid = o.uid
	}
	if o.gid >= 0 {
		gid = o.gid
	}
	return uid, gid
}
