package gitfs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halite/halite/internal/sshdtest"
	"github.com/halite/halite/pkg/fileserver"
)

// git runs the real git in dir.
func runGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// work makes a repository with a state tree under salt/ on master, a dev
// branch that changes it, and a tag.
func work(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	runGit(t, dir, "init", "-q", "-b", "master")
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644)
	}
	write("salt/top.sls", "base:\n  '*':\n    - web\n")
	write("salt/web.sls", "v: one\n")
	write("README", "not served with root salt\n")
	os.Symlink("/etc/passwd", filepath.Join(dir, "salt", "passwd"))
	runGit(t, dir, "add", "-A")
	runGit(t, dir, "commit", "-q", "-m", "one")
	runGit(t, dir, "tag", "v1")
	runGit(t, dir, "checkout", "-q", "-b", "dev")
	write("salt/web.sls", "v: dev\n")
	runGit(t, dir, "commit", "-q", "-am", "dev")
	runGit(t, dir, "checkout", "-q", "master")
	return dir
}

func read(t *testing.T, r *Repo, env, p string) string {
	t.Helper()
	_, b, err := r.Read(env, p)
	if err != nil {
		t.Fatalf("read %s %s: %v", env, p, err)
	}
	return string(b)
}

func TestBranchesTagsRootMountpoint(t *testing.T) {
	src := work(t)
	r, err := Open(Remote{URL: "file://" + src, Root: "salt", Mountpoint: "states"}, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Read("base", "states/web.sls"); err == nil {
		t.Fatal("served before the first update")
	}
	commits, err := r.Update(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if commits["base"] != runGit(t, src, "rev-parse", "master") || commits["dev"] != runGit(t, src, "rev-parse", "dev") || commits["v1"] == "" {
		t.Fatalf("environments: %v", commits)
	}
	if got := read(t, r, "base", "states/web.sls"); got != "v: one\n" {
		t.Fatalf("base: %q", got)
	}
	if got := read(t, r, "dev", "salt://states/web.sls"); got != "v: dev\n" {
		t.Fatalf("dev: %q", got)
	}
	if got := read(t, r, "v1", "states/web.sls"); got != "v: one\n" {
		t.Fatalf("tag: %q", got)
	}
	for _, p := range []string{"web.sls", "states/README", "states/../README", "states/passwd"} {
		if _, _, err := r.Read("base", p); err == nil {
			t.Errorf("%s served", p)
		}
	}
	if _, _, err := r.Read("nosuch", "states/web.sls"); !errors.Is(err, fileserver.ErrNoSaltenv) {
		t.Errorf("unknown saltenv: %v", err)
	}
	files, err := r.List("base", "states")
	if err != nil || len(files) != 2 || files[0].Path != "states/top.sls" || files[1].Path != "states/web.sls" {
		t.Fatalf("list: %+v %v", files, err)
	}
	// The same content on two branches has one hash: a minion switching
	// branches fetches nothing that did not change.
	b, _ := r.Stat("base", "states/top.sls")
	d, _ := r.Stat("dev", "states/top.sls")
	if b.Hash != d.Hash || b.Hash != fileserver.HashBytes([]byte("base:\n  '*':\n    - web\n")) {
		t.Fatalf("hashes: %s %s", b.Hash, d.Hash)
	}
	// An older revision of the tree.
	_, old, err := r.ReadAt("base", "states/web.sls", "v1")
	if err != nil || string(old) != "v: one\n" {
		t.Fatalf("read at v1: %q %v", old, err)
	}
	changed, err := r.Changed("master", "dev")
	if err != nil || len(changed) != 1 || changed[0] != "salt/web.sls" {
		t.Fatalf("changed: %v %v", changed, err)
	}
}

// A new commit is served only after Update; an update that fails keeps
// the last good commit served.
func TestUpdateAndFailureKeepsLastGood(t *testing.T) {
	src := work(t)
	r, _ := Open(Remote{URL: src, Root: "salt"}, t.TempDir())
	if _, err := r.Update(context.Background()); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "salt", "web.sls"), []byte("v: two\n"), 0o644)
	runGit(t, src, "commit", "-q", "-am", "two")
	if got := read(t, r, "base", "web.sls"); got != "v: one\n" {
		t.Fatalf("changed before update: %q", got)
	}
	if _, err := r.Update(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := read(t, r, "base", "web.sls"); got != "v: two\n" {
		t.Fatalf("after update: %q", got)
	}
	before := r.Commit("base")
	os.RemoveAll(src)
	if _, err := r.Update(context.Background()); err == nil {
		t.Fatal("update from a vanished remote succeeded")
	}
	if got := read(t, r, "base", "web.sls"); got != "v: two\n" || r.Commit("base") != before {
		t.Fatalf("after a failed update: %q at %s", got, r.Commit("base"))
	}
	// A remote without the base branch is refused, and serves nothing new.
	bad, _ := Open(Remote{URL: work(t), Base: "main"}, t.TempDir())
	if _, err := bad.Update(context.Background()); err == nil || !strings.Contains(err.Error(), `base branch "main"`) {
		t.Fatalf("missing base branch: %v", err)
	}
}

// The figure of issue 17: a 2,000-file tree, its top file and 100 files
// served to 200 minions (20,200 reads, each with its content hash, as the
// master answers file requests), from git objects and from a directory.
func BenchmarkServeTree(b *testing.B) {
	if _, err := exec.LookPath("git"); err != nil {
		b.Skip("git is not installed")
	}
	dir := b.TempDir()
	runGit(b, dir, "init", "-q", "-b", "master")
	for i := range 2000 {
		p := filepath.Join(dir, fmt.Sprintf("d%02d", i%40), fmt.Sprintf("f%04d.sls", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(strings.Repeat(fmt.Sprintf("line %d\n", i), 50)), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "top.sls"), []byte("base:\n  '*':\n    - d00.f0000\n"), 0o644)
	runGit(b, dir, "add", "-A")
	runGit(b, dir, "commit", "-q", "-m", "tree")
	repo, _ := Open(Remote{URL: dir}, b.TempDir())
	if _, err := repo.Update(context.Background()); err != nil {
		b.Fatal(err)
	}
	files := []string{"top.sls"}
	for i := range 100 {
		files = append(files, fmt.Sprintf("d%02d/f%04d.sls", (i*20)%40, i*20))
	}
	for _, c := range []struct {
		name string
		be   fileserver.Backend
	}{
		{"git", repo},
		{"dir", fileserver.New(map[string][]string{"base": {dir}})},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				for range 200 {
					for _, f := range files {
						if _, _, err := c.be.Read("base", f); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/200-minions")
		})
	}
}

// An https remote behind basic auth (git's own http-backend as CGI on
// loopback): the right credentials fetch; wrong ones fail, and no
// password is ever in an error or a shown URL.
func TestHTTPSRemoteWithCredentials(t *testing.T) {
	src := work(t)
	backend := "/usr/lib/git-core/git-http-backend"
	if _, err := os.Stat(backend); err != nil {
		t.Skip("git-http-backend not installed")
	}
	bare := t.TempDir()
	runGit(t, bare, "clone", "-q", "--bare", src, "tree.git")
	cgiHandler := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + bare, "GIT_HTTP_EXPORT_ALL=1"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "deploy" || p != "s3cret-pass" {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		cgiHandler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	url := srv.URL + "/tree.git"

	good, _ := Open(Remote{URL: url, Root: "salt", User: "deploy", Password: "s3cret-pass"}, t.TempDir())
	if _, err := good.Update(context.Background()); err != nil {
		t.Fatalf("https with credentials: %v", err)
	}
	if got := read(t, good, "base", "web.sls"); got != "v: one\n" {
		t.Fatalf("read over https: %q", got)
	}
	bad, _ := Open(Remote{URL: url, User: "deploy", Password: "wrong-pass-123"}, t.TempDir())
	_, err := bad.Update(context.Background())
	if err == nil {
		t.Fatal("a wrong password fetched")
	}
	if strings.Contains(err.Error(), "wrong-pass-123") {
		t.Fatalf("password in the error: %v", err)
	}
	inURL, _ := Open(Remote{URL: strings.Replace(url, "http://", "http://deploy:wrong-pass-123@", 1)}, t.TempDir())
	if _, err := inURL.Update(context.Background()); err == nil || strings.Contains(err.Error(), "wrong-pass-123") || strings.Contains(inURL.URL(), "wrong-pass-123") {
		t.Fatalf("password from the URL shown: %v / %s", err, inURL.URL())
	}
}

// An ssh remote: a real sshd on loopback, the master's key file
// (privkey), the host checked against known_hosts as OpenSSH would.
func TestSSHRemoteWithKey(t *testing.T) {
	src := work(t)
	dir := t.TempDir()
	runGit(t, dir, "clone", "-q", "--bare", src, "tree.git")
	for _, k := range []string{"host", "client"} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, k)).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
	}
	pub, _ := os.ReadFile(filepath.Join(dir, "client.pub"))
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	port := sshdtest.Start(t, filepath.Join(dir, "host"),
		"AuthorizedKeysFile="+filepath.Join(dir, "authorized_keys"), "StrictModes=no", "PermitRootLogin=prohibit-password")
	hostPub, _ := os.ReadFile(filepath.Join(dir, "host.pub"))
	f := strings.Fields(string(hostPub))
	kh := filepath.Join(dir, "known_hosts")
	os.WriteFile(kh, []byte(fmt.Sprintf("[127.0.0.1]:%d %s %s\n", port, f[0], f[1])), 0o600)
	t.Setenv("SSH_KNOWN_HOSTS", kh)

	url := fmt.Sprintf("ssh://root@127.0.0.1:%d%s", port, filepath.Join(dir, "tree.git"))
	r, _ := Open(Remote{URL: url, Root: "salt", PrivKey: filepath.Join(dir, "client")}, t.TempDir())
	if _, err := r.Update(context.Background()); err != nil {
		t.Fatalf("ssh remote: %v", err)
	}
	if got := read(t, r, "base", "web.sls"); got != "v: one\n" {
		t.Fatalf("read over ssh: %q", got)
	}
	// A host key that does not match known_hosts is refused.
	os.WriteFile(kh, []byte(fmt.Sprintf("[127.0.0.1]:%d %s %s\n", port, f[0], strings.Fields(string(pub))[1])), 0o600)
	other, _ := Open(Remote{URL: url, PrivKey: filepath.Join(dir, "client")}, t.TempDir())
	if _, err := other.Update(context.Background()); err == nil {
		t.Fatal("a changed host key was accepted")
	}
}

// An export (git_pillar) never writes a file cut short: a file over the
// serving limit fails the export, and the previous export stays current.
func TestExportRefusesOversizedFile(t *testing.T) {
	src := work(t)
	r, _ := Open(Remote{URL: src}, t.TempDir())
	if _, err := r.Update(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "current")
	first, err := r.Export("base", dir, link)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(src, "big.sls"), make([]byte, fileserver.MaxFileSize+1), 0o644)
	runGit(t, src, "add", "big.sls")
	runGit(t, src, "commit", "-q", "-m", "big")
	if _, err := r.Update(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Export("base", dir, link); !errors.Is(err, fileserver.ErrTooLarge) {
		t.Fatalf("export of an oversized file: %v", err)
	}
	if target, _ := os.Readlink(link); filepath.Base(target) != first {
		t.Fatalf("current export moved to %s after a failed export", target)
	}
}
