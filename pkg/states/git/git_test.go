package git_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/halite/halite/pkg/states/git"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	c := exec.Command("git", append([]string{"-C", dir}, args...)...)
	c.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example")
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// git.latest against a real repository served as a file:// remote:
// clone, no-op, fast-forward, refusal to drop local changes or local
// commits without force_reset, tags, and test mode.
func TestGitLatest(t *testing.T) {
	statetest.RequireCommand(t, "git", "git")
	root := t.TempDir()
	work := filepath.Join(root, "work")
	bare := filepath.Join(root, "app.git")
	os.MkdirAll(work, 0o755)
	git(t, work, "init", "-q", "-b", "main")
	os.WriteFile(filepath.Join(work, "README"), []byte("v1\n"), 0o644)
	git(t, work, "add", "README")
	git(t, work, "commit", "-q", "-m", "v1")
	git(t, work, "tag", "-a", "v1.0", "-m", "release")
	v1 := git(t, work, "rev-parse", "HEAD")
	git(t, root, "clone", "-q", "--bare", work, bare)
	url := "file://" + bare
	target := filepath.Join(root, "deploy", "app")

	dry := statetest.Call(t, "git.latest", url, map[string]any{"target": target}, true)
	if dry.Result != nil || exists(target) {
		t.Fatalf("dry run: %v %s", dry.Result, dry.Comment)
	}
	res := statetest.Call(t, "git.latest", url, map[string]any{"target": target, "rev": "main"}, false)
	if res.Result == nil || !*res.Result || res.Changes["new"] != url+" => "+target {
		t.Fatalf("clone: %v %v %s", res.Result, res.Changes, res.Comment)
	}
	if got := git(t, target, "rev-parse", "HEAD"); got != v1 {
		t.Fatalf("HEAD = %s, want %s", got, v1)
	}
	if again := statetest.Call(t, "git.latest", url, map[string]any{"target": target, "rev": "main"}, false); len(again.Changes) != 0 || !*again.Result {
		t.Fatalf("second run: %v %s", again.Changes, again.Comment)
	}

	// A new commit upstream is fast-forwarded.
	os.WriteFile(filepath.Join(work, "README"), []byte("v2\n"), 0o644)
	git(t, work, "commit", "-q", "-am", "v2")
	git(t, work, "push", "-q", bare, "main")
	v2 := git(t, work, "rev-parse", "HEAD")
	up := statetest.Call(t, "git.latest", url, map[string]any{"target": target, "rev": "main"}, false)
	if rev, _ := up.Changes["revision"].(map[string]any); up.Result == nil || !*up.Result || rev["old"] != v1 || rev["new"] != v2 {
		t.Fatalf("update: %v %s", up.Changes, up.Comment)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "README")); string(b) != "v2\n" {
		t.Fatalf("work tree = %q", b)
	}

	// Local changes are not thrown away without force_reset.
	os.WriteFile(filepath.Join(target, "README"), []byte("local edit\n"), 0o644)
	git(t, work, "commit", "-q", "--allow-empty", "-m", "v3")
	git(t, work, "push", "-q", bare, "main")
	refused := statetest.Call(t, "git.latest", url, map[string]any{"target": target, "rev": "main"}, false)
	if refused.Result == nil || *refused.Result || !strings.Contains(refused.Comment, "local changes") {
		t.Fatalf("local changes: %v %s", refused.Result, refused.Comment)
	}
	forced := statetest.Call(t, "git.latest", url, map[string]any{"target": target, "rev": "main", "force_reset": true}, false)
	if forced.Result == nil || !*forced.Result {
		t.Fatalf("force_reset: %s", forced.Comment)
	}
	if b, _ := os.ReadFile(filepath.Join(target, "README")); string(b) != "v2\n" {
		t.Fatalf("work tree after reset = %q", b)
	}

	// A tag checks out detached at the tagged commit.
	tag := statetest.Call(t, "git.latest", url, map[string]any{"target": target, "rev": "v1.0"}, false)
	if tag.Result == nil || !*tag.Result || git(t, target, "rev-parse", "HEAD") != v1 {
		t.Fatalf("tag: %v %s", tag.Changes, tag.Comment)
	}

	// A local commit that is not on the remote is not thrown away.
	statetest.Call(t, "git.latest", url, map[string]any{"target": target, "rev": "main"}, false)
	git(t, target, "commit", "-q", "--allow-empty", "-m", "local only")
	lost := statetest.Call(t, "git.latest", url, map[string]any{"target": target, "rev": "v1.0"}, false)
	if lost.Result == nil || *lost.Result || !strings.Contains(lost.Comment, "local commits") {
		t.Fatalf("local commit: %v %s", lost.Result, lost.Comment)
	}

	// A directory that is not a clone is not replaced without force_clone.
	other := filepath.Join(root, "other")
	os.MkdirAll(other, 0o755)
	os.WriteFile(filepath.Join(other, "keep"), []byte("x"), 0o644)
	if r := statetest.Call(t, "git.latest", url, map[string]any{"target": other}, false); r.Result == nil || *r.Result || !exists(filepath.Join(other, "keep")) {
		t.Fatalf("non-clone target: %v %s", r.Result, r.Comment)
	}
	if r := statetest.Call(t, "git.latest", url, map[string]any{"target": target, "rev": "no-such-branch"}, false); r.Result == nil || *r.Result {
		t.Fatalf("missing revision: %s", r.Comment)
	}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
