package pillar

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors for what callers branch on. Every *Error wraps one.
var (
	// ErrSLSNotFound: the top file or an include names an SLS that no
	// pillar root has (or a glob that matches none).
	ErrSLSNotFound = errors.New("pillar SLS not found")
	// ErrRender: the Jinja template of a top file or SLS failed.
	ErrRender = errors.New("pillar render failed")
	// ErrYAML: the rendered text is not valid YAML (or is too large,
	// too deep, or repeats a key).
	ErrYAML = errors.New("pillar YAML error")
	// ErrNotMapping: an SLS renders to something other than a mapping, or
	// its include is not a list.
	ErrNotMapping = errors.New("pillar data is not a mapping")
	// ErrBadTop: the top file does not have Salt's shape, names an unknown
	// match type or saltenv, or has a target that does not compile.
	ErrBadTop = errors.New("malformed pillar top file")
)

// Error is one problem found while compiling a minion's pillar, located in
// a file of the pillar tree.
type Error struct {
	// Saltenv and SLS name the pillar file ("" SLS for a top file).
	Saltenv string
	SLS     string
	// File is the path of the file at fault and Line its 1-based line
	// (0 when unknown). For a missing SLS they point at the top file or
	// include line that names it. Lines in a templated file count in the
	// rendered text when Rendered is set.
	File     string
	Line     int
	Rendered bool
	Msg      string
	// Kind is one of the sentinels above; Err the underlying cause (a
	// *template.Error, an I/O error), if any.
	Kind error
	Err  error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Rendered {
		b.WriteString(" (line numbers refer to the rendered template)")
	}
	return b.String()
}

// Unwrap lets errors.Is see both the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// CompileError is every problem of one compile. Like Salt, the compiler
// keeps going after the first so one run shows them all; unlike Salt, it
// then returns no pillar at all.
type CompileError struct {
	Minion string
	Errs   []*Error
}

func (e *CompileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pillar for minion %s failed to compile:", e.Minion)
	for _, err := range e.Errs {
		b.WriteString("\n  ")
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is and errors.As look at each problem.
func (e *CompileError) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, err := range e.Errs {
		out[i] = err
	}
	return out
}
