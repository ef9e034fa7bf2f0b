package targeting

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var debian = sorted("web1", "web2", "web10", "Web1", "db1", "db3", "db1.staging", "v6only", "legacy1", "monitor")

func TestParseType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Type
	}{
		{"", Glob}, {"glob", Glob}, {"pcre", PCRE}, {"list", List}, {"grain", Grain},
		{"grain_pcre", GrainPCRE}, {"pillar", Pillar}, {"pillar_pcre", PillarPCRE},
		{"ipcidr", IPCIDR}, {"compound", Compound}, {"nodegroup", Nodegroup},
	} {
		got, err := ParseType(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseType(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"G", "Glob", "regex", "grains", " glob"} {
		_, err := ParseType(bad)
		if !errors.Is(err, ErrUnknownType) {
			t.Errorf("ParseType(%q) error = %v, want ErrUnknownType", bad, err)
		}
	}
	_, err := Compile("regex", "web*", Options{})
	if !errors.Is(err, ErrUnknownType) {
		t.Errorf("Compile with unknown type: error = %v, want ErrUnknownType", err)
	}
}

func TestGlobTargets(t *testing.T) {
	runMatchCases(t, Glob, []matchCase{
		{"*", allIDs()},
		{"web*", sorted("web1", "web2", "web3", "web10")}, // case-sensitive: not Web1
		{"web?", sorted("web1", "web2", "web3")},
		{"web[12]", sorted("web1", "web2")},
		{"web[!1]", sorted("web2", "web3")},
		{"*.example.com", sorted("cache2.example.com", "lb-01.dc1.example.com", "lb-02.dc2.example.com")},
		{"lb-0[1-2].dc?.example.com", sorted("lb-01.dc1.example.com", "lb-02.dc2.example.com")},
		{"*gw1", sorted("edge/gw1")}, // '*' crosses '/', unlike path.Match
		{"edge*", sorted("edge/gw1")},
		{"db1", sorted("db1")}, // whole-string match: not db1.staging
		{"Web1", sorted("Web1")},
		{"nomatch", nil},
	})
	m, _ := Compile("", "web1", Options{})
	if got := matching(m); !slices.Equal(got, []string{"web1"}) {
		t.Errorf("the empty type is glob: matched %q", got)
	}
}

func TestPCRETargets(t *testing.T) {
	runMatchCases(t, PCRE, []matchCase{
		{`web\d+`, sorted("web1", "web2", "web3", "web10")},
		{`db1`, sorted("db1", "db1.staging")}, // anchored at the start only, like re.match
		{`db1$`, sorted("db1")},
		{`.*example\.com$`, sorted("cache2.example.com", "lb-01.dc1.example.com", "lb-02.dc2.example.com")},
		{`(?i)web1`, sorted("web1", "Web1", "web10")},
		{`example`, nil},
		{`web1|db2`, sorted("web1", "web10", "db2")}, // the anchor covers every alternative
	})
}

func TestListTargets(t *testing.T) {
	runMatchCases(t, List, []matchCase{
		{"web1,db1", sorted("web1", "db1")},
		{" web1 , db2 ,nosuch,", sorted("web1", "db2")},
		{"web", nil},
		{"edge/gw1,db1.staging", sorted("edge/gw1", "db1.staging")},
	})
}

func TestGrainTargets(t *testing.T) {
	runMatchCases(t, Grain, []matchCase{
		{"os:Debian", debian},
		{"os:debian", debian}, // Salt lowercases value and pattern
		{"os:DEB*", debian},
		{"os:*BSD", sorted("lb-01.dc1.example.com", "lb-02.dc2.example.com", "edge/gw1")},
		{"roles:web", sorted("web1", "web2", "web3", "web10", "Web1", "legacy1")}, // any list element
		{"roles:cache", sorted("web3", "cache1", "cache2.example.com")},
		{"num_cpus:4", sorted("web1", "web10")}, // numbers by their string form
		{"num_cpus:1?", sorted("db1", "winbox01")},
		{"gpu:true", sorted("winbox01")}, // Python's str(True), lowercased
		{"gpu:True", sorted("winbox01")},
		{"mem_ratio:0.5", sorted("mac-ci")},
		{"osrelease:9", sorted("legacy1")},
		{"osrelease:7.9", sorted("db2")},
		{"ip_interfaces:eth0:10.0.0.*", sorted("web1")},                         // nested dict, then a list
		{"hwaddr_interfaces:eth0:52:54:00:*", sorted("monitor")},                // the value has colons
		{"ipv6:2001:db8::31", sorted("cache1")},                                 // so has this one
		{"locale_info:defaultlanguage", sorted("monitor")},                      // a pattern naming a key matches the dict
		{"locale_info:*", sorted("monitor")},                                    // "*" on a dict: the key exists
		{"disks:name:sdb", sorted("monitor")},                                   // dicts inside a list
		{"disks:1:name:sdb", sorted("monitor")},                                 // list index
		{"disks:-1:name:sdb", sorted("monitor")},                                // Python's negative index
		{"disks:0:name:sdb", nil},                                               // the first disk is sda
		{"*:FreeBSD", sorted("lb-01.dc1.example.com", "lb-02.dc2.example.com")}, // any grain
		{"ip_interfaces:*:127.0.0.1", sorted("web1")},                           // "*:" searches every value
		{"empty:*", nil},                    // Salt skips an empty dict
		{"nothing:None", sorted("monitor")}, // a null grain is "None"
		{"nosuch:*", nil},
		{"os:Deb", nil}, // the glob covers the whole value
	})
}

func TestGrainPCRETargets(t *testing.T) {
	runMatchCases(t, GrainPCRE, []matchCase{
		{"os:(Debian|Ubuntu)$", sorted(append(slices.Clone(debian), "web3", "cache1", "cache2.example.com")...)},
		{"os:.*bsd", sorted("lb-01.dc1.example.com", "lb-02.dc2.example.com", "edge/gw1")},
		{"roles:db", sorted("db1", "db2", "db3", "db1.staging")},
		{`num_cpus:\d{2}`, sorted("db1", "winbox01")},
		{`os:\D+$`, allIDsWithOS()}, // (?i), not lowercasing: \D stays \D
		{"osfullname:centos linux", sorted("db2")},
		{"os:bian", nil}, // anchored at the start
	})
}

func allIDsWithOS() []string {
	var ids []string
	for _, m := range fleet {
		if _, ok := m.Grains["os"]; ok {
			ids = append(ids, m.ID)
		}
	}
	return sorted(ids...)
}

func TestPillarTargets(t *testing.T) {
	runMatchCases(t, Pillar, []matchCase{
		{"role:legacy", sorted("web2", "db2", "legacy1")},
		{"env:prod", sorted("web1", "web2", "web10", "db1", "db2", "legacy1")},
		{"mysql:server_id:1", sorted("db1")},
		{"mysql:replicas:db3", sorted("db1")},
		{"role:*", sorted("web1", "web2", "web3", "web10", "db1", "db2", "db3", "db1.staging", "legacy1")},
		{"os:Debian", nil}, // grains are not pillar
	})
	runMatchCases(t, PillarPCRE, []matchCase{
		{"env:stag", sorted("web3", "db3", "db1.staging")},
		{"env:ing", nil},
		{"role:(web|db)$", sorted("web1", "web3", "web10", "db1", "db3", "db1.staging")},
	})
}

func TestIPCIDRTargets(t *testing.T) {
	runMatchCases(t, IPCIDR, []matchCase{
		{"10.0.0.0/24", sorted("web1", "web2", "web10", "legacy1")},
		{"10.0.0.0/16", sorted("web1", "web2", "web3", "web10", "db1", "db2", "db3", "cache1",
			"cache2.example.com", "lb-01.dc1.example.com", "legacy1", "monitor")},
		{"10.0.2.22", sorted("db2")},
		{"127.0.0.1", sorted("web1")},
		{"2001:db8::/32", sorted("cache1", "v6only")},
		{"fe80::/10", sorted("v6only")}, // the zone of fe80::1%eth0 is ignored
		{"2001:db8::31", sorted("cache1")},
		{"0.0.0.0/0", sorted("web1", "web2", "web3", "web10", "Web1", "db1", "db2", "db3", "db1.staging",
			"cache1", "cache2.example.com", "lb-01.dc1.example.com", "lb-02.dc2.example.com", "edge/gw1",
			"legacy1", "monitor")},
	})
}

func TestNodegroupTargets(t *testing.T) {
	webservers := sorted("web1", "web2", "web10", "Web1", "legacy1")
	runMatchCases(t, Nodegroup, []matchCase{
		{"webservers", webservers},
		{"dbs", sorted("db1", "db2", "db3")},
		{"all", sorted(append(slices.Clone(webservers), "db1", "db2", "db3")...)},
		{"spaced", sorted("db2", "cache1")}, // a list element may contain spaces
		{"idstring", sorted("web1", "web2")},
		{" dbs ", sorted("db1", "db2", "db3")},
	})
}

func TestCompileErrors(t *testing.T) {
	for _, tc := range []struct {
		typ     Type
		expr    string
		pos     int
		msg     string
		wantErr error
	}{
		{Glob, "", 0, "empty target expression", nil},
		{Compound, "   ", 0, "empty target expression", nil},
		{PCRE, "web(?=1)", 3, "RE2", nil},
		{PCRE, `(\w+)\1`, 5, "invalid escape", nil},
		{PCRE, "web(", 0, "missing closing )", nil},
		{List, " , ,", 0, "names no minion", nil},
		{Grain, "os", 0, `needs a key and a value separated by ":"`, nil},
		{Grain, ":Debian", 0, "empty key", nil},
		{Grain, "*:*:*:*:*:*:*:*:*:x", 0, `has 9 "*" keys; at most 8 are allowed`, nil},
		{GrainPCRE, "os:(?<!x)y", 3, "RE2", nil},
		{PillarPCRE, "role:[z-a]", 6, "invalid character class range", nil},
		{IPCIDR, "10.0.0.1/24", 0, "did you mean 10.0.0.0/24?", nil},
		{IPCIDR, "10.0.0.0/33", 0, "invalid network", nil},
		{IPCIDR, "web1", 0, "invalid address", nil},
		{IPCIDR, "fe80::1%eth0", 0, "invalid address", nil},
		{Nodegroup, "nope", 0, `unknown nodegroup "nope"`, ErrUnknownNodegroup},
		{Nodegroup, "cyc_a", 0, "nodegroup cycle: cyc_a -> cyc_b -> cyc_a", ErrNodegroupCycle},
		{Nodegroup, "self", 0, "nodegroup cycle: self -> self", ErrNodegroupCycle},
		{Nodegroup, "badtype", 0, "must be a string or a list, not int", nil},
		{Nodegroup, "empty", 0, "definition is empty", nil},
		{Nodegroup, "broken", 0, `dangling operator: "and" is not followed by a target (at position 12 of "G@os:Debian and")`, nil},
		{Nodegroup, "uses_bad", 0, `nodegroup "uses_bad": nodegroup "broken": dangling operator`, nil},
		{Compound, "web* and N@nope", 9, `unknown nodegroup "nope"`, ErrUnknownNodegroup},
		{Compound, "G@os:Debian and N@cyc_b", 16, "nodegroup cycle: cyc_b -> cyc_a -> cyc_b", ErrNodegroupCycle},
	} {
		t.Run(string(tc.typ)+"/"+tc.expr, func(t *testing.T) {
			_, err := Compile(tc.typ, tc.expr, fleetOpts)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Compile(%s, %q) error = %v, want a *ParseError", tc.typ, tc.expr, err)
			}
			if pe.Pos != tc.pos || !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("Compile(%s, %q) = error at %d %q, want at %d containing %q", tc.typ, tc.expr, pe.Pos, pe.Msg, tc.pos, tc.msg)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantErr)
			}
		})
	}
}

