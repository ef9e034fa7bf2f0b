package state

import (
	"github.com/halite/halite/pkg/value"
	"math"
	"reflect"
	"sort"
	"strings"
)

// finishHigh applies what Salt does between rendering and compiling:
// extend, verification, the _in requisites and use, then exclude.
func finishHigh(h *High) []error {
	errs := reconcileExtend(h)
	errs = append(errs, verifyHigh(h)...)
	if len(errs) > 0 {
		return errs
	}
	errs = append(errs, requisiteIn(h)...)
	applyExclude(h)
	return errs
}

// findName finds the declarations an extend or _in reference means: the
// ID itself, or (Salt's name matching) the IDs whose module has that name.
func findName(h *High, name, module string, strict bool) []*IDDecl {
	if d, ok := h.index[name]; ok && (!strict || d.Module(module) != nil) {
		return []*IDDecl{d}
	}
	var out []*IDDecl
	for _, d := range h.IDs {
		if m := d.Module(module); m != nil {
			if v, ok := m.Arg("name"); ok && v == name {
				out = append(out, d)
			}
		}
	}
	return out
}

func excludedSLS(h *High) map[string]bool {
	out := map[string]bool{}
	for _, e := range h.excludes {
		if e.sls != "" {
			out[e.sls] = true
		}
	}
	return out
}

// reconcileExtend merges every `extend:` body into the state it names:
// arguments replace, requisite lists append, a new function replaces the
// old one, a new module is added.
func reconcileExtend(h *High) []error {
	var errs []error
	excluded := excludedSLS(h)
	for _, ext := range h.extends {
		if len(ext.Modules) == 0 {
			continue
		}
		ids := findName(h, ext.ID, ext.Modules[0].Module, false)
		if len(ids) != 1 {
			errs = append(errs, errorf(ErrRequisiteNotFound,
				"Cannot extend ID '%s' in '%s:%s'. It is not part of the high state. This is likely due to a missing include statement or an incorrectly typed ID. Ensure that a state with an ID of '%s' is available in environment '%s' and to SLS '%s'",
				ext.ID, ext.Env, ext.SLS, ext.ID, ext.Env, ext.SLS))
			continue
		}
		if excluded[ext.SLS] {
			continue
		}
		target := ids[0]
		for _, em := range ext.Modules {
			tm := target.Module(em.Module)
			if tm == nil {
				target.Modules = append(target.Modules, em.clone())
				continue
			}
			for _, it := range em.Items {
				mergeItem(tm, it)
			}
		}
	}
	h.extends = nil
	return errs
}

func mergeItem(tm *ModuleDecl, it Item) {
	updated := false
	for i, val := range tm.Items {
		switch {
		case it.Fun != "" && val.Fun != "":
			tm.Items[i] = Item{Fun: it.Fun}
			updated = true
		case it.Fun == "" && val.Fun == "" && it.Key == val.Key:
			if isReqList(it.Key) {
				old, _ := val.Value.([]any)
				add, _ := deepCopy(it.Value).([]any)
				tm.Items[i].Value = append(append([]any(nil), old...), add...)
			} else {
				tm.Items[i].Value = deepCopy(it.Value)
			}
			updated = true
		case it.Fun == "" && val.Fun == "" && it.Key == "name" && val.Key == "names":
			tm.Items[i] = Item{Key: "name", Value: deepCopy(it.Value)}
			updated = true
		}
	}
	if !updated {
		tm.Items = append(tm.Items, Item{Fun: it.Fun, Key: it.Key, Value: deepCopy(it.Value)})
	}
}

// verifyHigh checks what extend may have completed: one function per
// module declaration.
func verifyHigh(h *High) []error {
	var errs []error
	for _, d := range h.IDs {
		if len(d.Modules) == 0 {
			errs = append(errs, errorf(ErrBadDeclaration, "ID '%s' in SLS '%s' declares no state", d.ID, d.SLS))
		}
		for _, m := range d.Modules {
			funs := m.Funcs()
			switch {
			case len(funs) == 0:
				errs = append(errs, errorf(ErrBadDeclaration, "No function declared in state '%s' in SLS '%s'", d.ID, d.SLS))
			case len(funs) > 1:
				errs = append(errs, errorf(ErrBadDeclaration, "Too many functions declared in state '%s' in SLS '%s'. Please choose one of the following: %s", d.ID, d.SLS, strings.Join(funs, ", ")))
			}
		}
	}
	return errs
}

