package file

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/states/internal/run"
	"github.com/halite/halite/pkg/states/internal/source"
)

const managedDoc = `Manage a file's content, owner and mode.

Content comes from one of: source (salt://, halite://, file:// or an
absolute path; a list means the first that exists), contents (a string or a
list of lines), contents_pillar or contents_grains (a colon-separated key).
Without any, a missing file is created empty and an existing one's content
is left alone. source_hash (sha256=HEX, md5=HEX or bare HEX) checks the
source. template: jinja renders the content with grains, pillar, opts and
the defaults and context mappings (context wins).

Other arguments: user, group, mode ("0644" or 644), makedirs, dir_mode,
replace (False: never rewrite an existing file's content), create (False:
do not create a missing file), backup: minion (keep the old file as
NAME.<UTC timestamp>), show_changes, contents_newline (default True),
follow_symlinks (default True), saltenv.

The file is written atomically (a temporary file in the same directory and
a rename). Changes carry a unified diff under "diff".`

func managed(ctx context.Context, req *state.Request) state.Result {
	name := req.Name
	a := args.Lenient(req.Args, req.Warn)
	sources, hasSource := a.Strings("source")
	sourceHash := a.String("source_hash", "")
	template := strings.ToLower(a.String("template", ""))
	userName := a.String("user", "")
	groupName := a.String("group", "")
	modeRaw, hasMode := a.Raw("mode")
	makedirs := a.Bool("makedirs", false)
	dirModeRaw, hasDirMode := a.Raw("dir_mode")
	replace := a.Bool("replace", true)
	create := a.Bool("create", true)
	backup := a.String("backup", "")
	show := a.Bool("show_changes", a.Bool("show_diff", true))
	contentsNL := a.Bool("contents_newline", true)
	follow := a.Bool("follow_symlinks", true)
	saltenv := a.String("saltenv", "base")
	tplContext, _ := a.Map("context")
	tplDefaults, _ := a.Map("defaults")
	contentsRaw, hasContents := a.Raw("contents")
	contentsPillar, hasCP := a.OptString("contents_pillar")
	contentsGrains, hasCG := a.OptString("contents_grains")
	skipVerify := a.Bool("skip_verify", false)
	a.Ignore("attrs", "tmp_ext", "encoding")
	checkCmd := a.String("check_cmd", "")

	var mode, dirMode fs.FileMode
	if hasMode {
		m, err := ParseMode(modeRaw)
		if err != nil {
			a.Fail("mode", err.Error())
		}
		mode = m
	}
	if hasDirMode {
		m, err := ParseMode(dirModeRaw)
		if err != nil {
			a.Fail("dir_mode", err.Error())
		}
		dirMode = m
	}
	switch strings.ToLower(backup) {
	case "", "false", "minion":
	default:
		a.Fail("backup", `want "minion" (a copy beside the file) or nothing`)
	}
	if template != "" && template != "jinja" {
		a.Fail("template", fmt.Sprintf("unsupported template engine %q (supported: jinja)", template))
	}
	nContent := 0
	for _, b := range []bool{hasSource, hasContents, hasCP, hasCG} {
		if b {
			nContent++
		}
	}
	if nContent > 1 {
		a.Fail("source", "'source' cannot be used in combination with 'contents', 'contents_pillar', or 'contents_grains'")
	}
	if hasSource && len(sources) == 0 {
		a.Fail("source", "empty list of sources")
	}
	for _, s := range sources {
		if sourceHash == "" && !skipVerify && (strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")) {
			// Checked before anything is downloaded.
			return fail("Unable to verify upstream hash of source file %s, please set source_hash or set skip_verify to True", s)
		}
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(name); err != nil {
		return fail("%v", err)
	}
	o, err := lookupOwner(userName, groupName)
	if err != nil {
		if req.Test {
			// The account may come from an earlier state in this run.
			return state.Result{Comment: err.Error()}
		}
		return fail("%v", err)
	}

	path := name
	if follow {
		if t, err := resolveLink(name); err == nil {
			path = t
		}
	}
	old, cur, exists, known, err := readRegular(req, path)
	if err != nil {
		return fail("%v", err)
	}
	fi := cur.fi
	if !exists && !create {
		return ok(fmt.Sprintf("File %s is not present and is not set for creation", name), nil)
	}

	// The wanted content; nil means "content not managed".
	var want []byte
	var srcName string
	switch {
	case hasSource:
		b, s, err := source.First(ctx, req.Env, sources, saltenv)
		if err != nil {
			return fail("%v", err)
		}
		if err := verifySource(ctx, req, b, s, sourceHash, skipVerify, saltenv); err != nil {
			return fail("%v", err)
		}
		want, srcName = b, s
	case hasContents:
		s, err := contentsString(contentsRaw)
		if err != nil {
			return fail("Invalid arguments: argument \"contents\": %v", err)
		}
		want = []byte(s)
	case hasCP, hasCG:
		data, key, what := map[string]any(nil), contentsPillar, "pillar"
		if hasCG {
			key, what = contentsGrains, "grains"
			if req.Env != nil && req.Env.Grains != nil {
				data = req.Env.Grains()
			}
		} else if req.Env != nil && req.Env.Pillar != nil {
			data = req.Env.Pillar()
		}
		v, found := lookupPath(data, key)
		if !found {
			return fail("%s key %s does not exist", what, key)
		}
		s, err := contentsString(v)
		if err != nil {
			return fail("%s key %s: %v", what, key, err)
		}
		want = []byte(s)
	}
	if want != nil && template != "" {
		rendered, err := render(ctx, req, template, name, srcName, want, userName, groupName, modeRaw, saltenv, tplDefaults, tplContext)
		if err != nil {
			return fail("Unable to manage file: %v", err)
		}
		want = rendered
		if want == nil {
			want = []byte{} // rendered to nothing: still managed, as empty
		}
	}
	if want != nil && (hasContents || hasCP || hasCG) && contentsNL && len(want) > 0 && want[len(want)-1] != '\n' {
		want = append(want, '\n')
	}
	if exists && !replace {
		want = nil
	}

	// note says, in a dry run, what the prediction rests on besides the disk.
	var made []state.PathPrediction
	var note string
	if !exists {
		if made, note, err = ensureParent(req, path, makedirs, dirMode); err != nil {
			return fail("%v", err)
		}
	} else if by := cur.by(); by != "" {
		note = leftBy(path, by)
	}

	changes := map[string]any{}
	if exists {
		switch {
		case want == nil:
		case !known:
			changes["diff"] = fmt.Sprintf("<content written by state '%s' is not known before the run; it would be replaced>", cur.by())
		case string(old) != string(want):
			changes["diff"] = textDiff(old, want, show)
		}
		for k, v := range permChanges(fi, o, mode, hasMode) {
			changes[k] = v
		}
	}

	if req.Test {
		if !exists {
			changes["newfile"] = name
			for k, v := range newFilePermChanges(o, mode, hasMode) {
				changes[k] = v
			}
		}
		res := pending(changes, withNote(fmt.Sprintf("The file %s is set to be changed", name)+testNote, note),
			withNote(fmt.Sprintf("File %s is in the correct state", name), note))
		if len(changes) > 0 {
			res.Predicted = append(made, predictManaged(path, want, old, exists, known, fi, o, mode, hasMode))
		}
		return res
	}

	if _, contentChanged := changes["diff"]; (contentChanged || !exists) && checkCmd != "" && want != nil {
		if msg, ok := checkContent(ctx, checkCmd, want); !ok {
			return fail("The check_cmd execution failed: %s", msg)
		}
	}
	if !exists {
		content := want
		if content == nil {
			content = []byte{}
		}
		// Permission changes are reported against what a plain new file
		// would have had, as Salt does; the file itself never has them.
		for k, v := range newFilePermChanges(o, mode, hasMode) {
			changes[k] = v
		}
		if err := atomicWrite(path, content, wantPerms(nil, o, mode, hasMode)); err != nil {
			return fail("Unable to manage file: %v", err)
		}
		if want == nil {
			changes["new"] = fmt.Sprintf("file %s created", name)
		} else {
			changes["diff"] = "New file"
		}
		if want == nil {
			return ok("Empty file", changes)
		}
		return ok(fmt.Sprintf("File %s updated", name), changes)
	}

	if len(changes) == 0 {
		if !replace {
			return ok(fmt.Sprintf("File %s exists with proper permissions. No changes made.", name), nil)
		}
		return ok(fmt.Sprintf("File %s is in the correct state", name), nil)
	}
	if _, contentChanged := changes["diff"]; contentChanged {
		if strings.EqualFold(backup, "minion") {
			bp := path + "." + time.Now().UTC().Format("20060102T150405.000000Z")
			if err := atomicWrite(bp, old, keepPerms(fi)); err != nil {
				return fail("Unable to back up %s: %v", path, err)
			}
			changes["backup"] = bp
		}
		if err := atomicWrite(path, want, wantPerms(fi, o, mode, hasMode)); err != nil {
			return fail("Unable to manage file: %v", err)
		}
	}
	if err := applyPerms(path, o, mode, hasMode); err != nil {
		return state.Result{Result: state.False(), Changes: changes, Comment: err.Error()}
	}
	return ok(fmt.Sprintf("File %s updated", name), changes)
}

// verifySource checks a fetched source against source_hash (a digest or
// the URL of a checksum file).
func verifySource(ctx context.Context, req *state.Request, b []byte, src, sourceHash string, skipVerify bool, saltenv string) error {
	if sourceHash == "" || skipVerify {
		return nil
	}
	spec, err := source.ResolveHash(ctx, req.Env, sourceHash, src, saltenv)
	if err != nil {
		return err
	}
	return source.CheckHash(bytes.NewReader(b), spec, src)
}

// predictManaged is what a file.managed that changes path leaves there,
// for the states after it in a dry run.
func predictManaged(path string, want, old []byte, exists, known bool, fi fs.FileInfo, o owner, mode fs.FileMode, hasMode bool) state.PathPrediction {
	content, hasContent := want, true
	if want == nil {
		content, hasContent = old, known || !exists // a new file is created empty
	}
	if !hasMode {
		mode = 0o644
		if exists {
			mode = permBits(fi.Mode())
		}
	}
	uid, gid := predictOwner(o, fi)
	return state.PathPrediction{Path: path, Kind: state.PathFile, Mode: mode, UID: uid, GID: gid, Content: content, HasContent: hasContent}
}

// newFilePermChanges predicts the perm changes for a file that does not
// exist yet (it would be created root-owned, 0644).
func newFilePermChanges(o owner, mode fs.FileMode, wantMode bool) map[string]any {
	ch := map[string]any{}
	if o.uid >= 0 && o.uid != os.Geteuid() {
		ch["user"] = o.user
	}
	if o.gid >= 0 && o.gid != os.Getegid() {
		ch["group"] = o.group
	}
	if wantMode && mode != 0o644 {
		ch["mode"] = FormatMode(mode)
	}
	return ch
}

// resolveLink follows symlinks at name to the final path, even when that
// path does not exist yet (a dangling link is managed through).
func resolveLink(name string) (string, error) {
	p := name
	for i := 0; i < 40; i++ {
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		t, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !strings.HasPrefix(t, "/") {
			t = dirOf(p) + "/" + t
		}
		p = t
	}
	return "", fmt.Errorf("too many levels of symbolic links: %s", name)
}

func dirOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		return p[:i]
	}
	return ""
}

