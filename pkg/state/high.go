package state

import (
	"errors"
	"fmt"
	"strings"

	"github.com/halite/halite/pkg/yamlvalue"
	"gopkg.in/yaml.v3"
)

// High is Salt's "high data": every ID declaration of a run after
// rendering, include, extend, requisite_in and exclude, in the order Salt
// keeps them (an SLS's own IDs, then those of the SLS files it includes).
type High struct {
	IDs []*IDDecl

	index    map[string]*IDDecl
	extends  []*IDDecl // extend: bodies, applied after all files are read
	excludes []exclude
}

// IDDecl is one ID declaration: `ID: {module.function: [args]}`.
type IDDecl struct {
	ID  string
	SLS string
	Env string
	// File and Line locate the declaration for messages.
	File string
	Line int
	// IncludedFrom lists the SLS files whose include brought this one in;
	// a `sls:` requisite on an includer covers these IDs too.
	IncludedFrom []string
	Modules      []*ModuleDecl
}

// ModuleDecl is one state module's part of an ID declaration, as Salt
// keeps it: a list of function names and single-key argument mappings.
type ModuleDecl struct {
	Module string
	Items  []Item
}

// Item is one entry of a module's list: a function name when Fun is set,
// otherwise the argument Key: Value.
type Item struct {
	Fun   string
	Key   string
	Value any
}

type exclude struct {
	sls, id string
}

func newHigh() *High { return &High{index: map[string]*IDDecl{}} }

// Lookup returns the declaration of id.
func (h *High) Lookup(id string) (*IDDecl, bool) {
	d, ok := h.index[id]
	return d, ok
}

func (h *High) add(d *IDDecl) {
	h.IDs = append(h.IDs, d)
	h.index[d.ID] = d
}

func (h *High) remove(ids map[string]bool) {
	kept := h.IDs[:0]
	for _, d := range h.IDs {
		if ids[d.ID] {
			delete(h.index, d.ID)
			continue
		}
		kept = append(kept, d)
	}
	h.IDs = kept
}

// Module returns the declaration for module, if any.
func (d *IDDecl) Module(module string) *ModuleDecl {
	for _, m := range d.Modules {
		if m.Module == module {
			return m
		}
	}
	return nil
}

// Funcs lists the function names given for the module.
func (m *ModuleDecl) Funcs() []string {
	var out []string
	for _, it := range m.Items {
		if it.Fun != "" {
			out = append(out, it.Fun)
		}
	}
	return out
}

// Arg returns the value of the last argument called key.
func (m *ModuleDecl) Arg(key string) (any, bool) {
	var (
		v  any
		ok bool
	)
	for _, it := range m.Items {
		if it.Fun == "" && it.Key == key {
			v, ok = it.Value, true
		}
	}
	return v, ok
}

// Data returns the high data in Salt's plain shape, as state.show_sls and
// state.show_highstate print it: {ID: {__sls__, __env__, module: [fun,
// {arg: value}, ...]}}.
func (h *High) Data() map[string]any {
	out := make(map[string]any, len(h.IDs))
	for _, d := range h.IDs {
		body := map[string]any{"__sls__": d.SLS, "__env__": d.Env}
		if len(d.IncludedFrom) > 0 {
			inc := make([]any, len(d.IncludedFrom))
			for i, s := range d.IncludedFrom {
				inc[i] = s
			}
			body["__sls_included_from__"] = inc
		}
		for _, m := range d.Modules {
			list := make([]any, 0, len(m.Items))
			for _, it := range m.Items {
				if it.Fun != "" {
					list = append(list, it.Fun)
				} else {
					list = append(list, map[string]any{it.Key: it.Value})
				}
			}
			body[m.Module] = list
		}
		out[d.ID] = body
	}
	return out
}

func (d *IDDecl) clone() *IDDecl {
	c := *d
	c.IncludedFrom = append([]string(nil), d.IncludedFrom...)
	c.Modules = make([]*ModuleDecl, len(d.Modules))
	for i, m := range d.Modules {
		c.Modules[i] = m.clone()
	}
	return &c
}

