package template

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"strings"
)

// renderer is the state of one Render call, shared by every template it
// includes or imports and every macro it calls.
type renderer struct {
	ctx     context.Context
	eng     *Engine
	globals map[string]any // the caller's vars (converted) and salt
	steps   int
	depth   int
	bytes   int64

	// The line map of the top-level output (see RenderMapped): for each
	// output line, the source line it came from.
	top       *strings.Builder
	lines     []int
	srcLine   int  // source line of the text being written
	lineStart bool // the next byte written to top starts a line
}

// scope is one level of variables. Lookups walk up the chain; assignments
// go to the innermost scope, so a {% set %} inside a loop or macro does not
// leak out, as in Jinja.
type scope struct {
	vars   map[string]any
	parent *scope
	file   string // template whose code runs in this scope (for errors)
}

func (s *scope) lookup(name string) (any, bool) {
	for c := s; c != nil; c = c.parent {
		if v, ok := c.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

func (s *scope) child() *scope {
	return &scope{vars: make(map[string]any, 4), parent: s, file: s.file}
}

// Control flow signals, passed up as errors.
var (
	errBreak    = errors.New("break")
	errContinue = errors.New("continue")
)

func (e *Engine) newRenderer(ctx context.Context, vars map[string]any) (*renderer, error) {
	r := &renderer{ctx: ctx, eng: e, globals: make(map[string]any, len(vars)+1)}
	for k, v := range vars {
		c, err := fromGo(v, 0)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", k, err)
		}
		r.globals[k] = c
	}
	r.globals["salt"] = saltObj{funcs: e.funcs}
	return r, nil
}

// templateScope is the top scope of a template run: for an include or a
// "with context" import it sees parent; otherwise only the globals.
func (r *renderer) templateScope(parent *scope, file string) *scope {
	return &scope{vars: make(map[string]any, 8), parent: parent, file: file}
}

// loadedScope is templateScope for a template reached through the Loader.
// As in Salt, a template loaded without context gets its own tplfile and
// tpldir (so tpldir ~ '/defaults.yaml' works in an imported map.jinja);
// one loaded with context sees the importer's, because the context wins.
func (r *renderer) loadedScope(parent *scope, file string) *scope {
	sc := r.templateScope(parent, file)
	if parent == nil {
		sc.vars["tplfile"] = file
		sc.vars["tpldir"] = dirOf(file)
	}
	return sc
}

func (r *renderer) errorf(sc *scope, pos srcPos, cause error, format string, args ...any) *Error {
	e := newError(pos, cause, format, args...)
	e.File = sc.file
	return e
}

// wrap turns an error from a helper (a plain error) into an *Error at pos;
// an *Error or control signal passes through untouched.
func (r *renderer) wrap(sc *scope, pos srcPos, err error) error {
	if err == nil || err == errBreak || err == errContinue {
		return err
	}
	var te *Error
	if errors.As(err, &te) {
		if te.File == "" || te.Line == 0 {
			// Raised somewhere that did not know the position.
			te.File, te.Line, te.Col = sc.file, pos.Line, pos.Col
		}
		return err
	}
	e := r.errorf(sc, pos, nil, "%s", err.Error())
	e.Err = err
	return e
}

func (r *renderer) finishError(err error, file string) error {
	if err == errBreak || err == errContinue {
		return &Error{File: file, Line: 1, Col: 1, Msg: "break or continue outside a loop", Err: ErrSyntax}
	}
	return err
}

func (r *renderer) step(sc *scope, pos srcPos) error {
	r.steps++
	if r.steps > r.eng.maxSteps {
		return r.errorf(sc, pos, ErrLimit, "template took more than %d steps (endless loop?)", r.eng.maxSteps)
	}
	if r.steps&1023 == 0 {
		if err := r.ctx.Err(); err != nil {
			return r.errorf(sc, pos, err, "render stopped: %v", err)
		}
	}
	return nil
}

// charge accounts for n bytes of output or intermediate data.
func (r *renderer) charge(n int) error {
	r.bytes += int64(n)
	if r.bytes > r.eng.maxBytes {
		return fmt.Errorf("template produced more than %d bytes: %w", r.eng.maxBytes, ErrLimit)
	}
	return nil
}

// fits reports ErrLimit, before anything is built, when writing v out as
// text (repr, JSON, YAML) would take the render past its byte budget.
// Containers can share values (YAML aliases, a list appended to itself),
// so a few hundred bytes of data can stand for gigabytes of text: the
// walk counts the expanded size and stops as soon as it is over.
func (r *renderer) fits(v any) error {
	left := r.eng.maxBytes - r.bytes
	if expandedOver(v, &left, 0) {
		return fmt.Errorf("writing this value out would produce more than %d bytes: %w", r.eng.maxBytes, ErrLimit)
	}
	return nil
}

// expandedOver subtracts v's written size (strings, plus a few bytes per
// item for quotes and separators) from *left and reports whether it went
// below zero.
func expandedOver(v any, left *int64, depth int) bool {
	const perItem = 4
	*left -= perItem
	if *left < 0 || depth > maxDataDepth {
		return *left < 0
	}
	switch x := v.(type) {
	case string:
		*left -= int64(len(x))
	case *pyList, pyTuple:
		items, _ := iterate(x)
		for _, it := range items {
			if expandedOver(it, left, depth+1) {
				return true
			}
		}
	case *pyDict:
		for _, k := range x.keys {
			if expandedOver(k, left, depth+1) || expandedOver(x.value(k), left, depth+1) {
				return true
			}
		}
	}
	return *left < 0
}

func (r *renderer) enter(sc *scope, pos srcPos) error {
	r.depth++
	if r.depth > r.eng.maxDepth {
		return r.errorf(sc, pos, ErrLimit, "nesting of macro calls, includes and imports is deeper than %d (recursion?)", r.eng.maxDepth)
	}
	return nil
}

func (r *renderer) leave() { r.depth-- }

func (r *renderer) write(out *strings.Builder, s string) error {
	return r.writeFrom(out, s, r.srcLine, false)
}

// writeFrom writes s, which comes from source line line; for template
// text (advance) each newline in s moves to the next source line, while
// an expression's output stays on its line however many lines it has.
func (r *renderer) writeFrom(out *strings.Builder, s string, line int, advance bool) error {
	if err := r.charge(len(s)); err != nil {
		return err
	}
	out.WriteString(s)
	if out != r.top || r.top == nil {
		return nil
	}
	for len(s) > 0 {
		if r.lineStart {
			r.lines = append(r.lines, line)
			r.lineStart = false
		}
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			break
		}
		r.lineStart = true
		if advance {
			line++
		}
		s = s[i+1:]
	}
	r.srcLine = line
	return nil
}