func TestParseErrorRendering(t *testing.T) {
	_, err := Compile(Compound, "G@os:Debian and (web* or db*", Options{})
	want := "targeting: unbalanced parenthesis: this \"(\" is never closed at position 16:\n" +
		"  G@os:Debian and (web* or db*\n" +
		"                  ^"
	if err == nil || err.Error() != want {
		t.Errorf("error =\n%v\nwant\n%s", err, want)
	}
	// The caret counts runes, and control characters do not break the line.
	e := &ParseError{Expr: "é\tX@", Pos: len("é\t"), Msg: "m"}
	want = "targeting: m at position 3:\n  é X@\n    ^"
	if e.Error() != want {
		t.Errorf("error =\n%s\nwant\n%s", e.Error(), want)
	}
	if got := (&ParseError{Msg: "m"}).Error(); got != "targeting: m" {
		t.Errorf("error without expression = %q", got)
	}
}

func TestLimits(t *testing.T) {
	long := strings.Repeat("a", MaxExprLen+1)
	if _, err := Compile(Glob, long, Options{}); err == nil || len(err.Error()) > 500 {
		t.Errorf("Compile of an oversize expression: %v", err)
	}
	deep := strings.Repeat("(", MaxDepth+1) + "a" + strings.Repeat(")", MaxDepth+1)
	if _, err := Compile(Compound, deep, Options{}); err == nil || !strings.Contains(err.Error(), "nests deeper") {
		t.Errorf("Compile of %d nested groups: %v", MaxDepth+1, err)
	}
	ok := strings.Repeat("(", MaxDepth) + "a" + strings.Repeat(")", MaxDepth)
	if _, err := Compile(Compound, ok, Options{}); err != nil {
		t.Errorf("Compile of %d nested groups: %v", MaxDepth, err)
	}
	nots := strings.Repeat("not ", MaxDepth+1) + "a"
	if _, err := Compile(Compound, nots, Options{}); err == nil {
		t.Errorf("Compile of %d nested nots succeeded", MaxDepth+1)
	}
	// Nodegroups that each use the previous one three times expand
	// exponentially; the expansion is refused instead of evaluated.
	groups := map[string]any{"g0": "a or b or c"}
	for i := 1; i < 12; i++ {
		prev := fmt.Sprintf("N@g%d", i-1)
		groups[fmt.Sprintf("g%d", i)] = prev + " or " + prev + " or " + prev
	}
	_, err := Compile(Nodegroup, "g11", Options{Nodegroups: groups})
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("Compile of an exponential nodegroup: %v", err)
	}
	// A fleet-sized list target is one term, not thousands.
	ids := make([]string, 20000)
	for i := range ids {
		ids[i] = "minion" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
	}
	if _, err := Compile(Compound, "L@"+strings.Join(ids, ","), Options{}); err != nil {
		t.Errorf("Compile of a 20000-id list: %v", err)
	}
}

