package template

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/halite/halite/pkg/value"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// loadData parses text as format ("yaml", "json" or "text") for the
// import_*/load_* tags and filters.
func loadData(format, text string) (any, error) {
	switch format {
	case "yaml":
		return loadYAML(text)
	case "json":
		return loadJSON(text)
	}
	return text, nil
}

// maxDataDepth bounds nesting in loaded YAML and JSON.
const maxDataDepth = 100

// loadYAML parses one YAML document the way Salt's yaml loader (PyYAML,
// YAML 1.1) does: yes/no/on/off are booleans, 0755 is octal, mappings keep
// their order, and "<<" merge keys work.
func loadYAML(text string) (any, error) {
	dec := yaml.NewDecoder(strings.NewReader(text))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, nil
		}
		return nil, fmt.Errorf("load yaml: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		return nil, errors.New("load yaml: expected a single document")
	}
	c := yamlConverter{seen: map[*yaml.Node]any{}}
	return c.value(&doc, 0)
}

type yamlConverter struct {
	// seen holds converted anchors so aliases share one value (as in
	// Python) instead of being expanded again: no billion-laughs blowup.
	seen  map[*yaml.Node]any
	nodes int
}

func (c *yamlConverter) value(n *yaml.Node, depth int) (any, error) {
	if depth > maxDataDepth {
		return nil, fmt.Errorf("load yaml: nesting deeper than %d", maxDataDepth)
	}
	c.nodes++
	if c.nodes > 1_000_000 {
		return nil, errors.New("load yaml: document too large")
	}
	if v, ok := c.seen[n]; ok {
		return v, nil
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, errors.New("load yaml: unknown alias")
		}
		return c.value(n.Alias, depth+1)
	case yaml.SequenceNode:
		l := &pyList{items: make([]any, 0, len(n.Content))}
		if n.Anchor != "" {
			c.seen[n] = l
		}
		for _, item := range n.Content {
			v, err := c.value(item, depth+1)
			if err != nil {
				return nil, err
			}
			l.items = append(l.items, v)
		}
		return l, nil
	case yaml.MappingNode:
		d := newDict(len(n.Content) / 2)
		if n.Anchor != "" {
			c.seen[n] = d
		}
		// Merge keys first, so explicit keys override them; with a list
		// of merges the first one wins, as in PyYAML.
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
				if err := c.merge(d, n.Content[i+1], depth); err != nil {
					return nil, err
				}
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
				continue
			}
			kv, err := c.value(k, depth+1)
			if err != nil {
				return nil, err
			}
			vv, err := c.value(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			if err := d.set(kv, vv); err != nil {
				return nil, fmt.Errorf("load yaml: line %d: %v", k.Line, err)
			}
		}
		return d, nil
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil, fmt.Errorf("load yaml: unexpected node kind %d", n.Kind)
}

func (c *yamlConverter) merge(d *pyDict, n *yaml.Node, depth int) error {
	v, err := c.value(n, depth+1)
	if err != nil {
		return err
	}
	var maps []*pyDict
	switch v := v.(type) {
	case *pyDict:
		maps = []*pyDict{v}
	case *pyList:
		for _, it := range v.items {
			m, ok := it.(*pyDict)
			if !ok {
				return errors.New("load yaml: merge list items must be mappings")
			}
			maps = append(maps, m)
		}
	default:
		return errors.New("load yaml: merge value must be a mapping or a list of mappings")
	}
	for _, m := range maps {
		for _, k := range m.keys {
			if _, exists := d.get(k); !exists {
				_ = d.set(k, m.value(k))
			}
		}
	}
	return nil
}

func scalarValue(n *yaml.Node) (any, error) {
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 && n.Style&yaml.TaggedStyle == 0 {
		return n.Value, nil
	}
	if n.Style&yaml.TaggedStyle != 0 {
		switch n.ShortTag() {
		case "!!str":
			return n.Value, nil
		case "!!int", "!!float", "!!bool", "!!null":
			v := resolvePlain(n.Value)
			if _, isStr := v.(string); isStr {
				return nil, fmt.Errorf("load yaml: line %d: cannot read %q as %s", n.Line, n.Value, n.ShortTag())
			}
			return v, nil
		}
		return n.Value, nil
	}
	return resolvePlain(n.Value), nil
}

