package file_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

func TestManagedContentsLifecycle(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "motd")
	args := map[string]any{"contents": "hello\nworld"}

	// Dry run on a missing file: predicted, nothing created.
	res := dryRunTouchesNothing(t, dir, "file.managed", p, args)
	statetest.Expect(t, res, statetest.WouldChange)
	if res.Changes["newfile"] != p {
		t.Fatalf("dry run changes = %v, want newfile", res.Changes)
	}

	res = call(t, "file.managed", p, args, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Changes["diff"] != "New file" {
		t.Fatalf("changes = %v, want diff: New file", res.Changes)
	}
	if got := readFile(t, p); got != "hello\nworld\n" {
		t.Fatalf("content = %q (contents_newline should add the final newline)", got)
	}
	if m := modeOf(t, p).Perm(); m != 0o644 {
		t.Fatalf("new file mode = %o, want 644", m)
	}

	// Idempotent, in both modes.
	statetest.Expect(t, call(t, "file.managed", p, args, false), statetest.Unchanged)
	statetest.Expect(t, call(t, "file.managed", p, args, true), statetest.Unchanged)

	// A change is predicted with its diff, then made.
	args2 := map[string]any{"contents": []any{"hello", "there"}}
	res = dryRunTouchesNothing(t, dir, "file.managed", p, args2)
	statetest.Expect(t, res, statetest.WouldChange)
	want := "--- \n+++ \n@@ -1,2 +1,2 @@\n hello\n-world\n+there\n"
	if res.Changes["diff"] != want {
		t.Fatalf("predicted diff = %q, want %q", res.Changes["diff"], want)
	}
	ino := inode(t, p)
	res = call(t, "file.managed", p, args2, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Changes["diff"] != want || res.Comment != "File "+p+" updated" {
		t.Fatalf("got %s", statetest.Format(res))
	}
	if got := readFile(t, p); got != "hello\nthere\n" {
		t.Fatalf("content = %q", got)
	}
	if inode(t, p) == ino {
		t.Fatal("file was rewritten in place; want an atomic replace (new inode)")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("leftover files after write: %v", ents)
	}
}

func TestManagedKeepsOwnerAndModeOnReplace(t *testing.T) {
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(nobody.Uid)
	p := filepath.Join(t.TempDir(), "f")
	writeFile(t, p, "old\n")
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(p, uid, -1); err != nil {
		t.Skipf("cannot chown: %v", err)
	}
	statetest.Expect(t, call(t, "file.managed", p, map[string]any{"contents": "new"}, false), statetest.Changed)
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o600 || int(fi.Sys().(*syscall.Stat_t).Uid) != uid {
		t.Fatalf("after replace: mode %o uid %d; want the old 600 and uid %d", fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid, uid)
	}
}

func TestManagedPerms(t *testing.T) {
	statetest.RequireRoot(t)
	if _, err := user.LookupGroup("nogroup"); err != nil {
		t.Skip("no group nogroup")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "secret")
	writeFile(t, p, "s3cret\n")
	for _, tc := range []struct {
		name string
		mode any
		want os.FileMode
	}{
		{"string with leading zero", "0600", 0o600},
		{"integer digits as octal", 640, 0o640},
		{"setgid bit", "2750", 0o750 | os.ModeSetgid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := map[string]any{"mode": tc.mode, "user": "nobody", "group": "nogroup"}
			res := dryRunTouchesNothing(t, dir, "file.managed", p, args)
			statetest.Expect(t, res, statetest.WouldChange)
			res = call(t, "file.managed", p, args, false)
			statetest.Expect(t, res, statetest.Changed)
			if _, ok := res.Changes["diff"]; ok {
				t.Fatalf("content is not managed, but changes has a diff: %v", res.Changes)
			}
			fi, _ := os.Stat(p)
			if got := fi.Mode() & (os.ModePerm | os.ModeSetgid); got != tc.want {
				t.Fatalf("mode = %v, want %v", got, tc.want)
			}
			if readFile(t, p) != "s3cret\n" {
				t.Fatal("content changed")
			}
			statetest.Expect(t, call(t, "file.managed", p, args, false), statetest.Unchanged)
		})
	}
	// The reported mode is Salt's four-digit form.
	res := call(t, "file.managed", p, map[string]any{"mode": 644}, false)
	if res.Changes["mode"] != "0644" {
		t.Fatalf("changes = %v, want mode 0644", res.Changes)
	}
}

