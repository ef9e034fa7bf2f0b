package state

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// plan is a validated run: every requisite resolved to the chunks it
// means, and the order in which nodes execute.
type plan struct {
	low   []Chunk
	defs  []Def
	nodes []node
	order []int // node indexes, dependencies first
	// listens maps a chunk to the chunks it listens to: when one of them
	// changed, the chunk's ModWatch runs at the end of the run.
	listens map[int][]int
}

// node is a chunk to run, or the test-mode run of a chunk that another
// state prereqs (Salt's prereq check).
type node struct {
	chunk int
	check bool
	deps  []edge
}

// edge says a node depends on node `to` through requisite typ.
type edge struct {
	typ string
	to  int
	// implicit marks the require a prereq adds from the target back to
	// the state that declared the prereq.
	implicit bool
}

// missingFunc stands for a state function that does not exist: the state
// fails with Salt's message when it runs; the others run.
func missingFunc(c *Chunk, funcs map[string]Def) Def {
	msg := fmt.Sprintf("State '%s' was not found in SLS '%s'", c.FullName(), c.SLS)
	if !knownModule(c.State, funcs) {
		msg += fmt.Sprintf(" (Halite has no %s state module)", c.State)
	}
	fail := func(context.Context, *Request) Result { return Result{Result: False(), Comment: msg} }
	return Def{Name: c.FullName(), Func: fail}
}

// knownModule reports whether any state function of module is registered
// (in funcs, when the run has its own set).
func knownModule(module string, funcs map[string]Def) bool {
	names := FuncNames()
	if funcs != nil {
		names = names[:0]
		for n := range funcs {
			names = append(names, n)
		}
	}
	for _, n := range names {
		if strings.HasPrefix(n, module+".") {
			return true
		}
	}
	return false
}

// newPlan resolves requisites and orders the chunks: each chunk after what
// it depends on, otherwise in the order given. Unknown functions, dangling
// references and cycles are errors naming the states involved.
func newPlan(low []Chunk, funcs map[string]Def) (*plan, error) {
	p := &plan{low: low, defs: make([]Def, len(low)), nodes: make([]node, len(low)), listens: map[int][]int{}}
	var errs []error
	tags := make(map[string]int, len(low))
	for i := range low {
		c := &low[i]
		def, ok := LookupFunc(c.FullName())
		if funcs != nil {
			def, ok = funcs[c.FullName()]
		}
		if !ok {
			def = missingFunc(c, funcs)
		}
		p.defs[i] = def
		if j, dup := tags[c.Tag()]; dup {
			errs = append(errs, errorf(ErrConflictingID, "states %d and %d are both %s", j, i, c.Tag()))
		}
		tags[c.Tag()] = i
		p.nodes[i] = node{chunk: i}
	}
	if len(errs) > 0 {
		return nil, compileErr(errs)
	}

	idx := newChunkIndex(low)
	prereqs := map[int][]int{} // target chunk -> chunks that prereq it
	for i := range low {
		c := &low[i]
		for _, r := range c.Requisites {
			targets := idx.resolve(r)
			if len(targets) == 0 {
				errs = append(errs, errorf(ErrRequisiteNotFound,
					"Referenced state does not exist for requisite [%s: (%s: %s)] in state [%s] in SLS [%s]",
					r.Type, r.Key, r.Value, c.Name, c.SLS))
				continue
			}
			typ := r.Type
			if typ == "listen" {
				if p.defs[i].ModWatch == nil {
					errs = append(errs, errorf(ErrBadDeclaration, "State [%s] in SLS [%s] listens to (%s: %s) but %s has no mod_watch to call", c.Name, c.SLS, r.Key, r.Value, c.FullName()))
					continue
				}
				p.listens[i] = appendUnique(p.listens[i], targets...)
				continue
			}
			if p.defs[i].ModWatch == nil {
				// Salt turns watch into require for a state without mod_watch.
				switch typ {
				case "watch":
					typ = "require"
				case "watch_any":
					typ = "require_any"
				}
			}
			for _, t := range targets {
				if typ == "prereq" {
					if !containsInt(prereqs[t], i) {
						prereqs[t] = append(prereqs[t], i)
					}
					continue
				}
				p.nodes[i].addDep(edge{typ: typ, to: t})
			}
		}
	}
	if len(errs) > 0 {
		return nil, compileErr(errs)
	}

	targets := make([]int, 0, len(prereqs))
	for t := range prereqs {
		targets = append(targets, t)
	}
	sort.Ints(targets)
	for _, t := range targets {
		check := node{chunk: t, check: true}
		for _, e := range p.nodes[t].deps {
			if e.typ != "prereq" && !e.implicit {
				check.deps = append(check.deps, e)
			}
		}
		ci := len(p.nodes)
		p.nodes = append(p.nodes, check)
		for _, i := range prereqs[t] {
			p.nodes[i].addDep(edge{typ: "prereq", to: ci})
			p.nodes[t].addDep(edge{typ: "require", to: i, implicit: true})
		}
	}
	if err := p.sort(); err != nil {
		return nil, err
	}
	return p, nil
}

func (n *node) addDep(e edge) {
	for _, d := range n.deps {
		if d.typ == e.typ && d.to == e.to {
			return
		}
	}
	n.deps = append(n.deps, e)
}

