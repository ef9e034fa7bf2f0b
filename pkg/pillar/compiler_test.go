package pillar

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/template"
)

func TestTwoMinionsGetDifferentPillar(t *testing.T) {
	root := writeTree(t, map[string]string{
		"top.sls": lines(
			"base:",
			"  '*':",
			"    - common",
			"  'os_family:Debian':",
			"    - match: grain",
			"    - debian",
			"  'db*':",
			"    - db",
		),
		"common.sls": lines(
			"ntp_server: pool.ntp.org",
			"motd: Welcome to {{ grains.os }} on {{ opts.id }}",
		),
		"debian.sls": lines("apt:", "  mirror: deb.debian.org"),
		"db.sls": lines(
			"mysql:",
			"  root_password: s3cr3t-{{ grains.id | default('none') }}",
			"  port: 3306",
		),
	})
	c := NewCompiler(map[string][]string{"base": {root}}, Options{})
	web := mustCompile(t, c, "web1", debian)
	assertEqual(t, web, map[string]any{
		"ntp_server": "pool.ntp.org",
		"motd":       "Welcome to Debian on web1",
		"apt":        map[string]any{"mirror": "deb.debian.org"},
	})
	db := mustCompile(t, c, "db1", redhat)
	assertEqual(t, db, map[string]any{
		"ntp_server": "pool.ntp.org",
		"motd":       "Welcome to Rocky on db1",
		"mysql":      map[string]any{"root_password": "s3cr3t-none", "port": 3306},
	})
}

func TestTopFileTargeting(t *testing.T) {
	top := lines(
		"base:",
		"  'web*':",
		"    - glob",
		"  '^db[0-9]+$':",
		"    - match: pcre",
		"    - pcre",
		"  'web1,cache1':",
		"    - match: list",
		"    - list",
		"  'os:Deb*':",
		"    - match: grain",
		"    - grain",
		"  'roles:d.':",
		"    - match: grain_pcre",
		"    - grain_pcre",
		"  'G@os_family:RedHat and not db2':",
		"    - match: compound",
		"    - compound",
		"  'webservers':",
		"    - match: nodegroup",
		"    - nodegroup",
		"  '10.0.0.0/24':",
		"    - match: ipcidr",
		"    - ipcidr",
		"  'N@webservers or L@db2':",
		"    - match: compound",
		"    - compound_nodegroup",
	)
	files := map[string]string{"top.sls": top}
	for _, n := range []string{"glob", "pcre", "list", "grain", "grain_pcre", "compound", "nodegroup", "ipcidr", "compound_nodegroup"} {
		files[n+".sls"] = n + ": true\n"
	}
	c := NewCompiler(map[string][]string{"base": {writeTree(t, files)}}, Options{
		Nodegroups: map[string]any{"webservers": "G@roles:web and web*"},
	})
	tests := []struct {
		id     string
		grains map[string]any
		want   []string
	}{
		{"web1", debian, []string{"glob", "list", "grain", "nodegroup", "ipcidr", "compound_nodegroup"}},
		{"web2", redhat, []string{"glob", "grain_pcre", "compound"}},
		{"db1", redhat, []string{"pcre", "grain_pcre", "compound"}},
		{"db2", redhat, []string{"pcre", "grain_pcre", "compound_nodegroup"}},
		{"cache1", map[string]any{"os": "Alpine"}, []string{"list"}},
		{"other", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p := mustCompile(t, c, tt.id, tt.grains)
			want := map[string]any{}
			for _, n := range tt.want {
				want[n] = true
			}
			assertEqual(t, p, want)
		})
	}
}

