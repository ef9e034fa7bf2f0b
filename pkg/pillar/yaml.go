package pillar

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits on one rendered SLS document. They bound the work a hostile or
// broken template can cause (alias bombs, runaway nesting).
const (
	maxYAMLNodes = 1 << 20
	maxYAMLDepth = 64
)

// yamlError is a YAML problem at a line of the parsed text (0: unknown).
type yamlError struct {
	line int
	msg  string
}

func (e *yamlError) Error() string { return e.msg }

var yamlLineRE = regexp.MustCompile(`^line (\d+): `)

// parseYAML parses one YAML document. An empty document returns nil. The
// yaml package is trusted not to panic, but a compile must never crash on
// bad input, so a panic becomes an error.
func parseYAML(src []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &yamlError{msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		// "yaml: line 3: mapping values are not allowed": the line goes
		// into the position, the rest is the message.
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		ye := &yamlError{msg: msg}
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			ye.line, _ = strconv.Atoi(m[1])
			ye.msg = msg[len(m[0]):]
		}
		return nil, ye
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	if doc.Kind == 0 {
		return nil, nil
	}
	return &doc, nil
}

// deref follows aliases so a structural walk sees the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxYAMLDepth; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// isNull reports whether n is absent or a YAML null.
func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

var errTooComplex = errors.New("document is too large or too deeply nested")

// converter turns nodes into plain Go data: nil, bool, int, uint64,
// float64, string, []any and map[string]any. Its budget bounds the total
// work including alias expansion.
type converter struct{ budget int }

func newConverter() *converter { return &converter{budget: maxYAMLNodes} }

func (c *converter) value(n *yaml.Node, depth int) (any, error) {
	c.budget--
	if c.budget < 0 || depth > maxYAMLDepth {
		return nil, &yamlError{line: n.Line, msg: errTooComplex.Error()}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, &yamlError{line: n.Line, msg: "unknown alias"}
		}
		return c.value(n.Alias, depth+1)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.ScalarNode:
		return scalar(n), nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e, depth+1)
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
				return nil, &yamlError{line: n.Content[i].Line, msg: "mapping keys must be scalars"}
			}
			if k.ShortTag() == "!!merge" {
				merges = append(merges, n.Content[i+1])
				continue
			}
			key := keyString(k)
			if _, dup := out[key]; dup {
				// Salt's YAML loader refuses duplicate keys too: the
				// second would silently win otherwise.
				return nil, &yamlError{line: k.Line, msg: fmt.Sprintf("mapping key %q is defined twice", key)}
			}
			v, err := c.value(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[key] = v
		}
		for _, m := range merges {
			if err := c.merge(out, m, depth+1); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, &yamlError{line: n.Line, msg: "unsupported YAML node"}
}

// merge applies a merge key (<<): keys already present win.
func (c *converter) merge(dst map[string]any, m *yaml.Node, depth int) error {
	v, err := c.value(m, depth)
	if err != nil {
		return err
	}
	srcs := []any{v}
	if l, ok := v.([]any); ok {
		srcs = l
	}
	for _, s := range srcs {
		sm, ok := s.(map[string]any)
		if !ok {
			return &yamlError{line: m.Line, msg: "merge key needs a mapping or a list of mappings"}
		}
		for k, val := range sm {
			if _, ok := dst[k]; !ok {
				dst[k] = val
			}
		}
	}
	return nil
}

// keyString gives a mapping key's text. Keys are strings in Go maps; a
// key YAML reads as a number or boolean keeps the text it was written
// with, except that YAML 1.1 booleans print as Python does.
func keyString(k *yaml.Node) string {
	if b, ok := scalar(k).(bool); ok {
		if b {
			return "True"
		}
		return "False"
	}
	return k.Value
}

// yaml11Bools are the plain words PyYAML (YAML 1.1), and so Salt, reads as
// booleans. yaml.v3 follows YAML 1.2, where only true and false are; a
// pillar written for Salt says "enabled: yes" and means a boolean.
var yaml11Bools = map[string]bool{
	"yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

func scalar(n *yaml.Node) any {
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
	case "!!str":
		if n.Style == 0 {
			if b, ok := yaml11Bools[n.Value]; ok {
				return b
			}
		}
	}
	return n.Value
}