func (m *ModuleDecl) clone() *ModuleDecl {
	c := &ModuleDecl{Module: m.Module, Items: make([]Item, len(m.Items))}
	for i, it := range m.Items {
		c.Items[i] = Item{Fun: it.Fun, Key: it.Key, Value: deepCopy(it.Value)}
	}
	return c
}

// Requisite keywords, as in Salt. The plain forms name what a state
// depends on; the _in forms are rewritten onto the referenced state.
var (
	requisiteTypes = []string{
		"require", "require_any", "watch", "watch_any", "onchanges",
		"onchanges_any", "onfail", "onfail_any", "onfail_all", "prereq",
	}
	requisiteInTypes = []string{
		"require_in", "watch_in", "onchanges_in", "onfail_in", "prereq_in", "listen_in", "use", "use_in",
	}
	// Salt requisites Halite does not implement: refused with a clear
	// message rather than silently ignored.
	unsupportedRequisites = []string{"onfail_stop", "prerequired"}
)

func isRequisite(key string) bool    { return contains(requisiteTypes, key) }
func isReqList(key string) bool      { return isRequisite(key) || key == "listen" }
func isRequisiteIn(key string) bool  { return contains(requisiteInTypes, key) }
func isUnsupportedReq(k string) bool { return contains(unsupportedRequisites, k) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// slsDoc is one rendered SLS file, split into Salt's top-level parts.
type slsDoc struct {
	sls, env, file string
	includes       []includeRef
	extends        []*IDDecl
	excludes       []exclude
	ids            []*IDDecl
}

type includeRef struct {
	env, sls string
	line     int
}

// docParser turns a rendered SLS document into an slsDoc, collecting every
// shape error with its file and line.
type docParser struct {
	sls, env, file string
	lines          []int                // rendered line → source line (nil: the same)
	conv           *yamlvalue.Converter // one budget for the whole document
	errs           []error
}

func (p *docParser) errf(line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	line = sourceLine(p.lines, line)
	if line > 0 {
		msg = fmt.Sprintf("%s:%d: %s", p.file, line, msg)
	}
	p.errs = append(p.errs, errorf(ErrBadDeclaration, "%s", msg))
}

// parseSLS parses rendered SLS text. A YAML error is returned as the only
// error; shape errors are all collected.
func parseSLS(src []byte, sls, env, file string, lines []int) (*slsDoc, []error) {
	doc := &slsDoc{sls: sls, env: env, file: file}
	root, err := yamlvalue.Parse(src)
	if err != nil {
		var ye *yamlvalue.Error
		if errors.As(err, &ye) && ye.Line > 0 && lines != nil {
			return doc, []error{wrapf(ErrRender, err, "Rendering SLS '%s:%s' failed: %s:%d: yaml: %s", env, sls, file, sourceLine(lines, ye.Line), ye.Msg)}
		}
		return doc, []error{wrapf(ErrRender, err, "Rendering SLS '%s:%s' failed: %s: yaml: %v", env, sls, file, err)}
	}
	root = yamlvalue.Deref(root)
	if root == nil || (root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
		return doc, nil // an empty SLS declares nothing
	}
	p := &docParser{sls: sls, env: env, file: file, lines: lines, conv: yamlvalue.NewConverter()}
	if root.Kind != yaml.MappingNode {
		p.errf(root.Line, "SLS %s does not render to a dictionary", sls)
		return doc, p.errs
	}
	pairs, err := mapPairs(root)
	if err != nil {
		p.errf(0, "%s: %v", file, err)
		return doc, p.errs
	}
	for _, kv := range pairs {
		switch kv.key {
		case "include":
			doc.includes = p.includes(kv.val)
		case "extend":
			doc.extends = p.extends(kv.val)
		case "exclude":
			doc.excludes = p.excludes(kv.val)
		default:
			if d := p.idDecl(kv); d != nil {
				doc.ids = append(doc.ids, d)
			}
		}
	}
	return doc, p.errs
}

func (p *docParser) includes(n *yaml.Node) []includeRef {
	n = yamlvalue.Deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		p.errf(line(n), "Include Declaration in SLS %s is not formed as a list", p.sls)
		return nil
	}
	var out []includeRef
	for _, c := range n.Content {
		c = yamlvalue.Deref(c)
		switch {
		case c != nil && c.Kind == yaml.ScalarNode && c.Value != "":
			out = append(out, includeRef{sls: c.Value, line: c.Line})
		case c != nil && c.Kind == yaml.MappingNode && len(c.Content) == 2:
			k, v := yamlvalue.Deref(c.Content[0]), yamlvalue.Deref(c.Content[1])
			if k != nil && v != nil && k.Kind == yaml.ScalarNode && v.Kind == yaml.ScalarNode && v.Value != "" {
				out = append(out, includeRef{env: k.Value, sls: v.Value, line: c.Line})
				continue
			}
			fallthrough
		default:
			p.errf(line(c), "Include Declaration in SLS %s has an entry that is neither an SLS name nor {saltenv: name}", p.sls)
		}
	}
	return out
}

