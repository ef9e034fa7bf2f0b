package template

import (
	"fmt"
	"strconv"
	"strings"
)

// maxNesting bounds how deeply blocks and expressions may nest, so hostile
// input cannot exhaust the stack of the recursive-descent parser.
const maxNesting = 200

// parsed is a parsed template, shared read-only between renders.
type parsed struct {
	name string
	body []node
}

type parser struct {
	toks      []token
	i         int
	nest      int
	loopDepth int // for break/continue checks
}

// parse parses src (already stripped of its final newline if any).
func parse(name, src string) (*parsed, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, withFile(err, name)
	}
	p := &parser{toks: toks}
	body, end, err := p.body(nil, "")
	if err == nil && end != "" {
		err = p.errorf(p.cur().pos, "unexpected '%s'", end)
	}
	if err != nil {
		return nil, withFile(err, name)
	}
	return &parsed{name: name, body: body}, nil
}

func withFile(err error, name string) error {
	if e, ok := err.(*Error); ok && e.File == "" {
		e.File = name
	}
	return err
}

func (p *parser) cur() token  { return p.toks[p.i] }
func (p *parser) peek() token { return p.toks[min(p.i+1, len(p.toks)-1)] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) errorf(pos srcPos, format string, args ...any) error {
	return newError(pos, ErrSyntax, format, args...)
}

func (p *parser) isOp(op string) bool {
	t := p.cur()
	return t.kind == tkOp && t.val == op
}

func (p *parser) isName(name string) bool {
	t := p.cur()
	return t.kind == tkName && t.val == name
}

