package pillar

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/halite/halite/pkg/targeting"
	"github.com/halite/halite/pkg/yamlvalue"
	"gopkg.in/yaml.v3"
)

// topTarget is one target of a top file section, as Salt's merge_tops
// sees it.
type topTarget struct {
	env           string // the section's saltenv: where its SLS live
	target        string
	match         targeting.Type
	order         int
	ignoreMissing bool
	sls           []topSLS
	file          string // the top file, for messages
	line          int    // the target's line
}

// topSLS is one SLS name (possibly a glob) and the line naming it.
type topSLS struct {
	name string
	line int
}

// topMatchTypes maps the `- match:` values a pillar top file may use to
// target types. Salt's pillar_exact and data matchers are not supported.
var topMatchTypes = map[string]targeting.Type{
	"glob": targeting.Glob, "pcre": targeting.PCRE, "list": targeting.List,
	"grain": targeting.Grain, "grain_pcre": targeting.GrainPCRE,
	"pillar": targeting.Pillar, "pillar_pcre": targeting.PillarPCRE,
	"ipcidr": targeting.IPCIDR, "compound": targeting.Compound, "nodegroup": targeting.Nodegroup,
}

// parseTop parses a rendered top file into its targets, in file order.
// Errors carry the line; the caller adds the file.
func parseTop(src []byte, file string) ([]topTarget, *Error) {
	errAt := func(line int, format string, args ...any) *Error {
		return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...), Kind: ErrBadTop}
	}
	root, err := yamlvalue.Parse(src)
	if err != nil {
		line, msg := yamlPos(err)
		return nil, &Error{File: file, Line: line, Msg: msg, Kind: ErrYAML}
	}
	if yamlvalue.IsNull(root) {
		return nil, nil
	}
	root = yamlvalue.Deref(root)
	if root.Kind != yaml.MappingNode {
		return nil, errAt(root.Line, "the top file is not a mapping of saltenvs to targets")
	}
	var out []topTarget
	envSeen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, body := yamlvalue.Deref(root.Content[i]), yamlvalue.Deref(root.Content[i+1])
		if k == nil || k.Kind != yaml.ScalarNode || k.Value == "" {
			return nil, errAt(root.Content[i].Line, "a saltenv name must be a non-empty string")
		}
		env := k.Value
		if env == "include" {
			return nil, errAt(k.Line, "include in a pillar top file is not supported")
		}
		if envSeen[env] {
			return nil, errAt(k.Line, "saltenv %s appears twice in the top file", env)
		}
		envSeen[env] = true
		if yamlvalue.IsNull(body) {
			continue
		}
		if body.Kind != yaml.MappingNode {
			return nil, errAt(k.Line, "the targets of saltenv %s are not a mapping", env)
		}
		targetSeen := map[string]bool{}
		for j := 0; j+1 < len(body.Content); j += 2 {
			tk, tv := yamlvalue.Deref(body.Content[j]), yamlvalue.Deref(body.Content[j+1])
			if tk == nil || tk.Kind != yaml.ScalarNode {
				return nil, errAt(body.Content[j].Line, "a target in saltenv %s is not a string", env)
			}
			if targetSeen[tk.Value] {
				return nil, errAt(tk.Line, "target '%s' appears twice in saltenv %s", tk.Value, env)
			}
			targetSeen[tk.Value] = true
			t := topTarget{env: env, target: tk.Value, match: targeting.Glob, file: file, line: tk.Line}
			if tv == nil || tv.Kind != yaml.SequenceNode {
				return nil, errAt(tk.Line, "target '%s' in saltenv %s: want a list of SLS names", t.target, env)
			}
			for _, item := range tv.Content {
				item = yamlvalue.Deref(item)
				switch {
				case item == nil:
					return nil, errAt(tk.Line, "target '%s' in saltenv %s: bad entry", t.target, env)
				case item.Kind == yaml.ScalarNode && item.Value != "" && item.ShortTag() == "!!str":
					t.sls = append(t.sls, topSLS{name: item.Value, line: item.Line})
				case item.Kind == yaml.MappingNode:
					if e := t.option(item, errAt); e != nil {
						return nil, e
					}
				default:
					return nil, errAt(item.Line, "target '%s' in saltenv %s: an entry is neither an SLS name nor an option (match, order, ignore_missing)", t.target, env)
				}
			}
			out = append(out, t)
		}
	}
	return out, nil
}

// option reads a `- match: grain` style entry of a target.
func (t *topTarget) option(n *yaml.Node, errAt func(int, string, ...any) *Error) *Error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := yamlvalue.Deref(n.Content[i]), yamlvalue.Deref(n.Content[i+1])
		if k == nil || v == nil || k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
			return errAt(n.Line, "target '%s': options must be scalars", t.target)
		}
		switch k.Value {
		case "match":
			typ, ok := topMatchTypes[v.Value]
			if !ok {
				return errAt(v.Line, "target '%s': unknown match type '%s'", t.target, v.Value)
			}
			t.match = typ
		case "order":
			o, err := strconv.Atoi(v.Value)
			if err != nil {
				return errAt(v.Line, "target '%s': order must be an integer, not '%s'", t.target, v.Value)
			}
			t.order = o
		case "ignore_missing":
			b, ok := yamlvalue.Scalar(v).(bool)
			if !ok {
				return errAt(v.Line, "target '%s': ignore_missing must be true or false", t.target)
			}
			t.ignoreMissing = b
		default:
			return errAt(k.Line, "target '%s': unknown option '%s' (want match, order or ignore_missing)", t.target, k.Value)
		}
	}
	return nil
}

// topFile is the parsed top file of one saltenv.
type topFile struct {
	env     string
	targets []topTarget
}

// mergeTops combines the top files of every saltenv as Salt's "merge"
// top_file_merging_strategy does: the base top file is authoritative and
// all its sections count; another saltenv's top file contributes only its
// own section, and only when the base top file has none for it. (Trees
// served from git branches often carry the same top.sls in every branch;
// the other sections are ignored rather than an error for that reason.)
// Each section's targets are then sorted, stably, by `order`. The result
// maps a section's saltenv to its targets.
func mergeTops(tops []topFile) map[string][]topTarget {
	out := map[string][]topTarget{}
	fromBase := map[string]bool{}
	for _, top := range tops {
		if top.env != DefaultSaltenv {
			continue
		}
		for _, t := range top.targets {
			out[t.env] = append(out[t.env], t)
			fromBase[t.env] = true
		}
	}
	for _, top := range tops {
		if top.env == DefaultSaltenv || fromBase[top.env] {
			continue
		}
		for _, t := range top.targets {
			if t.env == top.env {
				out[t.env] = append(out[t.env], t)
			}
		}
	}
	for _, ts := range out {
		sort.SliceStable(ts, func(i, j int) bool { return ts[i].order < ts[j].order })
	}
	return out
}