func TestListIDs(t *testing.T) {
	for _, tc := range []struct {
		typ  Type
		expr string
		want []string // nil: not a known id set
	}{
		{List, "b,a,b", []string{"a", "b"}},
		{Glob, "web1", []string{"web1"}},
		{Glob, "edge/gw1", []string{"edge/gw1"}},
		{Glob, "web*", nil},
		{Glob, "web[1]", nil},
		{Glob, "web[1", []string{"web[1"}}, // an unclosed '[' is a literal
		{Compound, "web1 or L@db1,db2 or (cache1 or web1)", []string{"cache1", "db1", "db2", "web1"}},
		{Compound, "web1", []string{"web1"}},
		{Compound, "N@dbs or web1", []string{"db1", "db2", "db3", "web1"}},
		{Nodegroup, "dbs", []string{"db1", "db2", "db3"}},
		{Nodegroup, "idstring", []string{"web1", "web2"}},
		{Compound, "web1 and db1", nil},
		{Compound, "web1 or web*", nil},
		{Compound, "not web1", nil},
		{Compound, "web1 or G@os:Debian", nil},
		{Nodegroup, "all", nil},
		{PCRE, "web1", nil},
		{Grain, "os:Debian", nil},
	} {
		m, err := Compile(tc.typ, tc.expr, fleetOpts)
		if err != nil {
			t.Fatalf("Compile(%s, %q): %v", tc.typ, tc.expr, err)
		}
		ids, ok := ListIDs(m)
		if ok != (tc.want != nil) || !slices.Equal(ids, tc.want) {
			t.Errorf("ListIDs(%s %q) = %q, %v; want %q", tc.typ, tc.expr, ids, ok, tc.want)
			continue
		}
		if !ok {
			continue
		}
		// The id set is exact: a fleet minion matches iff its id is listed.
		for _, mn := range fleet {
			if got, want := m.Match(mn), slices.Contains(ids, mn.ID); got != want {
				t.Errorf("%s %q: Match(%s) = %v, but ListIDs says %v", tc.typ, tc.expr, mn.ID, got, want)
			}
		}
	}
}