func (p *docParser) extends(n *yaml.Node) []*IDDecl {
	n = yamlvalue.Deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		p.errf(line(n), "Extension value in SLS '%s' is not a dictionary", p.sls)
		return nil
	}
	pairs, err := mapPairs(n)
	if err != nil {
		p.errf(0, "%s: %v", p.file, err)
		return nil
	}
	var out []*IDDecl
	for _, kv := range pairs {
		body := yamlvalue.Deref(kv.val)
		if body == nil || body.Kind != yaml.MappingNode {
			p.errf(kv.knod.Line, "Extension name '%s' in SLS '%s' is not a dictionary", kv.key, p.sls)
			continue
		}
		d := &IDDecl{ID: kv.key, SLS: p.sls, Env: p.env, File: p.file, Line: kv.knod.Line}
		d.Modules = p.modules(kv.key, body)
		out = append(out, d)
	}
	return out
}

func (p *docParser) excludes(n *yaml.Node) []exclude {
	n = yamlvalue.Deref(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		p.errf(line(n), "Exclude Declaration in SLS %s is not formed as a list", p.sls)
		return nil
	}
	var out []exclude
	for _, c := range n.Content {
		c = yamlvalue.Deref(c)
		if c != nil && c.Kind == yaml.ScalarNode {
			out = append(out, exclude{sls: c.Value})
			continue
		}
		if c != nil && c.Kind == yaml.MappingNode && len(c.Content) == 2 {
			k, v := yamlvalue.Deref(c.Content[0]), yamlvalue.Deref(c.Content[1])
			if k != nil && v != nil && v.Kind == yaml.ScalarNode {
				switch k.Value {
				case "sls":
					out = append(out, exclude{sls: v.Value})
					continue
				case "id":
					out = append(out, exclude{id: v.Value})
					continue
				}
			}
		}
		p.errf(line(c), "Exclude Declaration in SLS %s has an entry that is not an SLS name, {sls: name} or {id: ID}", p.sls)
	}
	return out
}

func (p *docParser) idDecl(kv pair) *IDDecl {
	if tag := kv.knod.ShortTag(); tag != "!!str" {
		p.errf(kv.knod.Line, "ID '%s' in SLS '%s' is not formed as a string, but is type %s. It may need to be quoted.", kv.key, p.sls, pyTypeName(kv.knod))
		return nil
	}
	if kv.key == "" || strings.HasPrefix(kv.key, "__") {
		p.errf(kv.knod.Line, "ID '%s' in SLS '%s' is not allowed: IDs may not be empty or start with '__'", kv.key, p.sls)
		return nil
	}
	d := &IDDecl{ID: kv.key, SLS: p.sls, Env: p.env, File: p.file, Line: kv.knod.Line}
	body := yamlvalue.Deref(kv.val)
	switch {
	case body != nil && body.Kind == yaml.ScalarNode && body.ShortTag() == "!!str" && strings.Contains(body.Value, "."):
		// The short form `ID: pkg.installed`.
		mod, fun, _ := strings.Cut(body.Value, ".")
		d.Modules = []*ModuleDecl{{Module: mod, Items: []Item{{Fun: fun}}}}
	case body != nil && body.Kind == yaml.MappingNode:
		d.Modules = p.modules(kv.key, body)
	default:
		p.errf(kv.knod.Line, "ID %s in SLS %s is not a dictionary", kv.key, p.sls)
		return nil
	}
	return d
}

