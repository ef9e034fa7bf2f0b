package system

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "locale.present", Func: localePresent, Doc: `Ensure the locale NAME (en_US.UTF-8) is generated: enabled in
/etc/locale.gen and built with locale-gen (Debian).`})
	state.Register(state.Def{Name: "locale.system", Func: localeSystem, Doc: `Set the system's default locale (LANG in /etc/default/locale).`})
}

// normLocale compares locale names as glibc does: en_US.UTF-8 and
// en_US.utf8 are the same.
func normLocale(s string) string {
	s = strings.TrimSpace(s)
	lang, charset, ok := strings.Cut(s, ".")
	if !ok {
		return s
	}
	charset = strings.ToLower(strings.ReplaceAll(charset, "-", ""))
	return lang + "." + charset
}

// generated lists the locales glibc has built (locale -a).
func generated() map[string]bool {
	out, err := exec.Command("locale", "-a").Output()
	set := map[string]bool{}
	if err != nil {
		return set
	}
	for _, l := range strings.Fields(string(out)) {
		set[normLocale(l)] = true
	}
	return set
}

func localePresent(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	name := req.Name
	if name == "" || strings.ContainsAny(name, " /\n") {
		return fail("%q is not a locale name", name)
	}
	b, err := os.ReadFile(localeGen)
	if err != nil {
		return fail("Cannot manage locales here: %v", err)
	}
	// "# en_US.UTF-8 UTF-8" → "en_US.UTF-8 UTF-8"
	re := regexp.MustCompile(`^#?\s*` + regexp.QuoteMeta(name) + `(\s+\S+)?\s*$`)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	enabled, found := false, false
	for i, l := range lines {
		if !re.MatchString(l) {
			continue
		}
		found = true
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			enabled = true
			break
		}
		lines[i] = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "#"))
		break
	}
	if enabled && generated()[normLocale(name)] {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Locale %s is already present", name)}
	}
	changes := map[string]any{"locale": name}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Locale %s is set to be added", name)}
	}
	if !found {
		charset := "UTF-8"
		if _, cs, ok := strings.Cut(name, "."); ok {
			charset = cs
		}
		lines = append(lines, name+" "+charset)
	}
	if !enabled {
		if err := os.WriteFile(localeGen, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			return fail("Failed to write %s: %v", localeGen, err)
		}
	}
	if out, err := exec.CommandContext(ctx, localeGenBinary).CombinedOutput(); err != nil {
		return state.Result{Result: state.False(), Changes: changes, Comment: fmt.Sprintf("Failed to generate locale %s: %v: %s", name, err, strings.TrimSpace(string(out)))}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Generated locale %s", name)}
}

func localeSystem(_ context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	name := req.Name
	if name == "" || strings.ContainsAny(name, " \n\"'") {
		return fail("%q is not a locale name", name)
	}
	b, _ := os.ReadFile(defaultLocale)
	re := regexp.MustCompile(`(?m)^LANG=["']?([^"'\n]*)["']?[ \t]*$`)
	if m := re.FindSubmatch(b); m != nil && string(m[1]) == name {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("System locale %s already set", name)}
	}
	changes := map[string]any{"locale": name}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("System locale %s needs to be set", name)}
	}
	line := "LANG=" + name
	var out string
	if re.Match(b) {
		out = re.ReplaceAllString(string(b), line)
	} else {
		out = strings.TrimRight(string(b), "\n")
		if out != "" {
			out += "\n"
		}
		out += line + "\n"
	}
	if err := os.WriteFile(defaultLocale, []byte(out), 0o644); err != nil {
		return fail("Failed to set system locale: %v", err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Set system locale %s", name)}
}
