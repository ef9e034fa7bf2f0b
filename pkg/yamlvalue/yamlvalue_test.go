package yamlvalue

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		wantNil  bool
		wantKind yaml.Kind
		errLine  int    // with errMsg: the error's line
		errMsg   string // substring of Error.Msg; "" means no error
	}{
		{name: "empty", src: "", wantNil: true},
		{name: "comment only", src: "# nothing\n", wantNil: true},
		{name: "mapping", src: "a: 1\n", wantKind: yaml.MappingNode},
		{name: "sequence", src: "- a\n- b\n", wantKind: yaml.SequenceNode},
		{name: "null scalar", src: "~\n", wantKind: yaml.ScalarNode},
		{name: "bad indentation", src: "a: 1\nb: 2\n  c: 3\n", errLine: 3, errMsg: "mapping values are not allowed"},
		{name: "unclosed quote", src: "a: 1\nb: 'x\n", errLine: 2, errMsg: "found unexpected end of stream"},
		{name: "unknown anchor", src: "a: *nope\n", errMsg: "unknown anchor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse([]byte(tt.src))
			if tt.errMsg != "" {
				var ye *Error
				if !errors.As(err, &ye) {
					t.Fatalf("Parse(%q) error = %v, want *Error", tt.src, err)
				}
				if ye.Line != tt.errLine || !strings.Contains(ye.Msg, tt.errMsg) || strings.HasPrefix(ye.Msg, "yaml:") {
					t.Fatalf("Parse(%q) error line %d msg %q, want line %d msg containing %q", tt.src, ye.Line, ye.Msg, tt.errLine, tt.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.src, err)
			}
			if tt.wantNil {
				if n != nil {
					t.Fatalf("Parse(%q) = kind %v, want nil", tt.src, n.Kind)
				}
				return
			}
			if n == nil || n.Kind != tt.wantKind {
				t.Fatalf("Parse(%q) = %v, want kind %v", tt.src, n, tt.wantKind)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	if got := (&Error{Line: 4, Msg: "bad"}).Error(); got != "line 4: bad" {
		t.Errorf("Error() = %q, want %q", got, "line 4: bad")
	}
	if got := (&Error{Msg: "bad"}).Error(); got != "bad" {
		t.Errorf("Error() = %q, want %q", got, "bad")
	}
}

func mustValue(t *testing.T, src string) (any, error) {
	t.Helper()
	n, err := Parse([]byte(src))
	if err != nil {
		t.Fatalf("Parse(%q): %v", src, err)
	}
	return NewConverter().Value(n)
}

func TestValue(t *testing.T) {
	tests := []struct {
		src  string
		want any
	}{
		{"", nil},
		{"~", nil},
		{"a: yes\nb: No\nc: ON\nd: off\ne: true\nf: False", map[string]any{"a": true, "b": false, "c": true, "d": false, "e": true, "f": false}},
		{"a: 'yes'\nb: \"off\"\nc: !!str on\nd: yesterday\ne: y\nf: |\n  no\n", map[string]any{"a": "yes", "b": "off", "c": "on", "d": "yesterday", "e": "y", "f": "no\n"}},
		{"{yes: 1, 'no': 2, 3: c, 0x10: d}", map[string]any{"True": 1, "no": 2, "3": "c", "0x10": "d"}},
		// Leading zeros are dropped as Salt's loader does (0644 is 644,
		// a mode's octal digits), not read as YAML 1.1 octal (420).
		{"[0644, 12, -3, 18446744073709551615, 0.5, .inf, 2024-01-31]", []any{644, 12, -3, uint64(18446744073709551615), 0.5, posInf(), "2024-01-31"}},
		{"[0700, 00, 007, -0600, '0644', 0x1F, 0o17]", []any{700, 0, 7, -600, "0644", 31, 15}},
		{"base: &b {x: 1, y: 1}\nd:\n  <<: *b\n  y: 2", map[string]any{"base": map[string]any{"x": 1, "y": 1}, "d": map[string]any{"x": 1, "y": 2}}},
		{"a: &a {x: 1}\nb: &b {x: 2, z: 3}\nc:\n  <<: [*a, *b]", map[string]any{"a": map[string]any{"x": 1}, "b": map[string]any{"x": 2, "z": 3}, "c": map[string]any{"x": 1, "z": 3}}},
	}
	for _, tt := range tests {
		got, err := mustValue(t, tt.src)
		if err != nil {
			t.Errorf("Value(%q): %v", tt.src, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Value(%q) = %#v, want %#v", tt.src, got, tt.want)
		}
	}
}

func posInf() float64 { var z float64; return 1 / z }

func TestValueErrors(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		line    int
		msg     string
		tooMuch bool
	}{
		{"duplicate key", "a: 1\nb: 2\na: 3\n", 3, `mapping key "a" is defined twice`, false},
		{"duplicate boolean key", "yes: 1\nTrue: 2\n", 2, `mapping key "True" is defined twice`, false},
		{"complex key", "? [a]\n: 1\n", 1, "mapping keys must be scalars", false},
		{"merge of a scalar", "a:\n  <<: 3\n", 2, "merge key needs a mapping or a list of mappings", false},
		{"too deep", strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2), 1, ErrTooComplex.Error(), true},
		{"alias bomb", billionLaughs(), 0, ErrTooComplex.Error(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mustValue(t, tt.src)
			var ye *Error
			if !errors.As(err, &ye) {
				t.Fatalf("error = %v, want *Error", err)
			}
			if ye.Msg != tt.msg || (tt.line > 0 && ye.Line != tt.line) {
				t.Errorf("error line %d msg %q, want line %d msg %q", ye.Line, ye.Msg, tt.line, tt.msg)
			}
			if errors.Is(err, ErrTooComplex) != tt.tooMuch {
				t.Errorf("errors.Is(err, ErrTooComplex) = %v, want %v", !tt.tooMuch, tt.tooMuch)
			}
		})
	}
}

// billionLaughs nests aliases ten deep, ten wide: 10^10 nodes expanded.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		p := "*a" + string(rune('0'+i-1))
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		b.WriteString(strings.TrimSuffix(strings.Repeat(p+", ", 10), ", "))
		b.WriteString("]\n")
	}
	return b.String()
}