// hinge is one (ID, module) an _in requisite or use points at.
type hinge struct {
	decl   *IDDecl
	module string
}

// requisiteIn rewrites require_in/watch_in/onchanges_in/onfail_in/
// prereq_in onto the referenced states and copies arguments for use and
// use_in, as Salt's requisite_in does.
func requisiteIn(h *High) []error {
	var errs []error
	for _, d := range append([]*IDDecl(nil), h.IDs...) {
		for _, m := range d.Modules {
			for _, it := range append([]Item(nil), m.Items...) {
				if it.Fun != "" || !isRequisiteIn(it.Key) {
					continue
				}
				for _, ref := range reqRefs(it.Value) {
					hinges, err := resolveHinges(h, d, it.Key, ref)
					if err != nil {
						errs = append(errs, err)
						continue
					}
					for _, hg := range hinges {
						applyIn(d, m, it.Key, hg)
					}
				}
			}
		}
	}
	return errs
}

// reqRef is one parsed requisite reference; key "id" is a bare ID.
type reqRef struct{ key, value string }

func reqRefs(v any) []reqRef {
	var out []reqRef
	add := func(x any) {
		switch x := x.(type) {
		case string:
			out = append(out, reqRef{key: "id", value: x})
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if x[k] == nil {
					continue
				}
				s, _ := scalarString(x[k])
				out = append(out, reqRef{key: k, value: s})
			}
		}
	}
	switch v := v.(type) {
	case []any:
		for _, x := range v {
			add(x)
		}
	default:
		add(v)
	}
	return out
}

func resolveHinges(h *High, d *IDDecl, key string, ref reqRef) ([]hinge, error) {
	notFound := func() error {
		return errorf(ErrRequisiteNotFound, "Referenced state does not exist for requisite [%s: (%s: %s)] in state [%s] in SLS [%s]", key, ref.key, ref.value, d.ID, d.SLS)
	}
	switch ref.key {
	case "id":
		if t, ok := h.index[ref.value]; ok && len(t.Modules) > 0 {
			return []hinge{{t, t.Modules[0].Module}}, nil
		}
		for _, t := range h.IDs {
			for _, m := range t.Modules {
				if v, ok := m.Arg("name"); ok && v == ref.value {
					return []hinge{{t, m.Module}}, nil
				}
			}
		}
		return nil, notFound()
	case "sls":
		var out []hinge
		for _, t := range h.IDs {
			if t.SLS == ref.value {
				for _, m := range t.Modules {
					out = append(out, hinge{t, m.Module})
				}
			}
		}
		if len(out) == 0 {
			return nil, notFound()
		}
		return out, nil
	}
	ids := findName(h, ref.value, ref.key, true)
	if len(ids) != 1 {
		return nil, notFound()
	}
	return []hinge{{ids[0], ref.key}}, nil
}

func applyIn(d *IDDecl, m *ModuleDecl, key string, hg hinge) {
	tm := hg.decl.Module(hg.module)
	if tm == nil {
		return
	}
	switch key {
	case "use":
		copyArgs(tm, m)
	case "use_in":
		copyArgs(m, tm)
	default:
		rkey, _, _ := strings.Cut(key, "_")
		ref := map[string]any{m.Module: d.ID}
		found := false
		for i, it := range tm.Items {
			if it.Fun == "" && it.Key == rkey {
				list, _ := it.Value.([]any)
				tm.Items[i].Value = append(append([]any(nil), list...), ref)
				found = true
			}
		}
		if !found {
			tm.Items = append(tm.Items, Item{Key: rkey, Value: []any{ref}})
		}
	}
}

// copyArgs copies src's arguments that dst does not set, leaving out names
// and every requisite.
func copyArgs(src, dst *ModuleDecl) {
	have := map[string]bool{}
	for _, it := range dst.Items {
		if it.Fun == "" {
			have[it.Key] = true
		}
	}
	for _, it := range src.Items {
		if it.Fun != "" || have[it.Key] || it.Key == "name" || it.Key == "names" ||
			isReqList(it.Key) || isRequisiteIn(it.Key) {
			continue
		}
		dst.Items = append(dst.Items, Item{Key: it.Key, Value: deepCopy(it.Value)})
		have[it.Key] = true
	}
}

// applyExclude drops the IDs named by `exclude:` (SLS names may be globs).
func applyExclude(h *High) {
	if len(h.excludes) == 0 {
		return
	}
	drop := map[string]bool{}
	for _, e := range h.excludes {
		if e.id != "" {
			drop[e.id] = true
		}
	}
	for _, d := range h.IDs {
		for _, e := range h.excludes {
			if e.sls != "" && fnmatch(e.sls, d.SLS) {
				drop[d.ID] = true
			}
		}
	}
	h.remove(drop)
	h.excludes = nil
}

