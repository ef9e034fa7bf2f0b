package targeting

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzCompile feeds arbitrary compound expressions to the parser. Compile
// must never panic; a rejected expression must come with a ParseError that
// points inside it; an accepted one must keep every promise the package
// makes about it, checked on the whole fixture fleet:
//
//   - String() compiles back to a matcher with the same String() and the
//     same answer for every minion;
//   - when ListIDs reports an id set, exactly the minions with those ids
//     match;
//   - a matcher that NeedsPillar (NeedsGrains) says false about gives the
//     same answers without pillar (grains).
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"web*",
		"G@os:Debian and web* or L@db1,db2 and not I@role:legacy",
		"not G@os:Debian",
		"((G@roles:web or G@roles:db) and not (I@role:legacy or I@env:staging))",
		"( web1 or db1 ) and G@os:Debian",
		"web* not web1",
		"(E@(web|db)(1|2) or cache1)",
		"E@web[)]? or db3",
		"(db3 or E@web1\\))",
		"a or x(",
		"P@os:(free|open)bsd and not G@datacenter:dc2",
		"G%@ip_interfaces%eth0%10.0.0.11",
		"G@*:FreeBSD or G@disks:-1:name:sdb",
		"G@ip_interfaces:*:127.0.0.1",
		"N@dbs and not db2 or N@all",
		"N@cyc_a",
		"S@10.0.0.0/16 and not S@2001:db8::/32",
		"L@web1,web2 or N@spaced",
		"web1 or L@db1,db2 or (cache1 or web1)",
		"X@foo", "()", "(web* or db*", "web* and", "E@web(?=1)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		m, err := Compile(Compound, expr, fleetOpts)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Compile(%q) error %v (%T) is not a *ParseError", expr, err, err)
			}
			if pe.Pos < 0 || pe.Pos > len(pe.Expr) || pe.Msg == "" {
				t.Fatalf("Compile(%q): ParseError %+v points outside its expression", expr, pe)
			}
			_ = err.Error()
			return
		}
		s := m.String()
		m2, err := Compile(Compound, s, fleetOpts)
		if err != nil {
			t.Fatalf("Compile(%q) gives canonical form %q, which does not compile: %v", expr, s, err)
		}
		if s2 := m2.String(); s2 != s {
			t.Fatalf("Compile(%q): canonical form not stable: %q -> %q", expr, s, s2)
		}
		ids, listed := ListIDs(m)
		needsPillar, needsGrains := NeedsPillar(m), NeedsGrains(m)
		for _, mn := range fleet {
			got := m.Match(mn)
			if m2.Match(mn) != got {
				t.Fatalf("Compile(%q) and its canonical form %q disagree on %s", expr, s, mn.ID)
			}
			if listed && got != slices.Contains(ids, mn.ID) {
				t.Fatalf("Compile(%q): ListIDs = %q but Match(%s) = %v", expr, ids, mn.ID, got)
			}
			stripped := *mn
			if !needsPillar {
				stripped.Pillar = nil
			}
			if !needsGrains {
				stripped.Grains = nil
			}
			if m.Match(&stripped) != got {
				t.Fatalf("Compile(%q) on %s: answer depends on data NeedsPillar=%v/NeedsGrains=%v deny",
					expr, mn.ID, needsPillar, needsGrains)
			}
		}
	})
}

// FuzzCompileTypes runs the non-compound types on arbitrary expressions:
// no panics, errors are ParseErrors, and a match never panics either.
func FuzzCompileTypes(f *testing.F) {
	for _, s := range []string{"os:Debian", "ip_interfaces:eth0:10.0.0.*", "*:*:x", "10.0.0.0/24", "web1,db1", "web\\d", "dbs"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		for _, typ := range types {
			if typ == Compound {
				continue
			}
			m, err := Compile(typ, expr, fleetOpts)
			if err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Pos < 0 || pe.Pos > len(pe.Expr) {
					t.Fatalf("Compile(%s, %q): bad error %v", typ, expr, err)
				}
				continue
			}
			for _, mn := range fleet {
				m.Match(mn)
			}
			if strings.TrimSpace(m.String()) == "" {
				t.Fatalf("Compile(%s, %q).String() is empty", typ, expr)
			}
		}
	})
}
