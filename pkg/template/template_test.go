package template

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"
)

// files builds a loader whose missing names wrap ErrNotFound properly.
func files(kv ...string) Loader {
	fs := fstest.MapFS{}
	for i := 0; i+1 < len(kv); i += 2 {
		fs[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return fsLoader{fs}
}

type fsLoader struct{ fs fstest.MapFS }

func (l fsLoader) Load(ctx context.Context, name string) ([]byte, string, error) {
	clean, err := CleanName(name)
	if err != nil {
		return nil, "", err
	}
	f, ok := l.fs[clean]
	if !ok {
		return nil, "", &notFound{clean}
	}
	return f.Data, clean, nil
}

type notFound struct{ name string }

func (e *notFound) Error() string { return e.name + ": template not found" }
func (e *notFound) Unwrap() error { return ErrNotFound }

var testGrains = map[string]any{
	"os":        "Debian",
	"os_family": "Debian",
	"id":        "web01",
	"num_cpus":  4,
	"roles":     []any{"web", "db"},
	"ipv4":      []string{"127.0.0.1", "10.0.0.1"},
	"nested":    map[string]any{"a": map[string]any{"b": "deep"}},
}

var testPillar = map[string]any{
	"users": map[string]any{
		"bob":   map[string]any{"uid": 1001, "sudo": true},
		"alice": map[string]any{"uid": 1000},
	},
	"port": 8080,
}

func testFuncs() map[string]Func {
	return map[string]Func{
		"grains.get": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			key, _ := kwarg(kw, args, 0, "key", "").(string)
			return Traverse(testGrains, key, ":", kwarg(kw, args, 1, "default", "")), nil
		},
		"pillar.get": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			key, _ := kwarg(kw, args, 0, "key", "").(string)
			return Traverse(testPillar, key, ":", kwarg(kw, args, 1, "default", "")), nil
		},
		"test.echo": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			return map[string]any{"args": args, "kwargs": kw}, nil
		},
		"test.fail": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			return nil, errBoom
		},
		"defaults.merge": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			dest := args[0].(map[string]any)
			mergeGo(dest, args[1].(map[string]any))
			return nil, nil
		},
	}
}

var errBoom = errors.New("boom")

func testVars() map[string]any {
	return map[string]any{"grains": testGrains, "pillar": testPillar, "sls": "web.init", "tpldir": "web", "saltenv": "base"}
}

func render(t *testing.T, loader Loader, src string) (string, error) {
	t.Helper()
	e := New(loader, testFuncs())
	out, err := e.Render(context.Background(), "test.sls", []byte(src), testVars())
	return string(out), err
}

type renderCase struct {
	name, src, want string
}

func runCases(t *testing.T, loader Loader, cases []renderCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := render(t, loader, tc.src)
			if err != nil {
				t.Fatalf("render %q: %v", tc.src, err)
			}
			if got != tc.want {
				t.Fatalf("render %q\n got %q\nwant %q", tc.src, got, tc.want)
			}
		})
	}
}

func TestOutputIsPythonLike(t *testing.T) {
	runCases(t, nil, []renderCase{
		{"none", "{{ none }} {{ None }}", "None None"},
		{"bools", "{{ true }} {{ False }}", "True False"},
		{"int and float", "{{ 1 }} {{ 1.0 }} {{ 10 / 4 }} {{ 10 / 5 }} {{ 1e3 }}", "1 1.0 2.5 2.0 1000.0"},
		{"float repr", "{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 0.0001 }} {{ 0.00001 }}", "0.30000000000000004 1e+16 0.0001 1e-05"},
		{"list", "{{ ['a', 1, none, true, 2.5] }}", "['a', 1, None, True, 2.5]"},
		{"tuple", "{{ (1, 'a') }} {{ (1,) }} {{ () }}", "(1, 'a') (1,) ()"},
		{"dict keeps order", "{{ {'b': 1, 'a': [1, 2], 3: none} }}", "{'b': 1, 'a': [1, 2], 3: None}"},
		{"string repr quotes", `{{ ["it's", 'say "x"', 'a\nb', 'both \' "'] }}`, `["it's", 'say "x"', 'a\nb', 'both \' "']`},
		{"unicode kept", "{{ ['é', 'ü'] }}", "['é', 'ü']"},
		{"caller map sorted", "{{ grains.nested }} {{ pillar.users.alice }}", "{'a': {'b': 'deep'}} {'uid': 1000}"},
		{"string slice", "{{ grains.ipv4 }}", "['127.0.0.1', '10.0.0.1']"},
	})
}

func TestWhitespaceControl(t *testing.T) {
	runCases(t, nil, []renderCase{
		{"defaults keep newlines", "a\n{% if true %}\nb\n{% endif %}\nc\n", "a\n\nb\n\nc\n"},
		{"minus strips both sides", "a\n{%- if true -%}\n  b  \n{%- endif %}\nc", "ab\nc"},
		{"var tags", "x  {{- 1 -}}  y", "x1y"},
		{"comment", "a {#- gone -#} b", "ab"},
		{"plus is accepted", "a\n{%+ if true +%}\nb{% endif %}", "a\n\nb"},
		{"final newline kept", "x\n", "x\n"},
		{"final newline after trailing tag", "{% if true %}x{% endif %}\n", "x\n"},
		{"only one final newline restored", "x\n\n", "x\n\n"},
		{"raw", "{% raw %}{{ not }} {% rendered %}{% endraw %}", "{{ not }} {% rendered %}"},
		{"raw with ws control", "a {%- raw -%}  {{x}}  {%- endraw -%} b", "a{{x}}b"},
	})
}

