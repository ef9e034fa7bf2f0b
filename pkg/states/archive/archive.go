// Package archive provides Salt's archive.extracted state: unpack a tar
// or zip archive (from salt://, http(s):// with a source_hash, or a local
// path) into a directory, once.
//
//	/opt:
//	  archive.extracted:
//	    - source: https://example.com/app-1.2.tar.gz
//	    - source_hash: sha256=...
//	    - user: app
//
// Archives are hostile input: a member with an absolute path or a ".."
// component, or a link pointing out of the destination, refuses the whole
// archive before anything is written.
package archive

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/halite/halite/pkg/modules/cmd"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/states/internal/source"
)

func init() {
	state.Register(state.Def{Name: "archive.extracted", Func: extracted, Doc: `Extract an archive into the directory NAME, unless its files are there.

Arguments: source (salt://, http(s)://, file:// or a path; a list means the
first that exists), source_hash (a digest or the URL of a checksum file;
required for http(s) unless skip_verify), archive_format (tar or zip;
guessed from the name), options (extra tar options), enforce_toplevel
(default True: the archive must hold one top-level directory), if_missing
(do nothing when this path exists), overwrite (extract even when the
files are present), clean (remove the archive's top-level paths first),
user and group (owner of what is extracted), trim_output (list at most
this many files in changes).`})
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}

// format guesses the archive format from the source's name.
func format(src string) string {
	s := strings.ToLower(strings.SplitN(src, "?", 2)[0])
	if strings.HasSuffix(s, ".zip") || strings.HasSuffix(s, ".jar") || strings.HasSuffix(s, ".war") {
		return "zip"
	}
	return "tar"
}

// member is one archive entry, its name cleaned.
type member struct {
	name string
	dir  bool
	link string // a symlink's target
}

// safe refuses names that would land outside the destination.
func safe(m member) error {
	n := m.name
	if strings.HasPrefix(n, "/") || n == ".." || strings.HasPrefix(n, "../") || strings.Contains(n, "/../") || strings.HasSuffix(n, "/..") {
		return fmt.Errorf("archive member %q would be extracted outside the destination", n)
	}
	if m.link != "" {
		t := m.link
		if !path.IsAbs(t) {
			t = path.Join(path.Dir(n), t)
		}
		if path.IsAbs(m.link) || t == ".." || strings.HasPrefix(t, "../") {
			return fmt.Errorf("archive member %q links outside the destination (%s)", n, m.link)
		}
	}
	return nil
}

func clean(n string) string {
	n = strings.TrimPrefix(n, "./")
	return strings.TrimSuffix(n, "/")
}

// list reads the archive's members.
func list(ctx context.Context, file, fmtName string) ([]member, error) {
	if fmtName == "zip" {
		r, err := zip.OpenReader(file)
		if err != nil {
			return nil, fmt.Errorf("not a zip archive: %w", err)
		}
		defer r.Close()
		var out []member
		for _, f := range r.File {
			m := member{name: clean(f.Name), dir: f.FileInfo().IsDir()}
			if f.Mode()&os.ModeSymlink != 0 {
				rc, err := f.Open()
				if err == nil {
					b, _ := io.ReadAll(io.LimitReader(rc, 4096))
					rc.Close()
					m.link = string(b)
				}
			}
			if m.name != "" && m.name != "." {
				out = append(out, m)
			}
		}
		return out, nil
	}
	res, err := cmd.Run(ctx, cmd.Options{Argv: []string{"tar", "-tvf", file}, Timeout: 10 * time.Minute, Env: map[string]string{"LC_ALL": "C"}})
	if err != nil {
		return nil, err
	}
	if res.Retcode != 0 {
		return nil, fmt.Errorf("tar cannot read the archive: %s", strings.TrimSpace(res.Stderr))
	}
	names, err := cmd.Run(ctx, cmd.Options{Argv: []string{"tar", "-tf", file}, Timeout: 10 * time.Minute, Env: map[string]string{"LC_ALL": "C"}})
	if err != nil {
		return nil, err
	}
	verbose := strings.Split(strings.TrimRight(res.Stdout, "\n"), "\n")
	var out []member
	for i, raw := range strings.Split(strings.TrimRight(names.Stdout, "\n"), "\n") {
		if raw == "" {
			continue
		}
		m := member{name: clean(raw), dir: strings.HasSuffix(raw, "/")}
		if i < len(verbose) && strings.HasPrefix(verbose[i], "l") {
			if _, t, ok := strings.Cut(verbose[i], " -> "); ok {
				m.link = t
			}
		}
		if i < len(verbose) && strings.HasPrefix(verbose[i], "d") {
			m.dir = true
		}
		if m.name != "" && m.name != "." {
			out = append(out, m)
		}
	}
	return out, nil
}

