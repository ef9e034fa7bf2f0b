package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/halite/halite/pkg/modules"
)

// grainMatcher is the simple matcher the tests inject: glob on the minion
// ID "web1" ("*" and "web*" only), list, and grain "os:Debian".
func grainMatcher(tgt, typ string) bool {
	switch typ {
	case "glob":
		return tgt == "*" || tgt == "web*" || tgt == "web1"
	case "list":
		return contains(strings.Split(tgt, ","), "web1")
	case "grain":
		return tgt == "os:Debian"
	}
	return false
}

func TestTopFileMatching(t *testing.T) {
	src := memSource{
		"top.sls": lines(
			"base:",
			"  '*':",
			"    - core",
			"  'db*':",
			"    - db",
			"  'os:Debian':",
			"    - match: grain",
			"    - debian",
			"    - core", // repeated: applied once
			"  'db1,web1':",
			"    - match: list",
			"    - listed",
			"  'os:RedHat':",
			"    - match: grain",
			"    - redhat",
			"dev:",
			"  'web*': devtools",
		),
	}
	c := &Compiler{Source: src, Matcher: grainMatcher}
	top, err := c.ShowTop(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"base": {"core", "debian", "listed"}, "dev": {"devtools"}}
	if !reflect.DeepEqual(top, want) {
		t.Errorf("ShowTop = %v, want %v", top, want)
	}
	top, err = c.ShowTop(context.Background(), "dev")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string][]string{"dev": {"devtools"}}; !reflect.DeepEqual(top, want) {
		t.Errorf("ShowTop(dev) = %v, want %v", top, want)
	}
}

func TestTopFileErrors(t *testing.T) {
	tests := []struct {
		name, top string
		kind      error
		want      string
	}{
		{"no match", lines("base:", "  'db*':", "    - db"), ErrNoTopMatch, "No Top file matches found"},
		{"bad match type", lines("base:", "  x:", "    - match: telepathy", "    - a"), ErrBadDeclaration, "unknown match type"},
		{"targets not a dict", lines("base:", "  - a"), ErrBadDeclaration, "not formatted as a dict"},
		{"states not a list", lines("base:", "  '*': {a: b}"), ErrBadDeclaration, "not formed as a list"},
		{"yaml error", lines("base:", "  '*': [a"), ErrRender, "top.sls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &Compiler{Source: memSource{"top.sls": tt.top}, Matcher: grainMatcher}
			_, err := c.ShowTop(context.Background(), "")
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %v containing %q", err, tt.kind, tt.want)
			}
		})
	}
	_, err := (&Compiler{Source: memSource{}, Matcher: grainMatcher}).ShowTop(context.Background(), "")
	if !errors.Is(err, ErrNoTopMatch) {
		t.Errorf("missing top file: %v, want ErrNoTopMatch", err)
	}
}

