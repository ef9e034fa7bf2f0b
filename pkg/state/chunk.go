package state

import "fmt"

// Chunk is one "low chunk": a single call of a state function, compiled
// from one module of one ID declaration and one of its names. A run is a
// slice of chunks in execution order before requisites (Salt's low state).
type Chunk struct {
	State string // state module: "file"
	Fun   string // function: "managed"
	ID    string
	Name  string
	SLS   string
	Env   string
	// IncludedFrom lists the SLS files that included SLS.
	IncludedFrom []string
	// Order is the resolved sort key (auto order, `order:`, names).
	Order float64
	// Failhard stops the whole run when this state fails.
	Failhard bool
	// Parallel runs the state alongside the states after it (Salt's
	// parallel: True); those that require it wait for it. Dry runs stay
	// sequential: their predictions build on each other.
	Parallel bool
	// Args are the arguments for the state function: everything but name,
	// names, requisites, order and failhard.
	Args       map[string]any
	Requisites []Requisite

	orderRaw  any
	nameOrder int
}

// Requisite is one reference from a state to the states it depends on.
type Requisite struct {
	// Type is require, require_any, watch, watch_any, onchanges,
	// onchanges_any, onfail, onfail_any, onfail_all, prereq or listen.
	Type string
	// Key is a state module ("file"), "id" for a bare reference, or "sls".
	Key string
	// Value is an ID or a name (for a module or "id" key) or an SLS name;
	// it may be a glob pattern.
	Value string
}

// Tag is the key of the chunk's result, Salt's `mod_|-ID_|-name_|-fun`.
func (c *Chunk) Tag() string {
	return c.State + "_|-" + c.ID + "_|-" + c.Name + "_|-" + c.Fun
}

// FullName is the dotted state function name: "file.managed".
func (c *Chunk) FullName() string { return c.State + "." + c.Fun }

func (c *Chunk) label() string { return c.State + c.Name + c.Fun }

// Low returns the chunk in Salt's flat low-data shape, as
// state.show_lowstate prints it.
func (c *Chunk) Low() map[string]any {
	out := make(map[string]any, len(c.Args)+10)
	for k, v := range c.Args {
		out[k] = deepCopy(v)
	}
	out["state"] = c.State
	out["fun"] = c.Fun
	out["__id__"] = c.ID
	out["name"] = c.Name
	out["__sls__"] = c.SLS
	out["__env__"] = c.Env
	out["order"] = c.Order
	if len(c.IncludedFrom) > 0 {
		inc := make([]any, len(c.IncludedFrom))
		for i, s := range c.IncludedFrom {
			inc[i] = s
		}
		out["__sls_included_from__"] = inc
	}
	if c.Failhard {
		out["failhard"] = true
	}
	for _, r := range c.Requisites {
		var ref any = map[string]any{r.Key: r.Value}
		if r.Key == "id" {
			ref = r.Value
		}
		list, _ := out[r.Type].([]any)
		out[r.Type] = append(list, ref)
	}
	return out
}

// describe names a chunk for messages the way Salt's cycle report does.
func (c *Chunk) describe() string {
	if c.ID != c.Name {
		return fmt.Sprintf("{'SLS': '%s', 'ID': '%s', 'NAME': '%s'}", c.SLS, c.ID, c.Name)
	}
	return fmt.Sprintf("{'SLS': '%s', 'ID': '%s'}", c.SLS, c.ID)
}
