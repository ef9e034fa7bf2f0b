package template

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// FuzzRender feeds arbitrary template sources through the lexer, parser
// and evaluator. Whatever the input, Render must return (no panic, no
// hang: the limits are lowered so every input finishes quickly), every
// error must be a positioned *Error, and rendering is deterministic.
func FuzzRender(f *testing.F) {
	seeds := []string{
		"",
		"plain text\n",
		"{{ grains.os }} {{ pillar['users']|dictsort }}",
		"{% for k, v in pillar.users.items() %}{{ loop.index }}{{ k }}={{ v.uid }}{% else %}none{% endfor %}",
		"{% set d = {'a': 1, 'b': [1, 2,],} %}{{ d|yaml }}{{ d|json }}{{ d|tojson }}",
		"{% macro m(a, b='x') %}{{ a ~ b }}{{ caller() if caller is defined }}{% endmacro %}{% call m(1) %}c{% endcall %}",
		"{% from 'lib.jinja' import x with context %}{% import 'lib.jinja' as l %}{{ x }}{{ l.x }}",
		"{% include 'lib.jinja' ignore missing %}{% import_yaml 'd.yaml' as d %}{{ d }}",
		"{% load_yaml as y %}a: [1, {b: yes}]\n{% endload %}{{ y }}",
		"{%- if a is defined -%} a {%- elif b %} b {%+ else +%} c {% endif -%}",
		"{% raw %}{{ x }}{% endraw %}{# comment #}",
		"{{ '%s %d %05.2f %(k)s' % {'k': 1} }}{{ '{0} {x:>4}'.format(1, x=2) }}",
		"{{ 'web01'|regex_replace('(\\d+)', '<\\1>') }}{{ range(5)|batch(2)|list }}",
		"{% set ns = namespace(n=0) %}{% for i in range(3) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}",
		"{{ salt['pillar.get']('users:bob:uid', 0) }}{{ salt.grains.get('os') }}",
		"{{ (1, 2)[::-1] }}{{ 'abc'[1:] }}{{ 2 ** 62 * 4 }}{{ -9223372036854775807 - 2 }}",
		"{% for x in [[1, [2]]] recursive %}{{ loop(x) if x is list }}{% endfor %}",
		"{{ x if y }}{{ {}|first }}{{ []|last is defined }}",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	loader := files(
		"lib.jinja", "{% set x = 'lib' %}{% macro hello() %}hi{% endmacro %}",
		"d.yaml", "a: {{ 1 + 1 }}\nb: [x, y]\n",
	)
	f.Fuzz(func(t *testing.T, src string) {
		e := New(loader, testFuncs())
		e.maxSteps, e.maxDepth, e.maxBytes = 20_000, 20, 1<<20
		out1, err1 := e.Render(context.Background(), "fuzz.sls", []byte(src), testVars())
		if err1 != nil {
			var te *Error
			if !errors.As(err1, &te) {
				t.Fatalf("error %v (%T) is not a *template.Error", err1, err1)
			}
			if te.Line < 1 || te.Col < 1 || te.File == "" {
				t.Fatalf("error without a position: %#v", te)
			}
		}
		out2, err2 := e.Render(context.Background(), "fuzz.sls", []byte(src), testVars())
		if string(out1) != string(out2) || (err1 == nil) != (err2 == nil) {
			t.Fatalf("render not deterministic: %q/%v vs %q/%v", out1, err1, out2, err2)
		}
	})
}

// FuzzLoadData covers the YAML and JSON decoders behind import_yaml,
// load_yaml, load_json and friends: any input gives a value or an error,
// and a value can be printed and serialised again.
func FuzzLoadData(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb: [yes, no, on, 0755, 0x1f, 1_000, 1:30, 1.5e3, .inf, ~]\n",
		"base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",
		"a: &a [*a]",
		"- &x {a: 1}\n- *x\n- *x\n",
		`{"a": [1, 2.5, "x", null, true, {"b": {}}]}`,
		"'quoted': \"str\"\n? complex\n: key\n",
		"!!int 12\n",
		"--- a\n--- b\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, format := range []string{"yaml", "json"} {
			v, err := loadData(format, text)
			if err != nil {
				continue
			}
			_ = pyRepr(v)
			if _, err := jsonDump(v, true, nil); err != nil && !strings.Contains(err.Error(), "deep") {
				t.Fatalf("%s value %s does not serialise to JSON: %v", format, pyRepr(v), err)
			}
			if _, err := yamlDump(v, false); err != nil && !strings.Contains(err.Error(), "deep") {
				t.Fatalf("%s value %s does not serialise to YAML: %v", format, pyRepr(v), err)
			}
		}
	})
}

// FuzzCleanName checks that no name accepted by the loader's path check
// can point outside the roots.
func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"a/b.sls", "../x", "a/../../x", "/etc/passwd", "salt://x/./y", "a//b", "..", "a/..", "x\\..\\y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		c, err := CleanName(name)
		if err != nil {
			if !errors.Is(err, ErrUnsafePath) {
				t.Fatalf("CleanName(%q) error %v does not wrap ErrUnsafePath", name, err)
			}
			return
		}
		if strings.HasPrefix(c, "/") || c == ".." || strings.HasPrefix(c, "../") || strings.Contains(c, "/../") || strings.HasSuffix(c, "/..") || strings.ContainsAny(c, "\x00\\") || c == "." || c == "" {
			t.Fatalf("CleanName(%q) = %q, which is not safe", name, c)
		}
	})
}
