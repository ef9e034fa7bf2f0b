package state

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func chunkNames(chunks []Chunk) []string {
	out := make([]string, len(chunks))
	for i, c := range chunks {
		out[i] = c.ID
		if c.Name != c.ID {
			out[i] += "(" + c.Name + ")"
		}
	}
	return out
}

func TestCompileDeclarationForms(t *testing.T) {
	src := memSource{"web.sls": lines(
		"long:",
		"  t.succeed:",
		"    - mode: 644",
		"short:",
		"  t:",
		"    - changes",
		"    - name: /etc/short",
		"string_form: t.succeed",
		"two_modules:",
		"  t.succeed: []",
		"  other:",
		"    - fail",
	)}
	// "other.fail" does not exist: as in Salt it compiles, and that one
	// state fails when it runs (see TestUnknownFunctionFailsOneState).
	c := &Compiler{Source: src}
	if _, err := c.ShowLowSLS(context.Background(), "", []string{"web"}); err != nil {
		t.Fatalf("an unknown state function must not refuse the SLS: %v", err)
	}

	src["web.sls"] = strings.Replace(src["web.sls"], "  other:\n    - fail", "  u.x: []", 1)
	chunks := compileLow(t, src, "web")
	want := []struct{ tag string }{
		{"t_|-long_|-long_|-succeed"},
		{"t_|-short_|-/etc/short_|-changes"},
		{"t_|-string_form_|-string_form_|-succeed"},
		{"t_|-two_modules_|-two_modules_|-succeed"},
		{"u_|-two_modules_|-two_modules_|-x"},
	}
	if len(chunks) != len(want) {
		t.Fatalf("got %d chunks %v, want %d", len(chunks), chunkNames(chunks), len(want))
	}
	for i, w := range want {
		if got := chunks[i].Tag(); got != w.tag {
			t.Errorf("chunk %d: tag %s, want %s", i, got, w.tag)
		}
		if chunks[i].SLS != "web" || chunks[i].Env != "base" {
			t.Errorf("chunk %d: sls/env %s/%s", i, chunks[i].SLS, chunks[i].Env)
		}
	}
	if got := chunks[0].Args; !reflect.DeepEqual(got, map[string]any{"mode": 644}) {
		t.Errorf("args of long = %v, want mode: 644 and nothing else", got)
	}
	if _, ok := chunks[1].Args["name"]; ok {
		t.Errorf("name must not be passed as an argument: %v", chunks[1].Args)
	}
	for i := 1; i < len(chunks); i++ {
		if chunks[i].Order <= chunks[i-1].Order {
			t.Errorf("declaration order not kept: %v", chunkNames(chunks))
		}
	}
	if chunks[0].Order != firstAutoOrder {
		t.Errorf("first auto order = %v, want %d", chunks[0].Order, firstAutoOrder)
	}
}

