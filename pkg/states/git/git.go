// Package git provides Salt's git.latest state: a working copy of a git
// repository at the revision a formula names, cloned or fast-forwarded
// with the git command (local paths, file://, https and ssh remotes).
//
//	/srv/app:
//	  git.latest:
//	    - name: https://example.com/app.git
//	    - target: /srv/app
//	    - rev: main
package git

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/halite/halite/pkg/modules/cmd"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "git.latest", Func: latest, Doc: `Ensure TARGET is a clone of the repository NAME at revision REV.

Arguments: target (required), rev (a branch, a tag or a commit; default
HEAD, the remote's default branch), branch (the local branch to use for
rev), user (run git as this user), depth, force_reset (discard local
changes and history that is not on the remote; default False: refuse),
force_clone (replace a target that is not a clone of NAME), remote
(default origin), submodules, identity (an ssh key file).

A new clone reports {"new": "NAME => TARGET", "revision": {...}}; an
update reports the old and new revision.`})
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}

var shaRe = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

type gitRunner struct {
	user     string
	identity string
}

func (g gitRunner) run(ctx context.Context, dir string, argv ...string) (string, error) {
	env := map[string]string{"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
	if g.identity != "" {
		env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o IdentitiesOnly=yes -i " + g.identity
	}
	full := append([]string{"git"}, argv...)
	if dir != "" {
		full = append([]string{"git", "-C", dir}, argv...)
	}
	res, err := cmd.Run(ctx, cmd.Options{Argv: full, Runas: g.user, Env: env, Cwd: "/", Timeout: 10 * time.Minute})
	if err != nil {
		return "", err
	}
	if res.Retcode != 0 {
		msg := strings.TrimSpace(res.Stderr)
		if msg == "" {
			msg = strings.TrimSpace(res.Stdout)
		}
		return "", fmt.Errorf("git %s: %s", argv[0], msg)
	}
	return strings.TrimSpace(res.Stdout), nil
}

// remoteRev resolves rev on the remote: the commit it names and, for a
// branch, its name (HEAD is the remote's default branch).
func (g gitRunner) remoteRev(ctx context.Context, url, rev string) (sha, branch string, err error) {
	if shaRe.MatchString(rev) && len(rev) == 40 {
		return rev, "", nil
	}
	out, err := g.run(ctx, "", "ls-remote", "--symref", "--", url, rev, "refs/heads/"+rev, "refs/tags/"+rev, "refs/tags/"+rev+"^{}")
	if err != nil {
		return "", "", err
	}
	refs := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && f[0] == "ref:" && f[2] == "HEAD" {
			refs["symref"] = strings.TrimPrefix(f[1], "refs/heads/")
			continue
		}
		if len(f) == 2 {
			refs[f[1]] = f[0]
		}
	}
	switch {
	case rev == "HEAD" && refs["HEAD"] != "":
		return refs["HEAD"], refs["symref"], nil
	case refs["refs/heads/"+rev] != "":
		return refs["refs/heads/"+rev], rev, nil
	case refs["refs/tags/"+rev+"^{}"] != "":
		return refs["refs/tags/"+rev+"^{}"], "", nil
	case refs["refs/tags/"+rev] != "":
		return refs["refs/tags/"+rev], "", nil
	case shaRe.MatchString(rev):
		return rev, "", nil // a short commit id: resolved after the fetch
	}
	return "", "", fmt.Errorf("revision '%s' does not exist in remote %s", rev, url)
}

func latest(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	url := req.Name
	target := a.String("target", "")
	rev := a.String("rev", "HEAD")
	localBranch := a.String("branch", "")
	g := gitRunner{user: a.String("user", ""), identity: a.String("identity", "")}
	depth := a.Int("depth", 0)
	forceReset := a.Bool("force_reset", false)
	forceClone := a.Bool("force_clone", false)
	remote := a.String("remote", "origin")
	submodules := a.Bool("submodules", false)
	a.Ignore("fetch_tags", "sync_tags", "update_head", "https_user", "https_pass", "refspec_branch", "refspec_tag", "mirror", "bare", "output_encoding", "force_fetch", "force_checkout")
	if target == "" {
		a.Fail("target", "required: where the clone goes")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if !filepath.IsAbs(target) {
		return fail("target '%s' is not an absolute path", target)
	}
	if rev == "" {
		rev = "HEAD"
	}
	sha, branch, err := g.remoteRev(ctx, url, rev)
	if err != nil {
		return fail("%v", err)
	}
	if localBranch != "" {
		branch = localBranch
	}

	_, gitErr := os.Stat(filepath.Join(target, ".git"))
	isClone := gitErr == nil
	empty := true
	if ents, err := os.ReadDir(target); err == nil && len(ents) > 0 {
		empty = false
	}
	if !isClone && !empty && !forceClone {
		return fail("Target '%s' exists, is non-empty and is not a git repository. Set force_clone to True to remove it and proceed with cloning the remote repository", target)
	}
	if !isClone {
		changes := map[string]any{"new": url + " => " + target, "revision": map[string]any{"old": nil, "new": sha}}
		if req.Test {
			return state.Result{Changes: changes, Comment: fmt.Sprintf("%s would be cloned to %s", url, target)}
		}
		if !empty {
			if err := os.RemoveAll(target); err != nil {
				return fail("Unable to remove %s: %v", target, err)
			}
		}
		cl := []string{"clone", "--origin", remote}
		if depth > 0 {
			cl = append(cl, "--depth", fmt.Sprint(depth))
		}
		if branch != "" && localBranch == "" {
			cl = append(cl, "--branch", branch)
		}
		if submodules {
			cl = append(cl, "--recurse-submodules")
		}
		if _, err := g.run(ctx, "", append(cl, "--", url, target)...); err != nil {
			return fail("Clone failed: %v", err)
		}
		if full, err := g.run(ctx, target, "rev-parse", "--verify", sha+"^{commit}"); err == nil {
			sha = full
		}
		if err := g.checkout(ctx, target, remote, sha, branch); err != nil {
			return fail("%v", err)
		}
		head, _ := g.run(ctx, target, "rev-parse", "HEAD")
		changes["revision"] = map[string]any{"old": nil, "new": head}
		return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("%s cloned to %s", url, target)}
	}

	// An existing clone.
	changes := map[string]any{}
	cur, _ := g.run(ctx, target, "config", "--get", "remote."+remote+".url")
	if cur != url {
		changes["remote"] = map[string]any{"old": cur, "new": url}
	}
	head, _ := g.run(ctx, target, "rev-parse", "HEAD")
	onBranch, _ := g.run(ctx, target, "symbolic-ref", "--quiet", "--short", "HEAD")
	dirty, err := g.run(ctx, target, "status", "--porcelain", "--untracked-files=no")
	if err != nil {
		return fail("%v", err)
	}
	if strings.HasPrefix(head, sha) && onBranch == branch && dirty == "" && len(changes) == 0 {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Repository %s is up-to-date", target)}
	}
	if dirty != "" && !forceReset {
		return fail("Repository %s has local changes; set force_reset to True to discard them:\n%s", target, dirty)
	}
	changes["revision"] = map[string]any{"old": head, "new": sha}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Repository %s would be updated", target)}
	}
	if cur != url {
		if _, err := g.run(ctx, target, "remote", "set-url", remote, url); err != nil {
			if _, err := g.run(ctx, target, "remote", "add", remote, url); err != nil {
				return fail("%v", err)
			}
		}
	}
	if _, err := g.run(ctx, target, "fetch", "--tags", remote); err != nil {
		return fail("Fetch failed: %v", err)
	}
	full, err := g.run(ctx, target, "rev-parse", "--verify", sha+"^{commit}")
	if err != nil {
		return fail("revision '%s' is not in %s after fetching: %v", rev, url, err)
	}
	sha = full
	if !forceReset && head != "" {
		// Local history that is not on the remote is never thrown away
		// without force_reset; moving between the remote's revisions
		// (forward, or back to an older tag) is fine.
		_, ancestor := g.run(ctx, target, "merge-base", "--is-ancestor", head, sha)
		onRemote, _ := g.run(ctx, target, "for-each-ref", "--contains", head, "--count=1", "refs/remotes/"+remote, "refs/tags")
		if ancestor != nil && onRemote == "" {
			return fail("Repository %s cannot be fast-forwarded to %s (local commits are not on the remote); set force_reset to True to reset it", target, rev)
		}
	}
	if forceReset {
		if _, err := g.run(ctx, target, "reset", "--quiet", "--hard"); err != nil {
			return fail("%v", err)
		}
	}
	if err := g.checkout(ctx, target, remote, sha, branch); err != nil {
		return fail("%v", err)
	}
	if submodules {
		if _, err := g.run(ctx, target, "submodule", "update", "--init", "--recursive"); err != nil {
			return fail("%v", err)
		}
	}
	now, _ := g.run(ctx, target, "rev-parse", "HEAD")
	changes["revision"] = map[string]any{"old": head, "new": now}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Repository %s updated", target)}
}

// checkout puts the work tree at sha: on branch (created or moved there,
// tracking the remote's branch of that name) or detached for a tag or a
// commit.
func (g gitRunner) checkout(ctx context.Context, target, remote, sha, branch string) error {
	if branch == "" {
		_, err := g.run(ctx, target, "checkout", "--quiet", "--detach", sha)
		return err
	}
	if _, err := g.run(ctx, target, "checkout", "--quiet", "-B", branch, sha); err != nil {
		return err
	}
	_, _ = g.run(ctx, target, "branch", "--quiet", "--set-upstream-to", remote+"/"+branch, branch)
	return nil
}
