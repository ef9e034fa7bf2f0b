package pillar

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// Redacted replaces a secret value.
const Redacted = "<redacted>"

// DefaultSecretGlobs are the key patterns Redactor treats as secret when
// given none.
var DefaultSecretGlobs = []string{"*password*", "*secret*", "*token*", "*key*"}

// MinSecretLen is the shortest secret Secrets returns. Scrubbing every
// "us" or "rsa" out of job returns because a key matched "*key*" would
// wreck them, and a secret that short protects nothing anyway.
const MinSecretLen = 4

// Redactor hides secret values in pillar-shaped data: the value of every
// mapping key whose name (or, for a pattern containing ':', whose whole
// path, "mysql:users:0:password") matches one of its globs, compared
// case-insensitively, at any depth. A matching key keeps its place and
// its value becomes Redacted, whatever it was: a secret mapping is hidden
// whole.
type Redactor struct {
	globs []string // lowercased
}

// NewRedactor returns a Redactor for fnmatch globs ('*', '?', "[a-z]");
// nil or empty means DefaultSecretGlobs.
func NewRedactor(globs []string) *Redactor {
	if len(globs) == 0 {
		globs = DefaultSecretGlobs
	}
	r := &Redactor{globs: make([]string, 0, len(globs))}
	for _, g := range globs {
		if g != "" {
			r.globs = append(r.globs, strings.ToLower(g))
		}
	}
	return r
}

// secret reports whether the entry key at path (path ends with key) is
// secret.
func (r *Redactor) secret(key string, path []string) bool {
	key = strings.ToLower(key)
	var full string
	for _, g := range r.globs {
		if strings.Contains(g, DefaultDelimiter) {
			if full == "" {
				full = strings.ToLower(strings.Join(path, DefaultDelimiter))
			}
			if globMatch(g, full) {
				return true
			}
		} else if globMatch(g, key) {
			return true
		}
	}
	return false
}

// Redact returns a deep copy of v with secret values replaced by
// Redacted. v is never modified. Mappings of any key type and struct
// fields (by name) are looked at, so a job return can be redacted as
// well as a pillar.
func (r *Redactor) Redact(v any) any {
	c := &copier{redact: r.secret}
	return c.any(v)
}

// Secrets returns the secret string values of a pillar, for scrubbing
// them out of logs and job returns with Scrub: every string under a
// secret key (however deeply nested below it), and each line of a
// multi-line one (a file diff shows a private key line by line). Strings
// shorter than MinSecretLen are left out. The result has no repeats and
// is sorted longest first.
func (r *Redactor) Secrets(pillar map[string]any) []string {
	set := map[string]bool{}
	var collect func(v any)
	collect = func(v any) {
		switch t := v.(type) {
		case string:
			if len(t) >= MinSecretLen {
				set[t] = true
			}
			if strings.Contains(t, "\n") {
				for _, line := range strings.Split(t, "\n") {
					if line = strings.TrimSpace(line); len(line) >= MinSecretLen {
						set[line] = true
					}
				}
			}
		case map[string]any:
			for _, x := range t {
				collect(x)
			}
		case []any:
			for _, x := range t {
				collect(x)
			}
		case []string:
			for _, x := range t {
				collect(x)
			}
		}
	}
	var walk func(v any, path []string, depth int)
	walk = func(v any, path []string, depth int) {
		if depth > maxWalkDepth {
			return
		}
		switch t := v.(type) {
		case map[string]any:
			for k, x := range t {
				p := append(path[:len(path):len(path)], k)
				if r.secret(k, p) {
					collect(x)
				} else {
					walk(x, p, depth+1)
				}
			}
		case []any:
			for i, x := range t {
				walk(x, append(path[:len(path):len(path)], strconv.Itoa(i)), depth+1)
			}
		}
	}
	walk(pillar, nil, 0)
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i]) != len(out[j]) {
			return len(out[i]) > len(out[j])
		}
		return out[i] < out[j]
	})
	return out
}