// PyYAML's implicit resolvers (YAML 1.1).
var (
	reYAMLBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	reYAMLFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	reYAMLInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	reYAMLNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	reYAMLTime  = regexp.MustCompile(`^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$`)
)

// plainTag is the type PyYAML would give an unquoted scalar s.
func plainTag(s string) string {
	switch {
	case reYAMLNull.MatchString(s):
		return "null"
	case reYAMLBool.MatchString(s):
		return "bool"
	case reYAMLInt.MatchString(s):
		return "int"
	case reYAMLFloat.MatchString(s):
		return "float"
	case reYAMLTime.MatchString(s):
		return "timestamp"
	case s == "<<":
		return "merge"
	case s == "=":
		return "value"
	}
	return "str"
}

// resolvePlain converts an unquoted scalar as PyYAML's SafeLoader does.
// Timestamps stay strings (their str() form is the same).
func resolvePlain(s string) any {
	switch plainTag(s) {
	case "null":
		return nil
	case "bool":
		switch strings.ToLower(s) {
		case "yes", "true", "on":
			return true
		}
		return false
	case "int":
		if v, ok := yamlInt(s); ok {
			return v
		}
		return s
	case "float":
		return yamlFloat(s)
	}
	return s
}

func yamlInt(s string) (any, bool) {
	v := strings.ReplaceAll(s, "_", "")
	sign := 1
	if strings.HasPrefix(v, "-") {
		sign, v = -1, v[1:]
	} else if strings.HasPrefix(v, "+") {
		v = v[1:]
	}
	var n int64
	var err error
	switch {
	case v == "0":
		return 0, true
	case strings.HasPrefix(v, "0b"):
		n, err = strconv.ParseInt(v[2:], 2, 64)
	case strings.HasPrefix(v, "0x"):
		n, err = strconv.ParseInt(v[2:], 16, 64)
	case strings.HasPrefix(v, "0"):
		n, err = strconv.ParseInt(v[1:], 8, 64)
	case strings.Contains(v, ":"):
		for _, part := range strings.Split(v, ":") {
			d, perr := strconv.ParseInt(part, 10, 64)
			if perr != nil || n > math.MaxInt64/60 {
				return nil, false
			}
			n = n*60 + d
		}
	default:
		n, err = strconv.ParseInt(v, 10, 64)
	}
	if err != nil {
		if f, ferr := strconv.ParseFloat(v, 64); ferr == nil && !strings.HasPrefix(v, "0") {
			return float64(sign) * f, true // beyond int64: keep the magnitude
		}
		return nil, false
	}
	return sign * int(n), true
}

func yamlFloat(s string) any {
	v := strings.ToLower(strings.ReplaceAll(s, "_", ""))
	sign := 1.0
	if strings.HasPrefix(v, "-") {
		sign, v = -1, v[1:]
	} else if strings.HasPrefix(v, "+") {
		v = v[1:]
	}
	switch {
	case v == ".inf":
		return sign * math.Inf(1)
	case v == ".nan":
		return math.NaN()
	case strings.Contains(v, ":"):
		var f float64
		for _, part := range strings.Split(v, ":") {
			d, _ := strconv.ParseFloat(part, 64)
			f = f*60 + d
		}
		return sign * f
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return s
	}
	return sign * f
}

// loadJSON parses JSON keeping object key order; integers stay ints.
func loadJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := jsonValue(dec, 0)
	if err != nil {
		return nil, fmt.Errorf("load json: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("load json: extra data after the value")
	}
	return v, nil
}

func jsonValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxDataDepth {
		return nil, fmt.Errorf("nesting deeper than %d", maxDataDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("unexpected end of input")
		}
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '[':
			l := &pyList{}
			for dec.More() {
				v, err := jsonValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return l, nil
		case '{':
			d := newDict(4)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key must be a string")
				}
				v, err := jsonValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				_ = d.set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return d, nil
		}
		return nil, fmt.Errorf("unexpected %v", t)
	case json.Number:
		if n, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return int(n), nil
		}
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return nil, err
		}
		return f, nil
	case string, bool, nil:
		return t, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

// ---- dumping ----

// sortedKeys orders dict keys as PyYAML and json.dumps(sort_keys=True) do;
// keys of mixed types fall back to their string form.
func sortedKeys(d *pyDict) []any {
	keys := append([]any(nil), d.keys...)
	sort.SliceStable(keys, func(i, j int) bool {
		c, err := pyCompare(keys[i], keys[j])
		if err != nil {
			return pyStr(keys[i]) < pyStr(keys[j])
		}
		return c < 0
	})
	return keys
}

// jsonDump is Python's json.dumps with ensure_ascii.
func jsonDump(v any, sortKeys bool, indent any) (string, error) {
	var ind string
	hasIndent := false
	switch i := indent.(type) {
	case nil:
	case int:
		if i < 0 || i > 64 {
			return "", errors.New("indent out of range")
		}
		ind, hasIndent = strings.Repeat(" ", i), true
	case string:
		ind, hasIndent = i, true
	default:
		return "", errors.New("indent must be an integer or a string")
	}
	var b strings.Builder
	err := writeJSON(&b, v, sortKeys, hasIndent, ind, 0)
	return b.String(), err
}

func writeJSON(b *strings.Builder, v any, sortKeys, hasIndent bool, ind string, depth int) error {
	if depth > maxDataDepth {
		return errors.New("nesting too deep to serialise")
	}
	nl := func(level int) {
		if hasIndent {
			b.WriteByte('\n')
			for i := 0; i < level; i++ {
				b.WriteString(ind)
			}
		}
	}
	sep := ", "
	if hasIndent {
		sep = ","
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int:
		b.WriteString(strconv.Itoa(x))
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("NaN")
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(value.FormatFloat(x))
		}
	case string:
		writeJSONString(b, x)
	case *pyList, pyTuple:
		items, _ := iterate(x)
		if len(items) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(depth + 1)
			if err := writeJSON(b, it, sortKeys, hasIndent, ind, depth+1); err != nil {
				return err
			}
		}
		nl(depth)
		b.WriteByte(']')
	case *pyDict, *namespace:
		d, ok := x.(*pyDict)
		if !ok {
			d = x.(*namespace).d
		}
		if d.len() == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := d.keys
		if sortKeys {
			keys = sortedKeys(d)
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(depth + 1)
			var ks string
			switch kk := k.(type) {
			case string:
				ks = kk
			case nil:
				ks = "null"
			case bool:
				ks = strconv.FormatBool(kk)
			default:
				ks = pyStr(kk)
			}
			writeJSONString(b, ks)
			b.WriteString(": ")
			if err := writeJSON(b, d.value(k), sortKeys, hasIndent, ind, depth+1); err != nil {
				return err
			}
		}
		nl(depth)
		b.WriteByte('}')
	default:
		return fmt.Errorf("object of type %s is not JSON serializable", typeName(v))
	}
	return nil
}

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r >= 0x10000:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			case r < 0x20 || r > 0x7e:
				fmt.Fprintf(b, `\u%04x`, r)
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// yamlDump is PyYAML's safe_dump (sorted keys, allow_unicode) in flow or
// block style. It does not fold long lines as PyYAML does at 80 columns;
// the YAML it writes reads back the same.
func yamlDump(v any, flow bool) (string, error) {
	var b strings.Builder
	if err := checkYAMLDumpable(v, 0); err != nil {
		return "", err
	}
	if flow {
		writeYAMLFlow(&b, v)
		b.WriteByte('\n')
		return b.String(), nil
	}
	switch x := v.(type) {
	case *pyDict:
		if x.len() > 0 {
			writeYAMLBlockMap(&b, x, 0, false)
			return b.String(), nil
		}
	case *pyList, pyTuple:
		items, _ := iterate(x)
		if len(items) > 0 {
			writeYAMLBlockSeq(&b, items, 0, false)
			return b.String(), nil
		}
	}
	writeYAMLFlow(&b, v)
	b.WriteByte('\n')
	return b.String(), nil
}