func TestExpressions(t *testing.T) {
	runCases(t, nil, []renderCase{
		{"arithmetic", "{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 ** 3 ** 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7.5 // 2 }}", "7 9 64 3 -4 2 3.0"},
		{"unary", "{{ -grains.num_cpus }} {{ -1|abs }} {{ not true }} {{ +3 }}", "-4 1 False 3"},
		{"concat", "{{ 'a' ~ 1 ~ none ~ [1] }}", "a1None[1]"},
		{"string ops", "{{ 'ab' + 'cd' }} {{ 'ab' * 2 }} {{ [1] + [2] }} {{ (1,) + (2,) }}", "abcd abab [1, 2] (1, 2)"},
		{"comparisons", "{{ 1 < 2 <= 2 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == true }}", "True True True True True"},
		{"in", "{{ 'web' in grains.roles }} {{ 'x' not in grains.roles }} {{ 'os' in grains }} {{ 'eb' in 'web' }}", "True True True True"},
		{"and or return operands", "{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ none or [] }}", "x b []"},
		{"inline if", "{{ 'y' if grains.os == 'Debian' else 'n' }} {{ 'y' if false }}|", "y |"},
		{"attribute and item", "{{ grains.os }} {{ grains['os'] }} {{ grains.nested.a.b }} {{ grains.roles.0 }} {{ grains.roles[-1] }}", "Debian Debian deep web db"},
		{"slices", "{{ 'abcdef'[1:3] }} {{ 'abcdef'[::-1] }} {{ [1, 2, 3, 4][::2] }} {{ [1, 2, 3][-2:] }}", "bc fedcba [1, 3] [2, 3]"},
		{"trailing commas", "{{ {'a': 1,} }} {{ [1, 2,] }} {{ (1, 2,) }}", "{'a': 1} [1, 2] (1, 2)"},
		{"adjacent strings", "{{ 'a' 'b' \"c\" }}", "abc"},
		{"escapes", `{{ 'tab\there' }}|{{ '\x41\u00e9' }}|{{ '\d+' }}`, "tab\there|Aé|\\d+"},
		{"percent format", "{{ '%s=%d' % ('a', 3) }} {{ '%05.1f' % 3.14159 }} {{ '%(x)s!' % {'x': 1} }} {{ '%x' % 255 }}", "a=3 003.1 1! ff"},
		{"str.format", "{{ '{}-{}'.format(1, 'a') }} {{ '{0}{0}'.format('x') }} {{ '{n:>4}|{f:.2f}'.format(n='a', f=2) }}", "1-a xx    a|2.00"},
		{"numbers with underscores", "{{ 1_000 + 1 }}", "1001"},
	})
}

func TestStatements(t *testing.T) {
	runCases(t, nil, []renderCase{
		{"if elif else", "{% if grains.os == 'RedHat' %}r{% elif grains.os == 'Debian' %}d{% else %}o{% endif %}", "d"},
		{"for loop vars", "{% for r in grains.roles %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", "102TrueFalse2;211FalseTrue2;"},
		{"for else", "{% for x in [] %}x{% else %}empty{% endfor %}", "empty"},
		{"for over dict and items", "{% for k in {'b': 1, 'a': 2} %}{{ k }}{% endfor %} {% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }} {% endfor %}", "ba b=1 a=2 "},
		{"for filter", "{% for x in range(10) if x is odd %}{{ x }}{{ ',' if not loop.last }}{% endfor %}", "1,3,5,7,9"},
		{"nested unpacking", "{% for a, (b, c) in [(1, (2, 3))] %}{{ a }}{{ b }}{{ c }}{% endfor %}", "123"},
		{"loop previtem nextitem", "{% for x in [1, 2, 3] %}{{ loop.previtem|default('-') }}{{ loop.nextitem|default('-') }} {% endfor %}", "-2 13 2- "},
		{"loop cycle and changed", "{% for x in [1, 1, 2] %}{{ loop.cycle('a', 'b') }}{{ loop.changed(x) }} {% endfor %}", "aTrue bFalse aTrue "},
		{"break continue", "{% for x in range(10) %}{% if x == 1 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", "023"},
		{"recursive loop", "{% for n in [{'n': 'a', 'c': [{'n': 'b', 'c': []}]}] recursive %}{{ n.n }}{{ loop.depth }}{{ loop(n.c) }}{% endfor %}", "a1b2"},
		{"set and tuple set", "{% set a = 1 %}{% set b, c = 2, 3 %}{{ a }}{{ b }}{{ c }}", "123"},
		{"set in loop does not leak", "{% set x = 'out' %}{% for i in [1] %}{% set x = 'in' %}{% endfor %}{{ x }}", "out"},
		{"namespace", "{% set ns = namespace(n=0, l=[]) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% do ns.l.append(i) %}{% endfor %}{{ ns.n }} {{ ns.l }}", "6 [1, 2, 3]"},
		{"block set", "{% set x %}hello {{ grains.id }}{% endset %}[{{ x }}]", "[hello web01]"},
		{"block set with filter", "{% set x | upper %}hi{% endset %}{{ x }}", "HI"},
		{"do", "{% set d = {} %}{% do d.update({'a': 1}) %}{% do d.update(b=2) %}{{ d }}", "{'a': 1, 'b': 2}"},
		{"with evaluates in the outer scope", "{% set a = 5 %}{% with a = 1, b = a + 1 %}{{ a }}{{ b }}{% endwith %}{{ a }}", "165"},
		{"filter block", "{% filter upper|replace('A', '4') %}abc{% endfilter %}", "4BC"},
		{"block renders in place", "{% block body %}b{% endblock body %}", "b"},
		{"macro defaults and kwargs", "{% macro m(a, b='B') %}{{ a }}{{ b }}{{ kwargs }}{{ varargs }}{% endmacro %}{{ m(1) }} {{ m(1, 2, 3, c=4) }}", "1B{}[] 12{'c': 4}[3]"},
		{"macro default refers to earlier param", "{% macro m(a, b=a ~ '!') %}{{ b }}{% endmacro %}{{ m('x') }}", "x!"},
		{"macro missing arg is undefined", "{% macro m(a) %}{{ a is defined }}{% endmacro %}{{ m() }}", "False"},
		{"macro sees later globals", "{% macro m() %}{{ v }}{% endmacro %}{% set v = 'late' %}{{ m() }}", "late"},
		{"call block", "{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}in{% endcall %}", "<in>"},
		{"call block with args", "{% macro each(l) %}{% for x in l %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(v) each([1, 2]) %}[{{ v }}]{% endcall %}", "[1][2]"},
		{"joiner", "{% set j = joiner('|') %}{% for x in 'abc' %}{{ j() }}{{ x }}{% endfor %}", "a|b|c"},
		{"load_yaml block", "{% load_yaml as d %}a: yes\nb: [1, 2.5]\nc: 0755\n{% endload %}{{ d }}", "{'a': True, 'b': [1, 2.5], 'c': 493}"},
		{"load_json block", `{% load_json as d %}{"z": 1, "a": [true, null]}{% endload %}{{ d }}`, "{'z': 1, 'a': [True, None]}"},
		{"load_text block", "{% load_text as d %}plain{% endload %}{{ d }}", "plain"},
	})
}