func TestManagedSources(t *testing.T) {
	dir := t.TempDir()
	srv := t.TempDir()
	os.MkdirAll(filepath.Join(srv, "base", "app"), 0o755)
	os.MkdirAll(filepath.Join(srv, "dev", "app"), 0o755)
	writeFile(t, filepath.Join(srv, "base", "app", "conf"), "from base\n")
	writeFile(t, filepath.Join(srv, "dev", "app", "conf"), "from dev\n")
	local := filepath.Join(dir, "local.src")
	writeFile(t, local, "from local\n")
	env := &modules.Env{Files: &fakeFiles{root: srv}}
	sum := sha256.Sum256([]byte("from base\n"))
	good := hex.EncodeToString(sum[:])

	for _, tc := range []struct {
		name    string
		args    map[string]any
		env     *modules.Env
		want    string // content; "" means the state must fail
		comment string // substring of the failure comment
	}{
		{"salt url", map[string]any{"source": "salt://app/conf"}, env, "from base\n", ""},
		{"halite url", map[string]any{"source": "halite://app/conf"}, env, "from base\n", ""},
		{"saltenv argument", map[string]any{"source": "salt://app/conf", "saltenv": "dev"}, env, "from dev\n", ""},
		{"saltenv in url", map[string]any{"source": "salt://app/conf?saltenv=dev"}, env, "from dev\n", ""},
		{"local path", map[string]any{"source": local}, nil, "from local\n", ""},
		{"file url", map[string]any{"source": "file://" + local}, nil, "from local\n", ""},
		{"first existing of a list", map[string]any{"source": []any{"salt://app/conf.web1", "salt://app/conf"}}, env, "from base\n", ""},
		{"list mixing local and salt", map[string]any{"source": []any{filepath.Join(dir, "nope"), local}}, nil, "from local\n", ""},
		{"none of the list", map[string]any{"source": []any{"salt://x", "salt://y"}}, env, "", "None of the sources were found"},
		{"salt url without file client", map[string]any{"source": "salt://app/conf"}, nil, "", "no file server client"},
		{"ftp unsupported", map[string]any{"source": "ftp://example.com/x"}, env, "", "not supported"},
		{"web source needs a hash", map[string]any{"source": "https://example.com/x"}, env, "", "please set source_hash"},
		{"relative path", map[string]any{"source": "app/conf"}, env, "", "not a salt:// URL"},
		{"hash matches", map[string]any{"source": "salt://app/conf", "source_hash": "sha256=" + good}, env, "from base\n", ""},
		{"bare hash matches", map[string]any{"source": "salt://app/conf", "source_hash": good}, env, "from base\n", ""},
		{"hash mismatch", map[string]any{"source": "salt://app/conf", "source_hash": "sha256=" + strings.Repeat("0", 64)}, env, "", "does not match"},
		{"bad hash", map[string]any{"source": "salt://app/conf", "source_hash": "sha256=xyz"}, env, "", "not a sha256 hex digest"},
		{"source and contents", map[string]any{"source": local, "contents": "x"}, env, "", "cannot be used in combination"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			res := statetest.CallEnv(t, "file.managed", p, tc.args, false, tc.env, nil)
			if tc.want == "" {
				statetest.Expect(t, res, statetest.Failed)
				if !strings.Contains(res.Comment, tc.comment) {
					t.Fatalf("comment %q does not mention %q", res.Comment, tc.comment)
				}
				if exists(p) {
					t.Fatal("a failed state created the file")
				}
				return
			}
			statetest.Expect(t, res, statetest.Changed)
			if got := readFile(t, p); got != tc.want {
				t.Fatalf("content = %q, want %q", got, tc.want)
			}
			statetest.Expect(t, statetest.CallEnv(t, "file.managed", p, tc.args, false, tc.env, nil), statetest.Unchanged)
		})
	}
}