func TestIncludeOrderAndRelativeIncludes(t *testing.T) {
	src := memSource{
		"top.sls": lines("base:", "  '*':", "    - app", "    - db"),
		"app/init.sls": lines(
			"include:",
			"  - .config",    // app.config (relative to app/init.sls)
			"  - ..common",   // common
			"  - app.config", // already included: rendered once
			"app_run:",
			"  t.succeed: []",
		),
		"app/config.sls": lines("include:", "  - .files", "app_config:", "  t.succeed: []"),
		"app/files.sls":  lines("app_files:", "  t.succeed: []"),
		"common.sls":     lines("include:", "  - app", "common_pkg:", "  t.succeed: []"), // include cycle back to app
		"db.sls":         lines("include:", "  - common", "db_run:", "  t.succeed: []"),
	}
	c := &Compiler{Source: src, Matcher: func(tgt, typ string) bool { return tgt == "*" }}
	chunks, err := c.ShowLowstate(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	got := chunkNames(chunks)
	want := []string{"app_files", "app_config", "common_pkg", "app_run", "db_run"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order = %v, want %v (included SLS before the includer)", got, want)
	}
	for _, ch := range chunks {
		if ch.ID == "app_files" && !reflect.DeepEqual(ch.IncludedFrom, []string{"app.config", "app"}) {
			t.Errorf("app_files included from %v, want [app.config app]", ch.IncludedFrom)
		}
	}

	h, err := c.ShowHighstate(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range h.IDs {
		ids = append(ids, d.ID)
	}
	// Salt's high data keeps an SLS's own IDs before those it includes.
	if want := []string{"app_run", "app_config", "app_files", "common_pkg", "db_run"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("high data IDs = %v, want %v", ids, want)
	}
	data := h.Data()
	body := data["app_files"].(map[string]any)
	if body["__sls__"] != "app.files" || body["__env__"] != "base" {
		t.Errorf("high data body = %v", body)
	}
	if list := body["t"].([]any); list[0] != "succeed" || !reflect.DeepEqual(list[1], map[string]any{"order": 10000}) {
		t.Errorf("high data list = %v, want [succeed {order: 10000}]", list)
	}
}

func TestResolveInclude(t *testing.T) {
	tests := []struct {
		from, inc string
		init      bool
		want      string
		err       bool
	}{
		{"a.b", "c.d", false, "c.d", false},
		{"a.b", ".c", false, "a.c", false},
		{"a.b", ".c", true, "a.b.c", false},
		{"a.b", "..c", false, "c", false},
		{"a.b", "..c", true, "a.c", false},
		{"a", "...c", false, "", true},
		{"a.b", ".", false, "", true},
	}
	for _, tt := range tests {
		got, err := resolveInclude(tt.from, tt.inc, tt.init)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("resolveInclude(%q, %q, %v) = %q, %v; want %q, err %v", tt.from, tt.inc, tt.init, got, err, tt.want, tt.err)
		}
	}
}

func TestNamesExpansion(t *testing.T) {
	src := memSource{"pkgs.sls": lines(
		"before:",
		"  t.succeed: []",
		"packages:",
		"  t.succeed:",
		"    - mode: 600",
		"    - names:",
		"      - vim",
		"      - curl:",
		"        - mode: 644",
		"        - version: 1.2",
		"      - 8080",
		"      - vim",
		"after:",
		"  t.succeed: []",
	)}
	chunks := compileLow(t, src, "pkgs")
	got := chunkNames(chunks)
	want := []string{"before", "packages(vim)", "packages(curl)", "packages(8080)", "after"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("chunks = %v, want %v", got, want)
	}
	if chunks[1].Args["mode"] != 600 || chunks[2].Args["mode"] != 644 || chunks[2].Args["version"] != 1.2 {
		t.Errorf("per-name arguments not applied: vim %v, curl %v", chunks[1].Args, chunks[2].Args)
	}
	if _, ok := chunks[1].Args["names"]; ok {
		t.Errorf("names leaked into args: %v", chunks[1].Args)
	}
	if d := chunks[2].Order - chunks[1].Order; d < 0.00009 || d > 0.00011 {
		t.Errorf("names must be spread by 1/10000 of an order: %v %v", chunks[1].Order, chunks[2].Order)
	}
}

func TestOrderKeyword(t *testing.T) {
	src := memSource{"o.sls": lines(
		"a:",
		"  t.succeed: []",
		"b:",
		"  t.succeed:",
		"    - order: last",
		"c:",
		"  t.succeed:",
		"    - order: 1",
		"d:",
		"  t.succeed:",
		"    - order: first",
		"e:",
		"  t.succeed:",
		"    - order: -1",
		"f:",
		"  t.succeed: []",
	)}
	got := chunkNames(compileLow(t, src, "o"))
	want := []string{"d", "c", "a", "f", "e", "b"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("order = %v, want %v", got, want)
	}
}

func TestExtend(t *testing.T) {
	src := memSource{
		"base.sls": lines(
			"conf:",
			"  t.succeed:",
			"    - mode: 600",
			"    - user: root",
			"    - require:",
			"      - t: first",
			"first:",
			"  t.succeed: []",
			"second:",
			"  t.succeed: []",
		),
		"override.sls": lines(
			"include:",
			"  - base",
			"extend:",
			"  conf:",
			"    t:",
			"      - changes",
			"      - mode: 644",
			"      - group: www",
			"      - require:",
			"        - t: second",
		),
	}
	chunks := compileLow(t, src, "override")
	var conf *Chunk
	for i := range chunks {
		if chunks[i].ID == "conf" {
			conf = &chunks[i]
		}
	}
	if conf == nil {
		t.Fatalf("conf missing: %v", chunkNames(chunks))
	}
	if conf.Fun != "changes" {
		t.Errorf("extend must replace the function: got %s", conf.Fun)
	}
	if want := map[string]any{"mode": 644, "user": "root", "group": "www"}; !reflect.DeepEqual(conf.Args, want) {
		t.Errorf("args = %v, want %v", conf.Args, want)
	}
	want := []Requisite{{"require", "t", "first"}, {"require", "t", "second"}}
	if !reflect.DeepEqual(conf.Requisites, want) {
		t.Errorf("requisites = %v, want %v (extend appends)", conf.Requisites, want)
	}
}

func TestRequisiteInAndUse(t *testing.T) {
	src := memSource{"s.sls": lines(
		"target:",
		"  t.succeed:",
		"    - name: /etc/target",
		"    - user: www",
		"    - mode: 644",
		"    - require:",
		"      - t: other",
		"other:",
		"  t.succeed: []",
		"pkg:",
		"  t.succeed:",
		"    - require_in:",
		"      - t: target",
		"    - watch_in:",
		"      - t: /etc/target", // by name
		"    - onchanges_in:",
		"      - target", // bare ID
		"    - onfail_in:",
		"      - sls: s2",
		"pre:",
		"  t.succeed:",
		"    - prereq_in: {t: target}",
		"user:",
		"  t.succeed:",
		"    - mode: 600",
		"    - use:",
		"      - t: target",
		"giver:",
		"  t.succeed:",
		"    - shell: /bin/sh",
		"    - mode: 700",
		"    - use_in:",
		"      - t: user",
	), "s2.sls": lines("x2:", "  t.succeed: []")}
	chunks := compileLow(t, src, "s", "s2")
	get := func(id string) *Chunk {
		for i := range chunks {
			if chunks[i].ID == id {
				return &chunks[i]
			}
		}
		t.Fatalf("no chunk %s", id)
		return nil
	}
	wantTarget := []Requisite{
		{"require", "t", "other"}, {"require", "t", "pkg"}, {"watch", "t", "pkg"},
		{"onchanges", "t", "pkg"}, {"prereq", "t", "pre"},
	}
	if got := get("target").Requisites; !reflect.DeepEqual(got, wantTarget) {
		t.Errorf("target requisites = %v\nwant %v", got, wantTarget)
	}
	if got := get("x2").Requisites; !reflect.DeepEqual(got, []Requisite{{"onfail", "t", "pkg"}}) {
		t.Errorf("x2 requisites = %v, want onfail on pkg (onfail_in: sls)", got)
	}
	// use copies target's arguments that user lacks, not name or requisites;
	// use_in gives user giver's shell (mode is user's own).
	if got, want := get("user").Args, map[string]any{"mode": 600, "user": "www", "shell": "/bin/sh"}; !reflect.DeepEqual(got, want) {
		t.Errorf("user args = %v, want %v", got, want)
	}
	if got := get("user").Name; got != "user" {
		t.Errorf("use must not copy the name: got %s", got)
	}
}

func TestExclude(t *testing.T) {
	src := memSource{
		"a.sls": lines("include:", "  - b", "  - c", "exclude:", "  - sls: b", "  - id: c2", "a1:", "  t.succeed: []"),
		"b.sls": lines("b1:", "  t.succeed: []"),
		"c.sls": lines("c1:", "  t.succeed: []", "c2:", "  t.succeed: []"),
	}
	got := chunkNames(compileLow(t, src, "a"))
	if want := []string{"c1", "a1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("chunks = %v, want %v", got, want)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   memSource
		sls   []string
		kind  error
		wants []string
	}{
		{
			name: "conflicting ID across files",
			src: memSource{
				"a.sls": lines("include:", "  - b", "dup:", "  t.succeed: []"),
				"b.sls": lines("dup:", "  t.succeed: []"),
			},
			sls: []string{"a"}, kind: ErrConflictingID,
			wants: []string{"conflicting ID is 'dup'", "SLS 'base:a'", "SLS 'base:b'"},
		},
		{
			name:  "duplicate ID in one file",
			src:   memSource{"a.sls": lines("dup:", "  t.succeed: []", "dup:", "  t.fail: []")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"a.sls", "line 3", "conflicting ID 'dup'"},
		},
		{
			name:  "trailing colon",
			src:   memSource{"a.sls": lines("x:", "  t.succeed:")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"a.sls:2", "ID 'x' in SLS 'a'", "trailing colon"},
		},
		{
			name:  "args not a list",
			src:   memSource{"a.sls": lines("x:", "  t.succeed:", "    mode: 644")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"State 'x' in SLS 'a' is not formed as a list"},
		},
		{
			name:  "two functions",
			src:   memSource{"a.sls": lines("x:", "  t:", "    - succeed", "    - fail")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"Too many functions declared in state 'x' in SLS 'a'", "succeed, fail"},
		},
		{
			name:  "no function",
			src:   memSource{"a.sls": lines("x:", "  t:", "    - mode: 1")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"No function declared in state 'x' in SLS 'a'"},
		},
		{
			name:  "non-string ID",
			src:   memSource{"a.sls": lines("80:", "  t.succeed: []")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"ID '80' in SLS 'a' is not formed as a string, but is type int"},
		},
		{
			name:  "ID not a mapping",
			src:   memSource{"a.sls": lines("x:", "  - t.succeed")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"ID x in SLS a is not a dictionary"},
		},
		{
			name:  "dotted requisite type",
			src:   memSource{"a.sls": lines("x:", "  t.succeed:", "    - require:", "      - t.succeed: y", "y:", "  t.succeed: []")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"Invalid requisite type 't.succeed' in state 'x'", "did you mean 't'?"},
		},
		{
			name:  "requisite not a list",
			src:   memSource{"a.sls": lines("x:", "  t.succeed:", "    - require: y")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"The require statement in state 'x' in SLS 'a' needs to be formed as a list"},
		},
		{
			name:  "dangling requisite",
			src:   memSource{"a.sls": lines("x:", "  t.succeed:", "    - require:", "      - t: nothere")},
			sls:   []string{"a"},
			kind:  ErrRequisiteNotFound,
			wants: []string{"Referenced state does not exist for requisite [require: (t: nothere)] in state [x] in SLS [a]"},
		},
		{
			name:  "dangling require_in",
			src:   memSource{"a.sls": lines("x:", "  t.succeed:", "    - require_in:", "      - t: nothere")},
			sls:   []string{"a"},
			kind:  ErrRequisiteNotFound,
			wants: []string{"[require_in: (t: nothere)] in state [x] in SLS [a]"},
		},
		{
			name:  "extend of a missing ID",
			src:   memSource{"a.sls": lines("extend:", "  ghost:", "    t:", "      - mode: 1")},
			sls:   []string{"a"},
			kind:  ErrRequisiteNotFound,
			wants: []string{"Cannot extend ID 'ghost' in 'base:a'"},
		},
		{
			name: "require cycle",
			src: memSource{"a.sls": lines(
				"x:", "  t.succeed:", "    - require:", "      - t: y",
				"y:", "  t.succeed:", "    - watch:", "      - t: z",
				"z:", "  t.succeed:", "    - require:", "      - x",
			)},
			sls:  []string{"a"},
			kind: ErrRecursiveRequisite,
			wants: []string{"Recursive requisites were found:",
				"({'SLS': 'a', 'ID': 'x'}, 'require', {'SLS': 'a', 'ID': 'y'})",
				"({'SLS': 'a', 'ID': 'y'}, 'require', {'SLS': 'a', 'ID': 'z'})",
				"({'SLS': 'a', 'ID': 'z'}, 'require', {'SLS': 'a', 'ID': 'x'})"},
		},
		{
			name: "prereq cycle",
			src: memSource{"a.sls": lines(
				"x:", "  t.succeed:", "    - prereq:", "      - t: y",
				"y:", "  t.succeed:", "    - require:", "      - t: x",
			)},
			sls:   []string{"a"},
			kind:  ErrRecursiveRequisite,
			wants: []string{"'ID': 'x'", "'ID': 'y'", "'prereq'"},
		},
		{
			name:  "YAML syntax error names file and line",
			src:   memSource{"web/init.sls": lines("x:", "  t.succeed: []", "  bad: x: y")},
			sls:   []string{"web"},
			kind:  ErrRender,
			wants: []string{"Rendering SLS 'base:web' failed", "web/init.sls", "line 3"},
		},
		{
			name:  "missing SLS",
			src:   memSource{},
			sls:   []string{"nope"},
			kind:  ErrSLSNotFound,
			wants: []string{"Specified SLS nope in saltenv base is not available"},
		},
		{
			name:  "missing include",
			src:   memSource{"a.sls": lines("include:", "  - gone", "x:", "  t.succeed: []")},
			sls:   []string{"a"},
			kind:  ErrSLSNotFound,
			wants: []string{"Specified SLS gone in saltenv base is not available", "included from SLS 'a'"},
		},
		{
			name:  "unsupported requisite",
			src:   memSource{"a.sls": lines("x:", "  t.succeed:", "    - onfail_stop:", "      - t: y")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"onfail_stop requisite in state 'x' in SLS 'a' is not supported"},
		},
		{
			name:  "listen without mod_watch",
			src:   memSource{"a.sls": lines("x:", "  t.succeed:", "    - listen:", "      - t: y", "y:", "  t.changes: []")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"State [x] in SLS [a] listens to (t: y) but t.succeed has no mod_watch"},
		},
		{
			name:  "not a mapping",
			src:   memSource{"a.sls": lines("- just", "- a list")},
			sls:   []string{"a"},
			kind:  ErrBadDeclaration,
			wants: []string{"SLS a does not render to a dictionary"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Compiler{Source: tt.src}
			_, err := c.ShowLowSLS(context.Background(), "", tt.sls)
			if err == nil {
				t.Fatal("compiled without error")
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *CompileError", err)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCompileCollectsAllErrors(t *testing.T) {
	src := memSource{"a.sls": lines(
		"x:", "  t.succeed:",
		"y:", "  t:", "    - mode: 1",
		"z:", "  t.succeed:", "    - names: nope",
	)}
	_, err := (&Compiler{Source: src}).ShowLowSLS(context.Background(), "", []string{"a"})
	var ce *CompileError
	if !errors.As(err, &ce) || len(ce.Errs) != 2 {
		t.Fatalf("want 2 parse errors reported together, got %v", err)
	}
}

func TestFnmatch(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"web.*", "web.nginx", true},
		{"web.*", "db", false},
		{"*", "", true},
		{"a?c", "abc", true},
		{"a[bc]d", "acd", true},
		{"a[!bc]d", "acd", false},
		{"a[a-c]*", "ab/x", true},
		{"[", "[", true},
		{"*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 60), false},
	}
	for _, tt := range tests {
		if got := fnmatch(tt.pat, tt.s); got != tt.want {
			t.Errorf("fnmatch(%q, %q) = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}

// Salt reads SLS with PyYAML (YAML 1.1): plain yes/no/on/off are booleans,
// quoted or !!str-tagged they stay strings. yaml.v3 alone would read them
// as strings, and `enable: no` would then be a truthy argument.
func TestYAML11Booleans(t *testing.T) {
	src := memSource{"b.sls": lines(
		"svc:",
		"  t.succeed:",
		"    - y: yes",
		"    - n: No",
		"    - on_: ON",
		"    - off_: off",
		"    - t: true",
		"    - quoted: 'yes'",
		"    - tagged: !!str off",
		"    - word: yesterday",
		"    - opts: {yes: 1, 'no': 2}",
	)}
	chunks := compileLow(t, src, "b")
	if len(chunks) != 1 {
		t.Fatalf("got %d chunks, want 1", len(chunks))
	}
	want := map[string]any{
		"y": true, "n": false, "on_": true, "off_": false, "t": true,
		"quoted": "yes", "tagged": "off", "word": "yesterday",
		"opts": map[string]any{"True": 1, "no": 2},
	}
	for k, w := range want {
		if got := chunks[0].Args[k]; !reflect.DeepEqual(got, w) {
			t.Errorf("arg %s = %#v, want %#v", k, got, w)
		}
	}
}