func TestHighstate(t *testing.T) {
	src := memSource{
		"top.sls":  lines("base:", "  '*':", "    - core", "    - web"),
		"core.sls": lines("ntp:", "  t.succeed: []"),
		"web.sls":  lines("nginx:", "  t.service:", "    - require:", "      - t: ntp"),
	}
	ctx, rec := withRecorder(context.Background())
	c := &Compiler{Source: src, Matcher: grainMatcher}
	ret, err := c.Highstate(ctx, "", RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.seq(); !reflect.DeepEqual(got, []string{"succeed:ntp", "service:nginx"}) {
		t.Errorf("calls = %v", got)
	}
	if len(ret) != 2 || Retcode(ret) != 0 {
		t.Errorf("ret = %v", keys(ret))
	}
}

// fakeRenderer substitutes {{ var }} with the variable's value, enough to
// see which variables reach the template engine.
type fakeRenderer struct {
	mu    sync.Mutex
	names []string
}

var placeholder = regexp.MustCompile(`\{\{\s*(\w+)(?:\.(\w+))?\s*\}\}`)

func (f *fakeRenderer) Render(_ context.Context, name string, src []byte, vars map[string]any) ([]byte, error) {
	f.mu.Lock()
	f.names = append(f.names, name)
	f.mu.Unlock()
	var err error
	out := placeholder.ReplaceAllFunc(src, func(m []byte) []byte {
		sub := placeholder.FindSubmatch(m)
		v, ok := vars[string(sub[1])]
		if ok && len(sub[2]) > 0 {
			mv, _ := v.(map[string]any)
			v, ok = mv[string(sub[2])]
		}
		if !ok {
			err = fmt.Errorf("%s: undefined variable %s", name, sub[1])
			return m
		}
		return []byte(fmt.Sprint(v))
	})
	return out, err
}

func TestRenderVariables(t *testing.T) {
	src := memSource{
		"top.sls": lines("base:", "  '{{ target }}':", "    - web.app"),
		"web/app/init.sls": lines(
			"vars:",
			"  t.succeed:",
			"    - sls: '{{ sls }}'",
			"    - slspath: '{{ slspath }}'",
			"    - tpldir: '{{ tpldir }}'",
			"    - tplfile: '{{ tplfile }}'",
			"    - os: '{{ grains.os }}'",
			"    - role: '{{ pillar.role }}'",
		),
		"plain.sls": lines("#!yaml", "p:", "  t.succeed:", "    - raw: '{{ not_rendered }}'"),
	}
	var seen []string
	r := &fakeRenderer{}
	c := &Compiler{
		Source: src,
		Render: r,
		Vars: func(sls string) map[string]any {
			seen = append(seen, sls)
			return map[string]any{
				"grains": map[string]any{"os": "Debian"},
				"pillar": map[string]any{"role": "web"},
				"target": "*",
			}
		},
		Matcher: grainMatcher,
	}
	chunks, err := c.ShowLowstate(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"sls": "web.app", "slspath": "web/app", "tpldir": "web/app", "tplfile": "web/app/init.sls", "os": "Debian", "role": "web"}
	if !reflect.DeepEqual(chunks[0].Args, want) {
		t.Errorf("rendered args = %v\nwant %v", chunks[0].Args, want)
	}
	if !reflect.DeepEqual(r.names, []string{"top.sls", "web/app/init.sls"}) {
		t.Errorf("template names = %q, want root-relative names the engine can resolve imports against", r.names)
	}
	if !reflect.DeepEqual(seen, []string{"", "web.app"}) {
		t.Errorf("Vars called for %q, want the top file then web.app", seen)
	}
	chunks, err = c.ShowLowSLS(context.Background(), "", []string{"plain"})
	if err != nil {
		t.Fatal(err)
	}
	if chunks[0].Args["raw"] != "{{ not_rendered }}" {
		t.Errorf("#!yaml file went through the template engine: %v", chunks[0].Args)
	}
}

func TestRenderErrors(t *testing.T) {
	src := memSource{
		"broken.sls":        lines("x:", "  t.succeed:", "    - v: '{{ missing }}'"),
		"pipeline.sls":      lines("#!py", "def run(): pass"),
		"sub/init/init.sls": lines("x: '{{ nope }}'"),
		"shifted.sls":       lines("{{ pad }}", "x:", "  t.succeed: []", "  y: z: w"),
	}
	c := &Compiler{Source: src, Render: &fakeRenderer{}, Vars: func(string) map[string]any { return map[string]any{"pad": "# comment\n#"} }}
	for sls, want := range map[string]string{
		"broken":   "broken.sls: undefined variable missing",
		"sub.init": "sub/init/init.sls: undefined variable nope",
		"pipeline": `renderer pipeline "py" is not supported`,
		"shifted":  "line numbers refer to the rendered template",
	} {
		_, err := c.ShowSLS(context.Background(), "", []string{sls})
		if !errors.Is(err, ErrRender) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want ErrRender containing %q", sls, err, want)
		}
	}
	noRender := &Compiler{Source: memSource{"j.sls": lines("#!jinja|yaml", "x: t.succeed")}}
	if _, err := noRender.ShowSLS(context.Background(), "", []string{"j"}); !errors.Is(err, ErrRender) {
		t.Errorf("jinja shebang without a renderer: %v", err)
	}
}

