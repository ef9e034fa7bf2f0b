package state

import (
	"errors"
	"fmt"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Limits on a rendered SLS document. They bound the work a hostile or
// broken template can cause (alias bombs, runaway nesting).
const (
	maxYAMLNodes = 1 << 20
	maxYAMLDepth = 64
)

var errYAMLTooComplex = errors.New("document is too large or too deeply nested")

// parseYAML parses one YAML document into a node tree. An empty document
// returns nil. The yaml package is trusted not to panic, but a state run
// must never crash on bad input, so a panic becomes an error.
func parseYAML(src []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: parser failed: %v", r)
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 {
		return nil, nil
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	return &doc, nil
}

// deref follows aliases so the structural walk sees the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxYAMLDepth; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// pair is one key/value of a YAML mapping, in document order.
type pair struct {
	key  string
	knod *yaml.Node
	val  *yaml.Node
}

// mapPairs returns a mapping's entries in order. Duplicate keys are an
// error, as in Salt's YAML loader ("found conflicting ID").
func mapPairs(n *yaml.Node) ([]pair, error) {
	out := make([]pair, 0, len(n.Content)/2)
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		if k == nil || k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("line %d: mapping keys must be scalars", n.Content[i].Line)
		}
		if line, dup := seen[k.Value]; dup {
			return nil, fmt.Errorf("line %d: found conflicting ID '%s' (first defined at line %d)", k.Line, k.Value, line)
		}
		seen[k.Value] = k.Line
		out = append(out, pair{key: k.Value, knod: k, val: v})
	}
	return out, nil
}

// pyTypeName names a scalar's YAML type the way Salt's messages do.
func pyTypeName(n *yaml.Node) string {
	switch n.ShortTag() {
	case "!!int":
		return "int"
	case "!!float":
		return "float"
	case "!!bool":
		return "bool"
	case "!!null":
		return "NoneType"
	case "!!timestamp":
		return "datetime"
	}
	return "str"
}

// yamlValue converts a node into plain Go data: nil, bool, int, float64,
// string, []any and map[string]any. Merge keys (<<) are honoured; the
// budget bounds the total work including alias expansion.
func yamlValue(n *yaml.Node, budget *int, depth int) (any, error) {
	*budget--
	if *budget < 0 || depth > maxYAMLDepth {
		return nil, errYAMLTooComplex
	}
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, fmt.Errorf("line %d: unknown alias", n.Line)
		}
		return yamlValue(n.Alias, budget, depth+1)
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return yamlValue(n.Content[0], budget, depth+1)
	case yaml.ScalarNode:
		return yamlScalar(n), nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := yamlValue(c, budget, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := deref(n.Content[i])
			if k == nil || k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping keys must be scalars", n.Content[i].Line)
			}
			if k.ShortTag() == "!!merge" {
				merges = append(merges, n.Content[i+1])
				continue
			}
			if _, dup := out[k.Value]; dup {
				return nil, fmt.Errorf("line %d: mapping key %q already defined", k.Line, k.Value)
			}
			v, err := yamlValue(n.Content[i+1], budget, depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		for _, m := range merges {
			if err := yamlMerge(out, m, budget, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: unsupported YAML node", n.Line)
}

// yamlMerge applies a merge key: keys already present win.
func yamlMerge(dst map[string]any, m *yaml.Node, budget *int, depth int) error {
	v, err := yamlValue(m, budget, depth)
	if err != nil {
		return err
	}
	var srcs []any
	switch v := v.(type) {
	case map[string]any:
		srcs = []any{v}
	case []any:
		srcs = v
	default:
		return fmt.Errorf("line %d: merge key needs a mapping or a list of mappings", m.Line)
	}
	for _, s := range srcs {
		sm, ok := s.(map[string]any)
		if !ok {
			return fmt.Errorf("line %d: merge key needs a mapping or a list of mappings", m.Line)
		}
		for k, val := range sm {
			if _, ok := dst[k]; !ok {
				dst[k] = val
			}
		}
	}
	return nil
}

func yamlScalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		var i int64
		if n.Decode(&i) == nil {
			return int(i)
		}
		var u uint64
		if n.Decode(&u) == nil {
			return u
		}
	case "!!float":
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	}
	return n.Value
}

// scalarString renders a scalar value as text, for names given as numbers.
func scalarString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case int:
		return strconv.Itoa(v), true
	case uint64:
		return strconv.FormatUint(v, 10), true
	case float64:
		return pyFloat(v), true
	case bool:
		return pyBool(v), true
	}
	return "", false
}