func (r *renderer) execBody(sc *scope, body []node, out *strings.Builder) error {
	for _, n := range body {
		if err := r.exec(sc, n, out); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) exec(sc *scope, n node, out *strings.Builder) error {
	if err := r.step(sc, n.nodePos()); err != nil {
		return err
	}
	switch n := n.(type) {
	case *textNode:
		return r.wrap(sc, n.pos, r.writeFrom(out, n.text, n.pos.Line, true))
	case *outputNode:
		v, err := r.eval(sc, n.x)
		if err != nil {
			return err
		}
		if err := r.fits(v); err != nil {
			return r.wrap(sc, n.pos, err)
		}
		return r.wrap(sc, n.pos, r.writeFrom(out, pyStr(v), n.pos.Line, false))
	case *ifNode:
		for _, b := range n.branches {
			v, err := r.eval(sc, b.cond)
			if err != nil {
				return err
			}
			if truth(v) {
				return r.execBody(sc, b.body, out)
			}
		}
		return r.execBody(sc, n.els, out)
	case *forNode:
		return r.execFor(sc, n, out)
	case *setNode:
		v, err := r.evalLoose(sc, n.x)
		if err != nil {
			return err
		}
		return r.assign(sc, n.target, v)
	case *setBlockNode:
		var b strings.Builder
		if err := r.execBody(sc, n.body, &b); err != nil {
			return err
		}
		var v any = b.String()
		for _, f := range n.filters {
			var err error
			if v, err = r.applyFilter(sc, f, v); err != nil {
				return err
			}
		}
		return r.assign(sc, n.target, v)
	case *macroNode:
		sc.vars[n.name] = &macro{def: n, closure: sc}
		return nil
	case *callBlockNode:
		caller := &macro{def: n.caller, closure: sc}
		v, err := r.evalCall(sc, n.call, caller)
		if err != nil {
			return err
		}
		return r.wrap(sc, n.pos, r.write(out, pyStr(v)))
	case *includeNode:
		return r.execInclude(sc, n, out)
	case *importNode:
		return r.execImport(sc, n)
	case *fromImportNode:
		return r.execFromImport(sc, n)
	case *loadNode:
		var b strings.Builder
		if err := r.execBody(sc.child(), n.body, &b); err != nil {
			return err
		}
		v, err := loadData(n.format, b.String())
		if err != nil {
			return r.wrap(sc, n.pos, err)
		}
		return r.assign(sc, n.target, v)
	case *doNode:
		_, err := r.eval(sc, n.x)
		return err
	case *breakNode:
		return errBreak
	case *continueNode:
		return errContinue
	case *withNode:
		inner := sc.child()
		for i, t := range n.targets {
			v, err := r.evalLoose(sc, n.values[i])
			if err != nil {
				return err
			}
			if err := r.assign(inner, t, v); err != nil {
				return err
			}
		}
		return r.execBody(inner, n.body, out)
	case *filterBlockNode:
		var b strings.Builder
		if err := r.execBody(sc, n.body, &b); err != nil {
			return err
		}
		var v any = b.String()
		for _, f := range n.filters {
			var err error
			if v, err = r.applyFilter(sc, f, v); err != nil {
				return err
			}
		}
		return r.wrap(sc, n.pos, r.write(out, pyStr(v)))
	}
	return r.errorf(sc, n.nodePos(), nil, "internal error: unknown statement %T", n)
}

// assign binds v to a target in sc.
func (r *renderer) assign(sc *scope, t target, v any) error {
	switch {
	case t.tuple != nil:
		if u, ok := v.(*undefined); ok {
			return undefinedError(u)
		}
		items, err := iterate(v)
		if err != nil {
			return r.errorf(sc, t.pos, nil, "cannot unpack: %v", err)
		}
		if len(items) != len(t.tuple) {
			return r.errorf(sc, t.pos, nil, "cannot unpack %d values into %d names", len(items), len(t.tuple))
		}
		for i, sub := range t.tuple {
			if err := r.assign(sc, sub, items[i]); err != nil {
				return err
			}
		}
		return nil
	case t.attr != "":
		obj, ok := sc.lookup(t.name)
		if !ok {
			obj, ok = r.globals[t.name]
		}
		ns, isNS := obj.(*namespace)
		if !ok || !isNS {
			return r.errorf(sc, t.pos, nil, "cannot assign attribute '%s' on '%s': only namespace() objects take attribute assignment", t.attr, t.name)
		}
		return ns.d.set(t.attr, v)
	}
	sc.vars[t.name] = v
	return nil
}

// loopObj is the "loop" variable inside a for loop.
type loopObj struct {
	items   []any
	index0  int
	depth0  int
	changed any
	hasLast bool
	// recurse renders the loop body again for "loop(children)" in a
	// recursive loop; nil otherwise.
	recurse func(iter any) (string, error)
}

func (r *renderer) execFor(sc *scope, n *forNode, out *strings.Builder) error {
	return r.runFor(sc, n, out, nil, 0)
}

func (r *renderer) runFor(sc *scope, n *forNode, out *strings.Builder, iterOverride any, depth0 int) error {
	var iv any
	if iterOverride != nil {
		iv = iterOverride
	} else {
		var err error
		if iv, err = r.eval(sc, n.iter); err != nil {
			return err
		}
	}
	items, err := iterate(iv)
	if err != nil {
		return r.errorf(sc, n.iter.exprPos(), nil, "%v", err)
	}
	inner := sc.child()
	if n.filter != nil {
		kept := items[:0:0]
		for _, it := range items {
			if err := r.assign(inner, n.target, it); err != nil {
				return err
			}
			v, err := r.eval(inner, n.filter)
			if err != nil {
				return err
			}
			if truth(v) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return r.execBody(sc, n.els, out)
	}
	if err := r.charge(16 * len(items)); err != nil {
		return r.wrap(sc, n.pos, err)
	}
	loop := &loopObj{items: items, depth0: depth0}
	if n.recursive {
		loop.recurse = func(iter any) (string, error) {
			if err := r.enter(sc, n.pos); err != nil {
				return "", err
			}
			defer r.leave()
			var b strings.Builder
			err := r.runFor(sc, n, &b, iter, depth0+1)
			return b.String(), err
		}
	}
	inner.vars["loop"] = loop
	for i, it := range items {
		loop.index0 = i
		// Every iteration is a step, even with an empty body, so nested
		// loops cannot spin without limit.
		if err := r.step(sc, n.pos); err != nil {
			return err
		}
		if err := r.assign(inner, n.target, it); err != nil {
			return err
		}
		err := r.execBody(inner, n.body, out)
		if err == errBreak {
			break
		}
		if err != nil && err != errContinue {
			return err
		}
	}
	return nil
}

func (l *loopObj) attr(name string) (any, bool) {
	n := len(l.items)
	switch name {
	case "index":
		return l.index0 + 1, true
	case "index0":
		return l.index0, true
	case "revindex":
		return n - l.index0, true
	case "revindex0":
		return n - l.index0 - 1, true
	case "first":
		return l.index0 == 0, true
	case "last":
		return l.index0 == n-1, true
	case "length":
		return n, true
	case "depth":
		return l.depth0 + 1, true
	case "depth0":
		return l.depth0, true
	case "previtem":
		if l.index0 == 0 {
			return nil, false
		}
		return l.items[l.index0-1], true
	case "nextitem":
		if l.index0 >= n-1 {
			return nil, false
		}
		return l.items[l.index0+1], true
	case "cycle", "changed":
		return boundMethod{recv: l, name: name}, true
	}
	return nil, false
}

// macro is a callable template fragment closed over its defining scope.
type macro struct {
	def     *macroNode
	closure *scope
}

// module is what {% import %} binds: the template's top-level names.
type module struct {
	name   string
	vars   map[string]any
	output string
}

// saltObj is the salt variable: salt['mod.fun'] and salt.mod.fun.
type saltObj struct{ funcs map[string]Func }

// saltModule is salt.mod, waiting for .fun.
type saltModule struct {
	funcs map[string]Func
	mod   string
}

// callable is anything a template can call.
type callable interface {
	call(r *renderer, sc *scope, pos srcPos, args []any, kw *pyDict) (any, error)
}

type saltFunc struct {
	name string
	fn   Func
}

func (f saltFunc) call(r *renderer, sc *scope, pos srcPos, args []any, kw *pyDict) (any, error) {
	gargs, err := toGoSlice(args, 0)
	if err != nil {
		return nil, r.wrap(sc, pos, fmt.Errorf("salt['%s']: %w", f.name, err))
	}
	gkw := map[string]any{}
	if kw != nil {
		if gkw, err = toGoMap(kw, 0); err != nil {
			return nil, r.wrap(sc, pos, fmt.Errorf("salt['%s']: %w", f.name, err))
		}
	}
	res, err := f.fn(r.ctx, gargs, gkw)
	if err != nil {
		e := r.errorf(sc, pos, err, "salt['%s']: %v", f.name, err)
		return nil, e
	}
	// Functions such as defaults.merge update their argument in place,
	// and formulas rely on it: copy such changes back into the dicts and
	// lists the template passed.
	for i, a := range args {
		if err := syncBack(a, gargs[i], 0); err != nil {
			return nil, r.wrap(sc, pos, fmt.Errorf("salt['%s']: %w", f.name, err))
		}
	}
	v, err := fromGo(res, 0)
	if err != nil {
		return nil, r.wrap(sc, pos, fmt.Errorf("salt['%s'] result: %w", f.name, err))
	}
	return v, nil
}

func (m *macro) call(r *renderer, sc *scope, pos srcPos, args []any, kw *pyDict) (any, error) {
	return r.callMacro(sc, pos, m, args, kw, nil)
}

func (r *renderer) callMacro(sc *scope, pos srcPos, m *macro, args []any, kw *pyDict, caller *macro) (any, error) {
	def := m.def
	if err := r.enter(sc, pos); err != nil {
		return nil, err
	}
	defer r.leave()
	inner := m.closure.child()
	if len(args) > len(def.params) && !def.usesVarargs {
		return nil, r.errorf(sc, pos, nil, "macro '%s' takes not more than %d argument(s), got %d", def.name, len(def.params), len(args))
	}
	for i, p := range def.params {
		if i < len(args) {
			if kw != nil {
				if _, dup := kw.get(p.name); dup {
					return nil, r.errorf(sc, pos, nil, "macro '%s' got multiple values for argument '%s'", def.name, p.name)
				}
			}
			inner.vars[p.name] = args[i]
			continue
		}
		if kw != nil {
			if v, ok := kw.get(p.name); ok {
				inner.vars[p.name] = v
				continue
			}
		}
		if p.def != nil {
			v, err := r.evalLoose(inner, p.def)
			if err != nil {
				return nil, err
			}
			inner.vars[p.name] = v
			continue
		}
		inner.vars[p.name] = &undefined{name: p.name, hint: fmt.Sprintf("missing argument of macro '%s'", def.name), pos: pos, file: sc.file}
	}
	extra := &pyList{}
	if len(args) > len(def.params) {
		extra.items = append(extra.items, args[len(def.params):]...)
	}
	inner.vars["varargs"] = extra
	extraKw := newDict(0)
	if kw != nil {
		for _, k := range kw.keys {
			known := false
			for _, p := range def.params {
				if k == p.name {
					known = true
					break
				}
			}
			if known {
				continue
			}
			if k == "caller" && def.usesCaller {
				inner.vars["caller"] = kw.value(k)
				continue
			}
			if !def.usesKwargs {
				return nil, r.errorf(sc, pos, nil, "macro '%s' takes no keyword argument '%v'", def.name, k)
			}
			_ = extraKw.set(k, kw.value(k))
		}
	}
	inner.vars["kwargs"] = extraKw
	if caller != nil {
		inner.vars["caller"] = caller
	}
	var b strings.Builder
	err := r.execBody(inner, def.body, &b)
	if err == errBreak || err == errContinue {
		err = r.errorf(inner, def.pos, ErrSyntax, "break or continue outside a loop")
	}
	if err != nil {
		return nil, err
	}
	return b.String(), nil
}

// resolveName turns a name used by include/import into a loader name:
// "./x" and "../x" are relative to the current template's directory.
func resolveName(current, name string) (string, error) {
	name = strings.TrimPrefix(name, "salt://")
	name = strings.TrimPrefix(name, "halite://")
	if strings.HasPrefix(name, "./") || strings.HasPrefix(name, "../") {
		joined := path.Join(path.Dir(current), name)
		if joined == ".." || strings.HasPrefix(joined, "../") || strings.HasPrefix(joined, "/") {
			return "", fmt.Errorf("template %q escapes the file roots: %w", name, ErrUnsafePath)
		}
		return joined, nil
	}
	return name, nil
}

// load fetches and parses a template for include/import.
func (r *renderer) load(sc *scope, pos srcPos, name string) (*parsed, error) {
	if r.eng.loader == nil {
		return nil, r.errorf(sc, pos, ErrNotFound, "template %q not found: no loader configured", name)
	}
	resolved, err := resolveName(sc.file, name)
	if err != nil {
		return nil, r.wrap(sc, pos, err)
	}
	src, rname, err := r.eng.loader.Load(r.ctx, resolved)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, r.errorf(sc, pos, err, "template %q not found", resolved)
		}
		return nil, r.errorf(sc, pos, err, "cannot load template %q: %v", name, err)
	}
	if rname == "" {
		rname = resolved
	}
	t, err := r.eng.parse(rname, string(src))
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (r *renderer) templateName(sc *scope, x expr) (string, error) {
	v, err := r.eval(sc, x)
	if err != nil {
		return "", err
	}
	s, ok := v.(string)
	if !ok {
		return "", r.errorf(sc, x.exprPos(), nil, "template name must be a string, got %s", typeName(v))
	}
	return s, nil
}

func (r *renderer) execInclude(sc *scope, n *includeNode, out *strings.Builder) error {
	v, err := r.eval(sc, n.name)
	if err != nil {
		return err
	}
	var names []string
	switch v := v.(type) {
	case string:
		names = []string{v}
	case *pyList, pyTuple:
		items, _ := iterate(v)
		for _, it := range items {
			s, ok := it.(string)
			if !ok {
				return r.errorf(sc, n.name.exprPos(), nil, "template name must be a string, got %s", typeName(it))
			}
			names = append(names, s)
		}
	default:
		return r.errorf(sc, n.name.exprPos(), nil, "template name must be a string, got %s", typeName(v))
	}
	var t *parsed
	for _, name := range names {
		t, err = r.load(sc, n.pos, name)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if t == nil {
		if n.ignoreMissing {
			return nil
		}
		return err
	}
	if err := r.enter(sc, n.pos); err != nil {
		return err
	}
	defer r.leave()
	var parent *scope
	if n.withContext {
		parent = sc
	}
	inner := r.loadedScope(parent, t.name)
	return r.execBody(inner, t.body, out)
}

// dirOf is Salt's tpldir for a template name: its directory, or "." at
// the top of the file roots.
func dirOf(name string) string {
	return path.Dir(name)
}

// runModule executes a template for import and returns its module.
func (r *renderer) runModule(sc *scope, pos srcPos, x expr, withContext bool) (*module, error) {
	name, err := r.templateName(sc, x)
	if err != nil {
		return nil, err
	}
	t, err := r.load(sc, pos, name)
	if err != nil {
		return nil, err
	}
	if err := r.enter(sc, pos); err != nil {
		return nil, err
	}
	defer r.leave()
	var parent *scope
	if withContext {
		parent = sc
	}
	inner := r.loadedScope(parent, t.name)
	var b strings.Builder
	if err := r.execBody(inner, t.body, &b); err != nil {
		return nil, err
	}
	m := &module{name: t.name, vars: make(map[string]any, len(inner.vars)), output: b.String()}
	for k, v := range inner.vars {
		if strings.HasPrefix(k, "_") || k == "tplfile" || k == "tpldir" {
			continue
		}
		m.vars[k] = v
	}
	return m, nil
}

func (r *renderer) execImport(sc *scope, n *importNode) error {
	m, err := r.runModule(sc, n.pos, n.name, n.withContext)
	if err != nil {
		return err
	}
	if n.format == "" {
		sc.vars[n.alias] = m
		return nil
	}
	v, err := loadData(n.format, m.output)
	if err != nil {
		return r.errorf(sc, n.pos, nil, "%s: %v", m.name, err)
	}
	sc.vars[n.alias] = v
	return nil
}

func (r *renderer) execFromImport(sc *scope, n *fromImportNode) error {
	m, err := r.runModule(sc, n.pos, n.name, n.withContext)
	if err != nil {
		return err
	}
	for _, in := range n.names {
		v, ok := m.vars[in.name]
		if !ok {
			// As in Jinja, a missing name is an error when it is used,
			// not when it is imported; the error says why it is missing.
			v = &undefined{name: in.alias, hint: fmt.Sprintf("the template %s does not export '%s'", m.name, in.name), pos: in.pos, file: sc.file}
		}
		sc.vars[in.alias] = v
	}
	return nil
}

// ---- expressions ----

func undefinedError(u *undefined) error {
	msg := "undefined: " + u.name
	if u.hint != "" {
		msg += " (" + u.hint + ")"
	}
	return &Error{File: u.file, Line: u.pos.Line, Col: u.pos.Col, Msg: msg, Err: ErrUndefined}
}

// eval evaluates x and refuses an undefined result.
func (r *renderer) eval(sc *scope, x expr) (any, error) {
	v, err := r.evalLoose(sc, x)
	if err != nil {
		return nil, err
	}
	if u, ok := v.(*undefined); ok {
		if u.lenient {
			return "", nil
		}
		return nil, undefinedError(u)
	}
	return v, nil
}

// evalLoose evaluates x, letting an undefined value through (for set,
// defaults, "is defined" and further lookups).
func (r *renderer) evalLoose(sc *scope, x expr) (any, error) {
	if err := r.step(sc, x.exprPos()); err != nil {
		return nil, err
	}
	switch x := x.(type) {
	case *constExpr:
		return x.v, nil
	case *nameExpr:
		return r.lookupName(sc, x), nil
	case *attrExpr:
		base, err := r.evalLoose(sc, x.x)
		if err != nil {
			return nil, err
		}
		if u, ok := base.(*undefined); ok && !u.lenient {
			// Salt's StrictUndefined: an attribute of an undefined value
			// is an error, even under "is defined" or default().
			return nil, undefinedError(u)
		} else if ok {
			return u, nil
		}
		return r.getAttr(sc, x.pos, base, x.name, x.x), nil
	case *indexExpr:
		base, err := r.evalLoose(sc, x.x)
		if err != nil {
			return nil, err
		}
		if u, ok := base.(*undefined); ok && !u.lenient {
			return nil, undefinedError(u)
		} else if ok {
			return u, nil
		}
		key, err := r.eval(sc, x.key)
		if err != nil {
			return nil, err
		}
		v, err := r.getItem(sc, x.pos, base, key, x.x)
		if err != nil {
			return nil, r.wrap(sc, x.pos, err)
		}
		return v, nil
	case *sliceExpr:
		return r.evalSlice(sc, x)
	case *callExpr:
		return r.evalCall(sc, x, nil)
	case *filterExpr:
		var in any
		var err error
		if x.name == "default" || x.name == "d" {
			in, err = r.evalLoose(sc, x.x)
		} else {
			in, err = r.eval(sc, x.x)
		}
		if err != nil {
			return nil, err
		}
		return r.applyFilter(sc, x, in)
	case *testExpr:
		var in any
		var err error
		switch x.name {
		case "defined", "undefined":
			in, err = r.evalLoose(sc, x.x)
		default:
			in, err = r.eval(sc, x.x)
		}
		if err != nil {
			return nil, err
		}
		args, kw, err := r.evalArgs(sc, x.args, x.kw, nil, nil)
		if err != nil {
			return nil, err
		}
		ok, err := x.fn(r, in, args, kw)
		if err != nil {
			return nil, r.wrap(sc, x.pos, fmt.Errorf("test '%s': %w", x.name, err))
		}
		return ok != x.neg, nil
	case *unaryExpr:
		v, err := r.eval(sc, x.x)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "not":
			return !truth(v), nil
		case "-":
			res, err := negate(v)
			return res, r.wrap(sc, x.pos, err)
		default:
			if _, _, _, ok := toNumber(v); !ok {
				return nil, r.errorf(sc, x.pos, nil, "bad operand type for unary +: '%s'", typeName(v))
			}
			if b, ok := v.(bool); ok {
				if b {
					return 1, nil
				}
				return 0, nil
			}
			return v, nil
		}
	case *binaryExpr:
		return r.evalBinary(sc, x)
	case *concatExpr:
		var b strings.Builder
		for _, p := range x.parts {
			v, err := r.eval(sc, p)
			if err != nil {
				return nil, err
			}
			s := pyStr(v)
			if err := r.charge(len(s)); err != nil {
				return nil, r.wrap(sc, x.pos, err)
			}
			b.WriteString(s)
		}
		return b.String(), nil
	case *compareExpr:
		left, err := r.eval(sc, x.first)
		if err != nil {
			return nil, err
		}
		for _, op := range x.ops {
			right, err := r.eval(sc, op.x)
			if err != nil {
				return nil, err
			}
			if s, isStr := right.(string); isStr && (op.op == "in" || op.op == "notin") {
				if err := r.charge(len(s)); err != nil {
					return nil, r.wrap(sc, op.pos, err)
				}
			}
			ok, err := compareOpValues(op.op, left, right)
			if err != nil {
				return nil, r.wrap(sc, op.pos, err)
			}
			if !ok {
				return false, nil
			}
			left = right
		}
		return true, nil
	case *condExpr:
		c, err := r.eval(sc, x.cond)
		if err != nil {
			return nil, err
		}
		if truth(c) {
			return r.evalLoose(sc, x.then)
		}
		if x.els == nil {
			return &undefined{lenient: true, name: "(conditional expression with no else)", pos: x.pos, file: sc.file}, nil
		}
		return r.evalLoose(sc, x.els)
	case *listExpr:
		l := &pyList{items: make([]any, len(x.items))}
		for i, it := range x.items {
			v, err := r.eval(sc, it)
			if err != nil {
				return nil, err
			}
			l.items[i] = v
		}
		return l, nil
	case *tupleExpr:
		t := make(pyTuple, len(x.items))
		for i, it := range x.items {
			v, err := r.eval(sc, it)
			if err != nil {
				return nil, err
			}
			t[i] = v
		}
		return t, nil
	case *dictExpr:
		d := newDict(len(x.keys))
		for i := range x.keys {
			k, err := r.eval(sc, x.keys[i])
			if err != nil {
				return nil, err
			}
			v, err := r.eval(sc, x.vals[i])
			if err != nil {
				return nil, err
			}
			if err := d.set(k, v); err != nil {
				return nil, r.wrap(sc, x.keys[i].exprPos(), err)
			}
		}
		return d, nil
	}
	return nil, r.errorf(sc, x.exprPos(), nil, "internal error: unknown expression %T", x)
}

func (r *renderer) lookupName(sc *scope, x *nameExpr) any {
	if v, ok := sc.lookup(x.name); ok {
		return v
	}
	if v, ok := r.globals[x.name]; ok {
		return v
	}
	if v, ok := builtinGlobals[x.name]; ok {
		return v
	}
	return &undefined{name: x.name, pos: x.pos, file: sc.file}
}

// describe renders an expression the way an undefined-name error shows
// it: pillar['a']['b'], grains['os'], foo(...).
func describe(x expr) string {
	switch x := x.(type) {
	case *nameExpr:
		return x.name
	case *attrExpr:
		return describe(x.x) + "[" + pyRepr(x.name) + "]"
	case *indexExpr:
		if c, ok := x.key.(*constExpr); ok {
			return describe(x.x) + "[" + pyRepr(c.v) + "]"
		}
		return describe(x.x) + "[...]"
	case *callExpr:
		return describe(x.fn) + "(...)"
	case *constExpr:
		return pyRepr(x.v)
	case *filterExpr:
		return "(" + describe(x.x) + "|" + x.name + ")"
	}
	return "(expression)"
}

func (r *renderer) undefinedKey(sc *scope, pos srcPos, base expr, key any, hint string) *undefined {
	return &undefined{name: describe(base) + "[" + pyRepr(key) + "]", hint: hint, pos: pos, file: sc.file}
}

// getAttr is Jinja's getattr: methods and attributes first, then items.
func (r *renderer) getAttr(sc *scope, pos srcPos, v any, name string, base expr) any {
	if m, ok := method(v, name); ok {
		return m
	}
	switch o := v.(type) {
	case *pyDict:
		if x, ok := o.get(name); ok {
			return x
		}
	case *namespace:
		if x, ok := o.d.get(name); ok {
			return x
		}
	case *module:
		if x, ok := o.vars[name]; ok {
			return x
		}
	case *loopObj:
		if x, ok := o.attr(name); ok {
			return x
		}
	case saltObj:
		if f, ok := o.funcs[name]; ok {
			return saltFunc{name: name, fn: f}
		}
		return saltModule{funcs: o.funcs, mod: name}
	case saltModule:
		full := o.mod + "." + name
		if f, ok := o.funcs[full]; ok {
			return saltFunc{name: full, fn: f}
		}
		return &undefined{name: "salt['" + full + "']", hint: "no such function", pos: pos, file: sc.file}
	}
	hint := ""
	switch v.(type) {
	case *pyDict, *namespace, *module, *loopObj:
	default:
		hint = fmt.Sprintf("'%s' object has no attribute '%s'", typeName(v), name)
	}
	return r.undefinedKey(sc, pos, base, name, hint)
}

// getItem is Jinja's getitem: items first, then attributes.
func (r *renderer) getItem(sc *scope, pos srcPos, v any, key any, base expr) (any, error) {
	switch o := v.(type) {
	case *pyDict:
		if x, ok := o.get(key); ok {
			return x, nil
		}
		if _, ok := normKey(key); !ok {
			return nil, fmt.Errorf("unhashable type: '%s'", typeName(key))
		}
	case *namespace:
		if x, ok := o.d.get(key); ok {
			return x, nil
		}
	case *pyList:
		if i, ok := indexOf(key, len(o.items)); ok {
			return o.items[i], nil
		}
	case pyTuple:
		if i, ok := indexOf(key, len(o)); ok {
			return o[i], nil
		}
	case string:
		rs := []rune(o)
		if i, ok := indexOf(key, len(rs)); ok {
			return string(rs[i]), nil
		}
	case saltObj:
		if s, ok := key.(string); ok {
			if f, ok := o.funcs[s]; ok {
				return saltFunc{name: s, fn: f}, nil
			}
			return &undefined{name: "salt[" + pyRepr(s) + "]", hint: "no such function", pos: pos, file: sc.file}, nil
		}
	case *module, *loopObj, saltModule:
		if s, ok := key.(string); ok {
			return r.getAttr(sc, pos, v, s, base), nil
		}
	}
	if s, ok := key.(string); ok {
		if m, ok := method(v, s); ok {
			return m, nil
		}
	}
	hint := ""
	switch v.(type) {
	case *pyList, pyTuple, string:
		if _, isInt := key.(int); isInt {
			hint = "index out of range"
		}
	case *pyDict, *namespace:
	default:
		hint = fmt.Sprintf("'%s' object is not subscriptable", typeName(v))
	}
	return r.undefinedKey(sc, pos, base, key, hint), nil
}

func indexOf(key any, n int) (int, bool) {
	var i int
	switch k := key.(type) {
	case int:
		i = k
	case bool:
		if k {
			i = 1
		}
	default:
		return 0, false
	}
	if i < 0 {
		i += n
	}
	return i, i >= 0 && i < n
}

func (r *renderer) evalSlice(sc *scope, x *sliceExpr) (any, error) {
	base, err := r.eval(sc, x.x)
	if err != nil {
		return nil, err
	}
	var parts [3]any
	for i, e := range []expr{x.lo, x.hi, x.stride} {
		if e == nil {
			parts[i] = nil
			continue
		}
		v, err := r.eval(sc, e)
		if err != nil {
			return nil, err
		}
		parts[i] = v
	}
	res, err := sliceValue(base, parts[0], parts[1], parts[2])
	return res, r.wrap(sc, x.pos, err)
}

func sliceIndices(n int, lo, hi, stride any) ([]int, error) {
	step := 1
	if stride != nil {
		s, ok := stride.(int)
		if !ok {
			return nil, fmt.Errorf("slice indices must be integers or None")
		}
		if s == 0 {
			return nil, fmt.Errorf("slice step cannot be zero")
		}
		step = s
	}
	bound := func(v any, def int) (int, error) {
		if v == nil {
			return def, nil
		}
		i, ok := v.(int)
		if !ok {
			return 0, fmt.Errorf("slice indices must be integers or None")
		}
		if i < 0 {
			i += n
			if i < 0 {
				if step < 0 {
					return -1, nil
				}
				return 0, nil
			}
		}
		if i >= n {
			if step < 0 {
				return n - 1, nil
			}
			return n, nil
		}
		return i, nil
	}
	var start, stop int
	var err error
	if step > 0 {
		if start, err = bound(lo, 0); err != nil {
			return nil, err
		}
		if stop, err = bound(hi, n); err != nil {
			return nil, err
		}
	} else {
		if start, err = bound(lo, n-1); err != nil {
			return nil, err
		}
		if stop, err = bound(hi, -1); err != nil {
			return nil, err
		}
	}
	var idx []int
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		idx = append(idx, i)
	}
	return idx, nil
}