func TestManagedTemplate(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "tpl")
	writeFile(t, src, "host={{ grains.id }} port={{ port }} color={{ color }} db={{ pillar.db.host }}\n")
	env := &modules.Env{
		Grains: func() map[string]any { return map[string]any{"id": "web1"} },
		Pillar: func() map[string]any { return map[string]any{"db": map[string]any{"host": "db1"}} },
		Opts:   map[string]any{"id": "web1"},
	}
	r := &recordingRenderer{}
	p := filepath.Join(dir, "out")
	args := map[string]any{
		"source": src, "template": "jinja",
		"defaults": map[string]any{"port": 80, "color": "blue"},
		"context":  []any{map[string]any{"port": 8080}},
	}
	res := statetest.CallEnv(t, "file.managed", p, args, false, env, r)
	statetest.Expect(t, res, statetest.Changed)
	if got := readFile(t, p); got != "host=web1 port=8080 color=blue db=db1\n" {
		t.Fatalf("rendered %q (context must override defaults)", got)
	}
	if r.name != src || r.vars["opts"] == nil || r.vars["saltenv"] != "base" {
		t.Fatalf("renderer got name %q vars %v", r.name, r.vars)
	}

	// contents are templated too.
	p2 := filepath.Join(dir, "out2")
	res = statetest.CallEnv(t, "file.managed", p2, map[string]any{"contents": "id={{ grains.id }}", "template": "jinja"}, false, env, r)
	statetest.Expect(t, res, statetest.Changed)
	if got := readFile(t, p2); got != "id=web1\n" {
		t.Fatalf("rendered contents %q", got)
	}

	// A template error fails the state and names the file.
	writeFile(t, src, "{{ nope.deeper }}")
	res = statetest.CallEnv(t, "file.managed", filepath.Join(dir, "out3"), map[string]any{"source": src, "template": "jinja"}, false, env, r)
	statetest.Expect(t, res, statetest.Failed)
	if !strings.Contains(res.Comment, src) || !strings.Contains(res.Comment, "undefined") {
		t.Fatalf("comment %q should name the template and the problem", res.Comment)
	}
	// No renderer configured, or an unknown engine: clear errors.
	res = statetest.CallEnv(t, "file.managed", filepath.Join(dir, "out4"), map[string]any{"contents": "x", "template": "jinja"}, false, env, nil)
	if statetest.Expect(t, res, statetest.Failed); !strings.Contains(res.Comment, "no template renderer") {
		t.Fatalf("comment %q", res.Comment)
	}
	res = statetest.CallEnv(t, "file.managed", filepath.Join(dir, "out5"), map[string]any{"contents": "x", "template": "mako"}, false, env, r)
	if statetest.Expect(t, res, statetest.Failed); !strings.Contains(res.Comment, "mako") {
		t.Fatalf("comment %q", res.Comment)
	}
}

func TestManagedContentsFromPillar(t *testing.T) {
	env := &modules.Env{Pillar: func() map[string]any {
		return map[string]any{"tls": map[string]any{"cert": "-----BEGIN CERT-----\nabc\n-----END CERT-----"}}
	}}
	p := filepath.Join(t.TempDir(), "cert.pem")
	res := statetest.CallEnv(t, "file.managed", p, map[string]any{"contents_pillar": "tls:cert"}, false, env, nil)
	statetest.Expect(t, res, statetest.Changed)
	if got := readFile(t, p); got != "-----BEGIN CERT-----\nabc\n-----END CERT-----\n" {
		t.Fatalf("content %q", got)
	}
	res = statetest.CallEnv(t, "file.managed", p, map[string]any{"contents_pillar": "tls:key"}, false, env, nil)
	if statetest.Expect(t, res, statetest.Failed); !strings.Contains(res.Comment, "tls:key") {
		t.Fatalf("comment %q", res.Comment)
	}
}