func TestIncludes(t *testing.T) {
	root := writeTree(t, map[string]string{
		"top.sls": lines("base:", "  '*':", "    - app", "    - users"),
		"app/init.sls": lines(
			"include:",
			"  - .db",            // app/init.sls: ".db" is app.db
			"  - common.network", // absolute
			"app:",
			"  name: shop",
			"  port: 8080", // overrides what app.db sets
		),
		"app/db.sls": lines(
			"include:",
			"  - .settings", // app/db.sls: ".settings" is app.settings
			"app:",
			"  port: 5432",
			"  db: postgres",
		),
		"app/settings.sls":   lines("app:", "  debug: false", "  db: sqlite"),
		"common/network.sls": lines("dns: [1.1.1.1]"),
		"users.sls": lines(
			"include:",
			"  - common.network", // already rendered in this saltenv: not merged again
			"  - lib.user:",
			"      key: 'accounts:admin'",
			"      defaults:",
			"        uid: 1000",
			"dns: [9.9.9.9]",
		),
		"lib/user.sls": lines("name: admin", "uid: {{ uid }}"),
	})
	c := NewCompiler(map[string][]string{"base": {root}}, Options{})
	p := mustCompile(t, c, "m1", nil)
	assertEqual(t, p, map[string]any{
		"app":      map[string]any{"name": "shop", "port": 8080, "db": "postgres", "debug": false},
		"dns":      []any{"9.9.9.9"},
		"accounts": map[string]any{"admin": map[string]any{"name": "admin", "uid": 1000}},
	})
}

func TestResolveInclude(t *testing.T) {
	tests := []struct {
		from, inc string
		init      bool
		want      string
		err       bool
	}{
		{"a.b", "x", false, "x", false},
		{"a.b", ".x", false, "a.x", false},
		{"a.b", ".x", true, "a.b.x", false},
		{"a.b.c", "..x", false, "a.x", false},
		{"a.b.c", "...x", false, "x", false},
		{"a.b", "..x", true, "a.x", false},
		{"a", ".x", false, "x", false},
		{"a", "..x", false, "", true},
		{"a.b", "...", false, "", true},
	}
	for _, tt := range tests {
		got, err := resolveInclude(tt.from, tt.inc, tt.init)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("resolveInclude(%q, %q, %v) = %q, %v; want %q (error %v)", tt.from, tt.inc, tt.init, got, err, tt.want, tt.err)
		}
	}
}

func TestMergeOrder(t *testing.T) {
	files := map[string]string{
		"top.sls": lines(
			"base:",
			"  '*':",
			"    - one",
			"    - two",
			"  'm*':",
			"    - three",
			"  'late':",
			"    - match: list",
			"    - order: -1", // sorted before the targets with the default order 0
			"    - first",
		),
		"one.sls":   lines("pkgs: [vim, curl]", "conf:", "  a: 1", "  nested: {x: 1, y: 1}", "gone: here"),
		"two.sls":   lines("pkgs: [curl, git]", "conf:", "  b: 2", "  nested: {y: 2}", "gone: ~"),
		"three.sls": lines("conf:", "  a: three"),
		"first.sls": lines("conf:", "  a: first", "  c: first"),
	}
	want := func(pkgs []any) map[string]any {
		return map[string]any{
			"pkgs": pkgs,
			"conf": map[string]any{"a": "three", "b": 2, "nested": map[string]any{"x": 1, "y": 2}},
			"gone": nil,
		}
	}
	p, err := compileOne(t, files, Options{}, "m1", nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, p, want([]any{"curl", "git"}))

	p, err = compileOne(t, files, Options{MergeLists: true}, "m1", nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, p, want([]any{"vim", "curl", "git"}))

	p, err = compileOne(t, files, Options{}, "late", nil)
	if err != nil {
		t.Fatal(err)
	}
	// first.sls comes first because of its order; one and two merge over it.
	assertEqual(t, p["conf"], map[string]any{"a": 1, "b": 2, "c": "first", "nested": map[string]any{"x": 1, "y": 2}})
}

func TestSaltenvsAndRoots(t *testing.T) {
	base1 := writeTree(t, map[string]string{
		"top.sls":    lines("base:", "  '*':", "    - shared", "    - only1", "    - only2"),
		"shared.sls": "where: base1\n",
		"only1.sls":  "one: 1\n",
	})
	base2 := writeTree(t, map[string]string{
		"top.sls":        lines("base:", "  '*':", "    - ignored"), // the first root's top file wins
		"shared.sls":     "where: base2\n",
		"only2/init.sls": "two: 2\n",
		"only1/init.sls": "one: init\n", // only1.sls in any root beats only1/init.sls
		"ignored.sls":    "ignored: true\n",
	})
	dev := writeTree(t, map[string]string{
		"top.sls": lines(
			"dev:",
			"  '*':",
			"    - shared",
			"base:", // ignored: base's own top file is authoritative for base
			"  '*':",
			"    - ignored",
		),
		"shared.sls": "where: dev\n",
	})
	c := NewCompiler(map[string][]string{"dev": {dev}, "base": {base1, base2}}, Options{})
	p := mustCompile(t, c, "m1", nil)
	// base is compiled first, so dev's "where" wins.
	assertEqual(t, p, map[string]any{"where": "dev", "one": 1, "two": 2})
}