func sliceValue(base, lo, hi, stride any) (any, error) {
	switch b := base.(type) {
	case *pyList:
		idx, err := sliceIndices(len(b.items), lo, hi, stride)
		if err != nil {
			return nil, err
		}
		out := &pyList{items: make([]any, len(idx))}
		for i, j := range idx {
			out.items[i] = b.items[j]
		}
		return out, nil
	case pyTuple:
		idx, err := sliceIndices(len(b), lo, hi, stride)
		if err != nil {
			return nil, err
		}
		out := make(pyTuple, len(idx))
		for i, j := range idx {
			out[i] = b[j]
		}
		return out, nil
	case string:
		rs := []rune(b)
		idx, err := sliceIndices(len(rs), lo, hi, stride)
		if err != nil {
			return nil, err
		}
		out := make([]rune, len(idx))
		for i, j := range idx {
			out[i] = rs[j]
		}
		return string(out), nil
	}
	return nil, fmt.Errorf("'%s' object is not subscriptable", typeName(base))
}

// evalArgs evaluates call arguments, including *args and **kwargs.
func (r *renderer) evalArgs(sc *scope, argx []expr, kwx []kwargExpr, star, starKw expr) ([]any, *pyDict, error) {
	args := make([]any, 0, len(argx))
	for _, a := range argx {
		v, err := r.evalLoose(sc, a)
		if err != nil {
			return nil, nil, err
		}
		args = append(args, v)
	}
	if star != nil {
		v, err := r.eval(sc, star)
		if err != nil {
			return nil, nil, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, nil, r.wrap(sc, star.exprPos(), err)
		}
		args = append(args, items...)
	}
	var kw *pyDict
	if len(kwx) > 0 || starKw != nil {
		kw = newDict(len(kwx))
		for _, k := range kwx {
			v, err := r.evalLoose(sc, k.x)
			if err != nil {
				return nil, nil, err
			}
			_ = kw.set(k.name, v)
		}
		if starKw != nil {
			v, err := r.eval(sc, starKw)
			if err != nil {
				return nil, nil, err
			}
			d, ok := v.(*pyDict)
			if !ok {
				return nil, nil, r.errorf(sc, starKw.exprPos(), nil, "argument after ** must be a mapping, not %s", typeName(v))
			}
			for _, k := range d.keys {
				_ = kw.set(k, d.value(k))
			}
		}
	}
	return args, kw, nil
}

