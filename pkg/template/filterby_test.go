package template

import (
	"reflect"
	"testing"
)

func TestFilterBy(t *testing.T) {
	lookup := func() map[string]any {
		return map[string]any{
			"Debian":  map[string]any{"pkg": "apache2", "conf": map[string]any{"dir": "/etc/apache2", "mods": []any{"ssl"}}},
			"RedHat":  map[string]any{"pkg": "httpd"},
			"Rock*":   map[string]any{"pkg": "httpd-rocky"},
			"default": map[string]any{"pkg": "apache"},
			"base":    map[string]any{"user": "www", "conf": map[string]any{"dir": "/etc/www", "log": "/var/log/www"}},
		}
	}
	cases := []struct {
		name    string
		grain   any
		merge   map[string]any
		def     string
		base    string
		want    any
		wantErr bool
	}{
		{name: "exact", grain: "Debian", want: map[string]any{"pkg": "apache2", "conf": map[string]any{"dir": "/etc/apache2", "mods": []any{"ssl"}}}},
		{name: "glob", grain: "Rocky", want: map[string]any{"pkg": "httpd-rocky"}},
		{name: "list grain: first item that matches", grain: []any{"Gentoo", "RedHat"}, want: map[string]any{"pkg": "httpd"}},
		{name: "default", grain: "Arch", want: map[string]any{"pkg": "apache"}},
		{name: "missing grain uses default", grain: nil, want: map[string]any{"pkg": "apache"}},
		{name: "named default", grain: "Arch", def: "RedHat", want: map[string]any{"pkg": "httpd"}},
		{name: "no match, no default", grain: "Arch", def: "nope", want: nil},
		{name: "merge overrides deeply", grain: "Debian", merge: map[string]any{"conf": map[string]any{"dir": "/opt/apache"}, "extra": 1},
			want: map[string]any{"pkg": "apache2", "extra": 1, "conf": map[string]any{"dir": "/opt/apache", "mods": []any{"ssl"}}}},
		{name: "merge without match", grain: "Arch", def: "nope", merge: map[string]any{"pkg": "x"}, want: map[string]any{"pkg": "x"}},
		{name: "base under result", grain: "Debian", base: "base",
			want: map[string]any{"pkg": "apache2", "user": "www", "conf": map[string]any{"dir": "/etc/apache2", "log": "/var/log/www", "mods": []any{"ssl"}}}},
		{name: "base alone", grain: "Arch", def: "nope", base: "base", want: map[string]any{"user": "www", "conf": map[string]any{"dir": "/etc/www", "log": "/var/log/www"}}},
		{name: "non-string grain", grain: 12, def: "nope", want: nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := lookup()
			got, err := FilterBy(l, tc.grain, tc.merge, tc.def, tc.base)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v\nwant %#v", got, tc.want)
			}
			if !reflect.DeepEqual(l, lookup()) {
				t.Fatalf("lookup was modified: %#v", l)
			}
		})
	}
	if _, err := FilterBy(map[string]any{"Debian": "str"}, "Debian", map[string]any{"a": 1}, "", ""); err == nil {
		t.Fatal("merging into a non-dict result should fail")
	}
	if _, err := FilterBy(map[string]any{"Debian": "str", "b": map[string]any{}}, "Debian", nil, "", "b"); err == nil {
		t.Fatal("base dict under a non-dict result should fail")
	}
}

func TestTraverse(t *testing.T) {
	data := map[string]any{
		"a": map[string]any{"b": map[string]any{"c": 1}},
		"l": []any{"x", map[string]any{"k": "v"}, []any{"n"}},
	}
	cases := []struct {
		key   string
		delim string
		want  any
	}{
		{"a:b:c", "", 1},
		{"a:b", ":", map[string]any{"c": 1}},
		{"a.b.c", ".", 1},
		{"a:x", "", "def"},
		{"a:b:c:d", "", "def"},
		{"l:0", "", "x"},
		{"l:-1:0", "", "n"},
		{"l:9", "", "def"},
		{"l:k", "", "v"},
		{"l:zz", "", "def"},
	}
	for _, tc := range cases {
		if got := Traverse(data, tc.key, tc.delim, "def"); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Traverse(%q) = %#v, want %#v", tc.key, got, tc.want)
		}
	}
}

func TestFnmatch(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"Deb*", "Debian", true},
		{"*bian", "Debian", true},
		{"Deb?an", "Debian", true},
		{"[CD]ebian", "Debian", true},
		{"[!D]ebian", "Debian", false},
		{"a*", "a/b", true},
		{"Debian", "debian", false},
		{"x.y", "xzy", false},
		{"[", "[", true}, // an unclosed [ is literal, as in Python
	}
	for _, tc := range cases {
		if got := fnmatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestLookup(t *testing.T) {
	data := map[string]any{
		"a":    map[string]any{"b": map[string]any{"c": 1}},
		"list": []any{"x", map[string]any{"k": "v"}, []any{"deep"}},
		"strs": []string{"s0", "s1"},
		"nil":  nil,
	}
	tests := []struct {
		key, delim string
		want       any
		ok         bool
	}{
		{"a:b:c", "", 1, true},
		{"a:b", ":", map[string]any{"c": 1}, true},
		{"a.b.c", ".", 1, true},
		{"a:x", "", nil, false},
		{"a:b:c:d", "", nil, false},
		{"list:0", "", "x", true},
		{"list:1:k", "", "v", true},
		{"list:k", "", "v", true},
		{"list:2:0", "", "deep", true},
		{"list:9", "", nil, false},
		{"list:-1", "", []any{"deep"}, true},
		{"list:-4", "", nil, false},
		{"strs:-1", "", "s1", true},
		{"list:nokey", "", nil, false},
		{"strs:1", "", "s1", true},
		{"strs:x", "", nil, false},
		{"nil", "", nil, true},
		{"", "", nil, false},
	}
	for _, tt := range tests {
		got, ok := Lookup(data, tt.key, tt.delim)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Lookup(%q, %q) = %v, %v; want %v, %v", tt.key, tt.delim, got, ok, tt.want, tt.ok)
		}
	}
}