func extractZip(file, dest string) error {
	r, err := zip.OpenReader(file)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, f := range r.File {
		name := clean(f.Name)
		if name == "" || name == "." {
			continue
		}
		p := filepath.Join(dest, filepath.FromSlash(name))
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		case mode&os.ModeSymlink != 0:
			rc, err := f.Open()
			if err != nil {
				return err
			}
			t, _ := io.ReadAll(io.LimitReader(rc, 4096))
			rc.Close()
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.Remove(p)
			if err := os.Symlink(string(t), p); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		perm := mode.Perm()
		if perm == 0 {
			perm = 0o644
		}
		out, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
		if err != nil {
			rc.Close()
			return err
		}
		_, cerr := io.Copy(out, rc)
		rc.Close()
		if err := out.Close(); cerr == nil {
			cerr = err
		}
		if cerr != nil {
			return cerr
		}
	}
	return nil
}

func extracted(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	name := filepath.Clean(req.Name)
	sources, _ := a.Strings("source")
	sourceHash := a.String("source_hash", "")
	skipVerify := a.Bool("skip_verify", false)
	fmtName := strings.ToLower(a.String("archive_format", ""))
	options := a.String("options", a.String("tar_options", ""))
	toplevel := a.Bool("enforce_toplevel", true)
	ifMissing := a.String("if_missing", "")
	overwrite := a.Bool("overwrite", false)
	cleanFirst := a.Bool("clean", false)
	userName := a.String("user", "")
	groupName := a.String("group", "")
	trim := a.Int("trim_output", 100)
	saltenv := a.String("saltenv", "base")
	a.Ignore("keep_source", "keep", "source_hash_update", "source_hash_name", "list_options", "enforce_ownership_on", "extract_perms", "use_cmd_unzip", "force", "password", "archive_user", "signature", "signed_by_any", "signed_by_all")
	if len(sources) == 0 {
		a.Fail("source", "required")
	}
	if fmtName != "" && fmtName != "tar" && fmtName != "zip" {
		a.Fail("archive_format", "want tar or zip")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if !filepath.IsAbs(name) {
		return fail("%s is not an absolute path", name)
	}
	if ifMissing != "" {
		if _, err := os.Lstat(ifMissing); err == nil {
			return state.Result{Result: state.True(), Comment: fmt.Sprintf("Path %s exists", ifMissing)}
		}
	}
	for _, s := range sources {
		if sourceHash == "" && !skipVerify && (strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://")) {
			return fail("Unable to verify upstream hash of source file %s, please set source_hash or set skip_verify to True", s)
		}
	}
	uid, gid, err := owner(userName, groupName)
	if err != nil {
		return fail("%v", err)
	}

	// The first source that exists.
	var file, src string
	var cleanup func()
	for _, s := range sources {
		p, c, err := source.FetchFile(ctx, req.Env, s, saltenv)
		if err == nil {
			file, src, cleanup = p, s, c
			break
		}
		if !errors.Is(err, source.ErrNotFound) {
			return fail("%v", err)
		}
	}
	if file == "" {
		return fail("None of the sources were found: %s", strings.Join(sources, ", "))
	}
	defer cleanup()
	if sourceHash != "" && !skipVerify {
		spec, err := source.ResolveHash(ctx, req.Env, sourceHash, src, saltenv)
		if err != nil {
			return fail("%v", err)
		}
		f, err := os.Open(file)
		if err != nil {
			return fail("%v", err)
		}
		err = source.CheckHash(f, spec, src)
		f.Close()
		if err != nil {
			return fail("%v", err)
		}
	}
	if fmtName == "" {
		fmtName = format(src)
	}
	members, err := list(ctx, file, fmtName)
	if err != nil {
		return fail("Unable to list %s: %v", src, err)
	}
	if len(members) == 0 {
		return fail("Archive %s is empty", src)
	}
	tops := map[string]bool{}
	for _, m := range members {
		if err := safe(m); err != nil {
			return fail("%v", err)
		}
		tops[strings.SplitN(m.name, "/", 2)[0]] = true
	}
	topList := make([]string, 0, len(tops))
	for t := range tops {
		topList = append(topList, t)
	}
	sort.Strings(topList)
	if toplevel {
		single := len(topList) == 1
		if single {
			for _, m := range members {
				if m.name == topList[0] && !m.dir {
					single = false
				}
			}
		}
		if !single {
			return fail(`Archive does not have a single top-level directory. To allow this archive to be extracted, set "enforce_toplevel" to False. To avoid a "tar-bomb" it may also be advisable to set a "name" to a new subdirectory to extract the archive into.`)
		}
	}

	present := true
	var files []string
	for _, m := range members {
		if m.dir {
			continue
		}
		files = append(files, m.name)
		if _, err := os.Lstat(filepath.Join(name, filepath.FromSlash(m.name))); err != nil {
			present = false
		}
	}
	if present && !overwrite {
		return state.Result{Result: state.True(), Comment: "All files in archive are already present"}
	}
	changes := map[string]any{}
	shown := files
	if trim > 0 && len(shown) > trim {
		shown = append(append([]string{}, shown[:trim]...), fmt.Sprintf("... and %d more", len(files)-trim))
	}
	changes["extracted_files"] = shown
	_, statErr := os.Stat(name)
	if statErr != nil {
		changes["directories_created"] = []string{name}
	}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Archive %s would be extracted to %s", src, name)}
	}
	if err := os.MkdirAll(name, 0o755); err != nil {
		return fail("Unable to create %s: %v", name, err)
	}
	if cleanFirst {
		for _, t := range topList {
			if err := os.RemoveAll(filepath.Join(name, t)); err != nil {
				return fail("clean: %v", err)
			}
		}
	}
	if fmtName == "zip" {
		err = extractZip(file, name)
	} else {
		argv := []string{"tar", "-xf", file, "-C", name}
		if options != "" {
			argv = append(argv, strings.Fields(options)...)
		}
		var res cmd.Result
		res, err = cmd.Run(ctx, cmd.Options{Argv: argv, Timeout: 30 * time.Minute})
		if err == nil && res.Retcode != 0 {
			err = fmt.Errorf("tar: %s", strings.TrimSpace(res.Stderr))
		}
	}
	if err != nil {
		return state.Result{Result: state.False(), Changes: changes, Comment: fmt.Sprintf("Unable to extract %s: %v", src, err)}
	}
	if uid >= 0 || gid >= 0 {
		for _, t := range topList {
			if err := chownAll(filepath.Join(name, t), uid, gid); err != nil {
				return state.Result{Result: state.False(), Changes: changes, Comment: fmt.Sprintf("Unable to set ownership: %v", err)}
			}
		}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("%s extracted to %s", src, name)}
}

func owner(userName, groupName string) (int, int, error) {
	uid, gid := -1, -1
	if userName != "" {
		u, err := user.Lookup(userName)
		if err != nil {
			return 0, 0, fmt.Errorf("User %s does not exist", userName)
		}
		uid, _ = strconv.Atoi(u.Uid)
		if groupName == "" {
			gid, _ = strconv.Atoi(u.Gid)
		}
	}
	if groupName != "" {
		g, err := user.LookupGroup(groupName)
		if err != nil {
			return 0, 0, fmt.Errorf("Group %s does not exist", groupName)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	return uid, gid, nil
}

func chownAll(root string, uid, gid int) error {
	return filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}
