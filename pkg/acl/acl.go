// Package acl is what an API token, a local user or a chat user may do,
// in Salt's publisher_acl spirit: target expressions, each with the
// function globs allowed on the minions it matches, and the API areas
// (keys, audit, pillar, ...) beyond running jobs.
//
// A request is allowed when every minion its target matches is matched by
// a rule that allows its function: a target reaching one minion outside
// the allowed set is refused whole, never trimmed to the allowed part.
package acl

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/halite/halite/pkg/targeting"
)

// ErrForbidden is wrapped by every refusal.
var ErrForbidden = errors.New("forbidden")

// Areas are the parts of the API beyond running jobs that an ACL may
// open. "run" is implied by any allow rule.
var Areas = []string{"jobs", "minions", "events", "audit", "keys", "pillar", "log", "maintenance", "metrics", "exec", "search"}

// DefaultAreas are what a token gets when it names none: seeing the jobs
// it may have started, the minions, events and the ops log.
var DefaultAreas = []string{"jobs", "minions", "events", "log"}

// Rule allows the function globs Funs on the minions Target (a compound
// expression: a glob, G@grain:value, L@a,b, ...) matches.
type Rule struct {
	Target string   `json:"target"`
	Funs   []string `json:"funs"`
}

// ACL is an ordered list of rules and the areas allowed.
type ACL struct {
	Allow []Rule   `json:"allow,omitempty"`
	Areas []string `json:"areas,omitempty"`
	// All marks the operator's full power (the static api.token, the
	// socket's owner): everything is allowed.
	All bool `json:"all,omitempty"`
}

// ParseAllow reads the command line's "TARGET:FUNGLOB[,FUNGLOB...]". The
// target may itself hold colons (G@role:web); the function globs follow
// the last one.
func ParseAllow(s string) (Rule, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 || i == len(s)-1 {
		return Rule{}, fmt.Errorf("allow %q: want TARGET:FUNCTION[,FUNCTION...]", s)
	}
	r := Rule{Target: s[:i]}
	for _, f := range strings.Split(s[i+1:], ",") {
		if f = strings.TrimSpace(f); f != "" {
			r.Funs = append(r.Funs, f)
		}
	}
	return r, r.validate()
}

func (r Rule) validate() error {
	if _, err := targeting.Compile(targeting.Compound, r.Target, targeting.Options{}); err != nil && !errors.Is(err, targeting.ErrUnknownNodegroup) {
		return fmt.Errorf("allow target %q: %w", r.Target, err)
	}
	if len(r.Funs) == 0 {
		return fmt.Errorf("allow target %q: no functions", r.Target)
	}
	return nil
}

// fileShape is an ACL file: allow as {TARGET: [FUNGLOB...]} (or a list of
// such one-key mappings, to keep an order), and areas.
type fileShape struct {
	Allow yaml.Node `yaml:"allow"`
	Areas []string  `yaml:"areas"`
}

// ParseFile reads an ACL file (YAML).
func ParseFile(b []byte) (ACL, error) {
	var f fileShape
	if err := yaml.Unmarshal(b, &f); err != nil {
		return ACL{}, fmt.Errorf("acl file: %w", err)
	}
	var a ACL
	var add func(n *yaml.Node) error
	add = func(n *yaml.Node) error {
		switch n.Kind {
		case 0:
			return nil
		case yaml.SequenceNode:
			for _, it := range n.Content {
				if err := add(it); err != nil {
					return err
				}
			}
			return nil
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				var funs []string
				if err := n.Content[i+1].Decode(&funs); err != nil {
					var one string
					if err2 := n.Content[i+1].Decode(&one); err2 != nil {
						return fmt.Errorf("acl file: allow %s: want a list of functions", n.Content[i].Value)
					}
					funs = []string{one}
				}
				r := Rule{Target: n.Content[i].Value, Funs: funs}
				if err := r.validate(); err != nil {
					return err
				}
				a.Allow = append(a.Allow, r)
			}
			return nil
		}
		return fmt.Errorf("acl file: allow: want a mapping of targets to function lists")
	}
	if err := add(&f.Allow); err != nil {
		return ACL{}, err
	}
	a.Areas = f.Areas
	return a, a.validateAreas()
}

func (a ACL) validateAreas() error {
	for _, ar := range a.Areas {
		if ar == "run" || ar == "*" {
			continue
		}
		known := false
		for _, k := range Areas {
			known = known || k == ar
		}
		if !known {
			return fmt.Errorf("acl: unknown area %q (known: %s)", ar, strings.Join(Areas, ", "))
		}
	}
	return nil
}

// Validate checks every rule and area.
func (a ACL) Validate() error {
	for _, r := range a.Allow {
		if err := r.validate(); err != nil {
			return err
		}
	}
	return a.validateAreas()
}

// HasArea reports whether the ACL opens an area of the API.
func (a ACL) HasArea(area string) bool {
	if a.All {
		return true
	}
	if area == "run" {
		return len(a.Allow) > 0
	}
	areas := a.Areas
	if areas == nil {
		areas = DefaultAreas
	}
	for _, ar := range areas {
		if ar == area || ar == "*" {
			return true
		}
	}
	return false
}

// funMatches is a function glob (fnmatch: test.*, *.ping, state.apply).
func funMatches(glob, fun string) bool {
	return targeting.CompilePattern(glob).Match(fun)
}

// Resolver says which minions a target expression matches now (the
// master's cache).
type Resolver func(target string) ([]string, error)

// Check decides a run of fun on the minions requested matches (the
// request's own target, resolved). who names the caller in the refusal.
func (a ACL) Check(who, fun, target string, requested []string, resolve Resolver) error {
	if a.All {
		return nil
	}
	var rules []Rule
	for _, r := range a.Allow {
		for _, g := range r.Funs {
			if funMatches(g, fun) {
				rules = append(rules, r)
				break
			}
		}
	}
	if len(rules) == 0 {
		return fmt.Errorf("%w: %s may not run %s", ErrForbidden, who, fun)
	}
	allowed := map[string]bool{}
	for _, r := range rules {
		ids, err := resolve(r.Target)
		if err != nil {
			return fmt.Errorf("%w: %s: allow target %q: %v", ErrForbidden, who, r.Target, err)
		}
		for _, id := range ids {
			allowed[id] = true
		}
	}
	var outside []string
	for _, id := range requested {
		if !allowed[id] {
			outside = append(outside, id)
		}
	}
	if len(outside) > 0 {
		sort.Strings(outside)
		if len(outside) > 5 {
			outside = append(outside[:5], fmt.Sprintf("and %d more", len(outside)-5))
		}
		return fmt.Errorf("%w: target %q matches %s, where %s may not run %s", ErrForbidden, target, strings.Join(outside, ", "), who, fun)
	}
	return nil
}
