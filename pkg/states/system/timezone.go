package system

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "timezone.system", Func: timezoneSystem, Doc: `Set the system time zone to NAME (a zoneinfo name such as Europe/Berlin):
/etc/localtime links to its zoneinfo file and /etc/timezone names it. utc
is accepted (the hardware clock is left as it is).`})
}

// currentZone reads the zone /etc/localtime links to.
func currentZone() string {
	target, err := os.Readlink(localtime)
	if err == nil {
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(localtime), target)
		}
		if rel, err := filepath.Rel(zoneinfo, filepath.Clean(target)); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	if b, err := os.ReadFile(timezoneFile); err == nil {
		return strings.TrimSpace(string(b))
	}
	return ""
}

func timezoneSystem(_ context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	a.Ignore("utc")
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	zone := req.Name
	if zone == "" || strings.Contains(zone, "..") || filepath.IsAbs(zone) {
		return fail("%q is not a time zone name", zone)
	}
	file := filepath.Join(zoneinfo, zone)
	if st, err := os.Stat(file); err != nil || st.IsDir() {
		return fail("Timezone %s is not valid (no %s)", zone, file)
	}
	tzOK := true // /etc/timezone agrees, or there is none
	if b, err := os.ReadFile(timezoneFile); err == nil {
		tzOK = strings.TrimSpace(string(b)) == zone
	}
	if currentZone() == zone && tzOK {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Timezone %s already set", zone)}
	}
	changes := map[string]any{"timezone": zone}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Timezone %s needs to be set", zone)}
	}
	tmp := localtime + ".halite-tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(file, tmp); err != nil {
		return fail("Failed to set timezone: %v", err)
	}
	if err := os.Rename(tmp, localtime); err != nil {
		_ = os.Remove(tmp)
		return fail("Failed to set timezone: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(timezoneFile)); err == nil {
		if err := os.WriteFile(timezoneFile, []byte(zone+"\n"), 0o644); err != nil {
			return fail("Failed to write %s: %v", timezoneFile, err)
		}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Set timezone %s", zone)}
}
