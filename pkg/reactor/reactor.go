// Package reactor reads the master's `reactor:` rules and decides what an
// event sets off: a function run, a state apply or a webhook. The master
// carries the actions out; this package only matches tags and renders the
// rules' templates with the event (`tag`, `data`), so that `halite-master
// events --explain TAG` shows exactly what would happen without doing it.
package reactor

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/halite/halite/pkg/targeting"
	"github.com/halite/halite/pkg/template"
)

// Kinds of action.
const (
	KindRun     = "run"
	KindApply   = "apply"
	KindWebhook = "webhook"
)

// Rule is one `reactor:` entry.
type Rule struct {
	// Index is the rule's place in the list, from 1, as users count.
	Index int    `json:"index"`
	Tag   string `json:"tag"`
	Kind  string `json:"kind"`
	// Spec is the action as configured: for run {tgt, tgt_type, fun, arg,
	// kwarg}, for apply {tgt, tgt_type, sls, test, pillar}, for webhook
	// the URL under "url".
	Spec map[string]any `json:"spec"`

	pattern targeting.Pattern
}

// Action is a rule rendered for one event.
type Action struct {
	Rule       int            `json:"rule"`
	Kind       string         `json:"kind"`
	Target     string         `json:"tgt,omitempty"`
	TargetType string         `json:"tgt_type,omitempty"`
	Fun        string         `json:"fun,omitempty"`
	Args       []any          `json:"arg,omitempty"`
	Kwargs     map[string]any `json:"kwarg,omitempty"`
	URL        string         `json:"url,omitempty"`
}

// Parse reads the `reactor:` list. Every problem is reported, naming the
// rule by its position.
func Parse(raw []map[string]any) ([]Rule, error) {
	var rules []Rule
	var errs []error
	for i, m := range raw {
		r, err := parseRule(i+1, m)
		if err != nil {
			errs = append(errs, fmt.Errorf("reactor rule %d: %w", i+1, err))
			continue
		}
		rules = append(rules, r)
	}
	return rules, errors.Join(errs...)
}

func parseRule(index int, m map[string]any) (Rule, error) {
	r := Rule{Index: index}
	tag, ok := m["tag"].(string)
	if !ok || tag == "" {
		if len(m) == 1 {
			for k, v := range m {
				if _, isList := v.([]any); !isList {
					break
				}
				return r, fmt.Errorf("%q maps a tag to reactor SLS files (Salt's shape); write {tag: %q, run: {...}} or apply: or webhook:", k, k)
			}
		}
		return r, errors.New("no tag")
	}
	r.Tag = tag
	r.pattern = targeting.CompilePattern(tag)
	var kinds []string
	for k, v := range m {
		switch k {
		case "tag":
		case KindRun, KindApply:
			spec, ok := v.(map[string]any)
			if !ok {
				return r, fmt.Errorf("%s: want a mapping", k)
			}
			r.Kind, r.Spec = k, spec
			kinds = append(kinds, k)
		case KindWebhook:
			switch w := v.(type) {
			case string:
				r.Spec = map[string]any{"url": w}
			case map[string]any:
				r.Spec = w
			default:
				return r, errors.New("webhook: want a URL")
			}
			r.Kind = k
			kinds = append(kinds, k)
		default:
			return r, fmt.Errorf("unknown key %q (want tag and one of run, apply, webhook)", k)
		}
	}
	if len(kinds) != 1 {
		return r, fmt.Errorf("want exactly one of run, apply, webhook; have %d", len(kinds))
	}
	return r, r.check()
}