func TestSaltVariable(t *testing.T) {
	runCases(t, nil, []renderCase{
		{"subscript", "{{ salt['grains.get']('os') }}", "Debian"},
		{"attribute form", "{{ salt.grains.get('os') }} {{ salt.pillar.get('port') }}", "Debian 8080"},
		{"traversal and default", "{{ salt['pillar.get']('users:bob:uid') }} {{ salt['pillar.get']('a:b', 'x') }}", "1001 x"},
		{"kwargs reach function", "{{ salt['test.echo'](1, 'a', k=[1, {'x': none}]) }}", "{'args': [1, 'a'], 'kwargs': {'k': [1, {'x': None}]}}"},
		{"membership", "{{ 'grains.get' in salt }} {{ 'nope.nope' in salt }} {{ salt['nope.nope'] is defined }}", "True False False"},
		{"dict literal arrives as map", "{{ salt['test.echo']({'b': 1, 'a': 2},) }}", "{'args': [{'a': 2, 'b': 1}], 'kwargs': {}}"},
		{"in-place update is seen", "{% set d = {'a': {'x': 1}} %}{% set inner = d.a %}{% do salt['defaults.merge'](d, {'a': {'y': 2}, 'b': 3}) %}{{ d }} {{ inner }}", "{'a': {'x': 1, 'y': 2}, 'b': 3} {'x': 1, 'y': 2}"},
	})
}