func TestNeeds(t *testing.T) {
	for _, tc := range []struct {
		typ           Type
		expr          string
		pillar, grain bool
	}{
		{Glob, "web*", false, false},
		{PCRE, "web", false, false},
		{List, "a,b", false, false},
		{Grain, "os:Debian", false, true},
		{GrainPCRE, "os:Deb", false, true},
		{IPCIDR, "10.0.0.0/8", false, true},
		{Pillar, "role:web", true, false},
		{PillarPCRE, "role:web", true, false},
		{Compound, "web* and not I@role:legacy", true, false},
		{Compound, "web* or (db* and J@env:prod)", true, false},
		{Compound, "G@os:Debian or L@a", false, true},
		{Compound, "S@10.0.0.0/8 and web*", false, true},
		{Compound, "not web1 and not db1", false, false},
		{Nodegroup, "webservers", false, true},
		{Nodegroup, "dbs", false, false},
		{Compound, "N@dbs or I@role:db", true, false},
	} {
		m, err := Compile(tc.typ, tc.expr, fleetOpts)
		if err != nil {
			t.Fatalf("Compile(%s, %q): %v", tc.typ, tc.expr, err)
		}
		if got := NeedsPillar(m); got != tc.pillar {
			t.Errorf("NeedsPillar(%s %q) = %v, want %v", tc.typ, tc.expr, got, tc.pillar)
		}
		if got := NeedsGrains(m); got != tc.grain {
			t.Errorf("NeedsGrains(%s %q) = %v, want %v", tc.typ, tc.expr, got, tc.grain)
		}
		// What the answers promise: without the data the matcher does not
		// need, every fleet minion still gets the same answer.
		for _, mn := range fleet {
			stripped := *mn
			if !tc.pillar {
				stripped.Pillar = nil
			}
			if !tc.grain {
				stripped.Grains = nil
			}
			if m.Match(mn) != m.Match(&stripped) {
				t.Errorf("%s %q on %s: answer changes without data it claims not to need", tc.typ, tc.expr, mn.ID)
			}
		}
	}
	if !NeedsPillar(foreign{}) || !NeedsGrains(foreign{}) {
		t.Error("a Matcher from elsewhere must be assumed to need all data")
	}
	if _, ok := ListIDs(foreign{}); ok {
		t.Error("ListIDs of a Matcher from elsewhere must not claim an id set")
	}
}