func (r *renderer) evalCall(sc *scope, x *callExpr, caller *macro) (any, error) {
	fn, err := r.evalLoose(sc, x.fn)
	if err != nil {
		return nil, err
	}
	if u, ok := fn.(*undefined); ok {
		return nil, undefinedError(u)
	}
	args, kw, err := r.evalArgs(sc, x.args, x.kwargs, x.starArgs, x.starKw)
	if err != nil {
		return nil, err
	}
	// Only macros receive undefined arguments (they may test them with
	// "is defined"); everything else gets the strict error at once.
	if _, isMacro := fn.(*macro); !isMacro {
		for _, a := range args {
			if u, ok := a.(*undefined); ok {
				return nil, undefinedError(u)
			}
		}
		if kw != nil {
			for _, k := range kw.keys {
				if u, ok := kw.value(k).(*undefined); ok {
					return nil, undefinedError(u)
				}
			}
		}
	}
	if caller != nil {
		m, ok := fn.(*macro)
		if !ok {
			return nil, r.errorf(sc, x.pos, nil, "{%% call %%} needs a macro, got %s", typeName(fn))
		}
		return r.callMacro(sc, x.pos, m, args, kw, caller)
	}
	c, ok := fn.(callable)
	if !ok {
		return nil, r.errorf(sc, x.pos, nil, "%s is not callable (it is a %s)", describe(x.fn), typeName(fn))
	}
	return c.call(r, sc, x.pos, args, kw)
}