// compileChunks turns high data into low chunks sorted by order (Salt's
// compile_high_data and order_chunks). Requisites are resolved later, by
// the planner.
func compileChunks(h *High) ([]Chunk, []error) {
	var (
		chunks []Chunk
		errs   []error
		tags   = map[string]bool{}
	)
	for _, d := range h.IDs {
		for _, m := range d.Modules {
			funs := m.Funcs()
			if len(funs) != 1 {
				continue
			}
			fun := funs[0]
			// A function that does not exist is not a compile error: as
			// in Salt, that state fails when it runs and the rest go on
			// (see newPlan).
			low := map[string]any{}
			var names []any
			name := d.ID
			for _, it := range m.Items {
				switch {
				case it.Fun != "", it.Key == "state", it.Key == "fun":
				case it.Key == "names":
					list, _ := it.Value.([]any)
					for _, n := range list {
						if !containsValue(names, n) {
							names = append(names, n)
						}
					}
				case it.Key == "name":
					if s, ok := scalarString(it.Value); ok {
						name = s
					} else {
						errs = append(errs, errorf(ErrBadDeclaration, "The name argument of state '%s' in SLS '%s' must be a string", d.ID, d.SLS))
					}
				default:
					low[it.Key] = it.Value
				}
			}
			base := Chunk{State: m.Module, Fun: fun, ID: d.ID, SLS: d.SLS, Env: d.Env, IncludedFrom: d.IncludedFrom}
			emit := func(args map[string]any, name string, nameOrder int) {
				c, err := finishChunk(base, args, name, nameOrder)
				if err != nil {
					errs = append(errs, err)
					return
				}
				if tags[c.Tag()] {
					errs = append(errs, errorf(ErrConflictingID, "ID '%s' in SLS '%s' declares the state %s with name '%s' twice", d.ID, d.SLS, c.FullName(), c.Name))
					return
				}
				tags[c.Tag()] = true
				chunks = append(chunks, c)
			}
			if len(names) == 0 {
				emit(low, name, 0)
				continue
			}
			for i, entry := range names {
				live := make(map[string]any, len(low))
				for k, v := range low {
					live[k] = v
				}
				liveName, err := nameEntry(d, entry, live)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				emit(live, liveName, i+1)
			}
		}
	}
	orderChunks(chunks)
	return chunks, errs
}

// nameEntry reads one `names` entry: a name, or {name: [{arg: value}...]}
// whose arguments override the state's for that name.
func nameEntry(d *IDDecl, entry any, live map[string]any) (string, error) {
	if s, ok := scalarString(entry); ok {
		return s, nil
	}
	m, ok := entry.(map[string]any)
	if !ok || len(m) != 1 {
		return "", errorf(ErrBadDeclaration, "An entry of 'names' in state '%s' in SLS '%s' is neither a name nor a single-key mapping", d.ID, d.SLS)
	}
	for name, over := range m {
		switch over := over.(type) {
		case nil:
		case []any:
			for _, o := range over {
				om, ok := o.(map[string]any)
				if !ok {
					return "", errorf(ErrBadDeclaration, "The arguments for name '%s' in state '%s' in SLS '%s' must be single-key mappings", name, d.ID, d.SLS)
				}
				for k, v := range om {
					live[k] = v
				}
			}
		case map[string]any:
			for k, v := range over {
				live[k] = v
			}
		default:
			return "", errorf(ErrBadDeclaration, "The arguments for name '%s' in state '%s' in SLS '%s' must be a list of mappings", name, d.ID, d.SLS)
		}
		return name, nil
	}
	return "", nil // unreachable: len(m) == 1
}

