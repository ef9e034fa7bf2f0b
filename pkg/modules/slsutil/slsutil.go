// Package slsutil provides Salt's slsutil.* helpers that formulas call from
// their map.jinja: merging mappings and (de)serializing data.
package slsutil

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/pillar"
	"github.com/halite/halite/pkg/value"
	"github.com/halite/halite/pkg/yamlvalue"
)

func init() {
	modules.Register("slsutil.merge", `Merge OBJ_B into OBJ_A and return the result. strategy is smart or
recurse (deep merge, the default), overwrite (deep, values of OBJ_B win) or
none (top-level keys only); merge_lists=True appends lists.

CLI Example:

    halite-master run '*' slsutil.merge '{a: {b: 1}}' '{a: {c: 2}}'
`, merge)
	modules.Register("slsutil.merge_all", `Merge every mapping of the list LST, in order, and return the result
(strategy and merge_lists as for slsutil.merge).

CLI Example:

    halite-master run '*' slsutil.merge_all '[{a: 1}, {b: 2}]'
`, mergeAll)
	modules.Register("slsutil.update", `Update the mapping DEST with UPD in place (recursively unless
recursive_update=False) and return it.

CLI Example:

    halite-master run '*' slsutil.update '{a: {b: 1}}' '{a: {c: 2}}'
`, update)
	modules.Register("slsutil.serialize", `Serialize OBJ with SERIALIZER (json or yaml).

CLI Example:

    halite-master run '*' slsutil.serialize json '{a: 1}'
`, serialize)
	modules.Register("slsutil.deserialize", `Deserialize the text STREAM_OR_STRING with SERIALIZER (json or yaml).

CLI Example:

    halite-master run '*' slsutil.deserialize json '{"a": 1}'
`, deserialize)
}

func mergeTwo(a, b map[string]any, strategy string, lists bool) (map[string]any, error) {
	switch strategy {
	case "", "smart", "recurse", "overwrite", "aggregate":
		return pillar.Merge(a, b, lists), nil
	case "none":
		out := make(map[string]any, len(a)+len(b))
		for k, v := range a {
			out[k] = v
		}
		for k, v := range b {
			out[k] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown merge strategy %q (smart, recurse, overwrite, none)", strategy)
}

func merge(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "obj_a", "obj_b", "strategy", "renderer", "merge_lists"); err != nil {
		return nil, err
	}
	a, err := c.OptMap(0, "obj_a")
	if err != nil {
		return nil, err
	}
	b, err := c.OptMap(1, "obj_b")
	if err != nil {
		return nil, err
	}
	strategy, err := c.OptString(2, "strategy", "smart")
	if err != nil {
		return nil, err
	}
	lists, err := c.OptBool(-1, "merge_lists", false)
	if err != nil {
		return nil, err
	}
	return mergeTwo(a, b, strategy, lists)
}

func mergeAll(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "lst", "strategy", "merge_lists"); err != nil {
		return nil, err
	}
	v, _, err := c.Value(0, "lst")
	if err != nil {
		return nil, err
	}
	list, _ := v.([]any)
	strategy, err := c.OptString(1, "strategy", "smart")
	if err != nil {
		return nil, err
	}
	lists, err := c.OptBool(-1, "merge_lists", false)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for i, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			if e == nil {
				continue
			}
			return nil, fmt.Errorf("lst item %d is not a mapping", i)
		}
		if out, err = mergeTwo(out, m, strategy, lists); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func update(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "dest", "upd", "recursive_update", "merge_lists"); err != nil {
		return nil, err
	}
	dst, err := c.OptMap(0, "dest")
	if err != nil {
		return nil, err
	}
	upd, err := c.OptMap(1, "upd")
	if err != nil {
		return nil, err
	}
	if dst == nil {
		dst = map[string]any{}
	}
	recursive, err := c.OptBool(-1, "recursive_update", true)
	if err != nil {
		return nil, err
	}
	lists, err := c.OptBool(-1, "merge_lists", false)
	if err != nil {
		return nil, err
	}
	strategy := "recurse"
	if !recursive {
		strategy = "none"
	}
	merged, err := mergeTwo(dst, upd, strategy, lists)
	if err != nil {
		return nil, err
	}
	// In place: the template copies dst's new contents back.
	for k := range dst {
		delete(dst, k)
	}
	for k, v := range merged {
		dst[k] = v
	}
	return dst, nil
}

func serialize(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "serializer", "obj"); err != nil {
		return nil, err
	}
	ser, err := c.String(0, "serializer")
	if err != nil {
		return nil, err
	}
	v, _, err := c.Value(1, "obj")
	if err != nil {
		return nil, err
	}
	switch ser {
	case "json":
		b, err := json.Marshal(v)
		return string(b), err
	case "yaml":
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
		return buf.String(), enc.Close()
	}
	return nil, fmt.Errorf("unknown serializer %q (json, yaml)", ser)
}

func deserialize(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "serializer", "stream_or_string"); err != nil {
		return nil, err
	}
	ser, err := c.String(0, "serializer")
	if err != nil {
		return nil, err
	}
	text, err := c.String(1, "stream_or_string")
	if err != nil {
		return nil, err
	}
	switch ser {
	case "json":
		var v any
		dec := json.NewDecoder(bytes.NewReader([]byte(text)))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		return value.Numbers(v), nil
	case "yaml":
		root, err := yamlvalue.Parse([]byte(text))
		if err != nil || root == nil {
			return nil, err
		}
		return yamlvalue.NewConverter().Value(root)
	}
	return nil, fmt.Errorf("unknown serializer %q (json, yaml)", ser)
}