func TestFilters(t *testing.T) {
	runCases(t, nil, []renderCase{
		{"default", "{{ missing|default('d') }} {{ ''|default('d') }} {{ ''|default('d', true) }} {{ pillar.nope|d(1) }}", "d  d 1"},
		{"join", "{{ grains.roles|join(', ') }} {{ [1, 2]|join }} {{ [{'n': 'a'}, {'n': 'b'}]|join('-', attribute='n') }}", "web, db 12 a-b"},
		{"case", "{{ 'aB'|lower }}{{ 'aB'|upper }} {{ 'hello world'|title }} {{ 'hELLO'|capitalize }}", "abAB Hello World Hello"},
		{"replace trim", "{{ 'aaa'|replace('a', 'b', 2) }} {{ '  x  '|trim }} {{ 'xxyxx'|trim('x') }}", "bba x y"},
		{"int float", "{{ '42'|int }} {{ '4.9'|int }} {{ 'x'|int }} {{ 'x'|int(5) }} {{ 'ff'|int(base=16) }} {{ '1.5'|float }} {{ 3|float }} {{ 'x'|float }}", "42 4 0 5 255 1.5 3.0 0.0"},
		{"string list length", "{{ 5|string ~ 'x' }} {{ 'abc'|list }} {{ {'a': 1}|list }} {{ [1, 2]|length }} {{ 'héllo'|count }}", "5x ['a', 'b', 'c'] ['a'] 2 5"},
		{"first last reverse", "{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} {{ [1, 2, 3]|reverse|list }} {{ 'abc'|reverse }}", "1 3 [3, 2, 1] cba"},
		{"sort", "{{ ['b', 'C', 'a']|sort }} {{ ['b', 'C', 'a']|sort(case_sensitive=true) }} {{ [3, 1, 2]|sort(reverse=true) }} {{ [{'n': 2}, {'n': 1}]|sort(attribute='n') }}", "['a', 'b', 'C'] ['C', 'a', 'b'] [3, 2, 1] [{'n': 1}, {'n': 2}]"},
		{"dictsort items", "{{ {'b': 1, 'a': 2}|dictsort }} {{ {'b': 1, 'a': 2}|dictsort(by='value') }} {{ {'b': 1}|items|list }}", "[('a', 2), ('b', 1)] [('b', 1), ('a', 2)] [('b', 1)]"},
		{"unique min max sum", "{{ [1, 2, 1, 3]|unique }} {{ [3, 1]|min }} {{ [3, 1]|max }} {{ [1, 2.5]|sum }} {{ [{'v': 2}, {'v': 3}]|sum(attribute='v') }}", "[1, 2, 3] 1 3 3.5 5"},
		{"round abs", "{{ 2.5|round }} {{ 3.14159|round(2) }} {{ 2.1|round(0, 'ceil') }} {{ 2.9|round(method='floor') }} {{ -3|abs }} {{ 7|round(-1) }}", "2.0 3.14 3.0 2.0 3 10"},
		{"map select", "{{ [{'n': 'a'}, {'x': 1}]|map(attribute='n', default='?')|list }} {{ ['a', 'b']|map('upper')|list }} {{ [1, 2, 3, 4]|select('even')|list }} {{ [1, 2, 3]|reject('odd')|list }}", "['a', '?'] ['A', 'B'] [2, 4] [2]"},
		{"selectattr", "{{ [{'a': 1}, {'a': 0}, {'b': 1}]|selectattr('a', 'defined')|list }} {{ [{'a': 1}, {'a': 0}]|selectattr('a')|list }} {{ [{'a': 1}, {'a': 2}]|rejectattr('a', 'equalto', 1)|list }}", "[{'a': 1}, {'a': 0}] [{'a': 1}] [{'a': 2}]"},
		{"indent", "{{ 'a\nb\n\nc'|indent(2) }}|{{ 'a\nb'|indent(2, true) }}|{{ 'a\nb'|indent('> ') }}|{{ 'a\n\nb'|indent(1, blank=true) }}", "a\n  b\n\n  c|  a\n  b|a\n> b|a\n \n b"},
		{"escape safe", "{{ '<a href=\"x\">'|e }} {{ '<b>'|safe }}", "&lt;a href=&#34;x&#34;&gt; <b>"},
		{"json tojson", `{{ {'b': [1, 2.0, none], 'a': "x'<"}|json }} {{ {'a': "x'<"}|tojson }} {{ {'a': [1]}|json(indent=2) }}`, "{\"a\": \"x'<\", \"b\": [1, 2.0, null]} {\"a\": \"x\\u0027\\u003c\"} {\n  \"a\": [\n    1\n  ]\n}"},
		{"json ascii", `{{ 'é'|json }}`, `"\u00e9"`},
		{"yaml flow", "{{ {'b': [1, 'x y', 'yes', '1.0', ''], 'a': {'c': none, 'd': true}}|yaml }}", "{a: {c: null, d: true}, b: [1, x y, 'yes', '1.0', '']}"},
		{"yaml block", "{{ {'b': [1, {'x': 2, 'w': [3]}], 'a': {}, 'c': {'d': 'e'}}|yaml(false) }}", "a: {}\nb:\n- 1\n- w:\n  - 3\n  x: 2\nc:\n  d: e"},
		{"yaml scalar", "{{ 'plain'|yaml }} {{ 'a: b'|yaml }} {{ 'multi\nline'|yaml }} {{ 1.5e20|yaml }}", "plain 'a: b' \"multi\\nline\" 1.5e+20"},
		{"yaml encode quote", "{{ 'yes'|yaml_encode }} {{ 7|yaml_encode }} {{ none|yaml_encode }} {{ 'é\"'|yaml_dquote }} {{ \"it's\"|yaml_squote }}", "\"yes\" 7 null \"\\xE9\\\"\" 'it''s'"},
		{"traverse sequence", "{{ pillar|traverse('users:bob:uid') }} {{ pillar|traverse('users:x', 'dflt') }} {{ [{'a': 1}]|traverse('a') }} {{ 'x'|sequence }} {{ [1]|sequence }}", "1001 dflt 1 ['x'] [1]"},
		{"load filters", "{{ 'a: [1, on]'|load_yaml }} {{ '{\"a\": 1.5}'|load_json }}", "{'a': [1, True]} {'a': 1.5}"},
		{"regex", `{{ 'web01'|regex_replace('(\\D+)(\\d+)', '\\2-\\1') }} {{ 'abcd'|regex_search('^(.*)BC(.*)$', ignorecase=True) }} {{ 'x'|regex_match('y') }} {{ 'a.b'|regex_escape }}`, `01-web ('a', 'd') None a\.b`},
		{"quote to_bool", "{{ 'a b'|quote }} {{ 'ok'|quote }} {{ 'Yes'|to_bool }} {{ 0|to_bool }}", "'a b' ok True False"},
		{"set ops", "{{ [1, 2]|union([2, 3]) }} {{ [1, 2]|intersect([2, 3]) }} {{ [1, 2]|difference([2, 3]) }} {{ [1, 2]|symmetric_difference([2, 3]) }}", "[1, 2, 3] [2] [1] [1, 3]"},
		{"hashes base64", "{{ 'x'|md5 }} {{ 'x'|sha256|truncate(11, true, '') }} {{ 'hi'|base64_encode }} {{ 'aGk='|base64_decode }}", "9dd4e461268c8034f5c8564e155c67a6 2d711642b72 aGk= hi"},
		{"format batch wordcount", "{{ '%s-%s'|format(1, 2) }} {{ [1, 2, 3]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 0)|list }} {{ 'a b  c'|wordcount }}", "1-2 [[1, 2], [3]] [[1, 2], [3, 0]] 3"},
		{"uuid is uuid5 in salts namespace", "{{ 'example'|uuid }}", "9ade8beb-355a-50d8-9011-1c99848a7719"},
		{"flatten avg path_join", "{{ [1, [2, [3, none]]]|flatten }} {{ [1, 2]|avg }} {{ '/etc'|path_join('a', 'b') }}", "[1, 2, 3] 1.5 /etc/a/b"},
		{"urlencode center", "{{ 'a b/c'|urlencode }} {{ {'q': 'a&b'}|urlencode }} [{{ 'x'|center(5) }}]", "a%20b/c q=a%26b [  x  ]"},
	})
}

