package cron

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "cron.env_present", Func: envPresent, Doc: `Ensure the environment variable NAME=VALUE is set in a user's crontab
(user, default root), above its jobs.`})
	state.Register(state.Def{Name: "cron.env_absent", Func: envAbsent, Doc: `Ensure the environment variable NAME is not set in a user's crontab.`})
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// envLine reports whether line sets a crontab variable, and which.
func envLine(line string) (string, bool) {
	t := strings.TrimSpace(line)
	if t == "" || strings.HasPrefix(t, "#") {
		return "", false
	}
	k, _, ok := strings.Cut(t, "=")
	k = strings.TrimSpace(k)
	return k, ok && envName.MatchString(k)
}

func envPresent(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	value := a.String("value", "")
	user := a.String("user", "root")
	if !a.Has("value") {
		a.Fail("value", "required")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if !envName.MatchString(req.Name) {
		return fail("%q is not a variable name", req.Name)
	}
	return editEnv(ctx, req, user, func(lines []string) ([]string, string) {
		want := req.Name + "=" + value
		for i, l := range lines {
			if k, ok := envLine(l); ok && k == req.Name {
				if strings.TrimSpace(l) == want {
					return lines, ""
				}
				lines[i] = want
				return lines, "updated"
			}
		}
		// Above the first job, after the leading comments and variables.
		at := 0
		for at < len(lines) {
			t := strings.TrimSpace(lines[at])
			if strings.HasPrefix(t, "# Lines below here are managed by Salt") || strings.HasPrefix(t, "# SALT_CRON_IDENTIFIER") {
				break // the managed block and a job's own comment stay together
			}
			if _, isEnv := envLine(lines[at]); !(t == "" || strings.HasPrefix(t, "#") || isEnv) {
				break
			}
			at++
		}
		lines = append(lines[:at], append([]string{want}, lines[at:]...)...)
		return lines, "added"
	})
}

func envAbsent(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	user := a.String("user", "root")
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	return editEnv(ctx, req, user, func(lines []string) ([]string, string) {
		out := lines[:0]
		removed := ""
		for _, l := range lines {
			if k, ok := envLine(l); ok && k == req.Name {
				removed = "removed"
				continue
			}
			out = append(out, l)
		}
		return out, removed
	})
}

// editEnv applies edit to the user's crontab lines; verb is "" when
// nothing changes.
func editEnv(ctx context.Context, req *state.Request, user string, edit func([]string) ([]string, string)) state.Result {
	text, err := readCrontab(ctx, user)
	if err != nil {
		return fail("%v", err)
	}
	var lines []string
	if strings.TrimSpace(text) != "" {
		lines = strings.Split(strings.TrimRight(text, "\n"), "\n")
	}
	lines, verb := edit(lines)
	if verb == "" {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Cron env %s is in the correct state in %s's crontab", req.Name, user)}
	}
	changes := map[string]any{user: req.Name}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Cron env %s is set to be %s", req.Name, verb)}
	}
	out := strings.Join(lines, "\n")
	if out != "" {
		out += "\n"
	}
	if err := writeCrontab(ctx, user, out); err != nil {
		return fail("Failed to write %s's crontab: %v", user, err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Cron env %s %s in %s's crontab", req.Name, verb, user)}
}