// finishChunk splits the merged arguments into requisites, run-time
// keywords and the state function's own arguments.
func finishChunk(c Chunk, low map[string]any, name string, nameOrder int) (Chunk, error) {
	c.Name = name
	c.nameOrder = nameOrder
	c.Args = map[string]any{}
	for k, v := range low {
		switch {
		case isReqList(k), isRequisiteIn(k), strings.HasPrefix(k, "__"):
		case k == "order":
			c.orderRaw = v
		case k == "failhard":
			c.Failhard = value.IsTrue(v)
		case k == "parallel":
			c.Parallel = value.IsTrue(v)
		default:
			c.Args[k] = deepCopy(v)
		}
	}
	for _, typ := range append(requisiteTypes[:len(requisiteTypes):len(requisiteTypes)], "listen") {
		v, ok := low[typ]
		if !ok {
			continue
		}
		list, _ := v.([]any)
		for _, r := range list {
			switch r := r.(type) {
			case string:
				c.Requisites = append(c.Requisites, Requisite{Type: typ, Key: "id", Value: r})
			case map[string]any:
				for k, val := range r {
					if val == nil {
						continue
					}
					s, ok := scalarString(val)
					if !ok {
						return c, errorf(ErrBadDeclaration, "Requisite [%s: %s] in state [%s] in SLS [%s] must have a string as the value", typ, k, c.Name, c.SLS)
					}
					c.Requisites = append(c.Requisites, Requisite{Type: typ, Key: k, Value: s})
				}
			}
		}
	}
	return c, nil
}

// orderChunks resolves `order` like Salt: explicit numbers, first (0),
// last (after everything), negative numbers counted from the end, names
// spread by 1/10000; ties broken by state, name and function.
func orderChunks(chunks []Chunk) {
	capOrder := 1.0
	for _, c := range chunks {
		if o, ok := intOrder(c.orderRaw); ok && o > capOrder-1 && o > 0 {
			capOrder = o + 100
		}
	}
	for i := range chunks {
		c := &chunks[i]
		var o float64
		switch v := c.orderRaw.(type) {
		case nil:
			o = capOrder
		case float64:
			o = v
		case string:
			switch v {
			case "last":
				o = capOrder + 1000000
			case "first":
				o = 0
			default:
				o = capOrder
			}
		default:
			if n, ok := intOrder(v); ok {
				o = n
			} else {
				o = capOrder
			}
		}
		if math.IsNaN(o) || math.IsInf(o, 0) {
			o = capOrder
		}
		if c.nameOrder > 0 {
			o += float64(c.nameOrder) / 10000
		}
		if o < 0 {
			o += capOrder + 1000000
		}
		c.Order = o
	}
	sort.SliceStable(chunks, func(i, j int) bool {
		if chunks[i].Order != chunks[j].Order {
			return chunks[i].Order < chunks[j].Order
		}
		return chunks[i].label() < chunks[j].label()
	})
}

func intOrder(v any) (float64, bool) {
	switch v := v.(type) {
	case int:
		return float64(v), true
	case uint64:
		return float64(v), true
	case bool: // Python's bool is an int
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func containsValue(list []any, v any) bool {
	for _, x := range list {
		if reflect.DeepEqual(x, v) {
			return true
		}
	}
	return false
}

// fnmatch matches name against a shell pattern the way Python's fnmatch
// does: * and ? match any character (including / and .), [...] a set.
func fnmatch(pattern, name string) bool {
	if !strings.ContainsAny(pattern, "*?[") {
		return pattern == name
	}
	return globMatch([]rune(pattern), []rune(name))
}

func globMatch(p, s []rune) bool {
	// Two pointers with backtracking to the last star: linear in practice
	// and never exponential, whatever the pattern.
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		if pi < len(p) {
			switch p[pi] {
			case '*':
				starP, starS = pi, si
				pi++
				continue
			case '?':
				pi++
				si++
				continue
			case '[':
				if ok, n := matchClass(p[pi:], s[si]); n > 0 {
					if ok {
						pi += n
						si++
						continue
					}
				} else if s[si] == '[' { // no closing bracket: a literal '['
					pi++
					si++
					continue
				}
			default:
				if p[pi] == s[si] {
					pi++
					si++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		pi = starP + 1
		starS++
		si = starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// matchClass matches c against the set at the start of p ("[a-z]",
// "[!x]"). n is the set's length in p, or 0 when the bracket never closes.
func matchClass(p []rune, c rune) (ok bool, n int) {
	end := -1
	for j := 2; j < len(p); j++ {
		if p[j] == ']' {
			end = j
			break
		}
	}
	if end < 0 {
		return false, 0
	}
	set, neg := p[1:end], false
	if len(set) > 0 && (set[0] == '!' || set[0] == '^') {
		neg, set = true, set[1:]
	}
	match := false
	for k := 0; k < len(set); k++ {
		if k+2 < len(set) && set[k+1] == '-' {
			if set[k] <= c && c <= set[k+2] {
				match = true
			}
			k += 2
		} else if set[k] == c {
			match = true
		}
	}
	return match != neg, end + 1
}