// contentsString turns a contents value into text: a string, a scalar, or
// a list of lines joined with newlines.
func contentsString(v any) (string, error) {
	if s, ok := args.Scalar(v); ok {
		return s, nil
	}
	if l, ok := v.([]any); ok {
		lines := make([]string, 0, len(l))
		for i, it := range l {
			s, ok := args.Scalar(it)
			if !ok {
				return "", fmt.Errorf("item %d is a %T, not text", i, it)
			}
			lines = append(lines, s)
		}
		return strings.Join(lines, "\n"), nil
	}
	return "", fmt.Errorf("want a string or a list of strings, got %T", v)
}

// lookupPath finds a colon-separated key ("app:tls:cert") in nested maps.
func lookupPath(data map[string]any, key string) (any, bool) {
	var cur any = data
	for _, part := range strings.Split(key, ":") {
		m, err := args.ToMap(cur)
		if err != nil || m == nil {
			return nil, false
		}
		v, ok := m[part]
		if !ok {
			return nil, false
		}
		cur = v
	}
	return cur, cur != nil
}

// render runs a jinja template with Salt's variables.
func render(ctx context.Context, req *state.Request, engine, name, source string, src []byte,
	userName, groupName string, mode any, saltenv string, defaults, context map[string]any) ([]byte, error) {
	if req.Render == nil {
		return nil, fmt.Errorf("template: %s requested but no template renderer is configured", engine)
	}
	vars := map[string]any{
		"grains": map[string]any{}, "pillar": map[string]any{}, "opts": map[string]any{},
		"saltenv": saltenv, "sls": req.SLS, "name": name, "source": source,
		"user": userName, "group": groupName, "mode": mode,
	}
	if env := req.Env; env != nil {
		if env.Grains != nil {
			vars["grains"] = env.Grains()
		}
		if env.Pillar != nil {
			vars["pillar"] = env.Pillar()
		}
		if env.Opts != nil {
			vars["opts"] = env.Opts
		}
	}
	if names, texts := req.Accumulators.For(name); len(names) > 0 {
		acc := make(map[string]any, len(texts))
		for k, v := range texts {
			l := make([]any, len(v))
			for i, t := range v {
				l[i] = t
			}
			acc[k] = l
		}
		vars["accumulator"] = acc
	}
	for k, v := range defaults {
		vars[k] = v
	}
	for k, v := range context {
		vars[k] = v
	}
	tplName := source
	if tplName == "" {
		tplName = name
	}
	return req.Render.Render(ctx, tplName, src, vars)
}

// checkContent is file.managed's check_cmd (Salt's): the new contents are
// written to a temporary file, the command runs with its path appended,
// and only a zero exit lets them replace the managed file (visudo -c -f,
// nginx -t -c, ...).
func checkContent(ctx context.Context, cmd string, content []byte) (string, bool) {
	f, err := os.CreateTemp("", "halite-check-*")
	if err != nil {
		return err.Error(), false
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err.Error(), false
	}
	if err := f.Close(); err != nil {
		return err.Error(), false
	}
	r, err := run.Run(ctx, run.Cmd{Script: cmd + " " + f.Name(), Timeout: time.Minute})
	if err != nil {
		return err.Error(), false
	}
	if r.Retcode != 0 {
		return strings.TrimSpace(r.Stdout + "\n" + r.Stderr), false
	}
	return "", true
}