// One Converter's budget spans every Value call, so a document cannot
// escape the bound by splitting work across many small values.
func TestConverterBudgetIsShared(t *testing.T) {
	n, err := Parse([]byte("[" + strings.Repeat("1, ", 999) + "1]"))
	if err != nil {
		t.Fatal(err)
	}
	c := &Converter{budget: 2500}
	for i := 0; i < 2; i++ {
		if _, err := c.Value(n); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if _, err := c.Value(n); !errors.Is(err, ErrTooComplex) {
		t.Fatalf("third call: error %v, want ErrTooComplex", err)
	}
}

func TestDerefAndIsNull(t *testing.T) {
	n, err := Parse([]byte("a: &x ~\nb: *x\nc: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	b := n.Content[3]
	if b.Kind != yaml.AliasNode || Deref(b) != n.Content[1] {
		t.Errorf("Deref(alias) did not give the anchored node")
	}
	if !IsNull(b) || !IsNull(nil) || IsNull(n.Content[5]) {
		t.Errorf("IsNull: alias to null %v, nil %v, 1 %v; want true, true, false", IsNull(b), IsNull(nil), IsNull(n.Content[5]))
	}
	loop := &yaml.Node{Kind: yaml.AliasNode}
	loop.Alias = loop
	if Deref(loop) != nil || Deref(&yaml.Node{Kind: yaml.AliasNode}) != nil {
		t.Errorf("Deref of a cyclic or dangling alias should be nil")
	}
}