func TestTests(t *testing.T) {
	runCases(t, nil, []renderCase{
		{"defined", "{{ grains is defined }} {{ nope is defined }} {{ nope is undefined }} {{ grains.nope is defined }} {{ nope is not defined }}", "True False True False True"},
		{"types", "{{ 'a' is string }} {{ {} is mapping }} {{ [] is sequence }} {{ 1 is number }} {{ 1 is integer }} {{ 1.0 is float }} {{ none is none }} {{ [] is list }} {{ () is list }}", "True True True True True True True True False"},
		{"values", "{{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ true is sameas true }} {{ 1 is sameas true }}", "True True True False True False"},
		{"comparisons", "{{ 1 is equalto 1 }} {{ 2 is gt 1 }} {{ 1 is lt(2) }} {{ 'a' is in 'abc' }} {{ 1 is not in [2] }} {{ 'x' is ne 'y' }}", "True True True True True True"},
		{"bool tests", "{{ true is true }} {{ false is false }} {{ 0 is false }} {{ true is boolean }}", "True True False True"},
		{"case", "{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'aBc' is lower }}", "True True False"},
		{"match callable", "{{ 'web01' is match('web') }} {{ 'web01' is match('eb') }} {{ salt['grains.get'] is callable }}", "True False True"},
		{"filter test exists", "{{ 'yaml' is filter }} {{ 'nope' is filter }} {{ 'defined' is test }}", "True False True"},
	})
}

func TestIncludeImport(t *testing.T) {
	loader := files(
		"lib/map.jinja", "{% set m = salt['grains.filter_by']({'Debian': {'pkg': 'apache2'},}, ) if false else {'pkg': 'apache2'} %}{% set _private = 1 %}{% macro hello(n) %}hi {{ n }} from {{ grains.id }}{% endmacro %}",
		"lib/ctx.jinja", "{% set seen = local_var %}",
		"lib/inc.sls", "included {{ local_var }} {{ tpldir }}",
		"lib/defaults.yaml", "a: {{ 1 + 1 }}\nb: [x, y]\n",
		"lib/data.json", `{"k": [1, 2]}`,
		"lib/notes.txt", "some text",
		"lib/rel.jinja", "{% from './map.jinja' import m %}{% set got = m.pkg %}",
		"lib/dir.jinja", "{% set where = tpldir ~ '|' ~ tplfile %}",
		"top.jinja", "{% set where = tpldir %}",
	)
	runCases(t, loader, []renderCase{
		{"from import", "{% from 'lib/map.jinja' import m, hello as h %}{{ m.pkg }} {{ h('x') }}", "apache2 hi x from web01"},
		{"import as module", "{% import 'lib/map.jinja' as lib %}{{ lib.m.pkg }} {{ lib.hello(1) }}", "apache2 hi 1 from web01"},
		{"with context sees locals", "{% set local_var = 'L' %}{% from 'lib/ctx.jinja' import seen with context %}{{ seen }}", "L"},
		{"include sees locals", "{% set local_var = 'L' %}{% include 'lib/inc.sls' %}", "included L web"},
		{"include list takes first found", "{% set local_var = 1 %}{% include ['missing.sls', 'lib/inc.sls'] %}", "included 1 web"},
		{"include ignore missing", "a{% include 'missing.sls' ignore missing %}b", "ab"},
		{"import_yaml renders first", "{% import_yaml 'lib/defaults.yaml' as d %}{{ d }}", "{'a': 2, 'b': ['x', 'y']}"},
		{"import_json text", "{% import_json 'lib/data.json' as j %}{% import_text 'lib/notes.txt' as n %}{{ j.k }} {{ n }}", "[1, 2] some text"},
		{"relative import", "{% from 'lib/rel.jinja' import got %}{{ got }}", "apache2"},
		{"without context tpldir is own", "{% from 'lib/dir.jinja' import where %}{{ where }}", "lib|lib/dir.jinja"},
		{"with context tpldir is callers", "{% set tplfile = 'test.sls' %}{% from 'lib/dir.jinja' import where with context %}{{ where }}", "web|test.sls"},
		{"root level tpldir is dot", "{% from 'top.jinja' import where %}{{ where }}", "."},
		{"unused missing import is not an error", "{% from 'lib/map.jinja' import m, nope %}{{ m.pkg }} {{ nope is defined }}", "apache2 False"},
		{"salt prefix accepted", "{% from 'salt://lib/map.jinja' import m %}{{ m.pkg }}", "apache2"},
	})
}

// errCase expects a render error at file:line:col containing msg and
// matching the sentinel.
type errCase struct {
	name     string
	src      string
	file     string
	line     int
	col      int
	msg      string
	sentinel error
}

func runErrCases(t *testing.T, loader Loader, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := render(t, loader, tc.src)
			if err == nil {
				t.Fatalf("render %q = %q, want an error", tc.src, out)
			}
			var te *Error
			if !errors.As(err, &te) {
				t.Fatalf("error %v (%T) is not a *template.Error", err, err)
			}
			file := tc.file
			if file == "" {
				file = "test.sls"
			}
			if te.File != file || te.Line != tc.line || te.Col != tc.col {
				t.Errorf("error at %s:%d:%d, want %s:%d:%d (%v)", te.File, te.Line, te.Col, file, tc.line, tc.col, err)
			}
			if !strings.Contains(te.Msg, tc.msg) {
				t.Errorf("message %q does not contain %q", te.Msg, tc.msg)
			}
			if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.sentinel)
			}
			if want := file + ":"; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("Error() = %q, want prefix %q", err.Error(), want)
			}
		})
	}
}

