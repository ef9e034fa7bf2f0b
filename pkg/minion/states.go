package minion

import (
	"context"
	"errors"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/targeting"
	"github.com/halite/halite/pkg/template"
)

// The state.* execution functions build a Compiler per run from the
// environment they run in: with a master (Env.StateFiles set) SLS files
// and templates come from its file server; masterless (`call --local`)
// from the minion's own file_roots. Which execution and state modules
// exist is the binary's choice (cmd/minion imports the module sets).
func init() { state.RegisterFunctions(newStateCompiler) }

func newStateCompiler(env *modules.Env) (*state.Compiler, error) {
	// Never render states with a pillar that failed to compile: an empty
	// pillar could make them remove things.
	if env.PillarError != nil {
		if err := env.PillarError(); err != nil {
			return nil, err
		}
	}
	var (
		src    state.Source
		loader template.Loader
	)
	if sf := env.StateFiles; sf != nil {
		src, loader = sf, sf
	} else {
		roots := localRoots(env.Opts, "file_roots")
		if len(roots) == 0 {
			return nil, errors.New("no file_roots configured for a masterless state run")
		}
		src, loader = state.DirSource(roots[0]), template.DirLoader(roots...)
	}
	eng := template.New(loader, TemplateFuncs(env))
	return &state.Compiler{
		Source: src,
		Render: eng,
		Vars: func(string) map[string]any {
			return map[string]any{"grains": env.Grains(), "pillar": env.Pillar(), "opts": env.Opts, "saltenv": state.DefaultSaltenv}
		},
		Matcher: func(tgt, typ string) bool {
			t, err := targeting.ParseType(typ)
			if err != nil {
				return false
			}
			m, err := targeting.Compile(t, tgt, targeting.Options{})
			if err != nil {
				return false
			}
			return m.Match(&targeting.Minion{ID: env.ID, Grains: env.Grains(), Pillar: env.Pillar()})
		},
	}, nil
}

// localRoots reads base roots of file_roots or pillar_roots from opts.
func localRoots(opts map[string]any, key string) []string {
	roots, _ := opts[key].(map[string]any)
	base, _ := roots["base"].([]any)
	out := make([]string, 0, len(base))
	for _, r := range base {
		if s, ok := r.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// TemplateFuncs exposes every registered execution function to templates
// as salt['mod.fun'](...), with the function's errors propagated.
func TemplateFuncs(env *modules.Env) map[string]template.Func {
	names := modules.Names()
	out := make(map[string]template.Func, len(names))
	for _, name := range names {
		e, _ := modules.Lookup(name)
		out[name] = func(ctx context.Context, args []any, kwargs map[string]any) (any, error) {
			if kwargs == nil {
				kwargs = map[string]any{}
			}
			return e.Func(ctx, &modules.Call{Fun: name, Args: args, Kwargs: kwargs, Env: env})
		}
	}
	return out
}

// remoteSource reads SLS files from the master's file server.
func remoteSource(files *fileClient) state.Source { return state.FileSource(files.read) }
