package template

// The syntax tree. Nodes are immutable once parsed, so a parsed template
// can be cached and rendered by many goroutines at once.

// node is a statement: something that writes output or changes scope.
type node interface{ nodePos() srcPos }

// expr is an expression.
type expr interface{ exprPos() srcPos }

type (
	textNode struct {
		pos  srcPos
		text string
	}
	outputNode struct {
		pos srcPos
		x   expr
	}
	ifNode struct {
		pos      srcPos
		branches []condBranch
		els      []node
	}
	condBranch struct {
		cond expr
		body []node
	}
	forNode struct {
		pos       srcPos
		target    target
		iter      expr
		filter    expr // nil: no "if" clause
		body      []node
		els       []node
		recursive bool
	}
	setNode struct {
		pos    srcPos
		target target
		x      expr
	}
	setBlockNode struct {
		pos     srcPos
		target  target
		filters []*filterExpr // applied in order to the captured body
		body    []node
	}
	macroNode struct {
		pos    srcPos
		name   string
		params []param
		body   []node
		// Whether the body mentions varargs/kwargs/caller: as in Jinja, a
		// macro only accepts extra arguments when it reads them.
		usesVarargs, usesKwargs, usesCaller bool
	}
	callBlockNode struct {
		pos    srcPos
		call   *callExpr
		caller *macroNode // the body, callable as caller(...)
	}
	includeNode struct {
		pos           srcPos
		name          expr // string or list of strings
		ignoreMissing bool
		withContext   bool
	}
	importNode struct {
		pos         srcPos
		name        expr
		alias       string
		withContext bool
		// format is "" for a Jinja import, or "yaml"/"json"/"text" for
		// Salt's import_yaml, import_json and import_text.
		format string
	}
	fromImportNode struct {
		pos         srcPos
		name        expr
		names       []importName
		withContext bool
	}
	importName struct {
		pos   srcPos
		name  string
		alias string
	}
	loadNode struct {
		pos    srcPos
		format string // yaml, json, text
		target target
		body   []node
	}
	doNode struct {
		pos srcPos
		x   expr
	}
	breakNode    struct{ pos srcPos }
	continueNode struct{ pos srcPos }
	withNode     struct {
		pos     srcPos
		targets []target
		values  []expr
		body    []node
	}
	filterBlockNode struct {
		pos     srcPos
		filters []*filterExpr
		body    []node
	}
)

func (n *textNode) nodePos() srcPos        { return n.pos }
func (n *outputNode) nodePos() srcPos      { return n.pos }
func (n *ifNode) nodePos() srcPos          { return n.pos }
func (n *forNode) nodePos() srcPos         { return n.pos }
func (n *setNode) nodePos() srcPos         { return n.pos }
func (n *setBlockNode) nodePos() srcPos    { return n.pos }
func (n *macroNode) nodePos() srcPos       { return n.pos }
func (n *callBlockNode) nodePos() srcPos   { return n.pos }
func (n *includeNode) nodePos() srcPos     { return n.pos }
func (n *importNode) nodePos() srcPos      { return n.pos }
func (n *fromImportNode) nodePos() srcPos  { return n.pos }
func (n *loadNode) nodePos() srcPos        { return n.pos }
func (n *doNode) nodePos() srcPos          { return n.pos }
func (n *breakNode) nodePos() srcPos       { return n.pos }
func (n *continueNode) nodePos() srcPos    { return n.pos }
func (n *withNode) nodePos() srcPos        { return n.pos }
func (n *filterBlockNode) nodePos() srcPos { return n.pos }

type param struct {
	name string
	def  expr // nil: required
}

// target is the left side of an assignment or a for loop: a name, an
// attribute of a namespace (set only), or a tuple of targets.
type target struct {
	pos   srcPos
	name  string   // plain name, or the namespace variable when attr != ""
	attr  string   // ns.attr assignment
	tuple []target // unpacking; name and attr are empty
}

type (
	constExpr struct {
		pos srcPos
		v   any
	}
	nameExpr struct {
		pos  srcPos
		name string
	}
	attrExpr struct {
		pos  srcPos
		x    expr
		name string
	}
	indexExpr struct {
		pos srcPos
		x   expr
		key expr
	}
	sliceExpr struct {
		pos            srcPos
		x              expr
		lo, hi, stride expr // each may be nil
	}
	callExpr struct {
		pos      srcPos
		fn       expr
		args     []expr
		kwargs   []kwargExpr
		starArgs expr // *args, may be nil
		starKw   expr // **kwargs, may be nil
	}
	kwargExpr struct {
		name string
		x    expr
	}
	filterExpr struct {
		pos  srcPos
		x    expr // nil inside {% filter %} and block set, where the body is the input
		name string
		fn   filterFunc
		args []expr
		kw   []kwargExpr
	}
	testExpr struct {
		pos  srcPos
		x    expr
		name string
		fn   testFunc
		args []expr
		kw   []kwargExpr
		neg  bool
	}
	unaryExpr struct {
		pos srcPos
		op  string // "-", "+", "not"
		x   expr
	}
	binaryExpr struct {
		pos  srcPos
		op   string // + - * / // % ** and or
		x, y expr
	}
	concatExpr struct {
		pos   srcPos
		parts []expr
	}
	compareExpr struct {
		pos   srcPos
		first expr
		ops   []compareOp
	}
	compareOp struct {
		pos srcPos
		op  string // == != < <= > >= in notin
		x   expr
	}
	condExpr struct {
		pos             srcPos
		cond, then, els expr // els may be nil
	}
	listExpr struct {
		pos   srcPos
		items []expr
	}
	tupleExpr struct {
		pos   srcPos
		items []expr
	}
	dictExpr struct {
		pos        srcPos
		keys, vals []expr
	}
)

