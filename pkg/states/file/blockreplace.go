package file

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/states/internal/source"
)

const blockreplaceDoc = `Manage a block of text between two marker lines in an existing file.

Arguments: marker_start and marker_end (default "#-- start managed zone --"
and "#-- end managed zone --"; a line containing the marker is the
marker line, kept as it is), content (the block), or source (salt://,
file:// or a path; a list means the first that exists) with source_hash
and template (jinja, with context and defaults); texts gathered by
file.accumulated states for this file are appended to the block.
append_if_not_found / prepend_if_not_found add markers and block when the
markers are missing; insert_before_match / insert_after_match (regular
expressions) place them before or after the first matching line instead.
append_newline (default: only when the content does not end in one),
backup (a suffix, default ".bak"; False for none), show_changes.`

const accumulatedDoc = `Gather text for the file.blockreplace or file.managed state of this
run that manages FILENAME.

Arguments: filename (required), text (a string or a list). The state
whose file it is must come after this one (require_in or watch_in it).
file.managed templates see the texts as accumulator[NAME]; blockreplace
appends them to its block.`

// BlockSpec is a file.blockreplace edit.
type BlockSpec struct {
	MarkerStart, MarkerEnd string
	Content                string
	// AppendNewline: nil adds a newline only when Content lacks one.
	AppendNewline     *bool
	Append, Prepend   bool
	InsertBeforeMatch string
	InsertAfterMatch  string
}

// ErrNoMarkers is returned by BlockReplace when the markers are not in the
// text and nothing says where to add them.
var ErrNoMarkers = errors.New("Cannot edit marked block. Markers were not found in file.")

// BlockReplace applies s to text as Salt's file.blockreplace does: the
// lines between the marker lines are replaced by the content; the text up
// to the end marker on its line is part of the block, the rest of that
// line is kept. Applying it to its own output changes nothing.
func BlockReplace(text string, s BlockSpec) (string, error) {
	if s.MarkerStart == "" || s.MarkerEnd == "" {
		return "", errors.New("marker_start and marker_end must not be empty")
	}
	if s.Append && s.Prepend {
		return "", errors.New("Only one of append and prepend_if_not_found is permitted")
	}
	appendNL := !strings.HasSuffix(s.Content, "\n")
	if s.AppendNewline != nil {
		appendNL = *s.AppendNewline
	}
	content := strings.Split(strings.ReplaceAll(s.Content, "\r\n", "\n"), "\n")
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	sep := "\n"
	// A first line ending in "\r" with no "\n" yet becomes a CRLF line once
	// terminated: the next run would read CRLF, so write it now.
	if len(lines) > 0 && (strings.HasSuffix(lines[0], "\r\n") || len(lines) == 1 && strings.HasSuffix(lines[0], "\r")) {
		sep = "\r\n"
	}
	// block renders marker_start (when asked), the content and endLine.
	block := func(withStart bool, endLine string) []string {
		var out []string
		if withStart {
			out = append(out, s.MarkerStart+sep)
		}
		endLine = strings.TrimRight(endLine, "\r\n") + sep
		for i, c := range content {
			if i < len(content)-1 {
				out = append(out, c+sep)
			} else if appendNL {
				out = append(out, c+sep, endLine)
			} else {
				out = append(out, c+endLine)
			}
		}
		return out
	}
	var out []string
	inBlock, found := false, false
	for _, l := range lines {
		switch {
		case strings.Contains(l, s.MarkerStart):
			inBlock = true
			out = append(out, l)
		case inBlock:
			if i := strings.Index(l, s.MarkerEnd); i >= 0 {
				inBlock, found = false, true
				out = append(out, block(false, l[i:])...)
			}
		default:
			out = append(out, l)
		}
	}
	if inBlock {
		return "", errors.New("Unterminated marked block. End of file reached before marker_end.")
	}
	if !found {
		at := -1
		for _, m := range []struct {
			expr  string
			after int
		}{{s.InsertBeforeMatch, 0}, {s.InsertAfterMatch, 1}} {
			if m.expr == "" || at >= 0 {
				continue
			}
			re, err := regexp.Compile(m.expr)
			if err != nil {
				return "", fmt.Errorf("bad regular expression %q: %v", m.expr, err)
			}
			for i, l := range out {
				if re.MatchString(strings.TrimRight(l, "\r\n")) {
					at = i + m.after
					break
				}
			}
		}
		switch {
		case at >= 0:
			if at > 0 && !strings.HasSuffix(out[at-1], "\n") {
				out[at-1] += sep
			}
			out = append(out[:at], append(block(true, s.MarkerEnd), out[at:]...)...)
		case s.Prepend:
			out = append(block(true, s.MarkerEnd), out...)
		case s.Append:
			if n := len(out); n > 0 && !strings.HasSuffix(out[n-1], "\n") {
				out[n-1] += sep
			}
			out = append(out, block(true, s.MarkerEnd)...)
		default:
			return "", ErrNoMarkers
		}
	}
	return strings.Join(out, ""), nil
}

