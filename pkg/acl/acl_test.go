package acl

import (
	"errors"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/targeting"
)

// resolver matches rule targets against a fixed fleet, as the master's
// cache would.
func resolver(fleet []string) Resolver {
	return func(target string) ([]string, error) {
		m, err := targeting.Compile(targeting.Compound, target, targeting.Options{})
		if err != nil {
			return nil, err
		}
		var out []string
		for _, id := range fleet {
			if m.Match(&targeting.Minion{ID: id}) {
				out = append(out, id)
			}
		}
		return out, nil
	}
}

func TestCheck(t *testing.T) {
	fleet := []string{"web1", "web2", "db1"}
	r, err := ParseAllow("web*:test.*,status.loadavg")
	if err != nil {
		t.Fatal(err)
	}
	a := ACL{Allow: []Rule{r}}
	res := resolver(fleet)
	for _, tc := range []struct {
		fun       string
		requested []string
		want      string // "" allowed; else a substring of the refusal
	}{
		{"test.ping", []string{"web1"}, ""},
		{"status.loadavg", []string{"web1", "web2"}, ""},
		{"cmd.run", []string{"web1"}, "may not run cmd.run"},
		{"test.ping", []string{"web1", "web2", "db1"}, "matches db1"},
		{"test.ping", nil, ""},
	} {
		err := a.Check("token ci", tc.fun, "tgt", tc.requested, res)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !errors.Is(err, ErrForbidden) || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s on %v: %v, want %q", tc.fun, tc.requested, err, tc.want)
		}
	}
	if (ACL{All: true}).Check("root", "cmd.run", "*", fleet, res) != nil {
		t.Error("All refused")
	}
	if !a.HasArea("run") || !a.HasArea("jobs") || a.HasArea("keys") {
		t.Error("areas")
	}
}

func TestParseFileAndAllow(t *testing.T) {
	a, err := ParseFile([]byte("allow:\n  'G@role:web': [service.restart]\n  db*: test.ping\nareas: [keys, audit]\n"))
	if err != nil || len(a.Allow) != 2 || a.Allow[0].Target != "G@role:web" || a.Allow[1].Funs[0] != "test.ping" || !a.HasArea("keys") || a.HasArea("jobs") {
		t.Fatalf("%+v %v", a, err)
	}
	if r, err := ParseAllow("G@role:web:test.*"); err != nil || r.Target != "G@role:web" {
		t.Fatalf("colon target: %+v %v", r, err)
	}
	for _, bad := range []string{"web*", "web*:", ":test.*", "web* and (:test.ping"} {
		if _, err := ParseAllow(bad); err == nil {
			t.Errorf("ParseAllow(%q) accepted", bad)
		}
	}
	if _, err := ParseFile([]byte("areas: [nukes]\n")); err == nil {
		t.Error("unknown area accepted")
	}
}