func (e *constExpr) exprPos() srcPos   { return e.pos }
func (e *nameExpr) exprPos() srcPos    { return e.pos }
func (e *attrExpr) exprPos() srcPos    { return e.pos }
func (e *indexExpr) exprPos() srcPos   { return e.pos }
func (e *sliceExpr) exprPos() srcPos   { return e.pos }
func (e *callExpr) exprPos() srcPos    { return e.pos }
func (e *filterExpr) exprPos() srcPos  { return e.pos }
func (e *testExpr) exprPos() srcPos    { return e.pos }
func (e *unaryExpr) exprPos() srcPos   { return e.pos }
func (e *binaryExpr) exprPos() srcPos  { return e.pos }
func (e *concatExpr) exprPos() srcPos  { return e.pos }
func (e *compareExpr) exprPos() srcPos { return e.pos }
func (e *condExpr) exprPos() srcPos    { return e.pos }
func (e *listExpr) exprPos() srcPos    { return e.pos }
func (e *tupleExpr) exprPos() srcPos   { return e.pos }
func (e *dictExpr) exprPos() srcPos    { return e.pos }

// walkNames calls fn for every variable name read anywhere under nodes
// (used to learn whether a macro reads varargs, kwargs or caller).
func walkNames(nodes []node, fn func(string)) {
	for _, n := range nodes {
		walkNode(n, fn)
	}
}

func walkNode(n node, fn func(string)) {
	switch n := n.(type) {
	case *outputNode:
		walkExpr(n.x, fn)
	case *ifNode:
		for _, b := range n.branches {
			walkExpr(b.cond, fn)
			walkNames(b.body, fn)
		}
		walkNames(n.els, fn)
	case *forNode:
		walkExpr(n.iter, fn)
		walkExpr(n.filter, fn)
		walkNames(n.body, fn)
		walkNames(n.els, fn)
	case *setNode:
		walkExpr(n.x, fn)
	case *setBlockNode:
		walkNames(n.body, fn)
		for _, f := range n.filters {
			walkExpr(f, fn)
		}
	case *callBlockNode:
		walkExpr(n.call, fn)
		walkNames(n.caller.body, fn)
	case *includeNode:
		walkExpr(n.name, fn)
	case *importNode:
		walkExpr(n.name, fn)
	case *fromImportNode:
		walkExpr(n.name, fn)
	case *loadNode:
		walkNames(n.body, fn)
	case *doNode:
		walkExpr(n.x, fn)
	case *withNode:
		for _, v := range n.values {
			walkExpr(v, fn)
		}
		walkNames(n.body, fn)
	case *filterBlockNode:
		for _, f := range n.filters {
			walkExpr(f, fn)
		}
		walkNames(n.body, fn)
	}
	// A nested macro's own varargs/kwargs/caller are its own business.
}

func walkExpr(e expr, fn func(string)) {
	switch e := e.(type) {
	case nil:
	case *nameExpr:
		fn(e.name)
	case *attrExpr:
		walkExpr(e.x, fn)
	case *indexExpr:
		walkExpr(e.x, fn)
		walkExpr(e.key, fn)
	case *sliceExpr:
		walkExpr(e.x, fn)
		walkExpr(e.lo, fn)
		walkExpr(e.hi, fn)
		walkExpr(e.stride, fn)
	case *callExpr:
		walkExpr(e.fn, fn)
		for _, a := range e.args {
			walkExpr(a, fn)
		}
		for _, k := range e.kwargs {
			walkExpr(k.x, fn)
		}
		walkExpr(e.starArgs, fn)
		walkExpr(e.starKw, fn)
	case *filterExpr:
		walkExpr(e.x, fn)
		for _, a := range e.args {
			walkExpr(a, fn)
		}
		for _, k := range e.kw {
			walkExpr(k.x, fn)
		}
	case *testExpr:
		walkExpr(e.x, fn)
		for _, a := range e.args {
			walkExpr(a, fn)
		}
		for _, k := range e.kw {
			walkExpr(k.x, fn)
		}
	case *unaryExpr:
		walkExpr(e.x, fn)
	case *binaryExpr:
		walkExpr(e.x, fn)
		walkExpr(e.y, fn)
	case *concatExpr:
		for _, p := range e.parts {
			walkExpr(p, fn)
		}
	case *compareExpr:
		walkExpr(e.first, fn)
		for _, o := range e.ops {
			walkExpr(o.x, fn)
		}
	case *condExpr:
		walkExpr(e.cond, fn)
		walkExpr(e.then, fn)
		walkExpr(e.els, fn)
	case *listExpr:
		for _, x := range e.items {
			walkExpr(x, fn)
		}
	case *tupleExpr:
		for _, x := range e.items {
			walkExpr(x, fn)
		}
	case *dictExpr:
		for i := range e.keys {
			walkExpr(e.keys[i], fn)
			walkExpr(e.vals[i], fn)
		}
	}
}
