// Package targeting decides which minions a target expression selects.
//
// The same code runs in two places: on a minion, which decides for itself
// whether a published job is meant for it, and on the master, which computes
// the expected set of minions from its grains and pillar cache (and explains
// it to the operator) before anything is published. Both sides therefore
// compile the expression with [Compile] and ask the resulting [Matcher].
//
// The target types and their semantics are Salt's (glob, pcre, list, grain,
// grain_pcre, pillar, pillar_pcre, ipcidr, compound, nodegroup), so targets
// and top files written for Salt keep selecting the same minions. Where Salt
// is fragile Halite is stricter or more forgiving on purpose, and says so in
// the doc of the type concerned:
//
//   - a malformed expression is an error with a position ([ParseError]), not
//     a silent "matches nothing";
//   - compound parentheses need no surrounding spaces: "(a or b)" works;
//   - regular expressions are Go's RE2, which has no backreferences or
//     lookaround; a pattern RE2 rejects is an error at compile time.
package targeting

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Type names a kind of target expression, spelled as in Salt's matchers and
// as on the command line (`-t grain`).
type Type string

// The target types.
const (
	// Glob matches the minion id against a shell pattern (fnmatch: '*' also
	// matches '.' and '/'). It is case-sensitive, as in Salt.
	Glob Type = "glob"
	// PCRE matches the minion id against a regular expression anchored at
	// the start only, like Python's re.match: "web" matches "web01".
	PCRE Type = "pcre"
	// List matches minion ids exactly against a comma-separated list.
	List Type = "list"
	// Grain matches "key:value", the key nested with ':', the value a glob,
	// case-insensitively (Salt lowercases both sides).
	Grain Type = "grain"
	// GrainPCRE is Grain with a regular expression for the value.
	GrainPCRE Type = "grain_pcre"
	// Pillar is Grain against the minion's pillar data.
	Pillar Type = "pillar"
	// PillarPCRE is GrainPCRE against the minion's pillar data.
	PillarPCRE Type = "pillar_pcre"
	// IPCIDR matches a network ("10.0.0.0/24", "2001:db8::/32") or a single
	// address against the minion's "ipv4" or "ipv6" grain.
	IPCIDR Type = "ipcidr"
	// Compound combines the others: "G@os:Debian and web* or not L@db1".
	Compound Type = "compound"
	// Nodegroup names a group from the master's nodegroups setting.
	Nodegroup Type = "nodegroup"
)

// types lists every target type, in the order of Salt's documentation.
var types = []Type{Glob, PCRE, List, Grain, GrainPCRE, Pillar, PillarPCRE, IPCIDR, Compound, Nodegroup}

// ErrUnknownType is returned for a target type that is not one of the
// constants above.
var ErrUnknownType = errors.New("unknown target type")

// ErrUnknownNodegroup is wrapped by the error for an N@ term or a nodegroup
// target naming a group that Options.Nodegroups does not define.
var ErrUnknownNodegroup = errors.New("unknown nodegroup")

// ErrNodegroupCycle is wrapped by the error for nodegroups that include
// themselves, directly or through others.
var ErrNodegroupCycle = errors.New("nodegroup cycle")

// ParseType parses a target type name. The empty string means Glob, the
// default for a target given without -t. Only the full names are accepted:
// Salt's one-letter CLI flags (-E, -G, ...) belong to the command line, not
// to the data model.
func ParseType(s string) (Type, error) {
	if s == "" {
		return Glob, nil
	}
	for _, t := range types {
		if string(t) == s {
			return t, nil
		}
	}
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	return "", fmt.Errorf("%w %q (want one of %s)", ErrUnknownType, s, strings.Join(names, ", "))
}

// Minion is what a matcher may look at: the id, the grains and the pillar.
// The minion's IP addresses come from the "ipv4" and "ipv6" grains (lists
// of strings), as in Salt. Maps and lists inside Grains and Pillar may be
// the shapes YAML or CBOR decoding produces ([]any, map[string]any,
// map[any]any) or plain Go slices and maps.
type Minion struct {
	ID     string
	Grains map[string]any
	Pillar map[string]any
}

// Matcher is a compiled target expression. A Matcher holds no mutable state:
// it is safe for concurrent use.
type Matcher interface {
	// Match reports whether the expression selects m.
	Match(m *Minion) bool
	// String returns the canonical compound form, e.g.
	// "(G@os:Debian and L@a,b)", for --explain output. Every boolean
	// operator is parenthesised so the reader need not know the precedence.
	// For a matcher compiled from a compound expression, compiling String()
	// as a compound expression (with the same Options) gives an equivalent
	// matcher with the same String().
	String() string
}

// Options carries the configuration a target may refer to.
type Options struct {
	// Nodegroups maps a nodegroup name to its definition, as in the
	// master's `nodegroups` setting: either a compound expression (string)
	// or a list. A list is read as Salt reads it: each element is one word
	// (so an element may contain spaces), and a list with no operators,
	// no X@ prefixes and no glob wildcards is a list of minion ids.
	Nodegroups map[string]any
}