type foreign struct{}

func (foreign) Match(*Minion) bool { return true }
func (foreign) String() string     { return "*" }

func TestDataShapes(t *testing.T) {
	// Grains may come from Go code, YAML or CBOR: all shapes work alike.
	type myMap map[string]string
	m := &Minion{ID: "x", Grains: map[string]any{
		"anymap": map[any]any{"k": "v", 1: "one"},
		"strmap": myMap{"k": "v"},
		"ints":   []int{1, 2, 3},
		"u8":     uint8(7),
		"f32":    float32(1.5),
		"big":    1e16,
		"small":  0.00001,
		"whole":  2.0,
		"bytes":  []byte("abc"),
		"nested": []any{[]any{"inner"}},
	}}
	for _, tc := range []struct {
		expr string
		want bool
	}{
		{"anymap:k:v", true},
		{"anymap:k", true},
		{"anymap:1", false}, // keys compare as strings; 1 is not "1"
		{"strmap:k:v", true},
		{"ints:2", true},
		{"ints:1:2", true}, // index 1 of the list is 2
		{"u8:7", true},
		{"f32:1.5", true},
		{"big:1e+16", true}, // Python's repr
		{"small:1e-05", true},
		{"whole:2.0", true},
		{"bytes:abc", false},
		{"nested:inner", false}, // a list inside a list is not searched
	} {
		dm, err := Compile(Grain, tc.expr, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := dm.Match(m); got != tc.want {
			t.Errorf("grain %q on %v = %v, want %v", tc.expr, m.Grains, got, tc.want)
		}
	}
}

func TestPyFloat(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0.0", 1: "1.0", -2.5: "-2.5", 0.1: "0.1", 1e16: "1e+16", 1234567890123456.0: "1234567890123456.0",
		0.0001: "0.0001", 0.00001: "1e-05", 1.5e300: "1.5e+300",
	} {
		if got := pyFloat(f); got != want {
			t.Errorf("pyFloat(%v) = %q, want %q", f, got, want)
		}
	}
}

