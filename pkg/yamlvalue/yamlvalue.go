// Package yamlvalue reads YAML the way Salt does for SLS and pillar files:
// it parses one document into yaml.v3 nodes with errors that carry their
// line, and converts nodes into plain Go values with PyYAML's (YAML 1.1)
// scalar rules, within a bound on the work a hostile document can cause.
//
// yaml.v3 follows YAML 1.2; Salt reads with PyYAML. The difference that
// matters to users is that "yes", "no", "on" and "off" are booleans in
// Salt, so a state or pillar written for Salt means a boolean there.
package yamlvalue

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits on one document. They bound the work a hostile or broken
// template can cause (alias bombs, runaway nesting).
const (
	// MaxNodes is the number of nodes one Converter visits, counting
	// every expansion of an alias.
	MaxNodes = 1 << 20
	// MaxDepth is the deepest nesting (and the longest alias chain)
	// accepted.
	MaxDepth = 64
)

// ErrTooComplex is wrapped by the *Error a Converter returns when a
// document exceeds MaxNodes or MaxDepth.
var ErrTooComplex = errors.New("document is too large or too deeply nested")

// Error is a YAML problem at a line of the parsed text. Callers that
// report positions themselves (file:line) use Line and Msg; Error()
// gives "line N: msg" for those that do not.
type Error struct {
	Line int    // 1-based line; 0 when the parser did not say
	Msg  string // the problem, without the position
	Err  error  // a sentinel such as ErrTooComplex, or nil
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// Unwrap lets errors.Is see the sentinel, if any.
func (e *Error) Unwrap() error { return e.Err }

var lineRE = regexp.MustCompile(`^line (\d+): `)

// Parse parses one YAML document into its root node. An empty document
// returns a nil node. Errors are *Error. The yaml package is trusted not
// to panic, but a compile must never crash on bad input, so a panic
// becomes an error too.
func Parse(src []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, &Error{Msg: fmt.Sprintf("YAML parser failed: %v", r)}
		}
	}()
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		// "yaml: line 3: mapping values are not allowed": the line goes
		// into the position, the rest is the message.
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		ye := &Error{Msg: msg}
		if m := lineRE.FindStringSubmatch(msg); m != nil {
			ye.Line, _ = strconv.Atoi(m[1])
			ye.Msg = msg[len(m[0]):]
		}
		return nil, ye
	}
	switch doc.Kind {
	case 0:
		return nil, nil
	case yaml.DocumentNode:
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	return &doc, nil
}

// Deref follows aliases so a structural walk sees the anchored node. It
// returns nil for nil, an unresolved alias, or a chain longer than
// MaxDepth.
func Deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < MaxDepth; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// IsNull reports whether n is absent or (after aliases) a YAML null.
func IsNull(n *yaml.Node) bool {
	n = Deref(n)
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// Converter turns nodes into plain Go data: nil, bool, int, uint64,
// float64, string, []any and map[string]any. Its budget of MaxNodes is
// shared by every Value call, so one Converter bounds the total work of a
// document including alias expansion. A Converter is not safe for
// concurrent use.
type Converter struct{ budget int }

// NewConverter returns a Converter with a full budget.
func NewConverter() *Converter { return &Converter{budget: MaxNodes} }

// Value converts n. Mapping keys become strings (see KeyString);
// duplicate keys are an error, as in Salt's loader; merge keys (<<) are
// honoured, with keys already present winning. Errors are *Error.
func (c *Converter) Value(n *yaml.Node) (any, error) {
	if n == nil {
		return nil, nil
	}
	return c.value(n, 0)
}

func (c *Converter) value(n *yaml.Node, depth int) (any, error) {
	c.budget--
	if c.budget < 0 || depth > MaxDepth {
		return nil, &Error{Line: n.Line, Msg: ErrTooComplex.Error(), Err: ErrTooComplex}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, &Error{Line: n.Line, Msg: "unknown alias"}
		}
		return c.value(n.Alias, depth+1)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.ScalarNode:
		return Scalar(n), nil
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
			k := Deref(n.Content[i])
			if k == nil || k.Kind != yaml.ScalarNode {
				return nil, &Error{Line: n.Content[i].Line, Msg: "mapping keys must be scalars"}
			}
			if k.ShortTag() == "!!merge" {
				merges = append(merges, n.Content[i+1])
				continue
			}
			key := KeyString(k)
			if _, dup := out[key]; dup {
				// Salt's YAML loader refuses duplicate keys too: the
				// second would silently win otherwise.
				return nil, &Error{Line: k.Line, Msg: fmt.Sprintf("mapping key %q is defined twice", key)}
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
	return nil, &Error{Line: n.Line, Msg: "unsupported YAML node"}
}

// merge applies a merge key (<<): keys already present win.
func (c *Converter) merge(dst map[string]any, m *yaml.Node, depth int) error {
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
			return &Error{Line: m.Line, Msg: "merge key needs a mapping or a list of mappings"}
		}
		for k, val := range sm {
			if _, ok := dst[k]; !ok {
				dst[k] = val
			}
		}
	}
	return nil
}

// KeyString gives a mapping key's text. Keys are strings in Go maps; a
// key YAML reads as a number keeps the text it was written with, and one
// read as a boolean prints as Python does ("True", "False"), as it would
// after Salt's loader.
func KeyString(k *yaml.Node) string {
	if b, ok := Scalar(k).(bool); ok {
		if b {
			return "True"
		}
		return "False"
	}
	return k.Value
}

// yaml11Bools are the plain words PyYAML (YAML 1.1), and so Salt, reads as
// booleans beyond YAML 1.2's true and false.
var yaml11Bools = map[string]bool{
	"yes": true, "Yes": true, "YES": true, "on": true, "On": true, "ON": true,
	"no": false, "No": false, "NO": false, "off": false, "Off": false, "OFF": false,
}

// Scalar converts a scalar node: nil, bool, int (uint64 beyond int64),
// float64 or string. Plain (unquoted) yes/no/on/off are booleans as in
// PyYAML; quoted or explicitly tagged !!str they stay strings.
func Scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		if n.Style == 0 {
			if v, ok := leadingZeroInt(n.Value); ok {
				return v
			}
		}
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

// leadingZeroInt reads a plain integer written with leading zeros the way
// Salt's YAML loader does: it drops the zeros and reads the rest as a
// decimal number, so `mode: 0644` is 644, whose digits every Salt mode
// argument reads as octal. PyYAML alone would make it 420, and a file
// created 0420. Hex (0x), binary (0b) and 0o forms are left to YAML.
func leadingZeroInt(s string) (int, bool) {
	t := strings.TrimLeft(s, "+-")
	if len(t) < 2 || t[0] != '0' {
		return 0, false
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(strings.TrimLeft(t, "0")+"0", 10, 64)
	if err != nil {
		return 0, false
	}
	n /= 10 // the appended 0 keeps an all-zero value parseable
	if strings.HasPrefix(s, "-") {
		n = -n
	}
	return int(n), true
}