func TestSLSID(t *testing.T) {
	src := memSource{"s.sls": lines(
		"dep:", "  t.succeed: []",
		"unrelated:", "  t.succeed: []",
		"target:", "  t.succeed:", "    - names: [one, two]", "    - require:", "      - dep",
	)}
	ctx, rec := withRecorder(context.Background())
	c := &Compiler{Source: src}
	ret, err := c.SLSID(ctx, "", "target", []string{"s"}, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rec.seq(), []string{"succeed:dep", "succeed:target(one)", "succeed:target(two)"}; !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %v, want %v", got, want)
	}
	if len(ret) != 3 {
		t.Errorf("ret = %v", keys(ret))
	}
	_, err = c.SLSID(ctx, "", "ghost", []string{"s"}, RunOptions{})
	if !errors.Is(err, ErrIDNotFound) || !strings.Contains(err.Error(), "No matches for ID 'ghost' found in SLS 's'") {
		t.Errorf("missing ID: %v", err)
	}
}

func TestSingle(t *testing.T) {
	ctx, rec := withRecorder(context.Background())
	c := &Compiler{Source: memSource{}}
	ret, err := c.Single(ctx, "t.changes", "vim", map[string]any{"version": "1.0", "require": []any{"x"}, "failhard": true}, RunOptions{Test: true})
	if err != nil {
		t.Fatal(err)
	}
	r := ret["t_|-vim_|-vim_|-changes"]
	if r == nil || r.Result != nil || len(r.Changes) == 0 {
		t.Fatalf("ret = %v", ret)
	}
	cl, _ := rec.find("vim")
	if !reflect.DeepEqual(cl.Args, map[string]any{"version": "1.0"}) || !cl.Test {
		t.Errorf("call = %+v: want only the function's arguments, in test mode", cl)
	}
	if ret, err := c.Single(ctx, "t.nope", "vim", nil, RunOptions{}); err != nil || ret["t_|-vim_|-vim_|-nope"] == nil || !ret["t_|-vim_|-vim_|-nope"].Failed() ||
		!strings.Contains(ret["t_|-vim_|-vim_|-nope"].Comment, "State 't.nope' was not found") {
		t.Errorf("unknown function: %v %v", ret, err)
	}
	if _, err := c.Single(ctx, "nodot", "vim", nil, RunOptions{}); err == nil {
		t.Errorf("a function name without a module must be refused")
	}
}