func checkYAMLDumpable(v any, depth int) error {
	if depth > maxDataDepth {
		return errors.New("nesting too deep to serialise")
	}
	switch x := v.(type) {
	case nil, bool, int, float64, string:
		return nil
	case *pyList, pyTuple:
		items, _ := iterate(x)
		for _, it := range items {
			if err := checkYAMLDumpable(it, depth+1); err != nil {
				return err
			}
		}
		return nil
	case *pyDict:
		for _, k := range x.keys {
			if err := checkYAMLDumpable(x.value(k), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("cannot represent an object of type %s as YAML", typeName(v))
}

func writeYAMLFlow(b *strings.Builder, v any) {
	switch x := v.(type) {
	case *pyDict:
		b.WriteByte('{')
		for i, k := range sortedKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(yamlScalar(k, true, true))
			b.WriteString(": ")
			writeYAMLFlow(b, x.value(k))
		}
		b.WriteByte('}')
	case *pyList, pyTuple:
		items, _ := iterate(x)
		b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeYAMLFlow(b, it)
		}
		b.WriteByte(']')
	default:
		b.WriteString(yamlScalar(x, true, false))
	}
}

func isNonEmptyCollection(v any) ([]any, *pyDict, bool) {
	switch x := v.(type) {
	case *pyDict:
		return nil, x, x.len() > 0
	case *pyList, pyTuple:
		items, _ := iterate(x)
		return items, nil, len(items) > 0
	}
	return nil, nil, false
}

func writeYAMLBlockMap(b *strings.Builder, d *pyDict, indent int, inline bool) {
	for i, k := range sortedKeys(d) {
		if i > 0 || !inline {
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString(yamlScalar(k, false, true))
		b.WriteByte(':')
		val := d.value(k)
		items, sub, nonEmpty := isNonEmptyCollection(val)
		switch {
		case nonEmpty && sub != nil:
			b.WriteByte('\n')
			writeYAMLBlockMap(b, sub, indent+2, false)
		case nonEmpty:
			b.WriteByte('\n')
			writeYAMLBlockSeq(b, items, indent, false)
		default:
			b.WriteByte(' ')
			writeYAMLFlow(b, val)
			b.WriteByte('\n')
		}
	}
}

func writeYAMLBlockSeq(b *strings.Builder, items []any, indent int, inline bool) {
	for i, it := range items {
		if i > 0 || !inline {
			b.WriteString(strings.Repeat(" ", indent))
		}
		b.WriteString("- ")
		sitems, sub, nonEmpty := isNonEmptyCollection(it)
		switch {
		case nonEmpty && sub != nil:
			writeYAMLBlockMap(b, sub, indent+2, true)
		case nonEmpty:
			writeYAMLBlockSeq(b, sitems, indent+2, true)
		default:
			writeYAMLFlow(b, it)
			b.WriteByte('\n')
		}
	}
}

// yamlScalarRepr is PyYAML's representation of a non-string scalar.
func yamlScalarRepr(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int:
		return strconv.Itoa(x)
	case float64:
		switch {
		case math.IsNaN(x):
			return ".nan"
		case math.IsInf(x, 1):
			return ".inf"
		case math.IsInf(x, -1):
			return "-.inf"
		}
		s := strings.ToLower(value.FormatFloat(x))
		if !strings.Contains(s, ".") && strings.Contains(s, "e") {
			s = strings.Replace(s, "e", ".0e", 1)
		}
		return s
	}
	return pyStr(v)
}

// yamlScalar writes a scalar as PyYAML's emitter would choose: plain when
// that reads back as the same string, else single-quoted, else (control
// characters, line breaks) double-quoted.
func yamlScalar(v any, flow, key bool) string {
	s, ok := v.(string)
	if !ok {
		return yamlScalarRepr(v)
	}
	if yamlPlainOK(s, flow) && plainTag(s) == "str" {
		return s
	}
	if strings.ContainsAny(s, "\n\r") || yamlHasSpecial(s) {
		return yamlDoubleQuoteUnicode(s, true)
	}
	return yamlSingleQuote(s)
}

func yamlHasSpecial(s string) bool {
	for _, r := range s {
		if r == '\n' || (r >= 0x20 && r <= 0x7e) {
			continue
		}
		if r == 0x85 || (r >= 0xa0 && r <= 0xd7ff) || (r >= 0xe000 && r <= 0xfffd) || (r >= 0x10000 && r < 0x10ffff) {
			if r != 0xfeff {
				continue
			}
		}
		return true
	}
	return false
}

// yamlPlainOK is PyYAML's analyze_scalar verdict on plain style.
func yamlPlainOK(s string, flow bool) bool {
	if s == "" || strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	rs := []rune(s)
	isSpace := func(r rune) bool { return r == ' ' || r == '\t' }
	isWS := func(i int) bool { return i >= len(rs) || isSpace(rs[i]) || rs[i] == '\n' || rs[i] == '\r' }
	if isSpace(rs[0]) || isSpace(rs[len(rs)-1]) {
		return false
	}
	flowInd, blockInd := false, false
	for i, r := range rs {
		if i == 0 {
			switch {
			case strings.ContainsRune("#,[]{}&*!|>'\"%@`", r):
				flowInd, blockInd = true, true
			case r == '?' || r == ':':
				flowInd = true
				if isWS(i + 1) {
					blockInd = true
				}
			case r == '-':
				if isWS(i + 1) {
					flowInd, blockInd = true, true
				}
			}
		} else {
			switch {
			case strings.ContainsRune(",?[]{}", r):
				flowInd = true
			case r == ':':
				flowInd = true
				if isWS(i + 1) {
					blockInd = true
				}
			case r == '#' && isWS(i-1):
				flowInd, blockInd = true, true
			}
		}
		if r == '\n' || r == '\r' || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	if yamlHasSpecial(s) {
		return false
	}
	if flow {
		return !flowInd
	}
	return !blockInd
}

func yamlSingleQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// yamlDoubleQuote is Salt's yaml_dquote: PyYAML's double-quoted style
// without allow_unicode, so non-ASCII characters are escaped.
func yamlDoubleQuote(s string) string { return yamlDoubleQuoteUnicode(s, false) }

var yamlEscapes = map[rune]string{
	0: "0", 0x07: "a", 0x08: "b", 0x09: "t", 0x0a: "n", 0x0b: "v", 0x0c: "f",
	0x0d: "r", 0x1b: "e", '"': "\"", '\\': "\\", 0x85: "N", 0xa0: "_",
	0x2028: "L", 0x2029: "P",
}

func yamlDoubleQuoteUnicode(s string, allowUnicode bool) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		printable := (r >= 0x20 && r <= 0x7e) || (allowUnicode && ((r >= 0xa0 && r <= 0xd7ff) || (r >= 0xe000 && r <= 0xfffd)))
		if !printable || r == '"' || r == '\\' || r == 0x85 || r == 0x2028 || r == 0x2029 || r == 0xfeff {
			if e, ok := yamlEscapes[r]; ok {
				b.WriteString("\\" + e)
			} else if r <= 0xff {
				fmt.Fprintf(&b, "\\x%02X", r)
			} else if r <= 0xffff {
				fmt.Fprintf(&b, "\\u%04X", r)
			} else {
				fmt.Fprintf(&b, "\\U%08X", r)
			}
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}