// check validates what can be known before an event arrives.
func (r Rule) check() error {
	allowed := map[string][]string{
		KindRun:     {"tgt", "tgt_type", "fun", "arg", "kwarg"},
		KindApply:   {"tgt", "tgt_type", "sls", "test", "pillar"},
		KindWebhook: {"url"},
	}[r.Kind]
	for k := range r.Spec {
		if !contains(allowed, k) {
			return fmt.Errorf("%s: unknown key %q (allowed: %s)", r.Kind, k, strings.Join(allowed, ", "))
		}
	}
	switch r.Kind {
	case KindRun:
		if s, _ := r.Spec["fun"].(string); s == "" {
			return errors.New("run: no fun")
		}
		fallthrough
	case KindApply:
		if s, _ := r.Spec["tgt"].(string); s == "" {
			return fmt.Errorf("%s: no tgt", r.Kind)
		}
	case KindWebhook:
		u, _ := r.Spec["url"].(string)
		if u == "" {
			return errors.New("webhook: no url")
		}
		if !strings.Contains(u, "{") {
			if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
				return fmt.Errorf("webhook: %q is not an http(s) URL", u)
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Matching returns the rules whose tag glob matches tag, in order.
func Matching(rules []Rule, tag string) []Rule {
	var out []Rule
	for _, r := range rules {
		if r.pattern.Match(tag) {
			out = append(out, r)
		}
	}
	return out
}

// Render fills a rule's templates in with the event. Strings containing
// "{{" or "{%" are Jinja templates seeing `tag` and `data`.
func Render(ctx context.Context, eng *template.Engine, r Rule, tag string, data map[string]any) (Action, error) {
	vars := map[string]any{"tag": tag, "data": data}
	if data == nil {
		vars["data"] = map[string]any{}
	}
	rendered, err := renderValue(ctx, eng, fmt.Sprintf("reactor rule %d", r.Index), r.Spec, vars)
	if err != nil {
		return Action{}, err
	}
	spec := rendered.(map[string]any)
	a := Action{Rule: r.Index, Kind: r.Kind}
	str := func(k string) string { s, _ := spec[k].(string); return strings.TrimSpace(s) }
	switch r.Kind {
	case KindRun:
		a.Target, a.TargetType, a.Fun = str("tgt"), str("tgt_type"), str("fun")
		switch args := spec["arg"].(type) {
		case []any:
			a.Args = args
		case nil:
		default:
			a.Args = []any{args}
		}
		if kw, ok := spec["kwarg"].(map[string]any); ok {
			a.Kwargs = kw
		} else if spec["kwarg"] != nil {
			return a, errors.New("run: kwarg must be a mapping")
		}
	case KindApply:
		a.Target, a.TargetType, a.Fun = str("tgt"), str("tgt_type"), "state.apply"
		switch sls := spec["sls"].(type) {
		case string:
			if sls = strings.TrimSpace(sls); sls != "" {
				a.Args = []any{sls}
			}
		case []any:
			names := make([]string, 0, len(sls))
			for _, s := range sls {
				names = append(names, fmt.Sprint(s))
			}
			a.Args = []any{strings.Join(names, ",")}
		}
		kw := map[string]any{}
		if t, ok := spec["test"]; ok {
			kw["test"] = t
		}
		if p, ok := spec["pillar"]; ok {
			kw["pillar"] = p
		}
		if len(kw) > 0 {
			a.Kwargs = kw
		}
	case KindWebhook:
		a.URL = str("url")
		if p, err := url.Parse(a.URL); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return a, fmt.Errorf("webhook: %q is not an http(s) URL", a.URL)
		}
	}
	if (r.Kind == KindRun || r.Kind == KindApply) && a.Target == "" {
		return a, fmt.Errorf("%s: the target rendered empty", r.Kind)
	}
	return a, nil
}

func renderValue(ctx context.Context, eng *template.Engine, name string, v any, vars map[string]any) (any, error) {
	switch x := v.(type) {
	case string:
		if !strings.Contains(x, "{{") && !strings.Contains(x, "{%") {
			return x, nil
		}
		out, err := eng.Render(ctx, name, []byte(x), vars)
		if err != nil {
			return nil, err
		}
		return string(out), nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := renderValue(ctx, eng, name, e, vars)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			r, err := renderValue(ctx, eng, name, x[k], vars)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	}
	return v, nil
}
