package state

import (
	"fmt"

	"github.com/halite/halite/pkg/yamlvalue"
	"gopkg.in/yaml.v3"
)

// matchTypes are the top file's `- match:` values (Salt's names).
var matchTypes = []string{
	"glob", "pcre", "list", "grain", "grain_pcre", "pillar", "pillar_pcre",
	"pillar_exact", "ipcidr", "compound", "nodegroup", "data",
}

// topTarget is one target line of a top file section.
type topTarget struct {
	env, target, match string
	sls                []string
}

// parseTop parses a rendered top file into its targets, in file order.
func parseTop(src []byte, file string) ([]topTarget, error) {
	errf := func(n *yaml.Node, format string, args ...any) error {
		return errorf(ErrBadDeclaration, "%s:%d: %s", file, line(n), fmt.Sprintf(format, args...))
	}
	root, err := yamlvalue.Parse(src)
	if err != nil {
		return nil, wrapf(ErrRender, err, "Rendering top file failed: %s: yaml: %v", file, err)
	}
	root = yamlvalue.Deref(root)
	if root == nil || (root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
		return nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, errf(root, "Top data was not formed as a dict")
	}
	envs, err := mapPairs(root)
	if err != nil {
		return nil, errf(root, "%v", err)
	}
	var out []topTarget
	for _, e := range envs {
		if e.key == "include" {
			return nil, errf(e.knod, "include in the top file is not supported")
		}
		if e.key == "" {
			return nil, errf(e.knod, "Empty saltenv statement in top file")
		}
		body := yamlvalue.Deref(e.val)
		if body == nil || body.Kind != yaml.MappingNode {
			return nil, errf(e.knod, "The top file matches for saltenv %s are not formatted as a dict", e.key)
		}
		targets, err := mapPairs(body)
		if err != nil {
			return nil, errf(body, "%v", err)
		}
		for _, t := range targets {
			tt := topTarget{env: e.key, target: t.key, match: "glob"}
			v := yamlvalue.Deref(t.val)
			switch {
			case v != nil && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str" && v.Value != "":
				tt.sls = []string{v.Value}
			case v != nil && v.Kind == yaml.SequenceNode:
				for _, item := range v.Content {
					item = yamlvalue.Deref(item)
					switch {
					case item != nil && item.Kind == yaml.ScalarNode && item.Value != "":
						tt.sls = append(tt.sls, item.Value)
					case item != nil && item.Kind == yaml.MappingNode && len(item.Content) == 2 &&
						yamlvalue.Deref(item.Content[0]) != nil && yamlvalue.Deref(item.Content[0]).Value == "match":
						mv := yamlvalue.Deref(item.Content[1])
						if mv == nil || mv.Kind != yaml.ScalarNode || !contains(matchTypes, mv.Value) {
							return nil, errf(item, "Improperly formatted top file matcher in saltenv %s: target '%s' has an unknown match type", e.key, t.key)
						}
						tt.match = mv.Value
					default:
						return nil, errf(item, "Malformed topfile: target '%s' in saltenv %s has an entry that is neither an SLS name nor {match: type}", t.key, e.key)
					}
				}
			default:
				return nil, errf(t.knod, "Malformed topfile (state declarations not formed as a list)")
			}
			out = append(out, tt)
		}
	}
	return out, nil
}
