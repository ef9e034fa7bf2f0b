package file

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

const lineDoc = `Edit one line of an existing file.

Arguments: content (the line), match (regular expression selecting lines;
default: the content), mode (ensure, replace, delete, insert), location
(start or end, for insert), before and after (regular expressions naming
the neighbouring line; must match exactly one line), indent (default True:
take the neighbour's indentation), create (create a missing file),
show_changes. Regular expressions use Go's RE2 syntax.`

const replaceDoc = `Replace text matching a regular expression in a file.

Arguments: pattern, repl (Python template syntax: \1, \g<name>), count (0 =
all), flags (list of IGNORECASE, MULTILINE, DOTALL or Python's integer;
default MULTILINE), append_if_not_found, prepend_if_not_found,
not_found_content (default repl), backslash_literal, ignore_if_missing,
backup (a suffix: keep the old file as NAME+suffix; default none),
show_changes. Patterns use Go's RE2 syntax (no look-around, no
backreferences in the pattern).`

const appendDoc = `Make sure text is in a file, appending what is missing.

Arguments: text (a string or a list; each item is looked for as a whole,
ignoring differences in whitespace unless ignore_whitespace is False),
makedirs. A missing file is created.`

// edit is a text-editing state's outcome, to compare, predict or write.
type edit struct {
	path     string
	cur      node // what is at path (old is its content)
	old, new []byte
	show     bool
	backup   string // suffix for a copy of the old file; "" for none
	// made and note are, in a dry run, the parent directories it would
	// create and what the prediction rests on besides the disk.
	made []state.PathPrediction
	note string
	// Comments: after a change, for a predicted change, when in place.
	changed, test, clean string
}

func (e edit) result(req *state.Request) state.Result {
	exists := e.cur.exists()
	if exists && string(e.old) == string(e.new) {
		return ok(withNote(e.clean, e.note), nil)
	}
	changes := map[string]any{"diff": textDiff(e.old, e.new, e.show)}
	if req.Test {
		mode := fs.FileMode(0o644) // atomicWrite creates new files 0644
		var fi fs.FileInfo
		if exists {
			fi = e.cur.fi
			mode = permBits(fi.Mode())
		}
		uid, gid := predictOwner(owner{uid: -1, gid: -1}, fi)
		next := state.PathPrediction{Path: e.path, Kind: state.PathFile, Mode: mode, UID: uid, GID: gid, Content: e.new, HasContent: true}
		return state.Result{Changes: changes, Comment: withNote(e.test, e.note), Predicted: append(e.made, next)}
	}
	var fi fs.FileInfo
	if exists {
		fi = e.cur.fi
		if e.backup != "" {
			if err := atomicWrite(e.path+e.backup, e.old, keepPerms(fi)); err != nil {
				return fail("Unable to back up %s: %v", e.path, err)
			}
			changes["backup"] = e.path + e.backup
		}
	}
	if err := atomicWrite(e.path, e.new, keepPerms(fi)); err != nil {
		return fail("Unable to write %s: %v", e.path, err)
	}
	return ok(e.changed, changes)
}

// openEdit reads the file a text-editing state edits, as the state sees
// it; e.cur says whether it exists. A non-nil result ends the state: the
// file is unreadable, or it is a dry run and an earlier state would write
// content that cannot be known before the run.
func openEdit(req *state.Request, name string) (e edit, res *state.Result) {
	e.path, _ = resolveLink(name)
	if e.path == "" {
		e.path = name
	}
	old, cur, exists, known, err := readRegular(req, e.path)
	if err != nil {
		r := fail("%v", err)
		return e, &r
	}
	e.old, e.cur = old, cur
	if exists && !known {
		return e, &state.Result{Comment: fmt.Sprintf(
			"The content state '%s' would write to %s earlier in this run is not known before the run; the edit cannot be predicted", cur.by(), name)}
	}
	if by := cur.by(); exists && by != "" {
		e.note = leftBy(e.path, by)
	}
	return e, nil
}

// missingFile is the result of editing a file that is not there. In a dry
// run that is not a failure unless an earlier state would remove the file:
// another state (a package, a command) may create it first, and only the
// real run can tell; the state then reports Result None without predicting.
func missingFile(req *state.Request, e edit, name, failure string) state.Result {
	switch {
	case e.cur.pending != nil:
		return fail("%s (state '%s' would remove it earlier in this run)", failure, e.cur.by())
	case req.DryRun():
		return state.Result{Comment: fmt.Sprintf(
			"File %s does not exist yet; it would have to be created first (by another state, a package or a command): the edit cannot be predicted before then, and fails if nothing creates it", name)}
	}
	return fail("%s", failure)
}

