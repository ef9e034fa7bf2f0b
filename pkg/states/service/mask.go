package service

import (
	"context"
	"fmt"

	modsvc "github.com/halite/halite/pkg/modules/service"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "service.masked", Func: masked, Doc: `Ensure a systemd unit is masked: nothing can start it.

Arguments: runtime (True: mask until the next boot only, in
/run/systemd/system). The unit is not stopped.`})
	state.Register(state.Def{Name: "service.unmasked", Func: unmasked, Doc: `Ensure a systemd unit is not masked.

Arguments: runtime (True: remove the runtime mask).`})
}

func masked(ctx context.Context, req *state.Request) state.Result   { return mask(ctx, req, true) }
func unmasked(ctx context.Context, req *state.Request) state.Result { return mask(ctx, req, false) }

func mask(ctx context.Context, req *state.Request, want bool) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	runtime := a.Bool("runtime", false)
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	name, word, past := req.Name, "unmasked", "Unmasked"
	if want {
		word, past = "masked", "Masked"
	}
	if runtime {
		word = "runtime " + word
	}
	m := modsvc.Masks{}
	is, err := m.Masked(name, runtime)
	if err != nil {
		return fail("%v", err)
	}
	if is == want {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Service %s is already %s", name, word)}
	}
	changes := map[string]any{name: past}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Service %s will be %s", name, word)}
	}
	do := m.Unmask
	if want {
		do = m.Mask
	}
	if err := do(ctx, name, runtime); err != nil {
		return fail("Failed to %s service %s: %v", map[bool]string{true: "mask", false: "unmask"}[want], name, err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Service %s was %s", name, word)}
}
