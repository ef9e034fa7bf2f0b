package targeting

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestCompoundTargets(t *testing.T) {
	notDebian := except(debian...)
	runMatchCases(t, Compound, []matchCase{
		{"web*", sorted("web1", "web2", "web3", "web10")},
		{"G@os:Debian and web*", sorted("web1", "web2", "web10")},
		// "and" binds tighter than "or": (Debian and web*) or (db1/db2 and not legacy).
		{"G@os:Debian and web* or L@db1,db2 and not I@role:legacy", sorted("web1", "web2", "web10", "db1")},
		{"web1 or db2 and G@os:Debian", sorted("web1")},
		{"(web1 or db2) and G@os:Debian", sorted("web1")},
		{"( web1 or db1 ) and G@os:Debian", sorted("web1", "db1")},
		{"not G@os:Debian", notDebian}, // a leading "not"
		{"not web* and not db*", except("web1", "web2", "web3", "web10", "db1", "db2", "db3", "db1.staging")},
		{"not (web* or db*)", except("web1", "web2", "web3", "web10", "db1", "db2", "db3", "db1.staging")},
		{"not web1 or web1", allIDs()},
		{"not not web1", sorted("web1")},
		{"web* not web1", sorted("web2", "web3", "web10")},       // Salt's implicit "and" before "not"
		{"(web* or db*) not G@os:Debian", sorted("web3", "db2")}, // also after ")"
		{"((G@roles:web or G@roles:db) and not (I@role:legacy or I@env:staging))", sorted("web1", "web10", "Web1", "db1")},
		{"E@web\\d and S@10.0.0.0/24", sorted("web1", "web2", "web10")},
		{"(E@(web|db)(1|2) or cache1)", sorted("web1", "web2", "web10", "db1", "db2", "db1.staging", "cache1")},
		{"(E@(web|db)(1|2))", sorted("web1", "web2", "web10", "db1", "db2", "db1.staging")}, // the regexp keeps its ')'
		{"E@web[)]? or db3", sorted("web1", "web2", "web3", "web10", "db3")},                // ')' in a class is not a group
		{"(db3 or E@web1\\))", sorted("db3")},                                               // nor is an escaped one
		{"P@os:(free|open)bsd and not G@datacenter:dc2", sorted("lb-01.dc1.example.com", "edge/gw1")},
		{"J@env:prod and not I@role:legacy", sorted("web1", "web10", "db1")},
		{"G%@ip_interfaces%eth0%10.0.0.11", sorted("web1")}, // custom delimiter
		{"I;@mysql;replicas;db2", sorted("db1")},
		{"N@dbs and not db2", sorted("db1", "db3")},
		{"N@webservers and S@10.0.0.0/24", sorted("web1", "web2", "web10", "legacy1")},
		{"L@web1,web2 or N@spaced", sorted("web1", "web2", "db2", "cache1")},
		{"user@host", nil}, // a bare word with '@' but no prefix letter is a glob
		{"g@os:Debian", nil},
	})
}

// TestCompoundString checks the canonical form --explain prints: every
// operator parenthesised, chains flattened, and a space before ')' only
// where a term's own parentheses would otherwise change the reading.
func TestCompoundString(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"G@os:Debian and L@a,b", "(G@os:Debian and L@a,b)"},
		{"a and b or c", "((a and b) or c)"},
		{"a or b and c", "(a or (b and c))"},
		{"not a and b", "(not a and b)"},
		{"not (a and b)", "not (a and b)"},
		{"a and (b and c) and d", "(a and b and c and d)"},
		{"(a or b) or (c or d)", "(a or b or c or d)"},
		{"web* not web1", "(web* and not web1)"},
		{"  ((web1))  ", "web1"},
		{"(E@(web|db)(1|2))", "E@(web|db)(1|2)"},
		{"a or x(", "(a or x( )"},
		{"x( or a", "(x( or a)"},
		{"a or E@x\\(", "(a or E@x\\()"}, // an escaped '(' needs no balancing
		{"a or E@y\\)", "(a or E@y\\))"},
		{"G@os:Debian and web* or L@db1,db2 and not I@role:legacy",
			"((G@os:Debian and web*) or (L@db1,db2 and not I@role:legacy))"},
		{"N@all and S@10.0.0.1", "(N@all and S@10.0.0.1)"},
		{"S@2001:DB8::/32", "S@2001:db8::/32"},
	} {
		m, err := Compile(Compound, tc.expr, fleetOpts)
		if err != nil {
			t.Errorf("Compile(%q): %v", tc.expr, err)
			continue
		}
		if got := m.String(); got != tc.want {
			t.Errorf("Compile(%q).String() = %q, want %q", tc.expr, got, tc.want)
		}
		assertRoundTrip(t, m, fleetOpts)
	}
	// Matchers of the other types print in compound syntax too.
	for _, tc := range []struct {
		typ        Type
		expr, want string
	}{
		{Glob, "web*", "web*"},
		{PCRE, "web\\d", "E@web\\d"},
		{List, " b , a,b", "L@b,a"},
		{Grain, "os:Debian", "G@os:Debian"},
		{GrainPCRE, "os:Deb", "P@os:Deb"},
		{Pillar, "role:web", "I@role:web"},
		{PillarPCRE, "role:web", "J@role:web"},
		{IPCIDR, "10.0.0.0/8", "S@10.0.0.0/8"},
		{Nodegroup, "dbs", "N@dbs"},
	} {
		m, err := Compile(tc.typ, tc.expr, fleetOpts)
		if err != nil {
			t.Fatalf("Compile(%s, %q): %v", tc.typ, tc.expr, err)
		}
		if got := m.String(); got != tc.want {
			t.Errorf("Compile(%s, %q).String() = %q, want %q", tc.typ, tc.expr, got, tc.want)
		}
		assertRoundTrip(t, m, fleetOpts)
	}
}

