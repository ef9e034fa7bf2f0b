package pillar

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzCompileSLS feeds arbitrary text (YAML with Jinja) as one pillar SLS,
// which the top file assigns and which may include a fixed second one.
// Nothing may panic; a failure must be a *CompileError whose problems
// name a file of the tree and a kind; a success must be a mapping.
func FuzzCompileSLS(f *testing.F) {
	for _, seed := range []string{
		"a: 1\n",
		"mysql:\n  password: {{ grains.os }}\n  port: 3306\n",
		"include:\n  - lib\n  - .lib\nx: {{ pillar.get('lib', 0) }}\n",
		"include:\n  - lib:\n      key: 'nested:here'\n      defaults: {v: 1}\n",
		"{% for i in range(3) %}k{{ i }}: {{ i }}\n{% endfor %}",
		"{% set m = salt['grains.filter_by']({'Debian': {'a': 1}}) %}m: {{ m | json }}\n",
		"#!yaml\n{{ literal }}: yes\n",
		"#!py\n",
		"base: &b {x: 1}\nderived:\n  <<: *b\n",
		"- a\n- b\n",
		"a: [\n",
		"a: 1\na: 2\n",
		"include: lib\n",
		"include:\n  - ...x\n",
		"{{ raise('boom') }}",
		"",
		"~\n",
	} {
		f.Add([]byte(seed))
	}
	root := f.TempDir()
	if err := os.WriteFile(filepath.Join(root, "top.sls"), []byte("base:\n  '*':\n    - f\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "lib.sls"), []byte("lib: {{ v | default(2) }}\n"), 0o644); err != nil {
		f.Fatal(err)
	}
	c := NewCompiler(map[string][]string{"base": {root}}, Options{})
	f.Fuzz(func(t *testing.T, sls []byte) {
		if err := os.WriteFile(filepath.Join(root, "f.sls"), sls, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := c.Compile(context.Background(), "m1", map[string]any{"os": "Debian", "os_family": "Debian"})
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) || len(ce.Errs) == 0 {
				t.Fatalf("error is not a CompileError: %T %v", err, err)
			}
			if p != nil {
				t.Fatalf("a failed compile returned pillar %v", p)
			}
			for _, e := range ce.Errs {
				if e.File == "" || e.Kind == nil {
					t.Fatalf("problem without a file or kind: %#v", e)
				}
			}
			return
		}
		if p == nil {
			t.Fatal("nil pillar without an error")
		}
		_ = NewRedactor(nil).Redact(p)
		_ = Scrub(p, NewRedactor(nil).Secrets(p))
	})
}

// FuzzParseTop feeds arbitrary text as a rendered top file.
func FuzzParseTop(f *testing.F) {
	for _, seed := range []string{
		"base:\n  '*':\n    - core\n",
		"base:\n  'os:Debian':\n    - match: grain\n    - order: 2\n    - ignore_missing: true\n    - a\ndev:\n  x: [y]\n",
		"base:\n  - a\n",
		"base:\n  a: [b]\n  a: [c]\n",
		"include:\n  - other\n",
		"base: ~\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, top []byte) {
		targets, err := parseTop(top, "top.sls")
		if err != nil {
			if err.Kind != ErrBadTop && err.Kind != ErrYAML {
				t.Fatalf("unclassified error: %v", err)
			}
			return
		}
		for _, tt := range targets {
			if tt.env == "" || tt.match == "" {
				t.Fatalf("bad target %+v", tt)
			}
			for _, s := range tt.sls {
				if s.name == "" {
					t.Fatalf("empty SLS name in %+v", tt)
				}
			}
		}
	})
}

// FuzzGlobMatch checks the glob matcher against properties any fnmatch
// has: no panic, a pattern without wildcards matches only itself, and
// "*" + name + "*" matches name.
func FuzzGlobMatch(f *testing.F) {
	for _, s := range [][2]string{{"*", "x"}, {"a[!b-d]?*", "azzz"}, {"[", "["}, {"[]]", "]"}, {"***a", "bbba"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		got := globMatch(pattern, name)
		if !hasMeta(pattern) && got != (pattern == name) {
			t.Fatalf("literal %q vs %q: %v", pattern, name, got)
		}
		if !hasMeta(name) && !globMatch("*"+name+"*", "x"+name+"y") {
			t.Fatalf("*%s* does not match x%sy", name, name)
		}
	})
}