// nestedData builds dicts nested depth levels deep, width keys each
// ("a", "b", ...), with the leaves holding their own path ("a-b-a").
func nestedData(depth, width int, path string) any {
	if depth == 0 {
		return path
	}
	m := map[string]any{}
	for i := range width {
		k := string(rune('a' + i))
		m[k] = nestedData(depth-1, width, strings.TrimPrefix(path+"-"+k, "-"))
	}
	return m
}

// TestStarMemo checks that memoizing "*" searches changes no answer (the
// unmemoized search is Salt's algorithm, only slower), and that the most
// "*" keys allowed stay cheap on deep data.
func TestStarMemo(t *testing.T) {
	data := nestedData(4, 3, "").(map[string]any)
	for _, expr := range []string{
		"*:*:a-b-c-a", "*:*:*:*:c-c-c-c", "a:*:*:a-?-?-b", "*:b:*:b-b-*", "*:*:x", "*:a:*:*:a", "*:*:*:*:*:*",
		"b:*:c:*:b-?-c-?", "*:*:a", "*:*:*:*:a-a-a-a",
	} {
		dm, err := newDataMatcher(Grain, ':', expr, expr, 0)
		if err != nil {
			t.Fatal(err)
		}
		if dm.stars < 2 {
			t.Fatalf("%q: want an expression that memoizes", expr)
		}
		want := dm.subdict(data, 0, nil)
		if got := dm.subdict(data, 0, &memo{}); got != want {
			t.Errorf("grain %q: memoized %v, unmemoized %v", expr, got, want)
		}
	}
	deep := &Minion{Grains: nestedData(6, 4, "").(map[string]any)}
	m, err := Compile(Grain, strings.Repeat("*:", maxStars)+"nomatch", Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if m.Match(deep) {
		t.Error("matched a value that is not there")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("%d \"*\" keys on a 5461-dict tree took %v", maxStars, d)
	}
}