func (p *parser) acceptOp(op string) bool {
	if p.isOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) acceptName(name string) bool {
	if p.isName(name) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectOp(op string) (token, error) {
	if !p.isOp(op) {
		return token{}, p.errorf(p.cur().pos, "expected '%s', got %s", op, p.cur().describe())
	}
	return p.next(), nil
}

func (p *parser) expectName(what string) (token, error) {
	if p.cur().kind != tkName {
		return token{}, p.errorf(p.cur().pos, "expected %s, got %s", what, p.cur().describe())
	}
	return p.next(), nil
}

func (p *parser) expectKeyword(kw string) error {
	if !p.isName(kw) {
		return p.errorf(p.cur().pos, "expected '%s', got %s", kw, p.cur().describe())
	}
	p.next()
	return nil
}

func (p *parser) expectBlockEnd() error {
	if p.cur().kind != tkBlockEnd {
		return p.errorf(p.cur().pos, "expected end of tag '%%}', got %s", p.cur().describe())
	}
	p.next()
	return nil
}

func (p *parser) enter(pos srcPos) error {
	p.nest++
	if p.nest > maxNesting {
		return newError(pos, ErrLimit, "template nests deeper than %d levels", maxNesting)
	}
	return nil
}

func (p *parser) leave() { p.nest-- }

// body parses statements until one of the end tags (e.g. "endif", "else")
// and returns which one it found, leaving the parser after that tag's name.
// opener names the block being closed, for error messages.
func (p *parser) body(ends []string, opener string) ([]node, string, error) {
	var out []node
	for {
		t := p.cur()
		switch t.kind {
		case tkEOF:
			if len(ends) > 0 {
				return nil, "", p.errorf(t.pos, "unexpected end of template: missing {%% %s %%}%s", ends[len(ends)-1], opener)
			}
			return out, "", nil
		case tkText:
			p.next()
			out = append(out, &textNode{pos: t.pos, text: t.val})
		case tkVarBegin:
			p.next()
			x, err := p.tuple(true, nil)
			if err != nil {
				return nil, "", err
			}
			if p.cur().kind != tkVarEnd {
				return nil, "", p.errorf(p.cur().pos, "expected end of print statement '}}', got %s", p.cur().describe())
			}
			p.next()
			out = append(out, &outputNode{pos: t.pos, x: x})
		case tkBlockBegin:
			p.next()
			kw := p.cur()
			if kw.kind != tkName {
				return nil, "", p.errorf(kw.pos, "expected tag name, got %s", kw.describe())
			}
			for _, e := range ends {
				if kw.val == e {
					p.next()
					return out, e, nil
				}
			}
			if isEndTag(kw.val) {
				if len(ends) > 0 {
					return nil, "", p.errorf(kw.pos, "unexpected '%s': expected {%% %s %%}%s", kw.val, ends[len(ends)-1], opener)
				}
				return nil, "", p.errorf(kw.pos, "unexpected '%s' with no open block", kw.val)
			}
			n, err := p.statement(t.pos)
			if err != nil {
				return nil, "", err
			}
			out = append(out, n...)
		default:
			return nil, "", p.errorf(t.pos, "unexpected %s", t.describe())
		}
	}
}

func isEndTag(s string) bool {
	switch s {
	case "elif", "else", "endraw":
		return true
	}
	return strings.HasPrefix(s, "end")
}

func opened(tag string, pos srcPos) string {
	return fmt.Sprintf(" to close {%% %s %%} at line %d", tag, pos.Line)
}

func (p *parser) statement(pos srcPos) ([]node, error) {
	if err := p.enter(pos); err != nil {
		return nil, err
	}
	defer p.leave()
	kw := p.next()
	one := func(n node, err error) ([]node, error) {
		if err != nil {
			return nil, err
		}
		return []node{n}, nil
	}
	switch kw.val {
	case "if":
		return one(p.parseIf(pos))
	case "for":
		return one(p.parseFor(pos))
	case "set":
		return one(p.parseSet(pos))
	case "macro":
		return one(p.parseMacro(pos))
	case "call":
		return one(p.parseCallBlock(pos))
	case "include":
		return one(p.parseInclude(pos))
	case "import":
		return one(p.parseImport(pos, ""))
	case "import_yaml", "import_json", "import_text":
		return one(p.parseImport(pos, strings.TrimPrefix(kw.val, "import_")))
	case "from":
		return one(p.parseFrom(pos))
	case "load_yaml", "load_json", "load_text":
		return one(p.parseLoad(pos, strings.TrimPrefix(kw.val, "load_")))
	case "do":
		x, err := p.tuple(true, nil)
		if err != nil {
			return nil, err
		}
		return one(&doNode{pos: pos, x: x}, p.expectBlockEnd())
	case "break", "continue":
		if p.loopDepth == 0 {
			return nil, p.errorf(kw.pos, "'%s' outside of a for loop", kw.val)
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		if kw.val == "break" {
			return []node{&breakNode{pos: pos}}, nil
		}
		return []node{&continueNode{pos: pos}}, nil
	case "with":
		return one(p.parseWith(pos))
	case "filter":
		return one(p.parseFilterBlock(pos))
	case "block":
		return p.parseBlock(pos)
	case "extends":
		return nil, p.errorf(kw.pos, "template inheritance ({%% extends %%}) is not supported")
	case "raw":
		return nil, p.errorf(kw.pos, "malformed {%% raw %%} tag")
	}
	return nil, p.errorf(kw.pos, "unknown tag '%s'", kw.val)
}

func (p *parser) parseIf(pos srcPos) (node, error) {
	n := &ifNode{pos: pos}
	for {
		cond, err := p.tuple(false, nil)
		if err != nil {
			return nil, err
		}
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		body, end, err := p.body([]string{"elif", "else", "endif"}, opened("if", pos))
		if err != nil {
			return nil, err
		}
		n.branches = append(n.branches, condBranch{cond: cond, body: body})
		switch end {
		case "elif":
			continue
		case "else":
			if err := p.expectBlockEnd(); err != nil {
				return nil, err
			}
			n.els, _, err = p.body([]string{"endif"}, opened("if", pos))
			if err != nil {
				return nil, err
			}
		}
		return n, p.expectBlockEnd()
	}
}

func (p *parser) parseFor(pos srcPos) (node, error) {
	n := &forNode{pos: pos}
	var err error
	if n.target, err = p.assignTarget(false, []string{"in"}); err != nil {
		return nil, err
	}
	if err := p.expectKeyword("in"); err != nil {
		return nil, err
	}
	if n.iter, err = p.tuple(false, []string{"recursive"}); err != nil {
		return nil, err
	}
	if p.acceptName("if") {
		if n.filter, err = p.expression(true); err != nil {
			return nil, err
		}
	}
	n.recursive = p.acceptName("recursive")
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	p.loopDepth++
	body, end, err := p.body([]string{"else", "endfor"}, opened("for", pos))
	p.loopDepth--
	if err != nil {
		return nil, err
	}
	n.body = body
	if end == "else" {
		if err := p.expectBlockEnd(); err != nil {
			return nil, err
		}
		if n.els, _, err = p.body([]string{"endfor"}, opened("for", pos)); err != nil {
			return nil, err
		}
	}
	return n, p.expectBlockEnd()
}

func (p *parser) parseSet(pos srcPos) (node, error) {
	tgt, err := p.assignTarget(true, nil)
	if err != nil {
		return nil, err
	}
	if p.acceptOp("=") {
		x, err := p.tuple(true, nil)
		if err != nil {
			return nil, err
		}
		return &setNode{pos: pos, target: tgt, x: x}, p.expectBlockEnd()
	}
	if tgt.tuple != nil {
		return nil, p.errorf(tgt.pos, "a block set assigns one name")
	}
	n := &setBlockNode{pos: pos, target: tgt}
	for p.isOp("|") {
		p.next()
		f, err := p.filterCall(nil)
		if err != nil {
			return nil, err
		}
		n.filters = append(n.filters, f)
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	if n.body, _, err = p.body([]string{"endset"}, opened("set", pos)); err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

func (p *parser) params() ([]param, error) {
	var params []param
	if _, err := p.expectOp("("); err != nil {
		return nil, err
	}
	for !p.isOp(")") {
		if len(params) > 0 {
			if _, err := p.expectOp(","); err != nil {
				return nil, err
			}
			if p.isOp(")") {
				break
			}
		}
		t, err := p.expectName("parameter name")
		if err != nil {
			return nil, err
		}
		pr := param{name: t.val}
		if p.acceptOp("=") {
			if pr.def, err = p.expression(true); err != nil {
				return nil, err
			}
		} else if len(params) > 0 && params[len(params)-1].def != nil {
			return nil, p.errorf(t.pos, "parameter '%s' without a default follows one with a default", t.val)
		}
		params = append(params, pr)
	}
	p.next()
	return params, nil
}

func (p *parser) macroBody(m *macroNode, endTag, opener string) error {
	saved := p.loopDepth
	p.loopDepth = 0
	body, _, err := p.body([]string{endTag}, opener)
	p.loopDepth = saved
	if err != nil {
		return err
	}
	m.body = body
	walkNames(body, func(name string) {
		switch name {
		case "varargs":
			m.usesVarargs = true
		case "kwargs":
			m.usesKwargs = true
		case "caller":
			m.usesCaller = true
		}
	})
	return nil
}

func (p *parser) parseMacro(pos srcPos) (node, error) {
	t, err := p.expectName("macro name")
	if err != nil {
		return nil, err
	}
	m := &macroNode{pos: pos, name: t.val}
	if m.params, err = p.params(); err != nil {
		return nil, err
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	if err := p.macroBody(m, "endmacro", opened("macro", pos)); err != nil {
		return nil, err
	}
	return m, p.expectBlockEnd()
}

func (p *parser) parseCallBlock(pos srcPos) (node, error) {
	caller := &macroNode{pos: pos, name: "caller"}
	if p.isOp("(") {
		var err error
		if caller.params, err = p.params(); err != nil {
			return nil, err
		}
	}
	x, err := p.expression(true)
	if err != nil {
		return nil, err
	}
	call, ok := x.(*callExpr)
	if !ok {
		return nil, p.errorf(x.exprPos(), "{%% call %%} needs a call expression such as m(...)")
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	if err := p.macroBody(caller, "endcall", opened("call", pos)); err != nil {
		return nil, err
	}
	return &callBlockNode{pos: pos, call: call, caller: caller}, p.expectBlockEnd()
}

// contextModifier parses an optional "with context" / "without context".
func (p *parser) contextModifier(def bool) (bool, error) {
	if (p.isName("with") || p.isName("without")) && p.peek().kind == tkName && p.peek().val == "context" {
		with := p.next().val == "with"
		p.next()
		return with, nil
	}
	return def, nil
}

func (p *parser) parseInclude(pos srcPos) (node, error) {
	x, err := p.expression(true)
	if err != nil {
		return nil, err
	}
	n := &includeNode{pos: pos, name: x}
	if p.isName("ignore") && p.peek().kind == tkName && p.peek().val == "missing" {
		p.next()
		p.next()
		n.ignoreMissing = true
	}
	if n.withContext, err = p.contextModifier(true); err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

func (p *parser) parseImport(pos srcPos, format string) (node, error) {
	x, err := p.expression(true)
	if err != nil {
		return nil, err
	}
	if err := p.expectKeyword("as"); err != nil {
		return nil, err
	}
	t, err := p.expectName("a name after 'as'")
	if err != nil {
		return nil, err
	}
	n := &importNode{pos: pos, name: x, alias: t.val, format: format}
	if n.withContext, err = p.contextModifier(false); err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

func (p *parser) parseFrom(pos srcPos) (node, error) {
	x, err := p.expression(true)
	if err != nil {
		return nil, err
	}
	if err := p.expectKeyword("import"); err != nil {
		return nil, err
	}
	n := &fromImportNode{pos: pos, name: x}
	for {
		if len(n.names) > 0 {
			if p.cur().kind == tkBlockEnd {
				break
			}
			if (p.isName("with") || p.isName("without")) && p.peek().kind == tkName && p.peek().val == "context" {
				break
			}
			if _, err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		if (p.isName("with") || p.isName("without")) && p.peek().kind == tkName && p.peek().val == "context" {
			break
		}
		t, err := p.expectName("a name to import")
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(t.val, "_") {
			return nil, p.errorf(t.pos, "names starting with an underscore cannot be imported")
		}
		in := importName{pos: t.pos, name: t.val, alias: t.val}
		if p.acceptName("as") {
			a, err := p.expectName("a name after 'as'")
			if err != nil {
				return nil, err
			}
			in.alias = a.val
		}
		n.names = append(n.names, in)
	}
	if len(n.names) == 0 {
		return nil, p.errorf(p.cur().pos, "expected a name to import")
	}
	if n.withContext, err = p.contextModifier(false); err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

func (p *parser) parseLoad(pos srcPos, format string) (node, error) {
	if err := p.expectKeyword("as"); err != nil {
		return nil, err
	}
	tgt, err := p.assignTarget(false, nil)
	if err != nil {
		return nil, err
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	n := &loadNode{pos: pos, format: format, target: tgt}
	if n.body, _, err = p.body([]string{"endload"}, opened("load_"+format, pos)); err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

func (p *parser) parseWith(pos srcPos) (node, error) {
	n := &withNode{pos: pos}
	for p.cur().kind != tkBlockEnd {
		if len(n.targets) > 0 {
			if _, err := p.expectOp(","); err != nil {
				return nil, err
			}
		}
		tgt, err := p.assignTarget(false, nil)
		if err != nil {
			return nil, err
		}
		if _, err := p.expectOp("="); err != nil {
			return nil, err
		}
		v, err := p.expression(true)
		if err != nil {
			return nil, err
		}
		n.targets = append(n.targets, tgt)
		n.values = append(n.values, v)
	}
	p.next()
	var err error
	if n.body, _, err = p.body([]string{"endwith"}, opened("with", pos)); err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

func (p *parser) parseFilterBlock(pos srcPos) (node, error) {
	n := &filterBlockNode{pos: pos}
	for {
		f, err := p.filterCall(nil)
		if err != nil {
			return nil, err
		}
		n.filters = append(n.filters, f)
		if !p.acceptOp("|") {
			break
		}
	}
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	var err error
	if n.body, _, err = p.body([]string{"endfilter"}, opened("filter", pos)); err != nil {
		return nil, err
	}
	return n, p.expectBlockEnd()
}

// parseBlock accepts {% block name %}...{% endblock %} and renders it in
// place: without {% extends %} that is exactly what Jinja does.
func (p *parser) parseBlock(pos srcPos) ([]node, error) {
	t, err := p.expectName("block name")
	if err != nil {
		return nil, err
	}
	p.acceptName("scoped")
	p.acceptName("required")
	if err := p.expectBlockEnd(); err != nil {
		return nil, err
	}
	body, _, err := p.body([]string{"endblock"}, opened("block", pos))
	if err != nil {
		return nil, err
	}
	if p.cur().kind == tkName && p.cur().val == t.val {
		p.next()
	}
	return body, p.expectBlockEnd()
}

// assignTarget parses a name, a tuple of names ("k, v" or "(k, v)"), or,
// when withNamespace, "ns.attr".
func (p *parser) assignTarget(withNamespace bool, extraEnd []string) (target, error) {
	first, err := p.singleTarget(withNamespace)
	if err != nil {
		return target{}, err
	}
	if !p.isOp(",") {
		return first, nil
	}
	tgt := target{pos: first.pos, tuple: []target{first}}
	for p.acceptOp(",") {
		if (p.cur().kind != tkName && !p.isOp("(")) || p.isEnd(extraEnd) {
			break
		}
		t, err := p.singleTarget(false)
		if err != nil {
			return target{}, err
		}
		tgt.tuple = append(tgt.tuple, t)
	}
	return tgt, nil
}

func (p *parser) singleTarget(withNamespace bool) (target, error) {
	t := p.cur()
	if p.acceptOp("(") {
		tgt, err := p.assignTarget(false, nil)
		if err != nil {
			return target{}, err
		}
		if _, err := p.expectOp(")"); err != nil {
			return target{}, err
		}
		if tgt.tuple == nil {
			return tgt, nil
		}
		tgt.pos = t.pos
		return tgt, nil
	}
	if t.kind != tkName {
		return target{}, p.errorf(t.pos, "expected a name to assign to, got %s", t.describe())
	}
	switch t.val {
	case "true", "false", "none", "True", "False", "None":
		return target{}, p.errorf(t.pos, "cannot assign to '%s'", t.val)
	}
	p.next()
	tgt := target{pos: t.pos, name: t.val}
	if withNamespace && p.isOp(".") {
		p.next()
		a, err := p.expectName("an attribute name")
		if err != nil {
			return target{}, err
		}
		tgt.attr = a.val
	}
	return tgt, nil
}

// isEnd reports whether the current token ends an expression list: the end
// of the tag or one of the extra keywords.
func (p *parser) isEnd(extra []string) bool {
	t := p.cur()
	switch t.kind {
	case tkVarEnd, tkBlockEnd, tkEOF:
		return true
	case tkOp:
		return t.val == ")" || t.val == "]" || t.val == "}"
	case tkName:
		for _, e := range extra {
			if t.val == e {
				return true
			}
		}
	}
	return false
}

// tuple parses an expression or an unparenthesised tuple "a, b".
func (p *parser) tuple(withCond bool, extraEnd []string) (expr, error) {
	pos := p.cur().pos
	first, err := p.expression(withCond)
	if err != nil {
		return nil, err
	}
	if !p.isOp(",") {
		return first, nil
	}
	items := []expr{first}
	for p.acceptOp(",") {
		if p.isEnd(extraEnd) {
			break
		}
		x, err := p.expression(withCond)
		if err != nil {
			return nil, err
		}
		items = append(items, x)
	}
	return &tupleExpr{pos: pos, items: items}, nil
}

func (p *parser) expression(withCond bool) (expr, error) {
	if err := p.enter(p.cur().pos); err != nil {
		return nil, err
	}
	defer p.leave()
	if withCond {
		return p.condExpr()
	}
	return p.or()
}

func (p *parser) condExpr() (expr, error) {
	x, err := p.or()
	if err != nil {
		return nil, err
	}
	for p.isName("if") {
		pos := p.next().pos
		cond, err := p.or()
		if err != nil {
			return nil, err
		}
		ce := &condExpr{pos: pos, cond: cond, then: x}
		if p.acceptName("else") {
			if ce.els, err = p.condExpr(); err != nil {
				return nil, err
			}
		}
		x = ce
	}
	return x, nil
}

func (p *parser) or() (expr, error) {
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isName("or") {
		pos := p.next().pos
		y, err := p.and()
		if err != nil {
			return nil, err
		}
		x = &binaryExpr{pos: pos, op: "or", x: x, y: y}
	}
	return x, nil
}

func (p *parser) and() (expr, error) {
	x, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isName("and") {
		pos := p.next().pos
		y, err := p.not()
		if err != nil {
			return nil, err
		}
		x = &binaryExpr{pos: pos, op: "and", x: x, y: y}
	}
	return x, nil
}

func (p *parser) not() (expr, error) {
	if p.isName("not") {
		pos := p.next().pos
		if err := p.enter(pos); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{pos: pos, op: "not", x: x}, nil
	}
	return p.compare()
}

func (p *parser) compare() (expr, error) {
	pos := p.cur().pos
	x, err := p.math1()
	if err != nil {
		return nil, err
	}
	var ops []compareOp
	for {
		t := p.cur()
		var op string
		switch {
		case t.kind == tkOp && (t.val == "==" || t.val == "!=" || t.val == "<" || t.val == "<=" || t.val == ">" || t.val == ">="):
			op = t.val
			p.next()
		case p.isName("in"):
			op = "in"
			p.next()
		case p.isName("not") && p.peek().kind == tkName && p.peek().val == "in":
			op = "notin"
			p.next()
			p.next()
		default:
			if ops == nil {
				return x, nil
			}
			return &compareExpr{pos: pos, first: x, ops: ops}, nil
		}
		y, err := p.math1()
		if err != nil {
			return nil, err
		}
		ops = append(ops, compareOp{pos: t.pos, op: op, x: y})
	}
}

func (p *parser) binaryLevel(next func() (expr, error), ops ...string) (expr, error) {
	x, err := next()
	if err != nil {
		return nil, err
	}
	for {
		t := p.cur()
		if t.kind != tkOp {
			return x, nil
		}
		matched := false
		for _, op := range ops {
			if t.val == op {
				matched = true
				break
			}
		}
		if !matched {
			return x, nil
		}
		p.next()
		y, err := next()
		if err != nil {
			return nil, err
		}
		x = &binaryExpr{pos: t.pos, op: t.val, x: x, y: y}
	}
}

func (p *parser) math1() (expr, error) { return p.binaryLevel(p.concat, "+", "-") }

func (p *parser) concat() (expr, error) {
	pos := p.cur().pos
	x, err := p.math2()
	if err != nil {
		return nil, err
	}
	if !p.isOp("~") {
		return x, nil
	}
	parts := []expr{x}
	for p.acceptOp("~") {
		y, err := p.math2()
		if err != nil {
			return nil, err
		}
		parts = append(parts, y)
	}
	return &concatExpr{pos: pos, parts: parts}, nil
}

func (p *parser) math2() (expr, error) { return p.binaryLevel(p.pow, "*", "/", "//", "%") }

func (p *parser) pow() (expr, error) {
	return p.binaryLevel(func() (expr, error) { return p.unary(true) }, "**")
}

func (p *parser) unary(withFilter bool) (expr, error) {
	t := p.cur()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	var x expr
	var err error
	if t.kind == tkOp && (t.val == "-" || t.val == "+") {
		p.next()
		inner, err := p.unary(false)
		if err != nil {
			return nil, err
		}
		x = &unaryExpr{pos: t.pos, op: t.val, x: inner}
	} else if x, err = p.primary(); err != nil {
		return nil, err
	}
	if x, err = p.postfix(x); err != nil {
		return nil, err
	}
	if withFilter {
		return p.filterTail(x)
	}
	return x, nil
}

func (p *parser) primary() (expr, error) {
	t := p.cur()
	switch t.kind {
	case tkName:
		p.next()
		switch t.val {
		case "true", "True":
			return &constExpr{pos: t.pos, v: true}, nil
		case "false", "False":
			return &constExpr{pos: t.pos, v: false}, nil
		case "none", "None":
			return &constExpr{pos: t.pos, v: nil}, nil
		}
		return &nameExpr{pos: t.pos, name: t.val}, nil
	case tkString:
		p.next()
		s := t.val
		for p.cur().kind == tkString { // adjacent literals concatenate
			s += p.next().val
		}
		return &constExpr{pos: t.pos, v: s}, nil
	case tkInt:
		p.next()
		n, err := strconv.ParseInt(strings.ReplaceAll(t.val, "_", ""), 10, 64)
		if err != nil {
			return nil, p.errorf(t.pos, "integer literal %s is out of range", t.val)
		}
		return &constExpr{pos: t.pos, v: int(n)}, nil
	case tkFloat:
		p.next()
		f, err := strconv.ParseFloat(strings.ReplaceAll(t.val, "_", ""), 64)
		if err != nil {
			return nil, p.errorf(t.pos, "bad float literal %s", t.val)
		}
		return &constExpr{pos: t.pos, v: f}, nil
	case tkOp:
		switch t.val {
		case "(":
			p.next()
			if p.acceptOp(")") {
				return &tupleExpr{pos: t.pos}, nil
			}
			x, err := p.expression(true)
			if err != nil {
				return nil, err
			}
			if p.acceptOp(")") {
				return x, nil
			}
			items := []expr{x}
			for p.acceptOp(",") {
				if p.isOp(")") {
					break
				}
				y, err := p.expression(true)
				if err != nil {
					return nil, err
				}
				items = append(items, y)
			}
			if _, err := p.expectOp(")"); err != nil {
				return nil, err
			}
			return &tupleExpr{pos: t.pos, items: items}, nil
		case "[":
			p.next()
			l := &listExpr{pos: t.pos}
			for !p.isOp("]") {
				if len(l.items) > 0 {
					if _, err := p.expectOp(","); err != nil {
						return nil, err
					}
					if p.isOp("]") {
						break
					}
				}
				x, err := p.expression(true)
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, x)
			}
			p.next()
			return l, nil
		case "{":
			p.next()
			d := &dictExpr{pos: t.pos}
			for !p.isOp("}") {
				if len(d.keys) > 0 {
					if _, err := p.expectOp(","); err != nil {
						return nil, err
					}
					if p.isOp("}") {
						break // trailing comma, as map.jinja files love
					}
				}
				k, err := p.expression(true)
				if err != nil {
					return nil, err
				}
				if _, err := p.expectOp(":"); err != nil {
					return nil, err
				}
				v, err := p.expression(true)
				if err != nil {
					return nil, err
				}
				d.keys = append(d.keys, k)
				d.vals = append(d.vals, v)
			}
			p.next()
			return d, nil
		}
	}
	return nil, p.errorf(t.pos, "unexpected %s", t.describe())
}

func (p *parser) postfix(x expr) (expr, error) {
	for {
		t := p.cur()
		if t.kind != tkOp {
			return x, nil
		}
		var err error
		switch t.val {
		case ".":
			p.next()
			n := p.next()
			switch n.kind {
			case tkName:
				x = &attrExpr{pos: n.pos, x: x, name: n.val}
			case tkInt:
				i, perr := strconv.Atoi(strings.ReplaceAll(n.val, "_", ""))
				if perr != nil {
					return nil, p.errorf(n.pos, "index %s is out of range", n.val)
				}
				x = &indexExpr{pos: n.pos, x: x, key: &constExpr{pos: n.pos, v: i}}
			default:
				return nil, p.errorf(n.pos, "expected an attribute name after '.', got %s", n.describe())
			}
		case "[":
			if x, err = p.subscript(x); err != nil {
				return nil, err
			}
		case "(":
			if x, err = p.call(x); err != nil {
				return nil, err
			}
		default:
			return x, nil
		}
	}
}

func (p *parser) subscript(x expr) (expr, error) {
	open := p.next()
	var parts [3]expr
	n, colons := 0, 0
	for {
		if p.isOp(":") {
			p.next()
			colons++
			if colons > 2 {
				return nil, p.errorf(p.cur().pos, "too many ':' in slice")
			}
			n = colons
			continue
		}
		if p.isOp("]") {
			p.next()
			break
		}
		if parts[n] != nil {
			return nil, p.errorf(p.cur().pos, "expected ']' or ':', got %s", p.cur().describe())
		}
		e, err := p.tuple(true, nil)
		if err != nil {
			return nil, err
		}
		parts[n] = e
	}
	if colons == 0 {
		if parts[0] == nil {
			return nil, p.errorf(open.pos, "empty subscript")
		}
		return &indexExpr{pos: open.pos, x: x, key: parts[0]}, nil
	}
	return &sliceExpr{pos: open.pos, x: x, lo: parts[0], hi: parts[1], stride: parts[2]}, nil
}

func (p *parser) callArgs() ([]expr, []kwargExpr, expr, expr, error) {
	var args []expr
	var kw []kwargExpr
	var star, starKw expr
	first := true
	for !p.isOp(")") {
		if !first {
			if _, err := p.expectOp(","); err != nil {
				return nil, nil, nil, nil, err
			}
			if p.isOp(")") {
				break
			}
		}
		first = false
		t := p.cur()
		switch {
		case p.isOp("*"):
			p.next()
			x, err := p.expression(true)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			star = x
		case p.isOp("**"):
			p.next()
			x, err := p.expression(true)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			starKw = x
		case t.kind == tkName && p.peek().kind == tkOp && p.peek().val == "=":
			p.next()
			p.next()
			x, err := p.expression(true)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			kw = append(kw, kwargExpr{name: t.val, x: x})
		default:
			if len(kw) > 0 || starKw != nil {
				return nil, nil, nil, nil, p.errorf(t.pos, "positional argument follows keyword argument")
			}
			x, err := p.expression(true)
			if err != nil {
				return nil, nil, nil, nil, err
			}
			args = append(args, x)
		}
	}
	p.next()
	return args, kw, star, starKw, nil
}

func (p *parser) call(fn expr) (expr, error) {
	t := p.next()
	args, kw, star, starKw, err := p.callArgs()
	if err != nil {
		return nil, err
	}
	return &callExpr{pos: t.pos, fn: fn, args: args, kwargs: kw, starArgs: star, starKw: starKw}, nil
}

// filterTail parses "| filter(...)", "is test" and calls after them.
func (p *parser) filterTail(x expr) (expr, error) {
	for {
		var err error
		switch {
		case p.isOp("|"):
			p.next()
			if x, err = p.filterCall(x); err != nil {
				return nil, err
			}
		case p.isName("is"):
			if x, err = p.test(x); err != nil {
				return nil, err
			}
		case p.isOp("("):
			if x, err = p.call(x); err != nil {
				return nil, err
			}
		default:
			return x, nil
		}
	}
}

func (p *parser) dottedName(what string) (token, error) {
	t, err := p.expectName(what)
	if err != nil {
		return t, err
	}
	for p.isOp(".") && p.peek().kind == tkName {
		p.next()
		t.val += "." + p.next().val
	}
	return t, nil
}

func (p *parser) filterCall(x expr) (*filterExpr, error) {
	t, err := p.dottedName("a filter name")
	if err != nil {
		return nil, err
	}
	fn, ok := filters[t.val]
	if !ok {
		return nil, p.errorf(t.pos, "no filter named '%s'", t.val)
	}
	f := &filterExpr{pos: t.pos, x: x, name: t.val, fn: fn}
	if p.acceptOp("(") {
		var star, starKw expr
		if f.args, f.kw, star, starKw, err = p.callArgs(); err != nil {
			return nil, err
		}
		if star != nil || starKw != nil {
			return nil, p.errorf(t.pos, "*args and **kwargs are not supported in filter calls")
		}
	}
	return f, nil
}

func (p *parser) test(x expr) (expr, error) {
	isTok := p.next()
	neg := p.acceptName("not")
	t, err := p.dottedName("a test name")
	if err != nil {
		return nil, err
	}
	fn, ok := tests[t.val]
	if !ok {
		return nil, p.errorf(t.pos, "no test named '%s'", t.val)
	}
	te := &testExpr{pos: isTok.pos, x: x, name: t.val, fn: fn, neg: neg}
	c := p.cur()
	switch {
	case p.isOp("("):
		p.next()
		var star, starKw expr
		if te.args, te.kw, star, starKw, err = p.callArgs(); err != nil {
			return nil, err
		}
		if star != nil || starKw != nil {
			return nil, p.errorf(t.pos, "*args and **kwargs are not supported in tests")
		}
	case c.kind == tkString || c.kind == tkInt || c.kind == tkFloat || (c.kind == tkOp && (c.val == "[" || c.val == "{")) ||
		(c.kind == tkName && c.val != "else" && c.val != "or" && c.val != "and" && c.val != "if" && c.val != "is" && c.val != "in" && c.val != "not" && c.val != "recursive"):
		arg, err := p.primary()
		if err != nil {
			return nil, err
		}
		if arg, err = p.postfix(arg); err != nil {
			return nil, err
		}
		te.args = []expr{arg}
	}
	return te, nil
}
