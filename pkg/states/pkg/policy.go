package pkg

import (
	"context"
	"strings"

	modpkg "github.com/halite/halite/pkg/modules/pkg"
	"github.com/halite/halite/pkg/states/internal/run"
)

// Policy is what the package tool would do for one package: the version
// installed ("" if none) and the version an install would pick ("" when
// the repositories do not know the package).
type Policy struct {
	Installed string
	Candidate string
}

// ParseAptPolicy reads `apt-cache policy NAME...` output (LC_ALL=C).
func ParseAptPolicy(out string) map[string]Policy {
	res := map[string]Policy{}
	name := ""
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		if line[0] != ' ' && strings.HasSuffix(line, ":") {
			// "name:" (or "name:arch:" for a foreign architecture, kept as
			// "name:arch", the way package lists name it).
			name = strings.TrimSuffix(line, ":")
			if name == "" || strings.ContainsAny(name, " \t") {
				name = ""
				continue
			}
			res[name] = Policy{}
			continue
		}
		if name == "" {
			continue
		}
		key, val, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		if val == "(none)" {
			val = ""
		}
		p := res[name]
		switch key {
		case "Installed":
			p.Installed = val
		case "Candidate":
			p.Candidate = val
		default:
			continue
		}
		res[name] = p
	}
	return res
}

// policies asks the package tool about names. ok is false when this tool
// cannot tell candidates (only apt can, for now): callers then fall back
// to letting the tool decide.
func policies(ctx context.Context, m modpkg.Manager, names []string) (map[string]Policy, bool, error) {
	if m.Name() != "apt" {
		return nil, false, nil
	}
	r, err := run.Tool(ctx, "apt-cache", append([]string{"policy", "--"}, names...)...)
	if err != nil {
		return nil, true, err
	}
	return ParseAptPolicy(r.Stdout), true, nil
}
