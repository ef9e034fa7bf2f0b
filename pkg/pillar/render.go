package pillar

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/halite/halite/pkg/template"
	"github.com/halite/halite/pkg/yamlvalue"
	"gopkg.in/yaml.v3"
)

// maxIncludeDepth bounds include chains. Cycles are cut by the rendered
// set; this stops a pathological tree from recursing without end.
const maxIncludeDepth = 64

// renderSLS renders one SLS and, first, what it includes, and returns its
// merged data. ok is false when the SLS contributes nothing (it failed,
// was already rendered in this saltenv, or is an allowed missing one).
func (r *compileRun) renderSLS(env, sls string, at location, depth int, defaults map[string]any, ignoreMissing bool) (map[string]any, bool) {
	if depth > maxIncludeDepth {
		r.fail(&Error{Saltenv: env, SLS: sls, File: at.file, Line: at.line, Msg: fmt.Sprintf("include chain deeper than %d levels at SLS '%s'", maxIncludeDepth, sls), Kind: ErrNotMapping})
		return nil, false
	}
	if err := r.ctx.Err(); err != nil {
		return nil, false // Compile reports it
	}
	src, f, err := r.files.findSLS(r.ctx, r.c.roots[env], sls)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, errOutsideRoot) {
			if ignoreMissing && errors.Is(err, fs.ErrNotExist) {
				return nil, false
			}
			r.fail(&Error{Saltenv: env, SLS: sls, File: at.file, Line: at.line,
				Msg: fmt.Sprintf("SLS '%s' in saltenv %s is not available in pillar_roots", sls, env), Kind: ErrSLSNotFound, Err: err})
		} else {
			r.fail(&Error{Saltenv: env, SLS: sls, File: f.path, Msg: fmt.Sprintf("read SLS '%s': %v", sls, err), Kind: ErrSLSNotFound, Err: err})
		}
		return nil, false
	}
	r.mods[sls] = true

	rendered, e := r.render(env, sls, src, f, defaults)
	if e != nil {
		r.fail(e)
		return nil, false
	}
	yamlErr := func(line int, kind error, format string, args ...any) {
		r.fail(&Error{Saltenv: env, SLS: sls, File: f.path, Line: line, Rendered: !sameBytes(rendered, src),
			Msg: fmt.Sprintf(format, args...), Kind: kind})
	}
	root, err := yamlvalue.Parse(rendered)
	if err != nil {
		line, msg := yamlPos(err)
		yamlErr(line, ErrYAML, "SLS '%s' is not valid YAML: %s", sls, msg)
		return nil, false
	}
	if yamlvalue.IsNull(root) {
		return map[string]any{}, true // an empty SLS is fine: templates often render to nothing
	}
	root = yamlvalue.Deref(root)
	if root.Kind != yaml.MappingNode {
		yamlErr(root.Line, ErrNotMapping, "SLS '%s' does not render to a mapping", sls)
		return nil, false
	}
	v, err := yamlvalue.NewConverter().Value(root)
	if err != nil {
		line, msg := yamlPos(err)
		yamlErr(line, ErrYAML, "SLS '%s': %s", sls, msg)
		return nil, false
	}
	own := v.(map[string]any)
	incNode := findKey(root, "include")
	if incNode == nil {
		return own, true
	}
	delete(own, "include")
	includes, ok := r.parseIncludes(env, sls, f, incNode, rendered, src)
	if !ok {
		return nil, false
	}
	data := map[string]any{}
	failed := false
	for _, inc := range includes {
		names := []string{inc.name}
		at := location{f.path, inc.line}
		if hasMeta(inc.name) {
			names = r.glob(env, inc.name, at, false)
		}
		for _, n := range names {
			if r.mods[n] {
				continue // rendered once per saltenv, as in Salt
			}
			sub, ok := r.renderSLS(env, n, at, depth+1, inc.defaults, false)
			if !ok {
				failed = true
				continue
			}
			if inc.key != "" {
				parts := strings.Split(inc.key, DefaultDelimiter)
				for i := len(parts) - 1; i >= 0; i-- {
					sub = map[string]any{parts[i]: sub}
				}
			}
			mergeInto(data, sub, r.c.mergeLists)
		}
	}
	if failed {
		return nil, false
	}
	mergeInto(data, own, r.c.mergeLists)
	return data, true
}

// include is one entry of an SLS's include list.
type include struct {
	name     string
	line     int
	key      string
	defaults map[string]any
}