// assertRoundTrip checks that m.String() compiles, as a compound
// expression, to a matcher with the same String() and the same answer for
// every fleet minion.
func assertRoundTrip(t *testing.T, m Matcher, opts Options) {
	t.Helper()
	s := m.String()
	m2, err := Compile(Compound, s, opts)
	if err != nil {
		t.Errorf("canonical form %q does not compile: %v", s, err)
		return
	}
	if s2 := m2.String(); s2 != s {
		t.Errorf("canonical form is not stable: %q -> %q", s, s2)
	}
	for _, mn := range fleet {
		if m.Match(mn) != m2.Match(mn) {
			t.Errorf("%q and its canonical form disagree on %s", s, mn.ID)
		}
	}
}

func TestCompoundParseErrors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		pos  int
		msg  string
	}{
		{"", 0, "empty target expression"},
		{"web* and", 5, `dangling operator: "and" is not followed by a target`},
		{"web* or not", 8, `dangling operator: "not" is not followed by a target`},
		{"and web*", 0, `dangling operator: "and" has no target before it`},
		{"web* or or db*", 8, `dangling operator: "or" cannot follow "or"`},
		{"web* and not or db*", 13, `dangling operator: "or" cannot follow "not"`},
		{"( and web1 )", 2, `"and" right after "(" has no target before it`},
		{"(web* or db*", 0, `unbalanced parenthesis: this "(" is never closed`},
		{"web* or (db* and (a or b)", 8, `this "(" is never closed`},
		{"web* or db*)", 11, `unbalanced parenthesis: this ")" closes nothing`},
		{") web*", 0, `this ")" closes nothing`},
		{"web* and )", 5, `"and" is not followed by a target`},
		{"()", 0, "empty parentheses"},
		{"web* db*", 5, `missing "and" or "or" before "db*"`},
		{"(web* db*)", 6, `missing "and" or "or" before "db*"`},
		{"web* (db*)", 5, `missing "and" or "or" before "("`},
		{"L@a, b", 5, `missing "and" or "or" before "b"`},
		{"X@foo", 0, `unknown target type "X@"`},
		{"web* and X@foo", 9, `unknown target type "X@"`},
		{"web* or R@%cluster", 8, "range targeting (R@) is not supported"},
		{"G@", 0, `"G@" is followed by nothing to match`},
		{"web1 or G%@", 8, `"G%@" is followed by nothing to match`},
		{"G@os", 2, `grain target "os" needs a key and a value`},
		{"I@role", 2, `pillar target "role" needs a key and a value`},
		{"E@web(?=1)", 5, "invalid or unsupported Perl syntax: `(?=`"},
		{"a or P@os:(a|b", 10, "missing closing )"},
		{"S@10.0.0.1/24", 2, "did you mean 10.0.0.0/24?"},
		{"web1 or L@,", 10, "names no minion"},
		{"N@", 0, `"N@" is followed by nothing to match`},
		{"web1 or N@nope", 8, `unknown nodegroup "nope"`},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := Compile(Compound, tc.expr, fleetOpts)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Compile(%q) error = %v, want a *ParseError", tc.expr, err)
			}
			if pe.Pos != tc.pos || !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("Compile(%q) = error at %d %q\nwant at %d containing %q", tc.expr, pe.Pos, pe.Msg, tc.pos, tc.msg)
			}
			if pe.Expr != tc.expr {
				t.Errorf("ParseError.Expr = %q, want %q", pe.Expr, tc.expr)
			}
		})
	}
}

// TestTokenizer pins the word-level rules for parentheses, since String
// relies on them to print re-parseable output.
func TestTokenizer(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"(a or b)", []string{"(", "a", "or", "b", ")"}},
		{"((a))", []string{"(", "(", "a", ")", ")"}},
		{"(E@x(y))", []string{"(", "E@x(y)", ")"}},
		{"E@x(y)", []string{"E@x(y)"}},
		{"a\\)", []string{"a\\)"}},
		{"[)])", []string{"[)]", ")"}},
		{"x)y", []string{"x)y"}},
		{")(", []string{")("}},
		{"not)", []string{"not", ")"}},
		{"(and", []string{"(", "and"}},
	} {
		var got []string
		for _, tok := range lex(splitWords(tc.in)) {
			got = append(got, tok.text)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("lex(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestConcurrentMatch runs one compiled matcher from many goroutines, as
// the master does when it evaluates a target over its cache; with -race
// this checks the lazily compiled grain patterns.
func TestConcurrentMatch(t *testing.T) {
	m, err := Compile(Compound, "G@hwaddr_interfaces:eth0:52:54:* or P@os:deb or (I@mysql:replicas:db2 and not web*)", fleetOpts)
	if err != nil {
		t.Fatal(err)
	}
	want := matching(m)
	done := make(chan []string)
	for range 8 {
		go func() { done <- matching(m) }()
	}
	for range 8 {
		if got := <-done; !slices.Equal(got, want) {
			t.Errorf("concurrent Match = %q, want %q", got, want)
		}
	}
}