func TestUndefinedErrors(t *testing.T) {
	runErrCases(t, nil, []errCase{
		{name: "name", src: "a\n  {{ nope }}", line: 2, col: 6, msg: "undefined: nope", sentinel: ErrUndefined},
		{name: "pillar key", src: "{{ pillar['missing'] }}", line: 1, col: 10, msg: "undefined: pillar['missing']", sentinel: ErrUndefined},
		{name: "pillar attribute", src: "{{ pillar.missing }}", line: 1, col: 11, msg: "undefined: pillar['missing']", sentinel: ErrUndefined},
		{name: "first missing part is named", src: "{{ pillar.a.b.c }}", line: 1, col: 11, msg: "undefined: pillar['a']", sentinel: ErrUndefined},
		{name: "in condition", src: "{% if grains.nope == 1 %}{% endif %}", line: 1, col: 14, msg: "undefined: grains['nope']", sentinel: ErrUndefined},
		// Salt's StrictUndefined: a key of an undefined value is an error
		// even under "is defined" and default().
		{name: "key of undefined under is defined", src: "{{ nope['x'] is defined }}", line: 1, col: 4, msg: "undefined: nope", sentinel: ErrUndefined},
		{name: "attribute of a missing key under is defined", src: "{{ grains.nope.deeper is defined }}", line: 1, col: 11, msg: "undefined: grains['nope']", sentinel: ErrUndefined},
		{name: "attribute of undefined under default", src: "{{ nope.x | default(1) }}", line: 1, col: 4, msg: "undefined: nope", sentinel: ErrUndefined},
		{name: "in loop", src: "{% for x in pillar.nope %}{% endfor %}", line: 1, col: 20, msg: "undefined: pillar['nope']"},
		{name: "list index", src: "{{ grains.roles[5] }}", line: 1, col: 16, msg: "undefined: grains['roles'][5] (index out of range)"},
		{name: "attribute of string", src: "{{ grains.os.nope }}", line: 1, col: 14, msg: "'str' object has no attribute 'nope'"},
		{name: "passed to function", src: "{{ salt['pillar.get'](nope) }}", line: 1, col: 23, msg: "undefined: nope"},
		{name: "missing salt function", src: "{{ salt['nope.fun']() }}", line: 1, col: 8, msg: "undefined: salt['nope.fun'] (no such function)"},
		{name: "missing salt function attribute form", src: "{{ salt.nope.fun() }}", line: 1, col: 14, msg: "undefined: salt['nope.fun']"},
		{name: "set then used", src: "{% set x = nope %}\n{{ x }}", line: 1, col: 12, msg: "undefined: nope"},
		{name: "in arithmetic", src: "{{ 1 + pillar.nope }}", line: 1, col: 15, msg: "undefined: pillar['nope']"},
		{name: "macro argument used", src: "{% macro m(a) %}{{ a }}{% endmacro %}{{ m() }}", line: 1, col: 42, msg: "undefined: a (missing argument of macro 'm')"},
		{name: "dict get is fine, attribute is not", src: "{{ pillar.get('nope', 'ok') }}{{ pillar.nope2 }}", line: 1, col: 41, msg: "pillar['nope2']"},
	})
}

func TestUndefinedInImportedFileNamesThatFile(t *testing.T) {
	loader := files(
		"lib.jinja", "{% set x = 1 %}",
		"bad/map.jinja", "{% set m = {\n  'a': pillar.missing_key,\n} %}",
		"bad/macro.jinja", "{% macro m() %}\n{{ nope }}{% endmacro %}",
	)
	runErrCases(t, loader, []errCase{
		{name: "from import missing name", src: "{% from 'lib.jinja' import x, nope %}{{ x }}\n{{ nope }}", line: 1, col: 31, msg: "undefined: nope (the template lib.jinja does not export 'nope')", sentinel: ErrUndefined},
		{name: "import with context", src: "{% from 'bad/map.jinja' import m with context %}", file: "bad/map.jinja", line: 2, col: 15, msg: "undefined: pillar['missing_key']", sentinel: ErrUndefined},
		{name: "macro body", src: "{% from 'bad/macro.jinja' import m %}\n{{ m() }}", file: "bad/macro.jinja", line: 2, col: 4, msg: "undefined: nope"},
		{name: "missing template", src: "\n{% include 'nope.sls' %}", line: 2, col: 1, msg: "nope.sls", sentinel: ErrNotFound},
		{name: "traversal refused", src: "{% include '../../etc/passwd' %}", line: 1, col: 1, msg: "escapes the file roots", sentinel: ErrUnsafePath},
		{name: "absolute refused", src: "{% import_text '/etc/passwd' as p %}", line: 1, col: 1, msg: "absolute", sentinel: ErrUnsafePath},
	})
}

