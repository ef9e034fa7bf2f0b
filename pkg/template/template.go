// Package template renders Jinja templates the way Salt does, for SLS
// files, pillar and file.managed: Jinja syntax with Salt's variables
// (grains, pillar, salt['mod.fun'](...), opts, sls, tpldir, saltenv), Salt's
// filters and tags (import_yaml, load_yaml, yaml, json, traverse, ...), and
// Salt's environment settings (StrictUndefined, trim_blocks and
// lstrip_blocks off, the final newline kept, the do and loop-control
// extensions on).
//
// It is its own engine rather than a wrapper around a Go Jinja library
// because the library we measured (gonja v2) rejected trailing commas in
// dict literals, handed Go functions its own dict type instead of a map,
// and rendered a failed "from ... import ... with context" as empty values.
// Owning the lexer, parser and evaluator also gives every error an exact
// file, line and column, and lets a render be bounded in steps, recursion
// and memory, so a template can neither loop forever nor exhaust the host.
//
// Values inside a render follow Python: dicts keep insertion order, ints
// and floats differ, and printing a value gives Python's form (True, None,
// ['a', 'b'], {'a': 1}) because SLS authors rely on it. Maps passed in by
// the caller (grains, pillar, results of salt functions) are iterated in
// sorted key order, since Go maps have none.
package template

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
)

// Limits on one Render, including everything it includes, imports and
// calls. They are far above what real Salt trees need.
const (
	// MaxSteps is the number of evaluation steps (statements and
	// expressions) a render may take.
	MaxSteps = 1_000_000
	// MaxDepth is the deepest nesting of macro calls, includes and imports.
	MaxDepth = 100
	// MaxBytes bounds the bytes a render may produce, counting output and
	// intermediate strings and lists.
	MaxBytes = 64 << 20
	// MaxRange is the longest list range() may create (as Jinja's sandbox).
	MaxRange = 100_000
)

// Sentinel errors, reachable with errors.Is from any render error.
var (
	// ErrSyntax marks a template that does not parse.
	ErrSyntax = errors.New("template syntax error")
	// ErrUndefined marks the use of an undefined variable, key or attribute.
	ErrUndefined = errors.New("undefined value")
	// ErrNotFound is returned (wrapped) by a Loader for a missing template.
	ErrNotFound = errors.New("template not found")
	// ErrUnsafePath is returned (wrapped) by DirLoader for a name that is
	// absolute, contains "..", or escapes its root through a symlink.
	ErrUnsafePath = errors.New("unsafe template path")
	// ErrLimit marks a render stopped by MaxSteps, MaxDepth or MaxBytes.
	ErrLimit = errors.New("template limit exceeded")
	// ErrRaised marks an error raised by the template itself with raise().
	ErrRaised = errors.New("template raised an error")
)

// Error is a render or parse error at a position in a template. Every
// error Render returns is an *Error or wraps one.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
	// Err is the underlying cause, if any: one of the sentinels above or
	// an error from a Loader or a salt function.
	Err error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

func newError(pos srcPos, cause error, format string, args ...any) *Error {
	return &Error{Line: pos.Line, Col: pos.Col, Msg: fmt.Sprintf(format, args...), Err: cause}
}

// Loader resolves template names used by include, import, from,
// import_yaml and friends. Names are slash-separated and relative to the
// file roots ("nginx/map.jinja"); "./x" and "../x" are resolved against
// the importing template's directory before the Loader sees them.
type Loader interface {
	// Load returns the template source and the name to show in errors
	// and to resolve relative names against. A missing template is an
	// error wrapping ErrNotFound.
	Load(ctx context.Context, name string) (src []byte, resolvedName string, err error)
}

// ReadLoader loads templates through read, given a name already cleaned
// (CleanName: no "..", no absolute path); a missing file is an error
// wrapping fs.ErrNotExist, reported as ErrNotFound.
func ReadLoader(read func(ctx context.Context, clean string) ([]byte, error)) Loader {
	return readLoader(read)
}

type readLoader func(ctx context.Context, clean string) ([]byte, error)

func (r readLoader) Load(ctx context.Context, name string) ([]byte, string, error) {
	clean, err := CleanName(name)
	if err != nil {
		return nil, "", err
	}
	data, err := r(ctx, clean)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("%s: %w", clean, ErrNotFound)
	}
	if err != nil {
		return nil, "", err
	}
	return data, clean, nil
}

