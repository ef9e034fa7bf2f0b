package file

import (
	"context"
	"fmt"
	"os"
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

// editResult finishes a text-editing state: compare, predict or write.
func editResult(req *state.Request, path string, old, new []byte, exists bool, show bool,
	changedComment, testComment, cleanComment string, backupSuffix string) state.Result {
	if exists && string(old) == string(new) {
		return ok(cleanComment, nil)
	}
	changes := map[string]any{"diff": textDiff(old, new, show)}
	if req.Test {
		return state.Result{Changes: changes, Comment: testComment}
	}
	var fi os.FileInfo
	if exists {
		var err error
		if fi, err = os.Stat(path); err != nil {
			return fail("%v", err)
		}
		if backupSuffix != "" {
			if err := atomicWrite(path+backupSuffix, old, fi); err != nil {
				return fail("Unable to back up %s: %v", path, err)
			}
			changes["backup"] = path + backupSuffix
		}
	}
	if err := atomicWrite(path, new, fi); err != nil {
		return fail("Unable to write %s: %v", path, err)
	}
	return ok(changedComment, changes)
}

func line(ctx context.Context, req *state.Request) state.Result {
	name := req.Name
	a := args.New(req.Args)
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
	path, _ := resolveLink(name)
	if path == "" {
		path = name
	}
	old, _, exists, err := readRegular(path)
	if err != nil {
		return fail("%v", err)
	}
	if !exists && !create {
		return fail("File %q does not exist or is not a file.", name)
	}
	if !exists {
		if _, err := ensureParent(path, false, 0, req.Test); err != nil {
			return fail("%v", err)
		}
	}
	newText, err := EditLines(string(old), e)
	if err != nil {
		return fail("%v", strings.TrimPrefix(err.Error(), ErrLineEdit.Error()+": "))
	}
	return editResult(req, path, old, []byte(newText), exists, show,
		"Changes were made", "Changes would be made", "No changes needed to be made", "")
}

func replace(ctx context.Context, req *state.Request) state.Result {
	name := req.Name
	a := args.New(req.Args)
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
	path, _ := resolveLink(name)
	if path == "" {
		path = name
	}
	old, _, exists, err := readRegular(path)
	if err != nil {
		return fail("%v", err)
	}
	if !exists {
		if ignoreMissing {
			return ok("No changes needed to be made since file not found", nil)
		}
		return fail("%s: file not found", name)
	}
	newText, err := ReplaceText(string(old), s)
	if err != nil {
		return fail("%v", err)
	}
	return editResult(req, path, old, []byte(newText), true, show,
		"Changes were made", "Changes would have been made", "No changes needed to be made", backup)
}

func appendState(ctx context.Context, req *state.Request) state.Result {
	name := req.Name
	a := args.New(req.Args)
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
	path, _ := resolveLink(name)
	if path == "" {
		path = name
	}
	old, _, exists, err := readRegular(path)
	if err != nil {
		return fail("%v", err)
	}
	if !exists {
		if _, err := ensureParent(path, makedirs, 0, req.Test); err != nil {
			return fail("%v", err)
		}
	}
	newText, count := AppendText(string(old), text, ignoreWS)
	noun := "lines"
	if count == 1 {
		noun = "line"
	}
	return editResult(req, path, old, []byte(newText), exists, true,
		fmt.Sprintf("Appended %d %s", count, noun), fmt.Sprintf("File %s is set to be updated", name),
		fmt.Sprintf("File %s is in correct state", name), "")
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
