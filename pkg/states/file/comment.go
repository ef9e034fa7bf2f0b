package file

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "file.comment", Func: commentState, Doc: `Comment out the lines of NAME that match regex, by putting char (default
"#") in front of them. Lines already commented stay as they are.`})
	state.Register(state.Def{Name: "file.uncomment", Func: uncommentState, Doc: `Uncomment the commented lines of NAME whose text matches regex (char,
default "#", and the space after it are removed).`})
}

func commentState(ctx context.Context, req *state.Request) state.Result {
	return commentLines(req, true)
}

func uncommentState(ctx context.Context, req *state.Request) state.Result {
	return commentLines(req, false)
}

func commentLines(req *state.Request, comment bool) state.Result {
	name := req.Name
	a := args.Lenient(req.Args, req.Warn)
	pattern := a.String("regex", "")
	char := a.String("char", "#")
	ignoreMissing := a.Bool("ignore_missing", false)
	backup := a.String("backup", "")
	if !a.Has("regex") {
		a.Fail("regex", "required")
	}
	if char == "" {
		a.Fail("char", "must not be empty")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(name); err != nil {
		return fail("%v", err)
	}
	// Salt matches the pattern against the text after the comment mark,
	// anchored at the start when it starts with ^.
	re, err := regexp.Compile(strings.TrimPrefix(pattern, "^"))
	if err != nil {
		return fail("Invalid arguments: regex: %v", err)
	}
	anchored := strings.HasPrefix(pattern, "^")
	matches := func(text string) bool {
		if anchored {
			loc := re.FindStringIndex(text)
			return loc != nil && loc[0] == 0
		}
		return re.MatchString(text)
	}
	ed, res := openEdit(req, name)
	if res != nil {
		return *res
	}
	if !ed.cur.exists() {
		if ignoreMissing {
			return ok(fmt.Sprintf("File %s not found, nothing to do", name), nil)
		}
		return missingFile(req, ed, name, fmt.Sprintf("%s: file not found", name))
	}
	lines := strings.SplitAfter(string(ed.old), "\n")
	var out strings.Builder
	for _, l := range lines {
		body, nl := strings.CutSuffix(l, "\n")
		trimmed := strings.TrimLeft(body, " \t")
		indent := body[:len(body)-len(trimmed)]
		isComment := strings.HasPrefix(trimmed, char)
		switch {
		case comment && !isComment && matches(trimmed):
			body = indent + char + trimmed
		case !comment && isComment:
			rest := strings.TrimPrefix(trimmed, char)
			if text := strings.TrimLeft(rest, " "); matches(text) {
				body = indent + text
			}
		}
		out.WriteString(body)
		if nl {
			out.WriteByte('\n')
		}
	}
	ed.new, ed.show, ed.backup = []byte(out.String()), true, backup
	if comment {
		ed.changed, ed.test, ed.clean = "Commented lines successfully", "File "+name+" is set to be updated", "Pattern already commented"
	} else {
		ed.changed, ed.test, ed.clean = "Uncommented lines successfully", "File "+name+" is set to be updated", "Pattern already uncommented"
	}
	return ed.result(req)
}
