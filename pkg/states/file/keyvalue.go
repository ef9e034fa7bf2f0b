package file

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

const keyvalueDoc = `Set "key = value" lines in an existing file (sshd_config, sysctl.conf,
/etc/default/*).

Arguments: key_values (a mapping), or key and value; separator (default
"="; written as given, so " = " keeps the spaces), uncomment (a comment
prefix such as "#": a commented-out key is uncommented and set),
append_if_not_found / prepend_if_not_found (add missing keys), count
(how many occurrences of a key to set; default 1, -1 for all),
key_ignore_case, value_ignore_case, create_if_missing, ignore_if_missing,
search_only (report, never write), show_changes.`

// KeyValueSpec is a file.keyvalue edit.
type KeyValueSpec struct {
	Values             map[string]string
	Separator          string
	Uncomment          string
	Append, Prepend    bool
	Count              int // -1: all occurrences
	KeyFold, ValueFold bool
}

// KeyValue applies s to text and returns the new text and the number of
// lines changed or added.
func KeyValue(text string, s KeyValueSpec) (string, int) {
	sep := s.Separator
	if sep == "" {
		sep = "="
	}
	lines, nl := splitKeep([]byte(text))
	if len(lines) == 0 {
		nl = true
	}
	eq := func(a, b string, fold bool) bool {
		if fold {
			return strings.EqualFold(a, b)
		}
		return a == b
	}
	seen := map[string]int{}
	changed := 0
	// Live lines first; a commented-out key (with uncomment) only when
	// the key has no live line.
	for pass := 0; pass < 2; pass++ {
		for i, l := range lines {
			candidate, commented := l, false
			if s.Uncomment != "" {
				if rest, ok := strings.CutPrefix(strings.TrimLeft(l, " \t"), s.Uncomment); ok {
					candidate, commented = rest, true
				}
			}
			if commented != (pass == 1) {
				continue
			}
			left, right, ok := strings.Cut(candidate, strings.TrimSpace(sep))
			if strings.TrimSpace(sep) == "" {
				left, right, ok = strings.Cut(strings.TrimSpace(candidate), " ")
			}
			if !ok {
				continue
			}
			lk := strings.TrimSpace(left)
			for key, val := range s.Values {
				if !eq(lk, key, s.KeyFold) || (commented && seen[key] > 0) {
					continue
				}
				if s.Count >= 0 && seen[key] >= max(s.Count, 1) {
					break
				}
				seen[key]++
				if !commented && eq(strings.TrimSpace(right), val, s.ValueFold) {
					break
				}
				lines[i] = key + sep + val
				changed++
				break
			}
		}
	}
	var missing []string
	for key := range s.Values {
		if seen[key] == 0 {
			missing = append(missing, key)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 && (s.Append || s.Prepend) {
		add := make([]string, 0, len(missing))
		for _, k := range missing {
			add = append(add, k+sep+s.Values[k])
		}
		if s.Prepend {
			lines = append(add, lines...)
		} else {
			lines = append(lines, add...)
		}
		changed += len(add)
	}
	return string(joinLines(lines, nl)), changed
}

func keyvalue(ctx context.Context, req *state.Request) state.Result {
	name := req.Name
	a := args.Lenient(req.Args, req.Warn)
	kv, hasKV := a.Map("key_values")
	key, hasKey := a.OptString("key")
	valRaw, hasVal := a.Raw("value")
	s := KeyValueSpec{
		Separator: a.String("separator", "="),
		Uncomment: a.String("uncomment", ""),
		Append:    a.Bool("append_if_not_found", false),
		Prepend:   a.Bool("prepend_if_not_found", false),
		Count:     a.Int("count", 1),
		KeyFold:   a.Bool("key_ignore_case", false),
		ValueFold: a.Bool("value_ignore_case", false),
	}
	searchOnly := a.Bool("search_only", false)
	show := a.Bool("show_changes", true)
	ignoreMissing := a.Bool("ignore_if_missing", false)
	create := a.Bool("create_if_missing", false)
	switch {
	case hasKV && hasKey:
		a.Fail("key_values", "give key_values or key and value, not both")
	case hasKey && !hasVal:
		a.Fail("value", "required with key")
	case !hasKV && !hasKey:
		a.Fail("key_values", "required (or key and value)")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(name); err != nil {
		return fail("%v", err)
	}
	s.Values = map[string]string{}
	for k, v := range kv {
		s.Values[k], _ = args.Scalar(v)
	}
	if hasKey {
		s.Values[key], _ = args.Scalar(valRaw)
	}
	ed, res := openEdit(req, name)
	if res != nil {
		return *res
	}
	if !ed.cur.exists() {
		switch {
		case ignoreMissing:
			return ok(fmt.Sprintf("File %s does not exist; ignored", name), nil)
		case !create:
			return missingFile(req, ed, name, fmt.Sprintf("%s: file not found", name))
		}
		var err error
		if ed.made, ed.note, err = ensureParent(req, ed.path, false, 0); err != nil {
			return fail("%v", err)
		}
		s.Append = s.Append || !s.Prepend
	}
	newText, n := KeyValue(string(ed.old), s)
	if searchOnly {
		if n == 0 {
			return ok("Key-values are in the correct state", nil)
		}
		return state.Result{Result: state.False(), Comment: fmt.Sprintf("%d lines would be changed (search_only)", n)}
	}
	ed.new, ed.show = []byte(newText), show
	ed.changed = fmt.Sprintf("Changed %d lines", n)
	ed.test = fmt.Sprintf("File %s would be updated (%d lines)", name, n)
	ed.clean = "No changes needed to be made"
	return ed.result(req)
}