func TestSyntaxErrors(t *testing.T) {
	runErrCases(t, nil, []errCase{
		{name: "unclosed if", src: "{% if true %}\nx", line: 2, col: 2, msg: "missing {% endif %} to close {% if %} at line 1", sentinel: ErrSyntax},
		{name: "wrong end tag", src: "{% for x in y %}\n{% endif %}", line: 2, col: 4, msg: "unexpected 'endif': expected {% endfor %}", sentinel: ErrSyntax},
		{name: "stray end tag", src: "x\n  {% endfor %}", line: 2, col: 6, msg: "unexpected 'endfor' with no open block"},
		{name: "unknown tag", src: "{% frobnicate %}", line: 1, col: 4, msg: "unknown tag 'frobnicate'"},
		{name: "unknown filter", src: "{{ x|nope }}", line: 1, col: 6, msg: "no filter named 'nope'"},
		{name: "unknown test", src: "{{ x is nope }}", line: 1, col: 9, msg: "no test named 'nope'"},
		{name: "unclosed var", src: "{{ x ", line: 1, col: 1, msg: "unclosed tag: missing '}}'"},
		{name: "unclosed comment", src: "ab{# x", line: 1, col: 3, msg: "unclosed comment"},
		{name: "unterminated string", src: "{{ 'abc }}", line: 1, col: 4, msg: "unterminated string"},
		{name: "bad character", src: "{{ a ? b }}", line: 1, col: 6, msg: "unexpected character '?'"},
		{name: "unbalanced bracket", src: "{{ a) }}", line: 1, col: 5, msg: "unexpected ')'"},
		{name: "missing colon in dict", src: "{{ {'a' 1} }}", line: 1, col: 9, msg: "expected ':'"},
		{name: "break outside loop", src: "{% break %}", line: 1, col: 4, msg: "'break' outside of a for loop"},
		{name: "positional after keyword", src: "{{ f(a=1, 2) }}", line: 1, col: 11, msg: "positional argument follows keyword argument"},
		{name: "extends", src: "{% extends 'base' %}", line: 1, col: 4, msg: "not supported"},
		{name: "missing endraw", src: "{% raw %}abc", line: 1, col: 1, msg: "missing {% endraw %}"},
		{name: "deep nesting refused", src: "{{ " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300) + " }}", line: 1, col: 104, msg: "nests deeper", sentinel: ErrLimit},
	})
}

func TestRuntimeErrors(t *testing.T) {
	runErrCases(t, nil, []errCase{
		{name: "type error", src: "{{ 1 + 'a' }}", line: 1, col: 6, msg: "unsupported operand type(s) for +: 'int' and 'str'"},
		{name: "division by zero", src: "\n {{ 1 / 0 }}", line: 2, col: 7, msg: "division by zero"},
		{name: "compare types", src: "{{ 1 < 'a' }}", line: 1, col: 6, msg: "'<' not supported"},
		{name: "not callable", src: "{{ grains.os() }}", line: 1, col: 13, msg: "is not callable"},
		{name: "salt function error", src: "{{ salt['test.fail']() }}", line: 1, col: 21, msg: "salt['test.fail']: boom", sentinel: errBoom},
		{name: "raise", src: "{{ raise('custom failure') }}", line: 1, col: 9, msg: "custom failure", sentinel: ErrRaised},
		{name: "bad unpack", src: "{% for a, b in [1] %}{% endfor %}", line: 1, col: 8, msg: "cannot unpack"},
		{name: "macro too many args", src: "{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", line: 1, col: 35, msg: "takes not more than 1 argument"},
		{name: "filter error", src: "{{ 1|dictsort }}", line: 1, col: 6, msg: "filter 'dictsort'"},
		{name: "range too big", src: "{{ range(1000000000) }}", line: 1, col: 9, msg: "range too big", sentinel: ErrLimit},
		{name: "unsafe regex feature", src: "{{ 'a'|regex_replace('(?<=a)b', '') }}", line: 1, col: 8, msg: "regular expression"},
		{name: "bad yaml", src: "{{ 'a: [1'|load_yaml }}", line: 1, col: 12, msg: "load yaml"},
		{name: "unhashable key", src: "{{ {[1]: 2} }}", line: 1, col: 5, msg: "unhashable type: 'list'"},
	})
}

// TestLimits checks that hostile or buggy templates stop with ErrLimit
// instead of running forever or exhausting memory. The limits are lowered
// so the test is fast; the defaults are the same code with larger numbers.
func TestLimits(t *testing.T) {
	loader := files("self.sls", "{% include 'self.sls' %}", "a.jinja", "{% import 'b.jinja' as b %}", "b.jinja", "{% import 'a.jinja' as a %}")
	cases := []struct{ name, src, msg string }{
		{"nested loops with empty bodies", "{% set l = [0] * 1000 %}{% for a in l %}{% for b in l %}{% endfor %}{% endfor %}", "steps"},
		{"recursive macro", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "deeper than 20"},
		{"self include", "{% include 'self.sls' %}", "deeper than 20"},
		{"import cycle", "{% import 'a.jinja' as a %}", "deeper than 20"},
		{"recursive loop", "{% set l = [1] %}{% for x in l recursive %}{{ loop(l) }}{% endfor %}", "deeper than 20"},
		{"string repetition", "{{ 'x' * 5000000 }}", "too large"},
		{"string doubling", "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", "more than"},
		{"list doubling", "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}", "more than"},
		{"big output", "{% for i in range(10000) %}{{ 'x' * 1000 }}{% endfor %}", "more than"},
		{"join bomb", "{{ range(1000)|map('string')|join('x' * 5000) }}", "more than"},
		{"format width", "{{ '%99999999d' % 1 }}", "too large"},
		{"work on a big string in a loop", "{% set s = 'x' * 100000 %}{% for i in range(10000) %}{% set u = s|upper %}{% endfor %}", "more than"},
		{"method on a big string in a loop", "{% set s = 'x' * 100000 %}{% for i in range(10000) %}{% set u = s.replace('x', 'y') %}{% endfor %}", "more than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := New(loader, nil)
			e.maxSteps, e.maxDepth, e.maxBytes = 50_000, 20, 2<<20
			_, err := e.Render(context.Background(), "limits.sls", []byte(tc.src), nil)
			if !errors.Is(err, ErrLimit) {
				t.Fatalf("err = %v, want ErrLimit", err)
			}
			var te *Error
			if !errors.As(err, &te) || te.Line == 0 {
				t.Fatalf("err = %v, want a positioned *Error", err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.msg)
			}
		})
	}
	// The default limits leave room for big legitimate templates.
	e := New(nil, nil)
	out, err := e.Render(context.Background(), "big.sls", []byte("{% for i in range(20000) %}{{ i }}\n{% endfor %}"), nil)
	if err != nil || len(out) < 100000 {
		t.Fatalf("big template: %d bytes, %v", len(out), err)
	}
}