func TestManagedOptions(t *testing.T) {
	dir := t.TempDir()
	t.Run("replace false keeps content", func(t *testing.T) {
		p := filepath.Join(dir, "keep")
		writeFile(t, p, "mine\n")
		res := call(t, "file.managed", p, map[string]any{"contents": "theirs", "replace": false}, false)
		statetest.Expect(t, res, statetest.Unchanged)
		if readFile(t, p) != "mine\n" {
			t.Fatal("replace: False overwrote the file")
		}
		// but creates a missing file
		p2 := filepath.Join(dir, "keep2")
		statetest.Expect(t, call(t, "file.managed", p2, map[string]any{"contents": "theirs", "replace": false}, false), statetest.Changed)
		if readFile(t, p2) != "theirs\n" {
			t.Fatal("replace: False did not create the missing file")
		}
	})
	t.Run("create false", func(t *testing.T) {
		p := filepath.Join(dir, "nocreate")
		res := call(t, "file.managed", p, map[string]any{"contents": "x", "create": false}, false)
		statetest.Expect(t, res, statetest.Unchanged)
		if exists(p) || !strings.Contains(res.Comment, "not set for creation") {
			t.Fatalf("create: False: exists=%v comment=%q", exists(p), res.Comment)
		}
	})
	t.Run("no content creates empty file", func(t *testing.T) {
		p := filepath.Join(dir, "empty")
		res := call(t, "file.managed", p, nil, false)
		statetest.Expect(t, res, statetest.Changed)
		if res.Comment != "Empty file" || readFile(t, p) != "" {
			t.Fatalf("got %s", statetest.Format(res))
		}
		writeFile(t, p, "someone else's content")
		statetest.Expect(t, call(t, "file.managed", p, nil, false), statetest.Unchanged)
	})
	t.Run("empty contents empty the file", func(t *testing.T) {
		p := filepath.Join(dir, "emptied")
		writeFile(t, p, "junk\n")
		statetest.Expect(t, call(t, "file.managed", p, map[string]any{"contents": ""}, false), statetest.Changed)
		if readFile(t, p) != "" {
			t.Fatalf("content %q", readFile(t, p))
		}
		statetest.Expect(t, call(t, "file.managed", p, map[string]any{"contents": ""}, false), statetest.Unchanged)
	})
	t.Run("makedirs", func(t *testing.T) {
		p := filepath.Join(dir, "a", "b", "c.conf")
		res := call(t, "file.managed", p, map[string]any{"contents": "x"}, false)
		if statetest.Expect(t, res, statetest.Failed); res.Comment != "Parent directory not present" {
			t.Fatalf("comment %q", res.Comment)
		}
		res = dryRunTouchesNothing(t, dir, "file.managed", p, map[string]any{"contents": "x", "makedirs": true})
		statetest.Expect(t, res, statetest.WouldChange)
		res = call(t, "file.managed", p, map[string]any{"contents": "x", "makedirs": true, "dir_mode": "0750"}, false)
		statetest.Expect(t, res, statetest.Changed)
		if m := modeOf(t, filepath.Join(dir, "a", "b")).Perm(); m&0o027 != 0 {
			t.Fatalf("dir_mode 0750 not honoured: %o", m)
		}
	})
	t.Run("target is a directory", func(t *testing.T) {
		res := call(t, "file.managed", dir, map[string]any{"contents": "x"}, false)
		if statetest.Expect(t, res, statetest.Failed); !strings.Contains(res.Comment, "is a directory") {
			t.Fatalf("comment %q", res.Comment)
		}
	})
	t.Run("backup minion", func(t *testing.T) {
		d := t.TempDir()
		p := filepath.Join(d, "app.conf")
		writeFile(t, p, "v1\n")
		res := call(t, "file.managed", p, map[string]any{"contents": "v2", "backup": "minion"}, false)
		statetest.Expect(t, res, statetest.Changed)
		bp, _ := res.Changes["backup"].(string)
		if !strings.HasPrefix(bp, p+".") || readFile(t, bp) != "v1\n" || readFile(t, p) != "v2\n" {
			t.Fatalf("backup %q: changes %v", bp, res.Changes)
		}
	})
	t.Run("show_changes false", func(t *testing.T) {
		p := filepath.Join(dir, "quiet")
		writeFile(t, p, "password=a\n")
		res := call(t, "file.managed", p, map[string]any{"contents": "password=b", "show_changes": false}, false)
		if res.Changes["diff"] != "<show_changes=False>" {
			t.Fatalf("changes %v", res.Changes)
		}
	})
	t.Run("follows symlinks", func(t *testing.T) {
		d := t.TempDir()
		real := filepath.Join(d, "real")
		link := filepath.Join(d, "link")
		writeFile(t, real, "old\n")
		os.Symlink("real", link)
		statetest.Expect(t, call(t, "file.managed", link, map[string]any{"contents": "new"}, false), statetest.Changed)
		if readFile(t, real) != "new\n" || modeOf(t, link)&os.ModeSymlink == 0 {
			t.Fatal("the link's target should be managed and the link kept")
		}
	})
	t.Run("binary content", func(t *testing.T) {
		p := filepath.Join(dir, "bin")
		writeFile(t, p, "a\x00b")
		res := call(t, "file.managed", p, map[string]any{"contents": "text"}, false)
		if res.Changes["diff"] != "Replace binary file with text file" {
			t.Fatalf("changes %v", res.Changes)
		}
	})
}

func TestManagedBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, path string
		args       map[string]any
		want       string
	}{
		{"relative path", "etc/motd", nil, "not an absolute path"},
		{"bad mode", filepath.Join(dir, "x"), map[string]any{"mode": "0999"}, "invalid mode"},
		{"mode too big", filepath.Join(dir, "x"), map[string]any{"mode": 77777}, "invalid mode"},
		{"bad bool", filepath.Join(dir, "x"), map[string]any{"makedirs": "perhaps"}, "want a boolean"},
		{"unknown user", filepath.Join(dir, "x"), map[string]any{"user": "no-such-user-halite"}, "User no-such-user-halite is not available"},
		{"bad backup", filepath.Join(dir, "x"), map[string]any{"backup": "master"}, "backup"},
		{"contents of wrong type", filepath.Join(dir, "x"), map[string]any{"contents": map[string]any{"a": 1}}, "contents"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := call(t, "file.managed", tc.path, tc.args, false)
			statetest.Expect(t, res, statetest.Failed)
			if !strings.Contains(res.Comment, tc.want) {
				t.Fatalf("comment %q does not contain %q", res.Comment, tc.want)
			}
			if exists(filepath.Join(dir, "x")) {
				t.Fatal("failed state created the file")
			}
		})
	}
	// An argument the state does not know is a warning, as in Salt.
	res := call(t, "file.managed", filepath.Join(dir, "w"), map[string]any{"contents": "x", "dirmode": "0755"}, false)
	statetest.Expect(t, res, statetest.Changed)
	if !strings.Contains(res.Comment, "'dirmode' is an invalid keyword argument") {
		t.Fatalf("no warning about the unknown argument: %q", res.Comment)
	}
	// In test mode a missing user may come from an earlier state: None.
	res = call(t, "file.managed", filepath.Join(dir, "x"), map[string]any{"user": "no-such-user-halite"}, true)
	statetest.Expect(t, res, statetest.Pending)
}

// BenchmarkManagedUnchanged measures the common highstate case: a 20 KiB
// file that is already in the desired state (read, compare, stat).
func BenchmarkManagedUnchanged(b *testing.B) {
	p := filepath.Join(b.TempDir(), "conf")
	content := strings.Repeat("key = value with some text\n", 750)
	args := map[string]any{"contents": content, "mode": "0644"}
	statetest.Call(b, "file.managed", p, args, false)
	b.SetBytes(int64(len(content)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if res := statetest.Call(b, "file.managed", p, args, false); len(res.Changes) != 0 {
			b.Fatal(statetest.Format(res))
		}
	}
}

// A source on a web server (on loopback) is fetched and checked against
// its source_hash, given as a digest or as the URL of a SHA256SUMS file.
func TestManagedWebSource(t *testing.T) {
	body := "from the web\n"
	sum := sha256.Sum256([]byte(body))
	digest := hex.EncodeToString(sum[:])
	mux := http.NewServeMux()
	mux.HandleFunc("/app.conf", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) })
	mux.HandleFunc("/SHA256SUMS", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s  other.tar.gz\n%s  app.conf\n", strings.Repeat("0", 64), digest)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	dir := t.TempDir()
	for i, hashSpec := range []string{"sha256=" + digest, srv.URL + "/SHA256SUMS"} {
		p := filepath.Join(dir, fmt.Sprintf("app%d.conf", i))
		res := call(t, "file.managed", p, map[string]any{"source": srv.URL + "/app.conf", "source_hash": hashSpec}, false)
		if res.Result == nil || !*res.Result || readFile(t, p) != body {
			t.Fatalf("source_hash %s: %v %s", hashSpec, res.Result, res.Comment)
		}
	}
	bad := call(t, "file.managed", filepath.Join(dir, "bad"), map[string]any{"source": srv.URL + "/app.conf", "source_hash": strings.Repeat("1", 64)}, false)
	if bad.Result == nil || *bad.Result || exists(filepath.Join(dir, "bad")) {
		t.Fatalf("a wrong hash was accepted: %s", bad.Comment)
	}
	missing := call(t, "file.managed", filepath.Join(dir, "gone"), map[string]any{"source": srv.URL + "/nope", "skip_verify": true}, false)
	if missing.Result == nil || *missing.Result || !strings.Contains(missing.Comment, "not found") {
		t.Fatalf("a 404 source: %s", missing.Comment)
	}
}
