package state

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors for what callers branch on. Every error the compiler
// reports wraps one of them, so errors.Is works on a CompileError as a whole
// and on each of its members.
var (
	// ErrSLSNotFound: a Source has no such SLS (or top file).
	ErrSLSNotFound = errors.New("SLS not found")
	// ErrRender: templating or YAML parsing of an SLS failed.
	ErrRender = errors.New("render failed")
	// ErrBadDeclaration: the rendered data does not have Salt's shape.
	ErrBadDeclaration = errors.New("malformed state declaration")
	// ErrConflictingID: two SLS files declare the same ID.
	ErrConflictingID = errors.New("conflicting ID")
	// ErrRequisiteNotFound: a requisite, _in requisite, use or extend names
	// a state that is not part of the run.
	ErrRequisiteNotFound = errors.New("referenced state does not exist")
	// ErrRecursiveRequisite: the requisites form a cycle.
	ErrRecursiveRequisite = errors.New("recursive requisites")
	// ErrNoTopMatch: the top file assigns no SLS to this minion.
	ErrNoTopMatch = errors.New("no top file matches")
	// ErrIDNotFound: state.sls_id was asked for an ID the SLS lacks.
	ErrIDNotFound = errors.New("ID not found")
	// ErrOutsideRoot: a DirSource refused a name that leaves its root.
	ErrOutsideRoot = errors.New("path outside the state tree")
)

// CompileError carries every problem found while compiling a state run.
// Like Salt ("Data failed to compile"), the compiler keeps going after the
// first problem so one run shows them all.
type CompileError struct {
	Errs []error
}

func (e *CompileError) Error() string {
	return strings.Join(e.Messages(), "\n")
}

// Unwrap lets errors.Is and errors.As look at each problem.
func (e *CompileError) Unwrap() []error { return e.Errs }

// Messages returns the problems as text, one per entry, in the order found.
func (e *CompileError) Messages() []string {
	out := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		out[i] = err.Error()
	}
	return out
}

// compileErr returns nil for no errors and a *CompileError otherwise.
func compileErr(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return &CompileError{Errs: errs}
}

// declError is one compile problem: a message in the words Salt users know,
// classified by a sentinel.
type declError struct {
	msg  string
	kind error
	err  error // optional underlying cause
}

func (e *declError) Error() string { return e.msg }

func (e *declError) Unwrap() []error {
	if e.err != nil {
		return []error{e.kind, e.err}
	}
	return []error{e.kind}
}

func errorf(kind error, format string, args ...any) error {
	return &declError{msg: fmt.Sprintf(format, args...), kind: kind}
}

func wrapf(kind, cause error, format string, args ...any) error {
	return &declError{msg: fmt.Sprintf(format, args...), kind: kind, err: cause}
}