func blockreplace(ctx context.Context, req *state.Request) state.Result {
	name := req.Name
	a := args.Lenient(req.Args, req.Warn)
	var s BlockSpec
	s.MarkerStart = a.String("marker_start", "#-- start managed zone --")
	s.MarkerEnd = a.String("marker_end", "#-- end managed zone --")
	content, hasContent := a.Raw("content")
	sources, hasSource := a.Strings("source")
	sourceHash := a.String("source_hash", "")
	template := strings.ToLower(a.String("template", ""))
	tplContext, _ := a.Map("context")
	tplDefaults, _ := a.Map("defaults")
	saltenv := a.String("saltenv", "base")
	s.Append = a.Bool("append_if_not_found", false)
	s.Prepend = a.Bool("prepend_if_not_found", false)
	s.InsertBeforeMatch = a.String("insert_before_match", "")
	s.InsertAfterMatch = a.String("insert_after_match", "")
	s.AppendNewline = a.OptBool("append_newline")
	show := a.Bool("show_changes", true)
	backup := a.String("backup", ".bak")
	a.Ignore("sources", "source_hashes", "skip_verify", "encoding")
	if b := strings.ToLower(backup); b == "false" || b == "none" {
		backup = ""
	}
	if hasContent && hasSource && len(sources) > 0 {
		a.Fail("source", "cannot be used together with content")
	}
	if template != "" && template != "jinja" {
		a.Fail("template", fmt.Sprintf("unsupported template engine %q (supported: jinja)", template))
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(name); err != nil {
		return fail("%v", err)
	}
	if hasContent && content != nil {
		c, err := contentsString(content)
		if err != nil {
			return fail("Invalid arguments: argument \"content\": %v", err)
		}
		s.Content = c
	}
	if hasSource && len(sources) > 0 {
		b, src, err := source.First(ctx, req.Env, sources, saltenv)
		if err != nil {
			return fail("%v", err)
		}
		if err := verifySource(ctx, req, b, src, sourceHash, false, saltenv); err != nil {
			return fail("%v", err)
		}
		if template != "" {
			b, err = render(ctx, req, template, name, src, b, "", "", nil, saltenv, tplDefaults, tplContext)
			if err != nil {
				return fail("Unable to render %s: %v", src, err)
			}
		}
		s.Content = string(b)
	}
	names, texts := req.Accumulators.For(name)
	for _, n := range names {
		for _, t := range texts[n] {
			if s.Content == "" {
				s.Content = t
			} else {
				s.Content += "\n" + t
			}
		}
	}

	ed, res := openEdit(req, name)
	if res != nil {
		return *res
	}
	if !ed.cur.exists() {
		return missingFile(req, ed, name, "File not found: "+name)
	}
	newText, err := BlockReplace(string(ed.old), s)
	if err != nil {
		return fail("Encountered error managing block: %v", err)
	}
	ed.new, ed.show, ed.backup = []byte(newText), show, backup
	ed.changed, ed.test, ed.clean = "Changes were made", "Changes would be made", "No changes needed to be made"
	return ed.result(req)
}

func accumulated(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	filename := a.String("filename", "")
	text, hasText := a.Strings("text")
	if filename == "" {
		a.Fail("filename", "required: the file whose state gets the text")
	}
	if !hasText {
		a.Fail("text", "required")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if req.Accumulators == nil {
		return fail("file.accumulated works inside a state run only")
	}
	req.Accumulators.Add(filename, req.Name, text)
	return ok(fmt.Sprintf("Accumulator %s for file %s was charged by text", req.Name, filename), nil)
}