func TestTemplateVariables(t *testing.T) {
	var seen []string
	opts := Options{
		Opts: map[string]any{"environment": "prod"},
		Funcs: map[string]template.Func{
			"vault.read": func(ctx context.Context, args []any, _ map[string]any) (any, error) {
				id, grains, soFar, ok := MinionFromContext(ctx)
				if !ok {
					return nil, errors.New("no minion")
				}
				seen = append(seen, fmt.Sprintf("%s %v %v", id, grains["os"], soFar["first"]))
				return "secret-for-" + id + "-" + args[0].(string), nil
			},
			// A function of the same name as a built-in does not replace it.
			"grains.get": func(context.Context, []any, map[string]any) (any, error) { return "wrong", nil },
		},
	}
	files := map[string]string{
		"top.sls": lines(
			"base:",
			"  '*':",
			"    - first",
			"{% if grains.os == 'Debian' %}",
			"    - web.vars",
			"{% endif %}",
		),
		"first.sls": "first: {{ saltenv }}\n",
		"web/vars.sls": lines(
			"vars:",
			"  sls: {{ sls }}",
			"  slspath: {{ slspath }}",
			"  tpldir: {{ tpldir }}",
			"  tplfile: {{ tplfile }}",
			"  id: {{ opts.id }}",
			"  env: {{ opts.environment }}",
			"  so_far: {{ pillar.first }}",
			"  pillar_get: {{ salt['pillar.get']('first', 'none') }}",
			"  pillar_get_default: {{ salt['pillar.get']('nope:deeper', 'none') }}",
			"  grain: {{ salt['grains.get']('os_family') }}",
			"  config_opts: {{ salt['config.get']('environment') }}",
			"  config_grain: {{ salt['config.get']('os') }}",
			"  role: {{ salt['grains.filter_by']({'Debian': 'deb', 'default': 'other'}) }}",
			"  secret: {{ salt['vault.read']('db') }}",
			"{% import_yaml tpldir ~ '/defaults.yaml' as defaults %}",
			"  port: {{ defaults.port }}",
		),
		"web/defaults.yaml": "port: 8443\n",
	}
	p, err := compileOne(t, files, opts, "web1", debian)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, p["vars"], map[string]any{
		"sls": "web.vars", "slspath": "web", "tpldir": "web", "tplfile": "web/vars.sls",
		"id": "web1", "env": "prod", "so_far": "base", "pillar_get": "base", "pillar_get_default": "none",
		"grain": "Debian", "config_opts": "prod", "config_grain": "Debian", "role": "deb",
		"secret": "secret-for-web1-db", "port": 8443,
	})
	assertEqual(t, seen, []string{"web1 Debian base"})

	p, err = compileOne(t, files, opts, "db1", redhat)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, p, map[string]any{"first": "base"})
}

func TestShebangAndYAMLTypes(t *testing.T) {
	p, err := compileOne(t, map[string]string{
		"top.sls": lines("base:", "  '*':", "    - raw", "    - types"),
		"raw.sls": lines("#!yaml", "literal: '{{ not a template }}'"),
		"types.sls": lines(
			"#!jinja|yaml",
			"enabled: yes",
			"disabled: Off",
			"quoted: 'yes'",
			"mode: 0644",
			"ratio: 0.5",
			"big: 18446744073709551615",
			"none: ~",
			"date: 2024-01-31",
			"anchors:",
			"  base: &b {x: 1, y: 1}",
			"  derived:",
			"    <<: *b",
			"    y: 2",
		),
	}, Options{}, "m1", nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, p, map[string]any{
		"literal": "{{ not a template }}",
		"enabled": true, "disabled": false, "quoted": "yes", "mode": 644, "ratio": 0.5,
		"big": uint64(18446744073709551615), "none": nil, "date": "2024-01-31",
		"anchors": map[string]any{"base": map[string]any{"x": 1, "y": 1}, "derived": map[string]any{"x": 1, "y": 2}},
	})
}