// Limits that keep a hostile or mistaken expression from costing unbounded
// time or memory. Minions compile targets that arrive over the network.
const (
	// MaxExprLen is the longest expression accepted, in bytes: enough for
	// a list target naming tens of thousands of minions.
	MaxExprLen = 1 << 20
	// MaxDepth is the deepest nesting of parentheses and "not" accepted.
	MaxDepth = 64
	// MaxTerms is the largest number of terms an expression may expand to
	// once nodegroups are expanded.
	MaxTerms = 10000
)

// Compile compiles expr as a target of type t. The empty type means Glob.
// Errors in the expression are *ParseError values that point at the
// offending position; those for an undefined or cyclic nodegroup wrap
// ErrUnknownNodegroup or ErrNodegroupCycle. An unknown t wraps
// ErrUnknownType.
//
// Only a compound expression (and a nodegroup) is split into words: for
// the other types the whole of expr is the pattern, spaces included.
func Compile(t Type, expr string, opts Options) (Matcher, error) {
	if len(expr) > MaxExprLen {
		return nil, &ParseError{Expr: expr[:64] + "...", Pos: 0,
			Msg: fmt.Sprintf("expression is %d bytes long, more than the %d allowed", len(expr), MaxExprLen)}
	}
	if strings.TrimSpace(expr) == "" {
		return nil, &ParseError{Expr: expr, Pos: 0, Msg: "empty target expression"}
	}
	c := &compiler{opts: opts, groups: map[string]*nodegroupMatcher{}}
	var (
		m   Matcher
		err error
	)
	switch t {
	case "", Glob:
		m = newGlobMatcher(expr)
	case PCRE:
		m, err = newPCREMatcher(expr, expr, 0)
	case List:
		m, err = newListMatcher(expr, expr, 0)
	case Grain, GrainPCRE, Pillar, PillarPCRE:
		m, err = newDataMatcher(t, ':', expr, expr, 0)
	case IPCIDR:
		m, err = newCIDRMatcher(expr, expr, 0)
	case Compound:
		m, err = c.compound(expr, nil)
	case Nodegroup:
		m, err = c.nodegroup(strings.TrimSpace(expr), expr, strings.Index(expr, strings.TrimSpace(expr)), nil)
	default:
		_, err = ParseType(string(t))
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// ListIDs reports the exact set of minion ids m can match when that set is
// known without looking at any minion: a list target, a glob without
// wildcards, or a compound (or nodegroup) made only of such terms joined by
// "or". The master then computes the expected set in O(k) for k ids instead
// of scanning every minion. ids is sorted and free of duplicates. For any
// other matcher ok is false.
func ListIDs(m Matcher) (ids []string, ok bool) {
	set := map[string]struct{}{}
	if !collectIDs(m, set) {
		return nil, false
	}
	ids = make([]string, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, true
}

func collectIDs(m Matcher, set map[string]struct{}) bool {
	switch m := m.(type) {
	case *listMatcher:
		for _, id := range m.order {
			set[id] = struct{}{}
		}
		return true
	case *globMatcher:
		if !m.g.literal {
			return false
		}
		set[m.pattern] = struct{}{}
		return true
	case *orMatcher:
		for _, k := range m.kids {
			if !collectIDs(k, set) {
				return false
			}
		}
		return true
	case *nodegroupMatcher:
		return collectIDs(m.inner, set)
	}
	return false
}

// NeedsPillar reports whether evaluating m reads pillar data (I@ or J@
// terms, directly or through a nodegroup). When it does not, a master whose
// pillar cache is missing or stale can still decide the target. A Matcher
// that this package did not build is assumed to need everything.
func NeedsPillar(m Matcher) bool {
	return needs(m, func(d *dataMatcher) bool { return d.pillar }, false)
}

// NeedsGrains reports whether evaluating m reads grains (G@, P@ and S@
// terms, since ipcidr reads the ipv4/ipv6 grains). A Matcher that this
// package did not build is assumed to need everything.
func NeedsGrains(m Matcher) bool {
	return needs(m, func(d *dataMatcher) bool { return !d.pillar }, true)
}

func needs(m Matcher, data func(*dataMatcher) bool, cidr bool) bool {
	switch m := m.(type) {
	case *globMatcher, *pcreMatcher, *listMatcher:
		return false
	case *cidrMatcher:
		return cidr
	case *dataMatcher:
		return data(m)
	case *andMatcher:
		return slices.ContainsFunc(m.kids, func(k Matcher) bool { return needs(k, data, cidr) })
	case *orMatcher:
		return slices.ContainsFunc(m.kids, func(k Matcher) bool { return needs(k, data, cidr) })
	case *notMatcher:
		return needs(m.kid, data, cidr)
	case *nodegroupMatcher:
		return needs(m.inner, data, cidr)
	}
	return true
}
