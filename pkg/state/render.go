package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
)

// firstAutoOrder is where Salt's state_auto_order starts counting, so an
// explicit `order: N` below it runs before every declaration-ordered state.
const firstAutoOrder = 10000

// maxIncludeDepth bounds include chains (cycles are cut by the seen set;
// this stops a pathological tree from recursing without end).
const maxIncludeDepth = 64

// builder renders SLS files and assembles high data, the way Salt's
// render_state and render_highstate do.
type builder struct {
	c      *Compiler
	ctx    context.Context
	mods   map[string]bool // "env:sls" already rendered
	iorder int
	errs   []error
}

func (c *Compiler) newBuilder(ctx context.Context) *builder {
	return &builder{c: c, ctx: ctx, mods: map[string]bool{}, iorder: firstAutoOrder}
}

// slsRef names one SLS in one saltenv.
type slsRef struct{ env, sls string }

// highstate renders each SLS in refs (with its includes) into one High.
func (b *builder) highstate(refs []slsRef) *High {
	high := newHigh()
	for _, r := range refs {
		if b.mods[r.env+":"+r.sls] {
			continue
		}
		set := b.renderState(r.env, r.sls, "", 0)
		b.merge(high, set)
	}
	b.dedupExtends(high)
	return high
}

// renderState renders one SLS and, recursively, what it includes. Like
// Salt, included files are rendered first and so receive lower auto-order
// numbers: they run before the includer's own states.
func (b *builder) renderState(env, sls, includer string, depth int) *High {
	set := newHigh()
	b.mods[env+":"+sls] = true
	if depth > maxIncludeDepth {
		b.errs = append(b.errs, errorf(ErrBadDeclaration, "Include chain at SLS '%s:%s' is deeper than %d levels", env, sls, maxIncludeDepth))
		return set
	}
	if err := b.ctx.Err(); err != nil {
		b.errs = append(b.errs, err)
		return set
	}
	src, file, err := b.c.Source.ReadSLS(b.ctx, env, sls)
	if err != nil {
		if errors.Is(err, ErrSLSNotFound) {
			msg := fmt.Sprintf("Specified SLS %s in saltenv %s is not available on the salt master or through a configured fileserver", sls, env)
			if includer != "" {
				msg += fmt.Sprintf(" (included from SLS '%s')", includer)
			}
			b.errs = append(b.errs, wrapf(ErrSLSNotFound, err, "%s", msg))
		} else {
			b.errs = append(b.errs, wrapf(ErrSLSNotFound, err, "Reading SLS '%s:%s' failed: %v", env, sls, err))
		}
		return set
	}
	// The template engine resolves relative imports against the name, so
	// it gets the root-relative tplfile ("web/init.sls"), not the Source's
	// file (which may be a local cache path).
	vars := b.c.slsVars(env, sls, file)
	tplfile, _ := vars["tplfile"].(string)
	rendered, lines, err := b.c.renderMapped(b.ctx, src, tplfile, vars)
	if err != nil {
		b.errs = append(b.errs, wrapf(ErrRender, err, "Rendering SLS '%s:%s' failed: %v", env, sls, err))
		return set
	}
	doc, errs := parseSLS(rendered, sls, env, file, lines)
	if len(errs) > 0 && lines == nil && !bytes.Equal(rendered, src) {
		for i, e := range errs {
			if errors.Is(e, ErrRender) {
				errs[i] = wrapf(ErrRender, e, "%v (line numbers refer to the rendered template)", e)
			}
		}
	}
	b.errs = append(b.errs, errs...)
	for _, d := range doc.ids {
		set.add(d)
	}
	set.extends = append(set.extends, doc.extends...)
	set.excludes = append(set.excludes, doc.excludes...)

	isInit := path.Base(strings.ReplaceAll(file, "\\", "/")) == "init.sls"
	for _, inc := range doc.includes {
		incEnv := env
		if inc.env != "" {
			incEnv = inc.env
		}
		target, err := resolveInclude(sls, inc.sls, isInit)
		if err != nil {
			b.errs = append(b.errs, errorf(ErrBadDeclaration, "%s:%d: %v within SLS '%s:%s'", file, inc.line, err, env, sls))
			continue
		}
		if b.mods[incEnv+":"+target] {
			continue
		}
		nested := b.renderState(incEnv, target, sls, depth+1)
		for _, d := range nested.IDs {
			d.IncludedFrom = append(d.IncludedFrom, sls)
		}
		b.merge(set, nested)
	}
	b.autoOrder(set)
	return set
}

// resolveInclude turns a relative include (".sibling", "..uncle") into an
// absolute SLS name, as Salt does: each leading dot climbs one level from
// the including SLS (an init.sls counts as one level deeper).
func resolveInclude(from, inc string, fromInit bool) (string, error) {
	if !strings.HasPrefix(inc, ".") {
		return inc, nil
	}
	rest := strings.TrimLeft(inc, ".")
	levels := len(inc) - len(rest)
	if rest == "" {
		return "", fmt.Errorf("badly formatted include %s", inc)
	}
	comps := strings.Split(from, ".")
	if fromInit {
		comps = append(comps, "init")
	}
	if levels > len(comps) {
		return "", fmt.Errorf("attempted relative include of '%s' goes beyond top level package", inc)
	}
	return strings.Join(append(comps[:len(comps)-levels:len(comps)-levels], rest), "."), nil
}