// parseIncludes reads an include list: names, or one-key mappings
// `name: {key: 'a:b', defaults: {...}}`. Relative names (".x", "..x")
// are resolved against the includer.
func (r *compileRun) parseIncludes(env, sls string, f slsFile, n *yaml.Node, rendered, src []byte) ([]include, bool) {
	bad := func(line int, format string, args ...any) ([]include, bool) {
		r.fail(&Error{Saltenv: env, SLS: sls, File: f.path, Line: line, Rendered: !sameBytes(rendered, src),
			Msg: fmt.Sprintf(format, args...), Kind: ErrNotMapping})
		return nil, false
	}
	n = yamlvalue.Deref(n)
	if yamlvalue.IsNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		return bad(n.Line, "the include of SLS '%s' is not a list", sls)
	}
	var out []include
	for _, item := range n.Content {
		item = yamlvalue.Deref(item)
		var inc include
		switch {
		case item != nil && item.Kind == yaml.ScalarNode && item.ShortTag() == "!!str" && item.Value != "":
			inc = include{name: item.Value, line: item.Line}
		case item != nil && item.Kind == yaml.MappingNode && len(item.Content) == 2:
			k := yamlvalue.Deref(item.Content[0])
			if k == nil || k.Kind != yaml.ScalarNode || k.Value == "" {
				return bad(item.Line, "an include of SLS '%s' has no SLS name", sls)
			}
			inc = include{name: k.Value, line: k.Line}
			opts, err := yamlvalue.NewConverter().Value(item.Content[1])
			if err != nil {
				_, msg := yamlPos(err)
				return bad(item.Line, "include '%s': %s", k.Value, msg)
			}
			if opts != nil {
				m, ok := opts.(map[string]any)
				if !ok {
					return bad(item.Line, "include '%s': options must be a mapping of key and defaults", k.Value)
				}
				for opt := range m {
					if opt != "key" && opt != "defaults" {
						return bad(item.Line, "include '%s': unknown option '%s' (want key or defaults)", k.Value, opt)
					}
				}
				if kv, present := m["key"]; present {
					s, isStr := kv.(string)
					if !isStr || s == "" {
						return bad(item.Line, "include '%s': key must be a non-empty string", k.Value)
					}
					inc.key = s
				}
				if dv, present := m["defaults"]; present && dv != nil {
					d, isMap := dv.(map[string]any)
					if !isMap {
						return bad(item.Line, "include '%s': defaults must be a mapping", k.Value)
					}
					inc.defaults = d
				}
			}
		default:
			line := n.Line
			if item != nil {
				line = item.Line
			}
			return bad(line, "an include of SLS '%s' is neither an SLS name nor a one-key mapping", sls)
		}
		name, err := resolveInclude(sls, inc.name, f.isInit)
		if err != nil {
			return bad(inc.line, "%v in SLS '%s'", err, sls)
		}
		inc.name = name
		out = append(out, inc)
	}
	return out, true
}

// resolveInclude turns a relative include into an SLS name: each leading
// dot climbs one level from the includer's package (an init.sls is its
// own package), so ".x" in a/b.sls is a.x and in a/b/init.sls is a.b.x.
func resolveInclude(from, inc string, fromInit bool) (string, error) {
	if !strings.HasPrefix(inc, ".") {
		return inc, nil
	}
	rest := strings.TrimLeft(inc, ".")
	levels := len(inc) - len(rest)
	if rest == "" {
		return "", fmt.Errorf("badly formatted include '%s'", inc)
	}
	comps := strings.Split(from, ".")
	if fromInit {
		comps = append(comps, "init")
	}
	if levels > len(comps) {
		return "", fmt.Errorf("relative include '%s' goes beyond the top of the pillar tree", inc)
	}
	return strings.Join(append(comps[:len(comps)-levels:len(comps)-levels], rest), "."), nil
}