func (l *loopObj) call(r *renderer, sc *scope, pos srcPos, args []any, kw *pyDict) (any, error) {
	if l.recurse == nil {
		return nil, r.errorf(sc, pos, nil, "loop() can only be called in a loop marked 'recursive'")
	}
	if len(args) != 1 {
		return nil, r.errorf(sc, pos, nil, "loop() takes one argument")
	}
	return l.recurse(args[0])
}

func (r *renderer) evalBinary(sc *scope, x *binaryExpr) (any, error) {
	switch x.op {
	case "and":
		a, err := r.eval(sc, x.x)
		if err != nil || !truth(a) {
			return a, err
		}
		return r.eval(sc, x.y)
	case "or":
		a, err := r.eval(sc, x.x)
		if err != nil || truth(a) {
			return a, err
		}
		return r.eval(sc, x.y)
	}
	a, err := r.eval(sc, x.x)
	if err != nil {
		return nil, err
	}
	b, err := r.eval(sc, x.y)
	if err != nil {
		return nil, err
	}
	v, err := r.arith(x.op, a, b)
	if err != nil {
		return nil, r.wrap(sc, x.pos, err)
	}
	return v, nil
}

var errOverflow = errors.New("integer overflow")

func (r *renderer) arith(op string, a, b any) (any, error) {
	fa, ia, aInt, aNum := toNumber(a)
	fb, ib, bInt, bNum := toNumber(b)
	if aNum && bNum {
		if aInt && bInt {
			return intArith(op, ia, ib)
		}
		return floatArith(op, fa, fb)
	}
	switch op {
	case "+":
		switch a := a.(type) {
		case string:
			if s, ok := b.(string); ok {
				if err := r.charge(len(a) + len(s)); err != nil {
					return nil, err
				}
				return a + s, nil
			}
		case *pyList:
			if l, ok := b.(*pyList); ok {
				if err := r.charge(16 * (len(a.items) + len(l.items))); err != nil {
					return nil, err
				}
				out := &pyList{items: make([]any, 0, len(a.items)+len(l.items))}
				out.items = append(append(out.items, a.items...), l.items...)
				return out, nil
			}
		case pyTuple:
			if t, ok := b.(pyTuple); ok {
				if err := r.charge(16 * (len(a) + len(t))); err != nil {
					return nil, err
				}
				return append(append(pyTuple{}, a...), t...), nil
			}
		}
	case "*":
		if bInt && !aNum {
			return r.repeat(a, ib)
		}
		if aInt && !bNum {
			return r.repeat(b, ia)
		}
	case "%":
		if s, ok := a.(string); ok {
			res, err := percentFormat(s, b)
			if err != nil {
				return nil, err
			}
			return res, r.charge(len(res))
		}
	}
	return nil, fmt.Errorf("unsupported operand type(s) for %s: '%s' and '%s'", op, typeName(a), typeName(b))
}