// modules parses `{module[.fun]: [items]}` of one ID (or extend) body.
func (p *docParser) modules(id string, body *yaml.Node) []*ModuleDecl {
	pairs, err := mapPairs(body)
	if err != nil {
		p.errf(0, "%s: %v", p.file, err)
		return nil
	}
	var out []*ModuleDecl
	for _, kv := range pairs {
		mod, fun, dotted := strings.Cut(kv.key, ".")
		if mod == "" || strings.HasPrefix(kv.key, "__") {
			p.errf(kv.knod.Line, "State '%s' in SLS '%s' has an invalid state module name '%s'", id, p.sls, kv.key)
			continue
		}
		val := yamlvalue.Deref(kv.val)
		if val == nil || (val.Kind == yaml.ScalarNode && val.ShortTag() == "!!null") {
			p.errf(kv.knod.Line, "ID '%s' in SLS '%s' contains a short declaration (%s) with a trailing colon. When not passing any arguments to a state, the colon must be omitted.", id, p.sls, kv.key)
			continue
		}
		if val.Kind != yaml.SequenceNode {
			p.errf(kv.knod.Line, "State '%s' in SLS '%s' is not formed as a list", id, p.sls)
			continue
		}
		dup := false
		for _, m := range out {
			if m.Module == mod {
				dup = true
			}
		}
		if dup {
			p.errf(kv.knod.Line, "ID '%s' in SLS '%s' contains multiple state declarations of the same type", id, p.sls)
			continue
		}
		m := &ModuleDecl{Module: mod, Items: p.items(id, val)}
		if dotted {
			// Salt appends the function of `file.managed:` after the args.
			m.Items = append(m.Items, Item{Fun: fun})
		}
		out = append(out, m)
	}
	return out
}

func (p *docParser) items(id string, seq *yaml.Node) []Item {
	var out []Item
	for _, c := range seq.Content {
		c = yamlvalue.Deref(c)
		if c == nil {
			p.errf(seq.Line, "State '%s' in SLS '%s' has an unresolvable alias", id, p.sls)
			continue
		}
		switch c.Kind {
		case yaml.ScalarNode:
			if c.ShortTag() != "!!str" {
				// Salt skips entries that are neither a function name
				// nor a mapping (`- {{ flag }}` rendering to False).
				continue
			}
			if c.Value == "" {
				p.errf(c.Line, "State '%s' in SLS '%s' has an entry '%s' that is neither a function name nor a single-key mapping", id, p.sls, c.Value)
				continue
			}
			if strings.ContainsAny(strings.TrimSpace(c.Value), " \t") {
				p.errf(c.Line, "The function \"%s\" in state \"%s\" in SLS \"%s\" has whitespace, a function with whitespace is not supported, perhaps this is an argument that is missing a \":\"", c.Value, id, p.sls)
				continue
			}
			out = append(out, Item{Fun: strings.TrimSpace(c.Value)})
		case yaml.MappingNode:
			if len(c.Content) != 2 {
				// Salt checks only requisites for a single key; any other
				// item with sibling keys passes them all as arguments.
				requisite := false
				for i := 0; i < len(c.Content); i += 2 {
					if k := yamlvalue.Deref(c.Content[i]); k != nil && (isRequisite(k.Value) || isRequisiteIn(k.Value)) {
						requisite = true
					}
				}
				if requisite {
					p.errf(c.Line, "Multiple dictionaries defined in argument of state '%s' in SLS '%s'", id, p.sls)
					continue
				}
			}
			for i := 0; i+1 < len(c.Content); i += 2 {
				k := yamlvalue.Deref(c.Content[i])
				if k == nil || k.Kind != yaml.ScalarNode {
					p.errf(c.Line, "State '%s' in SLS '%s' has an argument whose name is not a scalar", id, p.sls)
					continue
				}
				v, err := p.conv.Value(c.Content[i+1])
				if err != nil {
					p.errf(c.Line, "argument '%s' of state '%s' in SLS '%s': %v", k.Value, id, p.sls, err)
					continue
				}
				if !p.checkArg(id, k.Value, v, k.Line) {
					continue
				}
				out = append(out, Item{Key: k.Value, Value: v})
			}
		default:
			p.errf(c.Line, "State '%s' in SLS '%s' has a list where a function name or a single-key mapping belongs", id, p.sls)
		}
	}
	return out
}