func line(ctx context.Context, req *state.Request) state.Result {
	name := req.Name
	a := args.Lenient(req.Args, req.Warn)
	e := LineEdit{
		Content:  a.String("content", ""),
		Match:    a.String("match", ""),
		Mode:     strings.ToLower(a.String("mode", "")),
		Location: strings.ToLower(a.String("location", "")),
		Before:   a.String("before", ""),
		After:    a.String("after", ""),
		Indent:   a.Bool("indent", true),
	}
	create := a.Bool("create", false)
	show := a.Bool("show_changes", true)
	a.Ignore("backup", "quiet")
	if e.Mode == "" {
		a.Fail("mode", "required: one of ensure, replace, delete, insert")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(name); err != nil {
		return fail("%v", err)
	}
	ed, res := openEdit(req, name)
	if res != nil {
		return *res
	}
	if !ed.cur.exists() {
		if !create {
			return missingFile(req, ed, name, fmt.Sprintf("File %q does not exist or is not a file.", name))
		}
		var err error
		if ed.made, ed.note, err = ensureParent(req, ed.path, false, 0); err != nil {
			return fail("%v", err)
		}
	}
	newText, err := EditLines(string(ed.old), e)
	if err != nil {
		return fail("%v", strings.TrimPrefix(err.Error(), ErrLineEdit.Error()+": "))
	}
	ed.new, ed.show = []byte(newText), show
	ed.changed, ed.test, ed.clean = "Changes were made", "Changes would be made", "No changes needed to be made"
	return ed.result(req)
}

func replace(ctx context.Context, req *state.Request) state.Result {
	name := req.Name
	a := args.Lenient(req.Args, req.Warn)
	var s ReplaceSpec
	s.Pattern = a.String("pattern", "")
	s.Repl = a.String("repl", "")
	s.Count = a.Int("count", 0)
	flagsRaw, _ := a.Raw("flags")
	s.AppendIfNotFound = a.Bool("append_if_not_found", false)
	s.PrependIfNot = a.Bool("prepend_if_not_found", false)
	if nf, ok := a.OptString("not_found_content"); ok {
		s.NotFoundContent = &nf
	}
	s.BackslashLiteral = a.Bool("backslash_literal", false)
	ignoreMissing := a.Bool("ignore_if_missing", false)
	show := a.Bool("show_changes", true)
	backup := a.String("backup", "")
	a.Ignore("bufsize", "search_only")
	if !a.Has("pattern") {
		a.Fail("pattern", "required")
	}
	if !a.Has("repl") {
		a.Fail("repl", "required")
	}
	if s.Count < 0 {
		a.Fail("count", "must not be negative")
	}
	flags, err := pyFlags(flagsRaw)
	if err != nil {
		a.Fail("flags", err.Error())
	}
	s.Flags = flags
	if b := strings.ToLower(backup); b == "false" || b == "none" {
		backup = ""
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(name); err != nil {
		return fail("%v", err)
	}
	ed, res := openEdit(req, name)
	if res != nil {
		return *res
	}
	if !ed.cur.exists() {
		if ignoreMissing {
			return ok("No changes needed to be made since file not found", nil)
		}
		return missingFile(req, ed, name, fmt.Sprintf("%s: file not found", name))
	}
	newText, err := ReplaceText(string(ed.old), s)
	if err != nil {
		return fail("%v", err)
	}
	ed.new, ed.show, ed.backup = []byte(newText), show, backup
	ed.changed, ed.test, ed.clean = "Changes were made", "Changes would have been made", "No changes needed to be made"
	return ed.result(req)
}

func appendState(ctx context.Context, req *state.Request) state.Result {
	name := req.Name
	a := args.Lenient(req.Args, req.Warn)
	text, hasText := a.Strings("text")
	makedirs := a.Bool("makedirs", false)
	ignoreWS := a.Bool("ignore_whitespace", true)
	if !hasText {
		a.Fail("text", "required")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(name); err != nil {
		return fail("%v", err)
	}
	ed, res := openEdit(req, name)
	if res != nil {
		return *res
	}
	if !ed.cur.exists() {
		var err error
		if ed.made, ed.note, err = ensureParent(req, ed.path, makedirs, 0); err != nil {
			return fail("%v", err)
		}
	}
	newText, count := AppendText(string(ed.old), text, ignoreWS)
	noun := "lines"
	if count == 1 {
		noun = "line"
	}
	ed.new, ed.show = []byte(newText), true
	ed.changed = fmt.Sprintf("Appended %d %s", count, noun)
	ed.test = fmt.Sprintf("File %s is set to be updated", name)
	ed.clean = fmt.Sprintf("File %s is in correct state", name)
	return ed.result(req)
}

// AppendText appends each chunk of text not already in s and returns the
// new text and the number of lines added.
func AppendText(s string, chunks []string, ignoreWhitespace bool) (string, int) {
	out := s
	added := 0
	for _, chunk := range chunks {
		chunk = strings.TrimRight(chunk, "\n")
		if strings.TrimSpace(chunk) == "" {
			continue
		}
		if contains(out, chunk, ignoreWhitespace) {
			continue
		}
		if out != "" && !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		out += chunk + "\n"
		added += strings.Count(chunk, "\n") + 1
	}
	return out, added
}

func contains(s, chunk string, ignoreWhitespace bool) bool {
	if !ignoreWhitespace {
		return strings.Contains(s, chunk)
	}
	words := strings.Fields(chunk)
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	re := regexp.MustCompile(strings.Join(words, `\s+`))
	return re.MatchString(s)
}