// merge adds src's declarations to dst, reporting IDs declared twice.
func (b *builder) merge(dst, src *High) {
	dst.extends = append(dst.extends, src.extends...)
	dst.excludes = append(dst.excludes, src.excludes...)
	for _, d := range src.IDs {
		if prev, ok := dst.index[d.ID]; ok {
			b.errs = append(b.errs, errorf(ErrConflictingID,
				"Detected conflicting IDs, SLS IDs need to be globally unique. The conflicting ID is '%s' and is found in SLS '%s:%s' and SLS '%s:%s'",
				d.ID, prev.Env, prev.SLS, d.Env, d.SLS))
			continue
		}
		dst.add(d)
	}
}

// autoOrder gives every module declaration without an `order` argument the
// next declaration-order number (Salt's state_auto_order).
func (b *builder) autoOrder(set *High) {
	for _, d := range set.IDs {
		for _, m := range d.Modules {
			if _, ok := m.Arg("order"); ok {
				continue
			}
			m.Items = append(m.Items, Item{Key: "order", Value: b.iorder})
			b.iorder++
		}
	}
}

// dedupExtends drops extend bodies that appear twice (the same file reached
// twice cannot happen, but identical extends from different files can).
func (b *builder) dedupExtends(h *High) {
	seen := map[string]bool{}
	kept := h.extends[:0]
	for _, e := range h.extends {
		key := e.SLS + "\x00" + e.ID + "\x00" + pyRepr(e.data())
		if seen[key] {
			continue
		}
		seen[key] = true
		kept = append(kept, e)
	}
	h.extends = kept
}

func (d *IDDecl) data() map[string]any {
	h := &High{IDs: []*IDDecl{d}}
	return h.Data()
}

// render runs the SLS source through the template renderer, honouring a
// Salt renderer shebang (`#!yaml`, `#!jinja|yaml`).
func (c *Compiler) render(ctx context.Context, src []byte, file string, vars map[string]any) ([]byte, error) {
	out, _, err := c.renderMapped(ctx, src, file, vars)
	return out, err
}

// renderMapped is render with the rendered text's line map when the
// renderer keeps one (nil otherwise, and when nothing was rendered: then
// the lines are the source's own).
func (c *Compiler) renderMapped(ctx context.Context, src []byte, file string, vars map[string]any) ([]byte, []int, error) {
	useTemplate := c.Render != nil
	if bytes.HasPrefix(src, []byte("#!")) {
		first, _, _ := bytes.Cut(src[2:], []byte("\n"))
		pipe := strings.ReplaceAll(strings.TrimSpace(string(first)), " ", "")
		switch pipe {
		case "yaml":
			useTemplate = false
		case "jinja|yaml":
			if c.Render == nil {
				return nil, nil, fmt.Errorf("%s: renderer pipeline %q needs a template renderer and none is configured", file, pipe)
			}
			useTemplate = true
		default:
			return nil, nil, fmt.Errorf("%s: renderer pipeline %q is not supported (Halite renders jinja|yaml and yaml)", file, pipe)
		}
	}
	if !useTemplate {
		return src, nil, nil
	}
	if mr, ok := c.Render.(MappedRenderer); ok {
		return mr.RenderMapped(ctx, file, src, vars)
	}
	out, err := c.Render.Render(ctx, file, src, vars)
	return out, nil, err
}

// slsVars builds the template variables for one SLS: the caller's (grains,
// pillar, opts, salt) plus Salt's per-file ones.
func (c *Compiler) slsVars(env, sls, file string) map[string]any {
	vars := map[string]any{}
	if c.Vars != nil {
		for k, v := range c.Vars(sls) {
			vars[k] = v
		}
	}
	comps := strings.Split(sls, ".")
	base := path.Base(strings.ReplaceAll(file, "\\", "/"))
	dirComps := comps[:len(comps)-1]
	tplfile := strings.Join(comps, "/") + ".sls"
	if base == "init.sls" {
		dirComps = comps
		tplfile = strings.Join(comps, "/") + "/init.sls"
	}
	slspath := strings.Join(dirComps, "/")
	tpldir := slspath
	if tpldir == "" {
		tpldir = "."
	}
	vars["sls"] = sls
	vars["saltenv"] = env
	vars["slspath"] = slspath
	vars["sls_path"] = strings.Join(dirComps, "_")
	vars["slsdotpath"] = strings.Join(dirComps, ".")
	vars["slscolonpath"] = strings.Join(dirComps, ":")
	vars["tpldir"] = tpldir
	vars["tpldot"] = strings.Join(dirComps, ".")
	vars["tplfile"] = tplfile
	vars["tplpath"] = file
	return vars
}
