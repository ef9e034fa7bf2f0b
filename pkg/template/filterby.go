package template

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// FilterBy is the logic of Salt's grains.filter_by (and pillar.filter_by)
// on plain Go values, for the module that registers those functions.
//
// grainValue is the value of the grain being matched (already looked up,
// e.g. with Traverse(grains, "os_family", ":", nil)); a list matches item by
// item. Keys of lookup are fnmatch patterns: an exact key wins, then
// patterns in sorted order (Salt uses dict order, which a Go map does not
// have). When nothing matches, lookup[defaultKey] is used ("" means
// "default"). With base, lookup[base] is deep-merged under the result; with
// merge (typically a pillar override), merge is deep-merged over it. The
// result is a fresh copy: lookup and merge are never modified. A result of
// nil means nothing matched and there is no default.
func FilterBy(lookup map[string]any, grainValue any, merge map[string]any, defaultKey, base string) (any, error) {
	if defaultKey == "" {
		defaultKey = "default"
	}
	var values []any
	switch v := grainValue.(type) {
	case nil:
	case []any:
		values = v
	case []string:
		for _, s := range v {
			values = append(values, s)
		}
	default:
		values = []any{v}
	}
	var ret any
	found := false
	for _, val := range values {
		s := goStr(val)
		if v, ok := lookup[s]; ok {
			ret, found = v, true
			break
		}
		for _, k := range sortedMapKeys(lookup) {
			if fnmatch(k, s) {
				ret, found = lookup[k], true
				break
			}
		}
		if found {
			break
		}
	}
	if !found || ret == nil {
		ret = lookup[defaultKey]
	}
	ret = deepCopyGo(ret)
	if base != "" {
		if bv, ok := lookup[base]; ok {
			switch {
			case ret == nil:
				ret = deepCopyGo(bv)
			default:
				if bm, ok := bv.(map[string]any); ok {
					rm, ok := ret.(map[string]any)
					if !ok {
						return nil, errors.New("filter_by default and look-up values must both be dictionaries")
					}
					merged := deepCopyGo(bm).(map[string]any)
					mergeGo(merged, rm)
					ret = merged
				}
			}
		}
	}
	if merge != nil {
		if ret == nil {
			return deepCopyGo(merge), nil
		}
		rm, ok := ret.(map[string]any)
		if !ok {
			return nil, errors.New("filter_by merge needs the looked-up value to be a dictionary")
		}
		mergeGo(rm, deepCopyGo(merge).(map[string]any))
	}
	return ret, nil
}

// Traverse is Salt's traverse_dict_and_list on plain Go values: it walks
// key ("a:b:0") through maps and lists and returns def when any step is
// missing. pillar.get and grains.get are this.
func Traverse(data any, key, delimiter string, def any) any {
	if v, ok := Lookup(data, key, delimiter); ok {
		return v
	}
	return def
}

// Lookup walks key ("a:b:0", delimiter ":" when empty) through nested
// maps and lists and reports whether every step was found. In a list a
// numeric step is an index (negative counts from the end, as in Python),
// and any other step names a key of the first dict in the list that has
// it. This is the one implementation of Salt's traverse_dict_and_list in
// Halite: grains.get, pillar.get and templates use it.
func Lookup(data any, key, delimiter string) (any, bool) {
	if delimiter == "" {
		delimiter = ":"
	}
	ptr := data
	for _, part := range strings.Split(key, delimiter) {
		switch p := ptr.(type) {
		case map[string]any:
			v, ok := p[part]
			if !ok {
				return nil, false
			}
			ptr = v
		case []any:
			idx, err := strconv.Atoi(part)
			if err != nil {
				v, ok := keyInList(p, part)
				if !ok {
					return nil, false
				}
				ptr = v
				continue
			}
			if idx < 0 {
				idx += len(p)
			}
			if idx < 0 || idx >= len(p) {
				return nil, false
			}
			ptr = p[idx]
		case []string:
			idx, err := strconv.Atoi(part)
			if err != nil {
				return nil, false
			}
			if idx < 0 {
				idx += len(p)
			}
			if idx < 0 || idx >= len(p) {
				return nil, false
			}
			ptr = p[idx]
		default:
			return nil, false
		}
	}
	return ptr, true
}

// keyInList finds key in the first dict of list that has it.
func keyInList(list []any, key string) (any, bool) {
	for _, it := range list {
		if m, ok := it.(map[string]any); ok {
			if v, ok := m[key]; ok {
				return v, true
			}
		}
	}
	return nil, false
}

func goStr(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	}
	return fmt.Sprint(v)
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mergeGo deep-merges src into dst: nested maps merge, anything else from
// src replaces (salt.utils.dictupdate.update).
func mergeGo(dst, src map[string]any) {
	for k, sv := range src {
		if sm, ok := sv.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeGo(dm, sm)
				continue
			}
		}
		dst[k] = sv
	}
}

func deepCopyGo(v any) any {
	switch x := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, vv := range x {
			c[k] = deepCopyGo(vv)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, vv := range x {
			c[i] = deepCopyGo(vv)
		}
		return c
	}
	return v
}

// fnmatch is Python's fnmatch.fnmatchcase: *, ?, [seq], [!seq], where *
// also matches '/'.
func fnmatch(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?[") {
		return pattern == s
	}
	re, err := regexp.Compile(globToRegexp(pattern))
	if err != nil {
		return false
	}
	return re.MatchString(s)
}

func globToRegexp(p string) string {
	var b strings.Builder
	b.WriteString(`\A(?s:`)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := i + 1
			if j < len(p) && p[j] == '!' {
				j++
			}
			if j < len(p) && p[j] == ']' {
				j++
			}
			for j < len(p) && p[j] != ']' {
				j++
			}
			if j >= len(p) {
				b.WriteString(`\[`)
				continue
			}
			set := p[i+1 : j]
			i = j
			set = strings.ReplaceAll(set, `\`, `\\`)
			if strings.HasPrefix(set, "!") {
				set = "^" + set[1:]
			} else if strings.HasPrefix(set, "^") {
				set = `\` + set
			}
			b.WriteString("[" + set + "]")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`)\z`)
	return b.String()
}
