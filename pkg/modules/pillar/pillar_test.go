package pillar

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/halite/halite/pkg/modules"
)

func testPillar() map[string]any {
	return map[string]any{
		"mysql": map[string]any{
			"server": map[string]any{"port": 3306, "bind": "127.0.0.1"},
			"users":  []any{map[string]any{"name": "app"}, map[string]any{"name": "ro"}},
		},
		"pkgs": []any{"vim", "curl"},
		"role": "web",
		"nil":  nil,
	}
}

func testEnv() *modules.Env {
	p := testPillar()
	return &modules.Env{ID: "m1", Pillar: func() map[string]any { return p }}
}

func TestPillarFunctions(t *testing.T) {
	tests := []struct {
		name   string
		fun    string
		args   []any
		kwargs map[string]any
		want   any
	}{
		{"items", "pillar.items", nil, nil, testPillar()},
		{"get", "pillar.get", []any{"role"}, nil, "web"},
		{"get nested", "pillar.get", []any{"mysql:server:port"}, nil, 3306},
		{"get list index", "pillar.get", []any{"mysql:users:1:name"}, nil, "ro"},
		{"get missing is empty string", "pillar.get", []any{"nope"}, nil, ""},
		{"get null value", "pillar.get", []any{"nil", "d"}, nil, nil},
		{"get default positional", "pillar.get", []any{"nope:x", 42}, nil, 42},
		{"get default keyword", "pillar.get", []any{"nope"}, map[string]any{"default": false}, false},
		{"get delimiter", "pillar.get", []any{"mysql,server,bind"}, map[string]any{"delimiter": ","}, "127.0.0.1"},
		{"get merge mapping", "pillar.get", []any{"mysql:server", map[string]any{"port": 1, "ssl": true}}, map[string]any{"merge": true},
			map[string]any{"port": 3306, "bind": "127.0.0.1", "ssl": true}},
		{"get merge missing key", "pillar.get", []any{"nope", map[string]any{"a": 1}}, map[string]any{"merge": "yes"}, map[string]any{"a": 1}},
		{"get merge list", "pillar.get", []any{"pkgs", []any{"git", "vim"}}, map[string]any{"merge": true}, []any{"git", "vim", "curl"}},
		{"fetch", "pillar.fetch", []any{"role"}, nil, "web"},
		{"item", "pillar.item", []any{"role", "mysql:server:port", "nope"}, nil,
			map[string]any{"role": "web", "mysql:server:port": 3306, "nope": ""}},
		{"item default", "pillar.item", []any{"nope"}, map[string]any{"default": "x"}, map[string]any{"nope": "x"}},
		{"ls", "pillar.ls", nil, nil, []string{"mysql", "nil", "pkgs", "role"}},
		{"keys", "pillar.keys", []any{"mysql"}, nil, []string{"server", "users"}},
		{"keys nested", "pillar.keys", []any{"mysql:server"}, nil, []string{"bind", "port"}},
		{"raw", "pillar.raw", nil, nil, testPillar()},
		{"raw key", "pillar.raw", nil, map[string]any{"key": "role"}, "web"},
		{"raw key is not nested", "pillar.raw", []any{"mysql:server"}, nil, map[string]any{}},
		{"filter_by", "pillar.filter_by", []any{map[string]any{"web": map[string]any{"port": 80}, "db": map[string]any{"port": 5432}}, "role"}, nil,
			map[string]any{"port": 80}},
		{"filter_by default", "pillar.filter_by", []any{map[string]any{"db": 1, "default": 2}}, map[string]any{"pillar": "nope"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := modules.Run(context.Background(), testEnv(), tt.fun, tt.args, tt.kwargs)
			if !res.Success || !reflect.DeepEqual(res.Return, tt.want) {
				t.Errorf("got %#v (success %v), want %#v", res.Return, res.Success, tt.want)
			}
		})
	}
}