// Scrub returns a deep copy of v in which every occurrence of a secret
// inside a string (map keys and struct fields included) is replaced by
// Redacted. Where secrets overlap, the longest one starting first wins.
// v is never modified; unexported struct fields are copied as they are.
func Scrub(v any, secrets []string) any {
	var pairs []string
	sorted := append([]string(nil), secrets...)
	sort.SliceStable(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, s := range sorted {
		if s != "" {
			pairs = append(pairs, s, Redacted)
		}
	}
	c := &copier{}
	if len(pairs) > 0 {
		rep := strings.NewReplacer(pairs...)
		c.str = rep.Replace
	}
	return c.any(v)
}

// maxWalkDepth bounds recursion in deep copies; deeper values are dropped
// (nil), which for redaction errs on the side of hiding.
const maxWalkDepth = 256

// copier deep-copies a value, passing strings through str and replacing
// the values of keys redact says are secret. Pointers and maps reached
// twice are copied once, so shared and cyclic structures keep their shape.
type copier struct {
	str    func(string) string
	redact func(key string, path []string) bool
	path   []string
	seen   map[uintptr]reflect.Value
	depth  int
}

func (c *copier) s(s string) string {
	if c.str == nil {
		return s
	}
	return c.str(s)
}

// any is the fast path for the plain data pillar and job returns are
// made of; everything else goes through reflection.
func (c *copier) any(v any) any {
	if c.depth > maxWalkDepth {
		return nil
	}
	switch t := v.(type) {
	case nil, bool, int, int64, uint64, float64:
		return v
	case string:
		return c.s(t)
	case []any:
		if t == nil {
			return t
		}
		out := make([]any, len(t))
		c.depth++
		for i, x := range t {
			c.push(strconv.Itoa(i))
			out[i] = c.any(x)
			c.pop()
		}
		c.depth--
		return out
	case map[string]any:
		if t == nil {
			return t
		}
		if prev, ok := c.seenMap(reflect.ValueOf(t)); ok {
			return prev.Interface()
		}
		out := make(map[string]any, len(t))
		c.remember(reflect.ValueOf(t), reflect.ValueOf(out))
		c.depth++
		for k, x := range t {
			c.push(k)
			var nv any
			if c.redact != nil && c.redact(k, c.path) {
				nv = Redacted
			} else {
				nv = c.any(x)
			}
			c.pop()
			c.setKey(out, c.s(k), nv)
		}
		c.depth--
		return out
	}
	rv := reflect.ValueOf(v)
	return c.value(rv).Interface()
}

// setKey stores v under k, renaming on a collision that scrubbing a key
// caused ("a<redacted>" from two different secrets) instead of losing it.
func (c *copier) setKey(m map[string]any, k string, v any) {
	if _, dup := m[k]; !dup {
		m[k] = v
		return
	}
	for i := 2; ; i++ {
		nk := fmt.Sprintf("%s (%d)", k, i)
		if _, dup := m[nk]; !dup {
			m[nk] = v
			return
		}
	}
}

func (c *copier) push(k string) { c.path = append(c.path, k) }
func (c *copier) pop()          { c.path = c.path[:len(c.path)-1] }

func (c *copier) seenMap(v reflect.Value) (reflect.Value, bool) {
	if c.seen == nil {
		return reflect.Value{}, false
	}
	p, ok := c.seen[v.Pointer()]
	return p, ok
}

func (c *copier) remember(orig, cp reflect.Value) {
	if c.seen == nil {
		c.seen = map[uintptr]reflect.Value{}
	}
	c.seen[orig.Pointer()] = cp
}

// value copies any reflect.Value; the result has v's type.
func (c *copier) value(v reflect.Value) reflect.Value {
	if !v.IsValid() {
		return v
	}
	t := v.Type()
	if c.depth > maxWalkDepth {
		return reflect.Zero(t)
	}
	c.depth++
	defer func() { c.depth-- }()
	switch v.Kind() {
	case reflect.String:
		return reflect.ValueOf(c.s(v.String())).Convert(t)
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		out := reflect.New(t).Elem()
		inner := c.any(v.Elem().Interface())
		if inner == nil {
			return out
		}
		out.Set(reflect.ValueOf(inner))
		return out
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		if p, ok := c.seen[v.Pointer()]; ok {
			return p
		}
		out := reflect.New(t.Elem())
		c.remember(v, out)
		out.Elem().Set(c.value(v.Elem()))
		return out
	case reflect.Slice:
		if v.IsNil() {
			return v
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return reflect.ValueOf([]byte(c.s(string(v.Bytes())))).Convert(t)
		}
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			c.push(strconv.Itoa(i))
			out.Index(i).Set(c.value(v.Index(i)))
			c.pop()
		}
		return out
	case reflect.Array:
		out := reflect.New(t).Elem()
		for i := 0; i < v.Len(); i++ {
			c.push(strconv.Itoa(i))
			out.Index(i).Set(c.value(v.Index(i)))
			c.pop()
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		if p, ok := c.seen[v.Pointer()]; ok {
			return p
		}
		out := reflect.MakeMapWithSize(t, v.Len())
		c.remember(v, out)
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			name := fmt.Sprint(k.Interface())
			c.push(name)
			var nv reflect.Value
			if c.redact != nil && c.redact(name, c.path) {
				nv = redactedValue(t.Elem())
			} else {
				nv = c.value(iter.Value())
			}
			c.pop()
			nk := c.value(k)
			if nk.Kind() == reflect.String || (nk.Kind() == reflect.Interface && !nk.IsNil() && nk.Elem().Kind() == reflect.String) {
				for i := 2; out.MapIndex(nk).IsValid(); i++ {
					nk = reflect.ValueOf(fmt.Sprintf("%s (%d)", c.s(name), i)).Convert(t.Key())
				}
			}
			out.SetMapIndex(nk, nv)
		}
		return out
	case reflect.Struct:
		out := reflect.New(t).Elem()
		out.Set(v)
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			c.push(f.Name)
			if c.redact != nil && c.redact(f.Name, c.path) {
				out.Field(i).Set(redactedValue(f.Type))
			} else {
				out.Field(i).Set(c.value(v.Field(i)))
			}
			c.pop()
		}
		return out
	}
	return v
}

// redactedValue is Redacted as a value of type t, or t's zero value when
// t cannot hold a string.
func redactedValue(t reflect.Type) reflect.Value {
	switch t.Kind() {
	case reflect.String:
		return reflect.ValueOf(Redacted).Convert(t)
	case reflect.Interface:
		if reflect.TypeOf(Redacted).Implements(t) {
			out := reflect.New(t).Elem()
			out.Set(reflect.ValueOf(Redacted))
			return out
		}
	}
	return reflect.Zero(t)
}
