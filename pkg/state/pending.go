package state

import (
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
)

// A dry run leaves the disk alone, so a state late in the run would see
// the disk as it was before the run: the directory an earlier state would
// create is missing, the file an earlier state would write is absent or
// stale. Salt's test=True fails or mispredicts exactly there. Instead, each
// state reports in Result.Predicted what it would do to paths, and the
// runner hands the states after it the sum of those predictions, in
// Request.Pending, to predict against.

// PathKind is what a dry run predicts will be at a path.
type PathKind uint8

const (
	// PathAbsent: the path, and everything below it, would be removed.
	PathAbsent PathKind = iota + 1
	// PathDir: a directory would be there.
	PathDir
	// PathFile: a regular file would be there.
	PathFile
	// PathSymlink: a symbolic link would be there.
	PathSymlink
)

func (k PathKind) String() string {
	switch k {
	case PathAbsent:
		return "absent"
	case PathDir:
		return "directory"
	case PathFile:
		return "file"
	case PathSymlink:
		return "symlink"
	}
	return "unknown"
}

// PathPrediction is what a state predicts, in a dry run, it would do to one
// path: create it, change it, or remove it.
type PathPrediction struct {
	// Path is absolute; the runner cleans it.
	Path string
	Kind PathKind
	// Mode is the permission bits (with setuid, setgid and sticky) the path
	// would have; 0 when unknown.
	Mode fs.FileMode
	// UID and GID are the owner the path would have; -1 when unknown.
	UID, GID int
	// Content is a file's predicted content, when HasContent is set, so
	// that a later edit of the file (file.line, file.replace) can predict
	// its own diff.
	Content    []byte
	HasContent bool
	// Target is a symlink's target.
	Target string
}

// PendingPath is a prediction in force, with the state that made it.
type PendingPath struct {
	PathPrediction
	// By is the ID of the state that made the prediction, for comments
	// ("would be created by 'config dir' earlier in this run").
	By string
}

// PendingPaths is the filesystem as predicted by the states that ran so
// far in a dry run: an overlay over the disk. A path it says nothing about
// is as the disk shows it. The zero value is empty and ready to use; a nil
// *PendingPaths (every real run) holds nothing, so state functions can
// consult Request.Pending without checking for a dry run first. It is not
// safe for concurrent use; the runner runs one state at a time.
type PendingPaths struct {
	m   map[string]pendingEntry
	seq int
}

type pendingEntry struct {
	PendingPath
	seq int // order of recording: a later prediction overrides
}

// Record adds the predictions made by the state with ID by. A later
// prediction for a path replaces an earlier one, and removing (or
// replacing with a file) a directory also covers what was predicted below
// it. Predictions with a relative path, for "/", or with no kind are
// ignored.
func (p *PendingPaths) Record(by string, preds ...PathPrediction) {
	for _, pr := range preds {
		if !filepath.IsAbs(pr.Path) || pr.Kind == 0 {
			continue
		}
		if pr.Path = filepath.Clean(pr.Path); pr.Path == "/" {
			continue
		}
		if p.m == nil {
			p.m = map[string]pendingEntry{}
		}
		p.seq++
		p.m[pr.Path] = pendingEntry{PendingPath: PendingPath{PathPrediction: pr, By: by}, seq: p.seq}
	}
}

// Lookup returns the prediction in force for path: its own, unless a
// directory above it was predicted to be removed (or to become a file)
// after that, in which case path is predicted absent. ok is false when no
// state predicted anything about path: the disk is the truth.
func (p *PendingPaths) Lookup(path string) (pp PendingPath, ok bool) {
	if p == nil || len(p.m) == 0 || !filepath.IsAbs(path) {
		return PendingPath{}, false
	}
	path = filepath.Clean(path)
	own, found := p.m[path]
	for dir := filepath.Dir(path); ; dir = filepath.Dir(dir) {
		if up, ok := p.m[dir]; ok && (up.Kind == PathAbsent || up.Kind == PathFile) && (!found || up.seq > own.seq) {
			return PendingPath{PathPrediction: PathPrediction{Path: path, Kind: PathAbsent, UID: -1, GID: -1}, By: up.By}, true
		}
		if dir == filepath.Dir(dir) {
			break
		}
	}
	return own.PendingPath, found
}

// Resolve is Lookup following predicted symbolic links: it returns the
// path reached (a relative link target is taken from the link's directory)
// and the prediction in force there. When ok is false the disk is the
// truth for resolved. A chain longer than 40 links stops where it is.
func (p *PendingPaths) Resolve(path string) (resolved string, pp PendingPath, ok bool) {
	for range 40 {
		pp, ok = p.Lookup(path)
		if !ok || pp.Kind != PathSymlink {
			return path, pp, ok
		}
		if t := pp.Target; filepath.IsAbs(t) {
			path = t
		} else {
			path = filepath.Join(filepath.Dir(pp.Path), t)
		}
	}
	return path, pp, ok
}

// Clone returns an overlay with the same predictions, for a state that
// runs other state functions one after another (file.recurse) and must
// show each the predictions of those before it without recording them in
// the run's overlay until it has succeeded. A nil receiver clones to an
// empty overlay.
func (p *PendingPaths) Clone() *PendingPaths {
	c := &PendingPaths{}
	if p == nil {
		return c
	}
	c.seq = p.seq
	if p.m != nil {
		c.m = make(map[string]pendingEntry, len(p.m))
		for k, v := range p.m {
			c.m[k] = v
		}
	}
	return c
}

// Len is the number of paths with a prediction.
func (p *PendingPaths) Len() int {
	if p == nil {
		return 0
	}
	return len(p.m)
}

// MentionedIn returns the predicted paths that occur in s (a shell command
// such as an unless condition) as whole paths, the most specific (longest)
// first. A command that reads such a path cannot be judged from the disk in
// a dry run.
func (p *PendingPaths) MentionedIn(s string) []string {
	if p == nil {
		return nil
	}
	var out []string
	for path := range p.m {
		if mentions(s, path) {
			out = append(out, path)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// mentions reports whether path occurs in s and is not just the start of
// a longer name (/srv/app in /srv/apple).
func mentions(s, path string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], path)
		if j < 0 {
			return false
		}
		end := i + j + len(path)
		if end == len(s) || !isNameByte(s[end]) {
			return true
		}
		i += j + 1
	}
}

func isNameByte(c byte) bool {
	return c == '.' || c == '-' || c == '_' || c == '~' || c == '+' ||
		'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}