func TestPillarErrors(t *testing.T) {
	tests := []struct {
		env    *modules.Env
		fun    string
		args   []any
		kwargs map[string]any
		want   string
	}{
		{nil, "pillar.items", nil, nil, "pillar.items: " + ErrNoPillar.Error()},
		{&modules.Env{}, "pillar.get", []any{"a"}, nil, "pillar.get: " + ErrNoPillar.Error()},
		{testEnv(), "pillar.get", nil, nil, "pillar.get: argument 'key': missing required argument"},
		{testEnv(), "pillar.get", []any{"a", 1, 2}, nil, "pillar.get: takes at most 2 positional arguments (3 given)"},
		{testEnv(), "pillar.get", []any{"role", "x"}, map[string]any{"merge": true}, "pillar.get: merge=True needs a default that is a mapping or a list, not string"},
		{testEnv(), "pillar.get", []any{"role", map[string]any{}}, map[string]any{"merge": true}, "pillar.get: merge=True: pillar key 'role' is not a mapping, the default is"},
		{testEnv(), "pillar.get", []any{"role"}, map[string]any{"nope": 1}, "pillar.get: unexpected keyword argument 'nope'"},
		{testEnv(), "pillar.ls", []any{"x"}, nil, "pillar.ls: takes at most 0 positional arguments (1 given)"},
		{testEnv(), "pillar.keys", []any{"nope"}, nil, "pillar.keys: pillar key not found: nope"},
		{testEnv(), "pillar.keys", []any{"role"}, nil, "pillar.keys: pillar key role is not a mapping"},
		{testEnv(), "pillar.filter_by", []any{"notamap", "role"}, nil, `pillar.filter_by: argument 'lookup_dict': want a mapping, got string "notamap"`},
		{testEnv(), "pillar.refresh", nil, nil, "pillar.refresh: this minion cannot refresh its pillar here"},
		{testEnv(), "pillar.refresh", nil, map[string]any{"wait": true}, "pillar.refresh: unexpected keyword argument 'wait'"},
		{testEnv(), "saltutil.refresh_pillar", nil, map[string]any{"timeout": -1}, "saltutil.refresh_pillar: argument 'timeout': must be a number of seconds between 0 and 86400"},
	}
	for _, tt := range tests {
		res := modules.Run(context.Background(), tt.env, tt.fun, tt.args, tt.kwargs)
		if res.Success || res.Return != tt.want {
			t.Errorf("%s%v = %+v, want %q", tt.fun, tt.args, res, tt.want)
		}
	}
}

func TestPillarGetDoesNotModifyPillar(t *testing.T) {
	env := testEnv()
	res := modules.Run(context.Background(), env, "pillar.get", []any{"mysql:server", map[string]any{"ssl": true}}, map[string]any{"merge": true})
	res.Return.(map[string]any)["port"] = 1
	if got := env.Pillar()["mysql"].(map[string]any)["server"]; !reflect.DeepEqual(got, map[string]any{"port": 3306, "bind": "127.0.0.1"}) {
		t.Errorf("pillar.get merge=True changed the pillar: %v", got)
	}
}

func TestRefresh(t *testing.T) {
	for _, fun := range []string{"pillar.refresh", "saltutil.refresh_pillar"} {
		var calls atomic.Int32
		var deadline time.Duration
		env := testEnv()
		env.RefreshPillar = func(ctx context.Context) (map[string]any, error) {
			calls.Add(1)
			if d, ok := ctx.Deadline(); ok {
				deadline = time.Until(d)
			}
			return map[string]any{}, nil
		}
		res := modules.Run(context.Background(), env, fun, nil, nil)
		if !res.Success || res.Return != true || calls.Load() != 1 {
			t.Errorf("%s = %+v after %d refreshes, want true after 1", fun, res, calls.Load())
		}
		if deadline <= 25*time.Second || deadline > 30*time.Second {
			t.Errorf("%s: refresh deadline %v, want the 30 s default", fun, deadline)
		}
		env.RefreshPillar = func(context.Context) (map[string]any, error) { return nil, errors.New("master unreachable") }
		res = modules.Run(context.Background(), env, fun, nil, nil)
		if res.Success || !strings.Contains(res.Return.(string), "refresh pillar: master unreachable") {
			t.Errorf("%s with a failing refresh = %+v", fun, res)
		}
	}
	env := testEnv()
	var deadline time.Duration
	env.RefreshPillar = func(ctx context.Context) (map[string]any, error) {
		d, _ := ctx.Deadline()
		deadline = time.Until(d)
		return nil, nil
	}
	res := modules.Run(context.Background(), env, "saltutil.refresh_pillar", nil, map[string]any{"wait": true, "timeout": 2})
	if !res.Success || deadline > 2*time.Second || deadline < time.Second {
		t.Errorf("saltutil.refresh_pillar timeout=2: %+v, deadline %v", res, deadline)
	}
}

func TestRegisteredWithDocs(t *testing.T) {
	for _, name := range []string{"pillar.items", "pillar.get", "pillar.fetch", "pillar.item", "pillar.ls", "pillar.keys", "pillar.raw", "pillar.filter_by", "pillar.refresh", "saltutil.refresh_pillar"} {
		e, ok := modules.Lookup(name)
		if !ok || !strings.Contains(e.Doc, "CLI Example") {
			t.Errorf("%s is not registered with a documented example", name)
		}
	}
}
