// Package alternatives provides Salt's alternatives.install, .set and
// .remove: Debian's update-alternatives (chkconfig's alternatives on Red
// Hat takes the same arguments).
package alternatives

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/states/internal/run"
)

func init() {
	state.Register(state.Def{Name: "alternatives.install", Func: install, Doc: `Install PATH as an alternative for NAME, whose generic link is LINK, at
PRIORITY (update-alternatives --install).`})
	state.Register(state.Def{Name: "alternatives.set", Func: set, Doc: `Make PATH the chosen alternative for NAME (update-alternatives --set).`})
	state.Register(state.Def{Name: "alternatives.remove", Func: remove, Doc: `Remove PATH from the alternatives of NAME (update-alternatives --remove).`})
}

func tool() (string, error) {
	for _, t := range []string{"update-alternatives", "alternatives"} {
		if p, err := exec.LookPath(t); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("update-alternatives is not installed")
}

// query is what update-alternatives knows of name: the current choice,
// its link and the alternatives with their priorities.
type query struct {
	exists  bool
	link    string
	value   string
	choices map[string]int
}

func queryAlt(ctx context.Context, bin, name string) query {
	q := query{choices: map[string]int{}}
	r, err := run.Run(ctx, run.Cmd{Path: bin, Args: []string{"--query", name}, CLocale: true, Dir: "/"})
	if err != nil || r.Retcode != 0 {
		return q
	}
	q.exists = true
	cur := ""
	for _, line := range strings.Split(r.Stdout, "\n") {
		k, v, ok := strings.Cut(line, ": ")
		if !ok {
			continue
		}
		switch k {
		case "Link":
			q.link = v
		case "Value":
			q.value = v
		case "Alternative":
			cur = v
		case "Priority":
			if n, err := strconv.Atoi(v); err == nil && cur != "" {
				q.choices[cur] = n
			}
		}
	}
	return q
}

func do(ctx context.Context, bin string, argv ...string) error {
	r, err := run.Run(ctx, run.Cmd{Path: bin, Args: argv, CLocale: true, Dir: "/"})
	if err != nil {
		return err
	}
	if r.Retcode != 0 {
		return fmt.Errorf("%s", strings.TrimSpace(r.Stderr+" "+r.Stdout))
	}
	return nil
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}

func install(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	link := a.String("link", "")
	path := a.String("path", "")
	priority := a.Int("priority", 0)
	if link == "" || path == "" || !a.Has("priority") {
		a.Fail("link, path, priority", "required")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	bin, err := tool()
	if err != nil {
		return fail("%v", err)
	}
	q := queryAlt(ctx, bin, req.Name)
	if p, ok := q.choices[path]; ok && p == priority && q.link == link {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Alternative %s for %s is already registered", path, req.Name)}
	}
	changes := map[string]any{"path": path, "priority": priority}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Alternative will be set for %s to %s with priority %d", req.Name, path, priority)}
	}
	if err := do(ctx, bin, "--install", link, req.Name, path, strconv.Itoa(priority)); err != nil {
		return fail("Alternative for %s not installed: %v", req.Name, err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Alternative for %s set to path %s with priority %d", req.Name, path, priority)}
}

func set(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	path := a.String("path", "")
	if path == "" {
		a.Fail("path", "required")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	bin, err := tool()
	if err != nil {
		return fail("%v", err)
	}
	q := queryAlt(ctx, bin, req.Name)
	if q.value == path {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Alternative for %s already set to %s", req.Name, path)}
	}
	if _, ok := q.choices[path]; !ok {
		return fail("Alternative %s for %s doesn't exist", path, req.Name)
	}
	changes := map[string]any{"path": path}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Alternative for %s will be set to path %s", req.Name, path)}
	}
	if err := do(ctx, bin, "--set", req.Name, path); err != nil {
		return fail("Alternative for %s not updated: %v", req.Name, err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Alternative for %s set to path %s", req.Name, path)}
}

func remove(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	path := a.String("path", "")
	if path == "" {
		a.Fail("path", "required")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	bin, err := tool()
	if err != nil {
		return fail("%v", err)
	}
	q := queryAlt(ctx, bin, req.Name)
	if _, ok := q.choices[path]; !ok {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Alternative for %s doesn't exist", req.Name)}
	}
	changes := map[string]any{"path": path}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Alternative for %s will be removed", req.Name)}
	}
	if err := do(ctx, bin, "--remove", req.Name, path); err != nil {
		return fail("Alternative for %s not removed: %v", req.Name, err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Alternative for %s removed", req.Name)}
}