func TestIgnoreMissingAndGlobs(t *testing.T) {
	files := map[string]string{
		"top.sls": lines(
			"base:",
			"  '*':",
			"    - users.*",
			"    - optional",
			"    - ignore_missing: true",
		),
		"users/alice.sls": "users: {alice: 1}\n",
		"users/bob.sls":   "users: {bob: 2}\n",
		"users/init.sls":  "users: {root: 0}\n", // "users" does not match users.*
	}
	p, err := compileOne(t, files, Options{}, "m1", nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, p, map[string]any{"users": map[string]any{"alice": 1, "bob": 2}})
}

func TestNoTopFileOrNoMatchIsEmpty(t *testing.T) {
	p, err := compileOne(t, map[string]string{"a.sls": "a: 1\n"}, Options{}, "m1", nil)
	if err != nil || len(p) != 0 {
		t.Fatalf("no top file: got %v, %v; want empty pillar", p, err)
	}
	c := NewCompiler(map[string][]string{"base": {filepath.Join(t.TempDir(), "missing")}}, Options{})
	if p := mustCompile(t, c, "m1", nil); len(p) != 0 {
		t.Fatalf("missing root: got %v", p)
	}
	p, err = compileOne(t, map[string]string{"top.sls": lines("base:", "  'web*':", "    - a"), "a.sls": "a: 1\n"}, Options{}, "db1", nil)
	if err != nil || len(p) != 0 {
		t.Fatalf("no match: got %v, %v; want empty pillar", p, err)
	}
}