func TestRenderIsRepeatableAndConcurrent(t *testing.T) {
	e := New(files("m.jinja", "{% macro x(n) %}<{{ n }}>{% endmacro %}"), testFuncs())
	src := []byte("{% from 'm.jinja' import x %}{% for u in pillar.users|dictsort %}{{ x(u[0]) }}{% endfor %}\n")
	want := "<alice><bob>\n"
	done := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			for j := 0; j < 20; j++ {
				out, err := e.Render(context.Background(), "c.sls", src, testVars())
				if err != nil {
					done <- err
					return
				}
				if string(out) != want {
					done <- errors.New("got " + string(out))
					return
				}
			}
			done <- nil
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestRenderStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	e := New(nil, nil)
	_, err := e.Render(ctx, "c.sls", []byte("{% for a in range(10000) %}{{ a }}{% endfor %}"), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestCallerDataIsNotModified(t *testing.T) {
	pillar := map[string]any{"a": map[string]any{"x": 1}, "l": []any{1}}
	e := New(nil, nil)
	_, err := e.Render(context.Background(), "c.sls", []byte("{% do pillar.a.update({'y': 2}) %}{% do pillar.l.append(2) %}{% do pillar.update({'z': 1}) %}"), map[string]any{"pillar": pillar})
	if err != nil {
		t.Fatal(err)
	}
	if len(pillar) != 2 || len(pillar["a"].(map[string]any)) != 1 || len(pillar["l"].([]any)) != 1 {
		t.Fatalf("caller's pillar was modified: %v", pillar)
	}
}

func TestDirLoader(t *testing.T) {
	base := t.TempDir()
	rootA := filepath.Join(base, "a")
	rootB := filepath.Join(base, "b")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{rootA, rootB, filepath.Join(rootA, "sub"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(rootA, "sub", "x.sls"), "from a")
	write(filepath.Join(rootB, "only-b.sls"), "only b")
	write(filepath.Join(outside, "secret"), "secret")
	if err := os.MkdirAll(filepath.Join(rootB, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(rootB, "sub", "x.sls"), "from b")
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(rootA, "escape.sls")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(rootA, "escdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub/x.sls", filepath.Join(rootA, "inside.sls")); err != nil {
		t.Fatal(err)
	}
	// An absolute link is refused even when it points back inside: the
	// loader does not reason about where absolute paths lead.
	if err := os.Symlink(filepath.Join(rootA, "sub", "x.sls"), filepath.Join(rootA, "abs-inside.sls")); err != nil {
		t.Fatal(err)
	}
	l := DirLoader(rootA, rootB)
	ctx := context.Background()

	good := []struct{ name, want, resolved string }{
		{"sub/x.sls", "from a", "sub/x.sls"},
		{"only-b.sls", "only b", "only-b.sls"},
		{"salt://sub/x.sls", "from a", "sub/x.sls"},
		{"./sub//x.sls", "from a", "sub/x.sls"},
		{"inside.sls", "from a", "inside.sls"},
	}
	for _, g := range good {
		src, resolved, err := l.Load(ctx, g.name)
		if err != nil {
			t.Errorf("Load(%q): %v", g.name, err)
			continue
		}
		if string(src) != g.want || resolved != g.resolved {
			t.Errorf("Load(%q) = %q, %q; want %q, %q", g.name, src, resolved, g.want, g.resolved)
		}
	}
	bad := []struct {
		name string
		want error
	}{
		{"../outside/secret", ErrUnsafePath},
		{"sub/../../outside/secret", ErrUnsafePath},
		{"sub/../x.sls", ErrUnsafePath},
		{"/etc/passwd", ErrUnsafePath},
		{"", ErrUnsafePath},
		{".", ErrUnsafePath},
		{"a\x00b", ErrUnsafePath},
		{`sub\..\..\x`, ErrUnsafePath},
		{"escape.sls", ErrUnsafePath},
		{"escdir/secret", ErrUnsafePath},
		{"abs-inside.sls", ErrUnsafePath},
		{"missing.sls", ErrNotFound},
		{"sub", ErrNotFound},
	}
	for _, b := range bad {
		src, _, err := l.Load(ctx, b.name)
		if !errors.Is(err, b.want) {
			t.Errorf("Load(%q) = %q, %v; want %v", b.name, src, err, b.want)
		}
	}
}

// F9: a few hundred bytes of YAML aliases (billion laughs) written out
// with tojson, yaml, string or plain output must stop at the budget before
// the text is built, not after.
func TestBillionLaughsStopsBeforeBuilding(t *testing.T) {
	var yml strings.Builder
	yml.WriteString(`a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	prev := "a"
	for _, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		fmt.Fprintf(&yml, "%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n", n, n, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = n
	}
	for _, expr := range []string{"x.i | tojson", "x.i | json", "x.i | yaml", "x.i | string", "x.i"} {
		src := "{% set x = bomb | load_yaml %}{{ " + expr + " }}"
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := New(nil, nil).Render(context.Background(), "bomb.sls", []byte(src), map[string]any{"bomb": yml.String()})
		runtime.ReadMemStats(&after)
		if !errors.Is(err, ErrLimit) {
			t.Errorf("%s: got %v, want ErrLimit", expr, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 256<<20 {
			t.Errorf("%s: allocated %d MB before refusing", expr, grew>>20)
		}
	}
}
