package pillar

import "reflect"

// Merge deep-merges src over dst the way Salt merges pillar SLS files
// (pillar_source_merging_strategy "smart" for YAML, which is "recurse"):
// mappings merge key by key, recursively; any other value from src
// replaces dst's, a null included. Lists replace too, unless mergeLists
// (Salt's pillar_merge_lists): then src's items are appended to dst's,
// skipping those dst already has.
//
// The result is a new map; neither argument is modified or shared with
// it.
func Merge(dst, src map[string]any, mergeLists bool) map[string]any {
	out, _ := deepCopy(dst).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	mergeInto(out, deepCopy(src).(map[string]any), mergeLists)
	return out
}

// mergeInto merges src into dst in place. dst must own its nested maps
// and lists; src's are moved into dst, so src must not be used after.
func mergeInto(dst, src map[string]any, mergeLists bool) {
	for k, sv := range src {
		dv, exists := dst[k]
		if !exists {
			dst[k] = sv
			continue
		}
		switch s := sv.(type) {
		case map[string]any:
			if d, ok := dv.(map[string]any); ok {
				mergeInto(d, s, mergeLists)
				continue
			}
		case []any:
			if d, ok := dv.([]any); ok && mergeLists {
				dst[k] = appendNew(d, s)
				continue
			}
		}
		dst[k] = sv
	}
}

// appendNew returns dst followed by the items of src that dst lacks.
func appendNew(dst, src []any) []any {
	out := make([]any, len(dst), len(dst)+len(src))
	copy(out, dst)
	for _, s := range src {
		found := false
		for _, d := range out {
			if reflect.DeepEqual(d, s) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, s)
		}
	}
	return out
}

// deepCopy copies the plain data pillar is made of (maps with string keys,
// lists, scalars). Other values are shared, not copied: pillar never holds
// them.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if t == nil {
			return map[string]any(nil)
		}
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		if t == nil {
			return []any(nil)
		}
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	case []string:
		return append([]string(nil), t...)
	case map[string]string:
		out := make(map[string]string, len(t))
		for k, x := range t {
			out[k] = x
		}
		return out
	}
	return v
}