func TestCompileErrors(t *testing.T) {
	top := func(sls ...string) string {
		l := []string{"base:", "  '*':"}
		for _, s := range sls {
			l = append(l, "    - "+s)
		}
		return lines(l...)
	}
	tests := []struct {
		name  string
		files map[string]string
		kind  error
		file  string // relative to the root
		line  int
		msg   string // a part of the message
	}{
		{"missing SLS", map[string]string{"top.sls": top("ok", "nope"), "ok.sls": "a: 1\n"},
			ErrSLSNotFound, "top.sls", 4, "SLS 'nope' in saltenv base is not available"},
		{"missing include", map[string]string{"top.sls": top("a"), "a.sls": lines("include:", "  - b", "  - nope", "x: 1"), "b.sls": "b: 1\n"},
			ErrSLSNotFound, "a.sls", 3, "SLS 'nope'"},
		{"undefined variable", map[string]string{"top.sls": top("a"), "a.sls": lines("a: 1", "b: {{ grains.os }}", "c: {{ nope }}")},
			ErrRender, "a.sls", 3, "nope"},
		{"Jinja syntax error", map[string]string{"top.sls": top("a"), "a.sls": lines("a: 1", "{% if %}", "b: 2")},
			ErrRender, "a.sls", 2, "rendering SLS 'a' failed"},
		{"error in imported template", map[string]string{"top.sls": top("a"), "a.sls": lines("{% from 'map.jinja' import m %}", "a: {{ m }}"), "map.jinja": lines("{% set x = 1 %}", "{% set m = undefined_thing.x %}")},
			ErrRender, "map.jinja", 2, "undefined_thing"},
		{"raise", map[string]string{"top.sls": top("a"), "a.sls": lines("a: 1", "{{ raise('db password missing') }}")},
			ErrRender, "a.sls", 2, "db password missing"},
		{"YAML error", map[string]string{"top.sls": top("a"), "a.sls": lines("a: 1", "b: [unclosed", "c: 3")},
			ErrYAML, "a.sls", 0, "not valid YAML"},
		{"YAML tab", map[string]string{"top.sls": top("a"), "a.sls": lines("a:", "\tb: 1")},
			ErrYAML, "a.sls", 2, "not valid YAML"},
		{"duplicate key", map[string]string{"top.sls": top("a"), "a.sls": lines("a: 1", "b: 2", "a: 3")},
			ErrYAML, "a.sls", 3, `"a" is defined twice`},
		{"not a mapping", map[string]string{"top.sls": top("a"), "a.sls": lines("- a", "- b")},
			ErrNotMapping, "a.sls", 1, "does not render to a mapping"},
		{"scalar", map[string]string{"top.sls": top("a"), "a.sls": "just text\n"},
			ErrNotMapping, "a.sls", 1, "does not render to a mapping"},
		{"include not a list", map[string]string{"top.sls": top("a"), "a.sls": lines("x: 1", "include: b")},
			ErrNotMapping, "a.sls", 2, "include of SLS 'a' is not a list"},
		{"bad include option", map[string]string{"top.sls": top("a"), "a.sls": lines("include:", "  - b: {nest: x}"), "b.sls": "b: 1\n"},
			ErrNotMapping, "a.sls", 2, "unknown option 'nest'"},
		{"relative include beyond top", map[string]string{"top.sls": top("a"), "a.sls": lines("include:", "  - ..b")},
			ErrNotMapping, "a.sls", 2, "beyond the top"},
		{"unknown match type", map[string]string{"top.sls": lines("base:", "  'x':", "    - match: nosuch", "    - a")},
			ErrBadTop, "top.sls", 3, "unknown match type 'nosuch'"},
		{"bad target", map[string]string{"top.sls": lines("base:", "  'G@os:Debian and (':", "    - match: compound", "    - a")},
			ErrBadTop, "top.sls", 2, "target 'G@os:Debian and ('"},
		{"top not a mapping", map[string]string{"top.sls": "- a\n"},
			ErrBadTop, "top.sls", 1, "not a mapping"},
		{"top target not a list", map[string]string{"top.sls": lines("base:", "  '*': a")},
			ErrBadTop, "top.sls", 2, "want a list of SLS names"},
		{"top Jinja error", map[string]string{"top.sls": lines("base:", "  '*':", "    - {{ grains.nope }}")},
			ErrRender, "top.sls", 3, "rendering top file failed"},
		{"unknown saltenv", map[string]string{"top.sls": lines("prod:", "  '*':", "    - a")},
			ErrBadTop, "top.sls", 2, "saltenv prod, which has no pillar_roots"},
		{"glob matches nothing", map[string]string{"top.sls": top("users.*")},
			ErrSLSNotFound, "top.sls", 3, "no SLS in saltenv base matches 'users.*'"},
		{"SLS name leaving the root", map[string]string{"top.sls": top("'..'")},
			ErrSLSNotFound, "top.sls", 3, "not available"},
		{"unsupported renderer", map[string]string{"top.sls": top("a"), "a.sls": lines("#!py", "def run(): return {}")},
			ErrRender, "a.sls", 1, "renderer \"py\" is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := writeTree(t, tt.files)
			c := NewCompiler(map[string][]string{"base": {root}}, Options{})
			p, err := c.Compile(context.Background(), "m1", debian)
			if p != nil {
				t.Errorf("a failed compile returned pillar %v", p)
			}
			errs := compileErrors(t, err)
			e := errs[0]
			t.Log(e)
			if !errors.Is(err, tt.kind) || !errors.Is(e, tt.kind) {
				t.Errorf("error %q is not %v", e, tt.kind)
			}
			wantFile := filepath.Join(root, filepath.FromSlash(tt.file))
			if e.File != wantFile || (tt.line != 0 && e.Line != tt.line) {
				t.Errorf("error at %s:%d, want %s:%d (%v)", e.File, e.Line, wantFile, tt.line, e)
			}
			if !strings.Contains(e.Error(), tt.msg) || !strings.HasPrefix(e.Error(), e.File) {
				t.Errorf("message %q does not start with the file or lacks %q", e.Error(), tt.msg)
			}
		})
	}
}