// findKey returns the value node of key in mapping n, or nil.
func findKey(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := yamlvalue.Deref(n.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// render runs a top file (sls "") or SLS through Jinja, honouring Salt's
// renderer shebang: "#!yaml" skips the template, "#!jinja|yaml" is the
// default.
func (r *compileRun) render(env, sls string, src []byte, f slsFile, defaults map[string]any) ([]byte, *Error) {
	what := "SLS '" + sls + "'"
	if sls == "" {
		what = "top file"
	}
	if bytes.HasPrefix(src, []byte("#!")) {
		first, _, _ := bytes.Cut(src[2:], []byte("\n"))
		switch pipe := strings.ReplaceAll(strings.TrimSpace(string(first)), " ", ""); pipe {
		case "yaml":
			return src, nil
		case "jinja|yaml":
		default:
			return nil, &Error{Saltenv: env, SLS: sls, File: f.path, Line: 1, Kind: ErrRender,
				Msg: fmt.Sprintf("%s: renderer %q is not supported (pillar renders jinja|yaml and yaml)", what, pipe)}
		}
	}
	out, err := r.c.engines[env].Render(r.ctx, f.tpl, src, r.vars(env, sls, src, f, defaults))
	if err == nil {
		return out, nil
	}
	e := &Error{Saltenv: env, SLS: sls, File: f.path, Kind: ErrRender, Err: err, Msg: fmt.Sprintf("rendering %s failed: %v", what, err)}
	var te *template.Error
	if errors.As(err, &te) {
		e.Line = te.Line
		e.Msg = fmt.Sprintf("rendering %s failed: %s", what, te.Msg)
		if te.Col > 0 {
			e.Msg = fmt.Sprintf("rendering %s failed at column %d: %s", what, te.Col, te.Msg)
		}
		if te.File != "" && te.File != f.tpl {
			e.File = r.templatePath(env, te.File)
		}
	}
	return nil, e
}

// templatePath maps a template name (root-relative, as the template
// engine reports it) to the file on disk, for messages.
func (r *compileRun) templatePath(env, name string) string {
	clean, err := template.CleanName(name)
	if err != nil {
		return name
	}
	for _, root := range r.c.roots[env] {
		p := filepath.Join(root, filepath.FromSlash(clean))
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return name
}

// vars are the template variables of one SLS (sls "" for a top file):
// Salt's, plus the include's defaults under them.
//
// The template engine copies every variable it is given into its own
// values before rendering. For pillar (which grows with every file) and
// the master's opts that copy dominated a compile, so they are left out
// of a template that cannot refer to them: one that never names them and
// loads no other template. salt['pillar.get'] and config.get do not need
// the variables.
func (r *compileRun) vars(env, sls string, src []byte, f slsFile, defaults map[string]any) map[string]any {
	vars := make(map[string]any, len(defaults)+16)
	for k, v := range defaults {
		vars[k] = v
	}
	dir := path.Dir(f.tpl)
	if dir == "." {
		dir = ""
	}
	tpldir := dir
	if tpldir == "" {
		tpldir = "."
	}
	loads := loadsTemplates(src)
	vars["grains"] = r.grains
	if loads || mentions(src, "pillar") {
		vars["pillar"] = r.acc
	}
	if loads || mentions(src, "opts") {
		vars["opts"] = r.opts
	}
	vars["saltenv"] = env
	vars["sls"] = sls
	vars["slspath"] = dir
	vars["sls_path"] = strings.ReplaceAll(dir, "/", "_")
	vars["slsdotpath"] = strings.ReplaceAll(dir, "/", ".")
	vars["slscolonpath"] = strings.ReplaceAll(dir, "/", ":")
	vars["tpldir"] = tpldir
	vars["tpldot"] = strings.ReplaceAll(dir, "/", ".")
	vars["tplfile"] = f.tpl
	vars["tplpath"] = f.path
	return vars
}

// mentions reports whether src may use the variable name: name as an
// identifier, not inside 'pillar.get' or salt.pillar.get.
func mentions(src []byte, name string) bool {
	for i := 0; ; {
		j := bytes.Index(src[i:], []byte(name))
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(name)
		before := start == 0 || !(isWordByte(src[start-1]) || src[start-1] == '.' || src[start-1] == '\'' || src[start-1] == '"')
		after := end == len(src) || !isWordByte(src[end])
		if before && after {
			return true
		}
		i = end
	}
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c >= 0x80
}

// loadsTemplates reports whether src may load another template (which
// sees the same variables).
func loadsTemplates(src []byte) bool {
	for _, kw := range []string{"import", "include", "from", "extends"} {
		if bytes.Contains(src, []byte(kw)) {
			return true
		}
	}
	return false
}

func sameBytes(a, b []byte) bool { return bytes.Equal(a, b) }

// yamlPos splits a YAML error into its line (0: unknown) and message, so
// the line goes into the *Error's position rather than its text.
func yamlPos(err error) (int, string) {
	var ye *yamlvalue.Error
	if errors.As(err, &ye) {
		return ye.Line, ye.Msg
	}
	return 0, err.Error()
}
