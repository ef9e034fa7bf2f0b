package template

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The formula corpus (testdata/formulas) is a small Salt tree written the
// way formulas are: map.jinja with filter_by and trailing commas,
// import_yaml of defaults, "from ... import ... with context", macros and
// call blocks, loops, namespaces, whitespace control, Salt filters. Its
// expected outputs were produced by the real Jinja2 set up as Salt sets it
// up (testdata/formulas/oracle.py), so a match means we render what Salt
// renders.

type corpusCase struct {
	Name     string `yaml:"name"`
	Template string `yaml:"template"`
	Context  string `yaml:"context"`
	SLS      string `yaml:"sls"`
	Fails    bool   `yaml:"fails"`
}

type corpusContext struct {
	Grains     map[string]any    `yaml:"grains"`
	Pillar     map[string]any    `yaml:"pillar"`
	Opts       map[string]any    `yaml:"opts"`
	CmdOutputs map[string]string `yaml:"cmd_outputs"`
	IPAddrs    []any             `yaml:"ip_addrs"`
	Files      []string          `yaml:"files"`
}

const corpusDir = "testdata/formulas"

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, "cases.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

func loadContext(t testing.TB, name string) corpusContext {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, "contexts", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c corpusContext
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func kwarg(kw map[string]any, args []any, i int, name string, def any) any {
	if v, ok := kw[name]; ok {
		return v
	}
	if i < len(args) {
		return args[i]
	}
	return def
}

// corpusFuncs are the execution functions the corpus calls, written the
// way the modules package would expose them (and as oracle.py does).
func corpusFuncs(c corpusContext) map[string]Func {
	get := func(data map[string]any) Func {
		return func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			key, _ := kwarg(kw, args, 0, "key", "").(string)
			delim, _ := kwarg(kw, args, 2, "delimiter", ":").(string)
			return Traverse(data, key, delim, kwarg(kw, args, 1, "default", "")), nil
		}
	}
	return map[string]Func{
		"grains.get": get(c.Grains),
		"pillar.get": get(c.Pillar),
		"config.get": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			key, _ := kwarg(kw, args, 0, "key", "").(string)
			for _, src := range []map[string]any{c.Opts, c.Pillar, c.Grains} {
				if v := Traverse(src, key, ":", nil); v != nil {
					return v, nil
				}
			}
			return kwarg(kw, args, 1, "default", ""), nil
		},
		"grains.filter_by": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			lookup, ok := kwarg(kw, args, 0, "lookup_dict", nil).(map[string]any)
			if !ok {
				return nil, fmt.Errorf("lookup_dict must be a dictionary")
			}
			grain, _ := kwarg(kw, args, 1, "grain", "os_family").(string)
			merge, _ := kwarg(kw, args, 2, "merge", nil).(map[string]any)
			def, _ := kwarg(kw, args, 3, "default", "default").(string)
			base, _ := kwarg(kw, args, 4, "base", "").(string)
			return FilterBy(lookup, Traverse(c.Grains, grain, ":", nil), merge, def, base)
		},
		"defaults.merge": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			dest, _ := kwarg(kw, args, 0, "dest", nil).(map[string]any)
			src, _ := kwarg(kw, args, 1, "src", nil).(map[string]any)
			mergeGo(dest, src)
			return dest, nil
		},
		"slsutil.merge": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			a, _ := kwarg(kw, args, 0, "obj_a", nil).(map[string]any)
			b, _ := kwarg(kw, args, 1, "obj_b", nil).(map[string]any)
			out := deepCopyGo(a).(map[string]any)
			mergeGo(out, b)
			return out, nil
		},
		"cmd.run": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			cmd, _ := kwarg(kw, args, 0, "cmd", "").(string)
			return c.CmdOutputs[cmd], nil
		},
		"test.ping": func(ctx context.Context, args []any, kw map[string]any) (any, error) { return true, nil },
		"network.ip_addrs": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			return c.IPAddrs, nil
		},
		"file.file_exists": func(ctx context.Context, args []any, kw map[string]any) (any, error) {
			p, _ := kwarg(kw, args, 0, "path", "").(string)
			for _, f := range c.Files {
				if f == p {
					return true, nil
				}
			}
			return false, nil
		},
	}
}

func corpusVars(tc corpusCase, c corpusContext) map[string]any {
	dir := path.Dir(tc.Template)
	vars := map[string]any{
		"grains":  c.Grains,
		"pillar":  c.Pillar,
		"opts":    c.Opts,
		"saltenv": "base",
		"sls":     tc.SLS,
		"tplfile": tc.Template,
		"tpldir":  dir,
	}
	if tc.SLS != "" {
		vars["slspath"] = dir
	}
	return vars
}

func renderCorpusCase(t testing.TB, tc corpusCase) ([]byte, error) {
	c := loadContext(t, tc.Context)
	e := New(DirLoader(filepath.Join(corpusDir, "root")), corpusFuncs(c))
	return e.RenderFile(context.Background(), tc.Template, corpusVars(tc, c))
}

func TestFormulaCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < 30 {
		t.Fatalf("corpus has %d cases, want at least 30", len(cases))
	}
	passed := 0
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			if tc.Fails {
				checkCorpusFailure(t, tc)
				passed++
				return
			}
			want, err := os.ReadFile(filepath.Join(corpusDir, "expected", tc.Name+".out"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := renderCorpusCase(t, tc)
			if err != nil {
				t.Fatalf("render %s: %v", tc.Template, err)
			}
			if string(got) != string(want) {
				t.Fatalf("render %s differs from Jinja2:\n%s", tc.Template, lineDiff(string(want), string(got)))
			}
			passed++
		})
	}
	t.Logf("formula corpus: %d of %d templates render exactly as Jinja2/Salt", passed, len(cases))
}

// checkCorpusFailure renders a template Jinja refuses and checks that we
// refuse it too, at the same file and line. For undefined values Jinja
// reports the line where the value is used; we report where the missing
// name is written (and name it), so only the file is compared then.
func checkCorpusFailure(t *testing.T, tc corpusCase) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusDir, "expected", tc.Name+".err"))
	if err != nil {
		t.Fatal(err)
	}
	jinjaAt, jinjaMsg, _ := strings.Cut(string(data), "\n")
	out, err := renderCorpusCase(t, tc)
	if err == nil {
		t.Fatalf("render %s succeeded with %q; Jinja fails with %s", tc.Template, out, jinjaMsg)
	}
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v is not a *template.Error", err)
	}
	file, line, _ := strings.Cut(jinjaAt, ":")
	if te.File != file {
		t.Fatalf("error in %s, Jinja's in %s (%v; Jinja: %s)", te.File, file, err, jinjaMsg)
	}
	if !errors.Is(err, ErrUndefined) && fmt.Sprint(te.Line) != line {
		t.Fatalf("error at line %d, Jinja's at line %s (%v; Jinja: %s)", te.Line, line, err, jinjaMsg)
	}
	t.Logf("fails as in Jinja: %v", err)
}

// lineDiff shows the first differing lines of want and got.
func lineDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, w, g)
			shown++
			if shown == 5 {
				break
			}
		}
	}
	return b.String()
}
