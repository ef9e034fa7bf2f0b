package grains

import (
	"context"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"

	hgrains "github.com/halite/halite/pkg/grains"
	"github.com/halite/halite/pkg/modules"
)

func testEnv() *modules.Env {
	g := map[string]any{
		"os": "Debian", "os_family": "Debian", "num_cpus": 2,
		"ip4_interfaces": map[string]any{"eth0": []any{"10.0.0.5", "10.0.0.6"}, "lo": []any{"127.0.0.1"}},
		"roles":          []any{"web", "db"},
		"empty":          []any{},
		"zero":           0,
	}
	return &modules.Env{ID: "m1", Grains: func() map[string]any { return g }}
}

func TestGrainsFunctions(t *testing.T) {
	tests := []struct {
		name   string
		fun    string
		args   []any
		kwargs map[string]any
		want   any
	}{
		{"get", "grains.get", []any{"os"}, nil, "Debian"},
		{"get nested", "grains.get", []any{"ip4_interfaces:eth0:1"}, nil, "10.0.0.6"},
		{"get missing is empty string", "grains.get", []any{"nope"}, nil, ""},
		{"get default positional", "grains.get", []any{"nope", "fallback"}, nil, "fallback"},
		{"get default keyword", "grains.get", []any{"nope"}, map[string]any{"default": 0}, 0},
		{"get delimiter", "grains.get", []any{"ip4_interfaces,lo,0"}, map[string]any{"delimiter": ","}, "127.0.0.1"},
		{"item", "grains.item", []any{"os", "num_cpus", "ip4_interfaces:lo", "nope"}, nil,
			map[string]any{"os": "Debian", "num_cpus": 2, "ip4_interfaces:lo": []any{"127.0.0.1"}, "nope": ""}},
		{"item default", "grains.item", []any{"nope"}, map[string]any{"default": "x"}, map[string]any{"nope": "x"}},
		{"item none", "grains.item", nil, nil, map[string]any{}},
		{"ls", "grains.ls", nil, nil, []string{"empty", "ip4_interfaces", "num_cpus", "os", "os_family", "roles", "zero"}},
		{"has_value list", "grains.has_value", []any{"roles"}, nil, true},
		{"has_value empty list", "grains.has_value", []any{"empty"}, nil, false},
		{"has_value zero", "grains.has_value", []any{"zero"}, nil, false},
		{"has_value nested", "grains.has_value", []any{"ip4_interfaces:eth0"}, nil, true},
		{"has_value missing", "grains.has_value", []any{"nope"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := modules.Run(context.Background(), testEnv(), tt.fun, tt.args, tt.kwargs)
			if !res.Success || !reflect.DeepEqual(res.Return, tt.want) {
				t.Errorf("got %#v (success %v), want %#v", res.Return, res.Success, tt.want)
			}
		})
	}
	res := modules.Run(context.Background(), testEnv(), "grains.items", nil, nil)
	if got := res.Return.(map[string]any); got["os"] != "Debian" || len(got) != 7 {
		t.Errorf("grains.items = %v", got)
	}
}

func TestGrainsErrors(t *testing.T) {
	tests := []struct {
		env  *modules.Env
		fun  string
		args []any
		want string
	}{
		{nil, "grains.items", nil, "grains.items: " + ErrNoGrains.Error()},
		{&modules.Env{}, "grains.get", []any{"os"}, "grains.get: " + ErrNoGrains.Error()},
		{testEnv(), "grains.get", nil, "grains.get: argument 'key': missing required argument"},
		{testEnv(), "grains.ls", []any{"x"}, "grains.ls: takes at most 0 positional arguments (1 given)"},
		{testEnv(), "grains.refresh", nil, "grains.refresh: this minion cannot refresh grains here"},
	}
	for _, tt := range tests {
		res := modules.Run(context.Background(), tt.env, tt.fun, tt.args, nil)
		if res.Success || res.Return != tt.want {
			t.Errorf("%s = %+v, want %q", tt.fun, res, tt.want)
		}
	}
}

func TestRefresh(t *testing.T) {
	var calls atomic.Int32
	env := testEnv()
	env.RefreshGrains = func(ctx context.Context) (map[string]any, error) {
		calls.Add(1)
		return hgrains.Collect(ctx, "m1", nil)
	}
	res := modules.Run(context.Background(), env, "grains.refresh", nil, nil)
	if res.Return != true || calls.Load() != 1 {
		t.Errorf("refresh = %+v after %d calls", res, calls.Load())
	}
	env.RefreshGrains = func(context.Context) (map[string]any, error) { return nil, errors.New("master unreachable") }
	res = modules.Run(context.Background(), env, "grains.refresh", nil, nil)
	if res.Success || res.Return != "grains.refresh: master unreachable" {
		t.Errorf("failed refresh = %+v", res)
	}
}