func (r *renderer) repeat(v any, n int) (any, error) {
	if n < 0 {
		n = 0
	}
	switch v := v.(type) {
	case string:
		if len(v) > 0 && n > int(r.eng.maxBytes)/len(v) {
			return nil, fmt.Errorf("string repetition too large: %w", ErrLimit)
		}
		if err := r.charge(len(v) * n); err != nil {
			return nil, err
		}
		return strings.Repeat(v, n), nil
	case *pyList:
		if len(v.items) > 0 && n > int(r.eng.maxBytes)/(16*len(v.items)) {
			return nil, fmt.Errorf("list repetition too large: %w", ErrLimit)
		}
		if err := r.charge(16 * len(v.items) * n); err != nil {
			return nil, err
		}
		out := &pyList{items: make([]any, 0, len(v.items)*n)}
		for i := 0; i < n; i++ {
			out.items = append(out.items, v.items...)
		}
		return out, nil
	case pyTuple:
		if len(v) > 0 && n > int(r.eng.maxBytes)/(16*len(v)) {
			return nil, fmt.Errorf("tuple repetition too large: %w", ErrLimit)
		}
		if err := r.charge(16 * len(v) * n); err != nil {
			return nil, err
		}
		out := make(pyTuple, 0, len(v)*n)
		for i := 0; i < n; i++ {
			out = append(out, v...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("can't multiply sequence by non-int of type '%s'", typeName(v))
}

func intArith(op string, a, b int) (any, error) {
	switch op {
	case "+":
		c := a + b
		if (c > a) != (b > 0) {
			return nil, errOverflow
		}
		return c, nil
	case "-":
		c := a - b
		if (c < a) != (b > 0) {
			return nil, errOverflow
		}
		return c, nil
	case "*":
		if a == 0 || b == 0 {
			return 0, nil
		}
		c := a * b
		if c/b != a || (a == -1 && b == math.MinInt) || (b == -1 && a == math.MinInt) {
			return nil, errOverflow
		}
		return c, nil
	case "/":
		if b == 0 {
			return nil, errors.New("division by zero")
		}
		return float64(a) / float64(b), nil
	case "//":
		if b == 0 {
			return nil, errors.New("integer division or modulo by zero")
		}
		if a == math.MinInt && b == -1 {
			return nil, errOverflow
		}
		q := a / b
		if (a%b != 0) && ((a < 0) != (b < 0)) {
			q--
		}
		return q, nil
	case "%":
		if b == 0 {
			return nil, errors.New("integer division or modulo by zero")
		}
		if b == -1 {
			return 0, nil
		}
		m := a % b
		if m != 0 && ((m < 0) != (b < 0)) {
			m += b
		}
		return m, nil
	case "**":
		if b < 0 {
			return math.Pow(float64(a), float64(b)), nil
		}
		result, base := 1, a
		for e := b; e > 0; e >>= 1 {
			if e&1 == 1 {
				v, err := intArith("*", result, base)
				if err != nil {
					return nil, err
				}
				result = v.(int)
			}
			if e > 1 {
				v, err := intArith("*", base, base)
				if err != nil {
					return nil, err
				}
				base = v.(int)
			}
		}
		return result, nil
	}
	return nil, fmt.Errorf("unknown operator %s", op)
}

func floatArith(op string, a, b float64) (any, error) {
	switch op {
	case "+":
		return a + b, nil
	case "-":
		return a - b, nil
	case "*":
		return a * b, nil
	case "/":
		if b == 0 {
			return nil, errors.New("float division by zero")
		}
		return a / b, nil
	case "//":
		if b == 0 {
			return nil, errors.New("float floor division by zero")
		}
		return math.Floor(a / b), nil
	case "%":
		if b == 0 {
			return nil, errors.New("float modulo")
		}
		m := math.Mod(a, b)
		if m != 0 && ((m < 0) != (b < 0)) {
			m += b
		}
		return m, nil
	case "**":
		return math.Pow(a, b), nil
	}
	return nil, fmt.Errorf("unknown operator %s", op)
}

func negate(v any) (any, error) {
	switch v := v.(type) {
	case int:
		if v == math.MinInt {
			return nil, errOverflow
		}
		return -v, nil
	case bool:
		if v {
			return -1, nil
		}
		return 0, nil
	case float64:
		return -v, nil
	}
	return nil, fmt.Errorf("bad operand type for unary -: '%s'", typeName(v))
}

func compareOpValues(op string, a, b any) (bool, error) {
	switch op {
	case "==":
		return pyEqual(a, b), nil
	case "!=":
		return !pyEqual(a, b), nil
	case "in":
		return contains(b, a)
	case "notin":
		ok, err := contains(b, a)
		return !ok, err
	}
	c, err := pyCompare(a, b)
	if err != nil {
		return false, err
	}
	switch op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return false, fmt.Errorf("unknown operator %s", op)
}

// applyFilter runs filter f on in (the value to the left of the pipe).
func (r *renderer) applyFilter(sc *scope, f *filterExpr, in any) (any, error) {
	args, kw, err := r.evalArgs(sc, f.args, f.kw, nil, nil)
	if err != nil {
		return nil, err
	}
	if f.name != "default" && f.name != "d" {
		for _, a := range args {
			if u, ok := a.(*undefined); ok {
				return nil, undefinedError(u)
			}
		}
	}
	v, err := f.fn(r, in, args, kw)
	if err != nil {
		return nil, r.wrap(sc, f.pos, fmt.Errorf("filter '%s': %w", f.name, err))
	}
	// Charge what the filter produced, so a loop cannot make unbounded
	// work out of one big string.
	if s, ok := v.(string); ok {
		if err := r.charge(len(s)); err != nil {
			return nil, r.wrap(sc, f.pos, err)
		}
	}
	if u, ok := v.(*undefined); ok && u.file == "" {
		u.pos, u.file = f.pos, sc.file
	}
	return v, nil
}