// checkArg validates the arguments whose shape the compiler relies on.
func (p *docParser) checkArg(id, key string, v any, line int) bool {
	switch {
	case key == "names":
		if _, ok := v.([]any); !ok {
			p.errf(line, "The 'names' argument in state '%s' in SLS '%s' needs to be formed as a list", id, p.sls)
			return false
		}
	case isReqList(key):
		list, ok := v.([]any)
		if !ok {
			p.errf(line, "The %s statement in state '%s' in SLS '%s' needs to be formed as a list", key, id, p.sls)
			return false
		}
		for _, r := range list {
			if !p.checkReqRef(id, key, r, line) {
				return false
			}
		}
	case isRequisiteIn(key):
		switch v := v.(type) {
		case []any:
			for _, r := range v {
				if !p.checkReqRef(id, key, r, line) {
					return false
				}
			}
		case map[string]any:
			for mod, r := range v {
				if !p.checkReqRef(id, key, map[string]any{mod: r}, line) {
					return false
				}
			}
		default:
			p.errf(line, "The %s statement in state '%s' in SLS '%s' needs to be formed as a list", key, id, p.sls)
			return false
		}
	case isUnsupportedReq(key):
		p.errf(line, "The %s requisite in state '%s' in SLS '%s' is not supported by Halite", key, id, p.sls)
		return false
	}
	return true
}

func (p *docParser) checkReqRef(id, key string, r any, line int) bool {
	switch r := r.(type) {
	case string:
		if r == "" {
			p.errf(line, "Requisite declaration in %s of state %s in SLS %s is empty", key, id, p.sls)
			return false
		}
		return true
	case map[string]any:
		if len(r) != 1 {
			p.errf(line, "Requisite declaration %s in state %s in SLS %s is not formed as a single key dictionary", pyRepr(r), id, p.sls)
			return false
		}
		for typ, val := range r {
			if mod, _, dotted := strings.Cut(typ, "."); dotted {
				p.errf(line, "Invalid requisite type '%s' in state '%s', in SLS '%s'. Requisite types must not contain dots, did you mean '%s'?", typ, id, p.sls, mod)
				return false
			}
			switch val.(type) {
			case []any, map[string]any:
				p.errf(line, "Illegal requisite \"%s\" in SLS \"%s\", please check your syntax.", pyRepr(val), p.sls)
				return false
			}
		}
		return true
	}
	p.errf(line, "Requisite declaration %s in state %s in SLS %s is not formed as a single key dictionary", pyRepr(r), id, p.sls)
	return false
}

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// deepCopy copies plain data so one state's arguments never alias
// another's.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

// sourceLine maps a line of rendered text to the template line it came
// from (the line itself when there is no map or it does not reach).
func sourceLine(lines []int, line int) int {
	if line >= 1 && line <= len(lines) {
		return lines[line-1]
	}
	return line
}