// Func is a function templates call as salt['mod.fun'](...) or
// salt.mod.fun(...). Arguments arrive as plain Go values: nil, bool, int,
// float64, string, []any and map[string]any. The result may be any of those
// (other slices and maps with string keys are converted too).
type Func func(ctx context.Context, args []any, kwargs map[string]any) (any, error)

// Engine renders templates. It is safe for concurrent use; parsed
// templates are cached by name and content.
type Engine struct {
	loader Loader
	funcs  map[string]Func
	cache  parseCache

	// Limits, settable by tests in this package.
	maxSteps int
	maxDepth int
	maxBytes int64
}

// New returns an Engine that loads templates with loader (nil: include and
// import fail with ErrNotFound) and exposes funcs as the salt variable.
func New(loader Loader, funcs map[string]Func) *Engine {
	fs := make(map[string]Func, len(funcs))
	for k, v := range funcs {
		fs[k] = v
	}
	return &Engine{
		loader:   loader,
		funcs:    fs,
		maxSteps: MaxSteps,
		maxDepth: MaxDepth,
		maxBytes: MaxBytes,
	}
}

// Render renders src as the template called name (used in error messages
// and to resolve relative imports) with vars as its variables (grains,
// pillar, opts, sls, slspath, tpldir, saltenv, ...). The salt variable is
// built from the Engine's funcs.
func (e *Engine) Render(ctx context.Context, name string, src []byte, vars map[string]any) ([]byte, error) {
	out, _, err := e.RenderMapped(ctx, name, src, vars)
	return out, err
}

// RenderMapped is Render that also returns the line map of the output:
// lines[i] is the line of src that output line i+1 came from (the line
// of the text or of the {{ expression }} that wrote it), so errors found
// in the rendered text (YAML, SLS structure) can cite the source.
func (e *Engine) RenderMapped(ctx context.Context, name string, src []byte, vars map[string]any) ([]byte, []int, error) {
	text := string(src)
	// Salt works around Jinja dropping the final newline by adding it back.
	newline := ""
	if strings.HasSuffix(text, "\n") {
		newline = "\n"
	}
	t, err := e.parse(name, text)
	if err != nil {
		return nil, nil, err
	}
	r, err := e.newRenderer(ctx, vars)
	if err != nil {
		return nil, nil, &Error{File: name, Line: 1, Col: 1, Msg: err.Error(), Err: err}
	}
	var out strings.Builder
	r.top, r.lineStart, r.srcLine = &out, true, 1
	sc := r.templateScope(nil, t.name)
	if err := r.execBody(sc, t.body, &out); err != nil {
		return nil, nil, r.finishError(err, t.name)
	}
	out.WriteString(newline)
	return []byte(out.String()), r.lines, nil
}

// RenderFile loads name through the Engine's Loader and renders it.
func (e *Engine) RenderFile(ctx context.Context, name string, vars map[string]any) ([]byte, error) {
	if e.loader == nil {
		return nil, &Error{File: name, Line: 1, Col: 1, Msg: "no template loader configured", Err: ErrNotFound}
	}
	src, resolved, err := e.loader.Load(ctx, name)
	if err != nil {
		var te *Error
		if errors.As(err, &te) {
			return nil, err
		}
		return nil, &Error{File: name, Line: 1, Col: 1, Msg: err.Error(), Err: err}
	}
	return e.Render(ctx, resolved, src, vars)
}

// parse parses text as the template name, through the cache. Jinja drops
// one trailing newline from every template source (keep_trailing_newline
// is off); Render adds it back for the top-level template as Salt does.
func (e *Engine) parse(name, text string) (*parsed, error) {
	text = strings.TrimSuffix(text, "\n")
	if t := e.cache.get(name, text); t != nil {
		return t, nil
	}
	t, err := parse(name, text)
	if err != nil {
		return nil, err
	}
	e.cache.put(name, text, t)
	return t, nil
}

// parseCache keeps recently parsed templates. Pillar is rendered once per
// minion from the same sources, so parsing once pays off. It is cleared
// when full rather than tracking recency: simple, bounded, good enough.
type parseCache struct {
	mu sync.Mutex
	m  map[cacheKey]*parsed
}

type cacheKey struct{ name, src string }

const parseCacheSize = 512

func (c *parseCache) get(name, src string) *parsed {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[cacheKey{name, src}]
}

func (c *parseCache) put(name, src string, t *parsed) {
	if len(src) > 1<<20 {
		return // do not pin huge sources in memory
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= parseCacheSize {
		c.m = make(map[cacheKey]*parsed)
	}
	c.m[cacheKey{name, src}] = t
}
