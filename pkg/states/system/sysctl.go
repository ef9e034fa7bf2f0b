// Package system provides Salt's states for host-wide settings: kernel
// parameters (sysctl.present), the time zone (timezone.system) and
// locales (locale.present, locale.system).
package system

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

// Where the host keeps these settings; variables so tests can point them
// into a temporary root.
var (
	procSys         = "/proc/sys"
	sysctlConfig    = "/etc/sysctl.d/99-salt.conf"
	localtime       = "/etc/localtime"
	timezoneFile    = "/etc/timezone"
	zoneinfo        = "/usr/share/zoneinfo"
	localeGen       = "/etc/locale.gen"
	defaultLocale   = "/etc/default/locale"
	localeGenBinary = "locale-gen"
)

func init() {
	state.Register(state.Def{Name: "sysctl.present", Func: sysctlPresent, Doc: `Ensure the kernel parameter NAME has VALUE, now (written under /proc/sys)
and at boot (a line in config, default /etc/sysctl.d/99-salt.conf).`})
}

// normalize compares sysctl values the way the kernel prints them:
// whitespace-separated fields.
func normalize(v string) string { return strings.Join(strings.Fields(v), " ") }

func sysctlPresent(_ context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	value := strings.TrimSpace(a.String("value", ""))
	config := a.String("config", sysctlConfig)
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	name := req.Name
	if name == "" || strings.ContainsAny(name, " /\n") || strings.Contains(name, "..") {
		return fail("%q is not a kernel parameter name", name)
	}
	if value == "" {
		return fail("Missing required argument value")
	}
	procPath := filepath.Join(procSys, strings.ReplaceAll(name, ".", "/"))
	cur, err := os.ReadFile(procPath)
	if err != nil {
		return fail("Failed to read kernel parameter %s: %v", name, err)
	}
	running := normalize(string(cur)) == normalize(value)
	lines, inConfig, err := configLines(config, name, value)
	if err != nil {
		return fail("%v", err)
	}
	if running && inConfig {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Sysctl value %s = %s is already set", name, value)}
	}
	changes := map[string]any{name: value}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Sysctl option %s set to be changed to %s", name, value)}
	}
	if !inConfig {
		if err := os.MkdirAll(filepath.Dir(config), 0o755); err != nil {
			return fail("%v", err)
		}
		if err := os.WriteFile(config, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			return fail("Failed to write %s: %v", config, err)
		}
	}
	if !running {
		if err := os.WriteFile(procPath, []byte(value+"\n"), 0o644); err != nil {
			return state.Result{Result: state.False(), Changes: changes,
				Comment: fmt.Sprintf("Failed to set %s = %s now: %v (it is in %s for the next boot)", name, value, err, config)}
		}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Updated sysctl value %s = %s", name, value)}
}

// configLines returns the config file's lines with name set to value, and
// whether the file already had it so.
func configLines(path, name, value string) ([]string, bool, error) {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return nil, false, fmt.Errorf("read %s: %w", path, err)
	}
	re := regexp.MustCompile(`^\s*` + regexp.QuoteMeta(name) + `\s*=\s*(.*?)\s*$`)
	var out []string
	found, same := false, false
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if line == "" && len(b) == 0 {
			continue
		}
		if m := re.FindStringSubmatch(line); m != nil {
			if found {
				continue // a later duplicate would override ours
			}
			found = true
			same = normalize(m[1]) == normalize(value)
			line = name + " = " + value
		}
		out = append(out, line)
	}
	if !found {
		out = append(out, name+" = "+value)
	}
	return out, found && same, nil
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}