func TestCompileReportsEveryError(t *testing.T) {
	_, err := compileOne(t, map[string]string{
		"top.sls": lines("base:", "  '*':", "    - a", "    - missing", "    - c"),
		"a.sls":   "a: {{ nope }}\n",
		"c.sls":   "- list\n",
	}, Options{}, "m1", nil)
	errs := compileErrors(t, err)
	var kinds []error
	for _, e := range errs {
		kinds = append(kinds, e.Kind)
	}
	assertEqual(t, kinds, []error{ErrRender, ErrSLSNotFound, ErrNotMapping})
	if !strings.Contains(err.Error(), "pillar for minion m1 failed to compile") {
		t.Errorf("message: %v", err)
	}
}

func TestRenderedLineNote(t *testing.T) {
	// The YAML error is on line 3 of the rendered text, not of the source.
	_, err := compileOne(t, map[string]string{
		"top.sls": lines("base:", "  '*':", "    - a"),
		"a.sls":   lines("{% for i in [1, 2] %}", "k{{ i }}: {{ i }}", "{% endfor %}", "bad: [", ""),
	}, Options{}, "m1", nil)
	e := compileErrors(t, err)[0]
	if !e.Rendered || !strings.Contains(e.Error(), "line numbers refer to the rendered template") {
		t.Errorf("want a note on rendered line numbers: %v", e)
	}
}

func TestSymlinkOutOfRootRefused(t *testing.T) {
	outside := writeTree(t, map[string]string{"secret.sls": "stolen: true\n"})
	root := writeTree(t, map[string]string{"top.sls": lines("base:", "  '*':", "    - secret")})
	if err := os.Symlink(filepath.Join(outside, "secret.sls"), filepath.Join(root, "secret.sls")); err != nil {
		t.Skip("symlinks not supported:", err)
	}
	c := NewCompiler(map[string][]string{"base": {root}}, Options{})
	_, err := c.Compile(context.Background(), "m1", nil)
	if e := compileErrors(t, err)[0]; !errors.Is(e, ErrSLSNotFound) {
		t.Fatalf("want the escaping symlink refused, got %v", err)
	}
}

func TestIncludeCycleAndDepth(t *testing.T) {
	p, err := compileOne(t, map[string]string{
		"top.sls": lines("base:", "  '*':", "    - a"),
		"a.sls":   lines("include: [b]", "a: 1"),
		"b.sls":   lines("include: [a]", "b: 1"),
	}, Options{}, "m1", nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, p, map[string]any{"a": 1, "b": 1})

	files := map[string]string{"top.sls": lines("base:", "  '*':", "    - f0")}
	for i := 0; i <= maxIncludeDepth+1; i++ {
		files[fmt.Sprintf("f%d.sls", i)] = fmt.Sprintf("include: [f%d]\nk%d: 1\n", i+1, i)
	}
	_, err = compileOne(t, files, Options{}, "m1", nil)
	if !strings.Contains(fmt.Sprint(err), "include chain deeper than") {
		t.Fatalf("want a depth error, got %v", err)
	}
}

func TestCompileCancelled(t *testing.T) {
	c := NewCompiler(map[string][]string{"base": {writeTree(t, map[string]string{
		"top.sls": lines("base:", "  '*':", "    - a"), "a.sls": "a: 1\n",
	})}}, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Compile(ctx, "m1", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}
	if _, err := c.Compile(context.Background(), "", nil); err == nil {
		t.Fatal("an empty minion id compiled")
	}
}

func TestCompileResultIsIndependent(t *testing.T) {
	c := NewCompiler(map[string][]string{"base": {writeTree(t, map[string]string{
		"top.sls": lines("base:", "  '*':", "    - a"), "a.sls": "a: {b: 1}\n",
	})}}, Options{})
	p := mustCompile(t, c, "m1", nil)
	p["a"].(map[string]any)["b"] = 2
	assertEqual(t, mustCompile(t, c, "m1", nil), map[string]any{"a": map[string]any{"b": 1}})
}

func TestGet(t *testing.T) {
	p := map[string]any{
		"mysql": map[string]any{"server": map[string]any{"port": 3306}, "users": []any{map[string]any{"name": "app"}, "x"}},
		"null":  nil,
	}
	tests := []struct {
		key   string
		def   any
		delim string
		want  any
	}{
		{"mysql:server:port", nil, "", 3306},
		{"mysql:users:0:name", nil, ":", "app"},
		{"mysql:users:1", nil, "", "x"},
		{"mysql:users:name", nil, "", "app"},
		{"mysql,server,port", nil, ",", 3306},
		{"mysql:server:nope", 5, "", 5},
		{"mysql:users:7", "d", "", "d"},
		{"null", "d", "", nil},
		{"nope", "", "", ""},
	}
	for _, tt := range tests {
		if got := Get(p, tt.key, tt.def, tt.delim); !equal(got, tt.want) {
			t.Errorf("Get(%q) = %#v, want %#v", tt.key, got, tt.want)
		}
	}
	if got := Get(nil, "a", "d", ""); got != "d" {
		t.Errorf("Get(nil) = %v", got)
	}
}

func equal(a, b any) bool { return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b) }

