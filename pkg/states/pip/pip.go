// Package pip provides Salt's pip.installed and pip.removed states:
// Python packages installed with pip, into the system or a virtualenv
// (bin_env). Whether a requirement is met is pip's own answer (pip install
// --dry-run --report), so version specifiers mean exactly what pip says.
package pip

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/halite/halite/pkg/modules/cmd"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "pip.installed", Func: installed, Doc: `Ensure Python packages are installed with pip.

Arguments: name or pkgs (requirements such as "requests", "Django>=4,<5"),
requirements (a requirements file), bin_env (a virtualenv directory or a
pip executable; default pip3), upgrade, user (run pip as this user),
index_url, extra_index_url, find_links, no_index, pre_releases,
extra_args (a list of further pip options).`})
	state.Register(state.Def{Name: "pip.removed", Func: removed, Doc: `Ensure a Python package is not installed.

Arguments: bin_env, user.`})
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}

// pipBin resolves bin_env as Salt does: a virtualenv directory (its
// bin/pip), a pip executable, or pip3/pip on PATH.
func pipBin(binEnv string) (string, error) {
	if binEnv != "" {
		if fi, err := os.Stat(binEnv); err == nil && fi.IsDir() {
			for _, n := range []string{"pip3", "pip"} {
				p := filepath.Join(binEnv, "bin", n)
				if _, err := os.Stat(p); err == nil {
					return p, nil
				}
			}
			return "", fmt.Errorf("Could not find a pip binary in virtualenv %s", binEnv)
		}
		return binEnv, nil
	}
	for _, n := range []string{"pip3", "pip"} {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("Command 'pip' is not found")
}

type pipRunner struct {
	bin, user string
}

func (p pipRunner) run(ctx context.Context, argv ...string) (string, error) {
	res, err := cmd.Run(ctx, cmd.Options{Argv: append([]string{p.bin}, argv...), Runas: p.user, Cwd: "/", Timeout: 30 * time.Minute,
		Env: map[string]string{"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", "LC_ALL": "C"}})
	if err != nil {
		return "", err
	}
	if res.Retcode != 0 {
		return res.Stdout, fmt.Errorf("%s", strings.TrimSpace(res.Stderr+"\n"+res.Stdout))
	}
	return res.Stdout, nil
}

// report is the part of pip's installation report read here.
type report struct {
	Install []struct {
		Metadata struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"metadata"`
	} `json:"install"`
}

func installed(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	pkgs, hasPkgs := a.Strings("pkgs")
	reqFile := a.String("requirements", "")
	binEnv := a.String("bin_env", "")
	upgrade := a.Bool("upgrade", false)
	p := pipRunner{user: a.String("user", "")}
	var opts []string
	if v := a.String("index_url", ""); v != "" {
		opts = append(opts, "--index-url", v)
	}
	if v := a.String("extra_index_url", ""); v != "" {
		opts = append(opts, "--extra-index-url", v)
	}
	if v := a.String("find_links", ""); v != "" {
		opts = append(opts, "--find-links", v)
	}
	if a.Bool("no_index", false) {
		opts = append(opts, "--no-index")
	}
	if a.Bool("pre_releases", false) {
		opts = append(opts, "--pre")
	}
	extra, _ := a.Strings("extra_args")
	opts = append(opts, extra...)
	a.Ignore("cwd", "env_vars", "use_vt", "no_cache_dir", "timeout", "global_options", "install_options", "proxy", "exists_action", "no_deps", "no_binary", "editable", "ignore_installed", "force_reinstall", "cache_dir", "pip_pkgs", "pkg")
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if !hasPkgs {
		pkgs = []string{req.Name}
	}
	var target []string
	for _, pk := range pkgs {
		if strings.HasPrefix(pk, "-") {
			return fail("Invalid requirement %q", pk)
		}
		target = append(target, pk)
	}
	if reqFile != "" {
		target = append(target, "-r", reqFile)
	}
	bin, err := pipBin(binEnv)
	if err != nil {
		return fail("%v", err)
	}
	p.bin = bin
	base := append([]string{"install"}, opts...)
	if upgrade {
		base = append(base, "--upgrade")
	}
	out, err := p.run(ctx, append(append(append([]string{}, base...), "--dry-run", "--quiet", "--report", "-"), target...)...)
	if err != nil {
		return fail("pip cannot resolve %s: %v", strings.Join(target, " "), err)
	}
	var rep report
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &rep); err != nil {
		return fail("reading pip's report: %v", err)
	}
	if len(rep.Install) == 0 {
		return state.Result{Result: state.True(), Comment: "All packages were already installed: " + strings.Join(pkgs, ", ")}
	}
	changes := map[string]any{}
	for _, i := range rep.Install {
		changes[i.Metadata.Name+"=="+i.Metadata.Version] = "Installed"
	}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Python packages would be installed: %s", strings.Join(keys(changes), ", "))}
	}
	if _, err := p.run(ctx, append(base, target...)...); err != nil {
		return fail("Failed to install packages: %v", err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: "All packages were successfully installed"}
}

func removed(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	binEnv := a.String("bin_env", "")
	p := pipRunner{user: a.String("user", "")}
	a.Ignore("requirements", "proxy", "timeout", "cwd", "use_vt")
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	bin, err := pipBin(binEnv)
	if err != nil {
		return fail("%v", err)
	}
	p.bin = bin
	if strings.HasPrefix(req.Name, "-") {
		return fail("Invalid package name %q", req.Name)
	}
	if _, err := p.run(ctx, "show", "--quiet", req.Name); err != nil {
		return state.Result{Result: state.True(), Comment: "Package is not installed."}
	}
	if req.Test {
		return state.Result{Changes: map[string]any{req.Name: "Removed"}, Comment: fmt.Sprintf("Package %s is set to be removed", req.Name)}
	}
	if _, err := p.run(ctx, "uninstall", "--yes", req.Name); err != nil {
		return fail("Could not remove package %s: %v", req.Name, err)
	}
	return state.Result{Result: state.True(), Changes: map[string]any{req.Name: "Removed"}, Comment: "Package was successfully removed."}
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