func TestFunctions(t *testing.T) {
	src := memSource{
		"top.sls":  lines("base:", "  '*':", "    - good"),
		"good.sls": lines("g:", "  t.changes: []"),
		"bad.sls":  lines("b:", "  t.fail: []"),
		"typo.sls": lines("x:", "  t.mange: []"),
	}
	env := &modules.Env{ID: "web1", Opts: map[string]any{}}
	fns := Functions(func(e *modules.Env) (*Compiler, error) {
		if e != env {
			return nil, errors.New("wrong env")
		}
		return &Compiler{Source: src, Matcher: grainMatcher}, nil
	})
	call := func(fun string, args []any, kwargs map[string]any) (any, int, error) {
		c := &modules.Call{Fun: fun, Args: args, Kwargs: kwargs, Env: env}
		if kwargs == nil {
			c.Kwargs = map[string]any{}
		}
		v, err := fns[fun](context.Background(), c)
		return v, c.Retcode, err
	}

	v, rc, err := call("state.apply", nil, nil)
	if ret, ok := v.(map[string]*StateReturn); err != nil || rc != 0 || !ok || ret["t_|-g_|-g_|-changes"] == nil {
		t.Errorf("state.apply (highstate) = %v, rc %d, %v", v, rc, err)
	}
	v, rc, err = call("state.apply", []any{"bad"}, nil)
	if ret, ok := v.(map[string]*StateReturn); err != nil || rc != RetcodeStateFailure || !ok || len(ret) != 1 {
		t.Errorf("state.apply bad = %v, rc %d, %v; want retcode 2", v, rc, err)
	}
	v, rc, err = call("state.sls", []any{"good,bad"}, map[string]any{"test": "True"})
	if ret, ok := v.(map[string]*StateReturn); err != nil || !ok || len(ret) != 2 || byID(t, ret, "g").Result != nil {
		t.Errorf("state.sls test=True = %v, rc %d, %v", v, rc, err)
	}
	v, rc, err = call("state.sls", []any{"typo"}, nil)
	if ret, ok := v.(map[string]*StateReturn); err != nil || rc != RetcodeStateFailure || !ok || !strings.Contains(byID(t, ret, "x").Comment, "State 't.mange' was not found in SLS 'typo'") {
		t.Errorf("unknown function = %v, rc %d, %v; want that state failed and retcode 2", v, rc, err)
	}
	v, rc, err = call("state.single", []any{"t.succeed"}, map[string]any{"name": "x"})
	if ret, ok := v.(map[string]*StateReturn); err != nil || rc != 0 || !ok || ret["t_|-x_|-x_|-succeed"] == nil {
		t.Errorf("state.single = %v, rc %d, %v", v, rc, err)
	}
	v, _, err = call("state.sls_id", []any{"g", "good"}, nil)
	if ret, ok := v.(map[string]*StateReturn); err != nil || !ok || len(ret) != 1 {
		t.Errorf("state.sls_id = %v, %v", v, err)
	}
	v, _, err = call("state.show_sls", []any{"good"}, nil)
	if hd, ok := v.(map[string]any); err != nil || !ok || hd["g"] == nil {
		t.Errorf("state.show_sls = %v, %v", v, err)
	}
	v, _, err = call("state.show_top", nil, nil)
	if !reflect.DeepEqual(v, map[string]any{"base": []any{"good"}}) || err != nil {
		t.Errorf("state.show_top = %v, %v", v, err)
	}
	v, _, err = call("state.show_lowstate", nil, nil)
	if low, ok := v.([]any); err != nil || !ok || len(low) != 1 || low[0].(map[string]any)["__id__"] != "g" {
		t.Errorf("state.show_lowstate = %v, %v", v, err)
	}
	if _, _, err := call("state.sls", nil, nil); err == nil {
		t.Errorf("state.sls without names must fail")
	}

	// Nothing in the top file for this minion: Salt's "no states" result.
	src["top.sls"] = lines("base:", "  'db*':", "    - good")
	v, rc, err = call("state.highstate", nil, nil)
	ret, ok := v.(map[string]*StateReturn)
	if err != nil || rc != RetcodeStateFailure || !ok || ret[NoStatesTag] == nil || ret[NoStatesTag].Failed() != true {
		t.Errorf("no top match = %v, rc %d, %v", v, rc, err)
	}

	// test: True in the minion config makes every run a dry run.
	env.Opts["test"] = true
	v, _, _ = call("state.sls", []any{"good"}, nil)
	if ret := v.(map[string]*StateReturn); byID(t, ret, "g").Result != nil {
		t.Errorf("opts test=True ignored")
	}
}

var registerOnce sync.Once

func TestRegisterFunctions(t *testing.T) {
	registerOnce.Do(func() {
		RegisterFunctions(func(*modules.Env) (*Compiler, error) {
			return &Compiler{Source: memSource{"a.sls": lines("a:", "  t.succeed: []")}}, nil
		})
	})
	var names []string
	for _, n := range modules.Names() {
		if strings.HasPrefix(n, "state.") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	want := []string{"state.apply", "state.highstate", "state.show_highstate", "state.show_low_sls", "state.show_lowstate",
		"state.show_sls", "state.show_top", "state.single", "state.sls", "state.sls_id"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("registered %v, want %v", names, want)
	}
	e, _ := modules.Lookup("state.apply")
	if !strings.Contains(e.Doc, "highstate") {
		t.Errorf("state.apply doc = %q", e.Doc)
	}
	res := modules.Run(context.Background(), &modules.Env{}, "state.sls", []any{"a"}, nil)
	if !res.Success {
		t.Errorf("state.sls through the registry: %+v", res)
	}
	var buf bytes.Buffer
	if err := FormatHighstate(&buf, "m", res.Return.(map[string]*StateReturn), DefaultOutputOptions(false)); err != nil || !strings.Contains(buf.String(), "Succeeded: 1") {
		t.Errorf("output = %q, %v", buf.String(), err)
	}
}