func TestMergeDoesNotModifyInputs(t *testing.T) {
	a := map[string]any{"m": map[string]any{"x": 1, "l": []any{1}}}
	b := map[string]any{"m": map[string]any{"y": 2, "l": []any{1, 2}}}
	got := Merge(a, b, true)
	assertEqual(t, got, map[string]any{"m": map[string]any{"x": 1, "y": 2, "l": []any{1, 2}}})
	assertEqual(t, a, map[string]any{"m": map[string]any{"x": 1, "l": []any{1}}})
	assertEqual(t, b, map[string]any{"m": map[string]any{"y": 2, "l": []any{1, 2}}})
	got["m"].(map[string]any)["l"].([]any)[0] = "changed"
	if a["m"].(map[string]any)["l"].([]any)[0] != 1 || b["m"].(map[string]any)["l"].([]any)[0] != 1 {
		t.Error("Merge's result shares a list with its inputs")
	}
	assertEqual(t, Merge(nil, map[string]any{"a": 1}, false), map[string]any{"a": 1})
	assertEqual(t, Merge(map[string]any{"a": []any{1}}, map[string]any{"a": []any{2}}, false), map[string]any{"a": []any{2}})
}

func TestMentions(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"{{ pillar.x }}", true},
		{"pillar", true},
		{"{{ pillar['x'] }}", true},
		{"{% set p = pillar %}", true},
		{"{{ salt['pillar.get']('x') }}", false},
		{"{{ salt.pillar.get('x') }}", false},
		{"mypillar: pillars", false},
		{"{{ \"pillar\" }}", false},
		{"a\n{{ salt['pillar.get']('x') }} {{ pillar.y }}", true},
	}
	for _, tt := range tests {
		if got := mentions([]byte(tt.src), "pillar"); got != tt.want {
			t.Errorf("mentions(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
	// A template that loads another passes the variables on, and the
	// loaded template can use them.
	p, err := compileOne(t, map[string]string{
		"top.sls":   lines("base:", "  '*':", "    - a", "    - b"),
		"a.sls":     "a: 1\n",
		"b.sls":     lines("{% from 'map.jinja' import v with context %}", "b: {{ v }}"),
		"map.jinja": "{% set v = pillar.a + 1 %}\n",
	}, Options{}, "m1", nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, p, map[string]any{"a": 1, "b": 2})
}

// Salt reads pillar with PyYAML (YAML 1.1): plain yes/no/on/off are
// booleans, quoted or !!str-tagged they stay strings, and a boolean key
// reads as Python prints it.
func TestYAML11Booleans(t *testing.T) {
	p, err := compileOne(t, map[string]string{
		"top.sls": lines("base:", "  '*':", "    - b"),
		"b.sls": lines(
			"y: yes", "n: No", "on_: ON", "off_: off", "t: true",
			"quoted: 'yes'", "tagged: !!str off", "word: yesterday",
			"keys: {yes: 1, 'no': 2}",
		),
	}, Options{}, "m1", nil)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, p, map[string]any{
		"y": true, "n": false, "on_": true, "off_": false, "t": true,
		"quoted": "yes", "tagged": "off", "word": "yesterday",
		"keys": map[string]any{"True": 1, "no": 2},
	})
}
