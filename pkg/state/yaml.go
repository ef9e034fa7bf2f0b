package state

import (
	"fmt"
	"strconv"

	"github.com/halite/halite/pkg/yamlvalue"
	"gopkg.in/yaml.v3"
)

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
		k, v := yamlvalue.Deref(n.Content[i]), n.Content[i+1]
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