// sort computes the execution order by depth-first search from each chunk
// in turn: a chunk's requisites run just before it (in their own order)
// unless they already ran, which is "requisites first, then file order".
func (p *plan) sort() error {
	const (
		white = iota
		grey
		black
	)
	color := make([]int, len(p.nodes))
	var stack []int
	var stackEdges []edge
	var cycle error
	var visit func(n int)
	visit = func(n int) {
		color[n] = grey
		stack = append(stack, n)
		deps := append([]edge(nil), p.nodes[n].deps...)
		sort.SliceStable(deps, func(i, j int) bool {
			return p.nodes[deps[i].to].chunk < p.nodes[deps[j].to].chunk
		})
		for _, e := range deps {
			if cycle != nil {
				return
			}
			switch color[e.to] {
			case grey:
				cycle = p.cycleError(stack, append(stackEdges, e), e.to)
				return
			case white:
				stackEdges = append(stackEdges, e)
				visit(e.to)
				stackEdges = stackEdges[:len(stackEdges)-1]
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
		p.order = append(p.order, n)
	}
	for i := range p.low {
		if color[i] == white {
			visit(i)
		}
		if cycle != nil {
			return cycle
		}
	}
	return nil
}

// cycleError describes the cycle that closes at node `to`, as Salt does:
// (dependent, requisite, dependency) for each edge.
func (p *plan) cycleError(stack []int, edges []edge, to int) error {
	start := 0
	for i, n := range stack {
		if n == to {
			start = i
		}
	}
	var parts []string
	for i := start; i < len(stack); i++ {
		e := edges[i]
		typ := e.typ
		if e.implicit || p.nodes[e.to].check {
			typ = "prereq"
		}
		from := &p.low[p.nodes[stack[i]].chunk]
		dep := &p.low[p.nodes[e.to].chunk]
		parts = append(parts, fmt.Sprintf("(%s, '%s', %s)", from.describe(), typ, dep.describe()))
	}
	return compileErr([]error{errorf(ErrRecursiveRequisite, "Recursive requisites were found: %s", strings.Join(parts, ", "))})
}

// closure returns the nodes that the chunks in want depend on, directly
// or not, including themselves (for state.sls_id).
func (p *plan) closure(want []int) map[int]bool {
	seen := map[int]bool{}
	var walk func(n int)
	walk = func(n int) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, e := range p.nodes[n].deps {
			walk(e.to)
		}
	}
	for _, n := range want {
		walk(n)
	}
	return seen
}

// chunkIndex finds the chunks a requisite reference means.
type chunkIndex struct {
	low    []Chunk
	byMod  map[[2]string][]int // (state, ID or name)
	byID   map[string][]int    // ID or name, any state
	bySLS  map[string][]int    // an SLS's own states, or (see resolveSLS) those it includes
	sorted []string            // SLS names, for glob matching
}

func newChunkIndex(low []Chunk) *chunkIndex {
	x := &chunkIndex{
		low:   low,
		byMod: make(map[[2]string][]int, 2*len(low)),
		byID:  make(map[string][]int, 2*len(low)),
		bySLS: map[string][]int{},
	}
	add := func(m map[string][]int, k string, i int) {
		if !containsInt(m[k], i) {
			m[k] = append(m[k], i)
		}
	}
	for i := range low {
		c := &low[i]
		for _, v := range []string{c.ID, c.Name} {
			k := [2]string{c.State, v}
			if !containsInt(x.byMod[k], i) {
				x.byMod[k] = append(x.byMod[k], i)
			}
			add(x.byID, v, i)
		}
		add(x.bySLS, c.SLS, i)
	}
	// `sls: X` means X's own states. An SLS with none, that only includes
	// others, means the states it brings in (Salt 3007); an SLS with
	// states of its own never means those of its includes too, which
	// would make a state in an included file require itself.
	included := map[string][]int{}
	for i := range low {
		for _, s := range low[i].IncludedFrom {
			if _, own := x.bySLS[s]; !own {
				add(included, s, i)
			}
		}
	}
	for s, l := range included {
		x.bySLS[s] = l
	}
	for s := range x.bySLS {
		x.sorted = append(x.sorted, s)
	}
	sort.Strings(x.sorted)
	return x
}

func (x *chunkIndex) resolve(r Requisite) []int {
	glob := strings.ContainsAny(r.Value, "*?[")
	switch {
	case r.Key == "sls" && !glob:
		return x.bySLS[r.Value]
	case r.Key == "sls":
		var out []int
		for _, s := range x.sorted {
			if fnmatch(r.Value, s) {
				out = appendUnique(out, x.bySLS[s]...)
			}
		}
		sort.Ints(out)
		return out
	case !glob && r.Key == "id":
		return x.byID[r.Value]
	case !glob:
		return x.byMod[[2]string{r.Key, r.Value}]
	}
	var out []int
	for i := range x.low {
		c := &x.low[i]
		if (r.Key == "id" || r.Key == c.State) && (fnmatch(r.Value, c.ID) || fnmatch(r.Value, c.Name)) {
			out = append(out, i)
		}
	}
	return out
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func appendUnique(list []int, vs ...int) []int {
	for _, v := range vs {
		if !containsInt(list, v) {
			list = append(list, v)
		}
	}
	return list
}
