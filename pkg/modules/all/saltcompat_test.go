package all

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/halite/halite/pkg/modules"
)

// The execution functions Salt formulas call from their templates, each
// with what a formula expects of it.
func TestFormulaFunctions(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "app.conf")
	os.WriteFile(conf, []byte("# comment\n  listen 80\n"), 0o644)
	env := &modules.Env{
		ID:     "web1",
		Logger: hclog.NewNullLogger(),
		Opts:   map[string]any{"file_client": "local", "mirror": map[string]any{"url": "from-opts"}},
		Grains: func() map[string]any {
			return map[string]any{"os": "Debian", "mirror": map[string]any{"url": "from-grains", "port": 1}}
		},
		Pillar: func() map[string]any {
			return map[string]any{"only_pillar": 7, "mirror": map[string]any{"extra": true}, "master": map[string]any{"worker_threads": 5}}
		},
	}
	run := func(fun string, args []any, kwargs map[string]any) any {
		t.Helper()
		res := modules.Run(context.Background(), env, fun, args, kwargs)
		if !res.Success {
			t.Fatalf("%s %v %v: %v", fun, args, kwargs, res.Return)
		}
		return res.Return
	}
	link := filepath.Join(t.TempDir(), "link") // sha256sum/md5sum computed the digests below
	if err := os.Symlink(conf, link); err != nil {
		t.Fatal(err)
	}
	if got := run("file.readlink", []any{link}, nil); got != conf {
		t.Errorf("file.readlink = %v", got)
	}
	for _, n := range []int{0, 1, 32} {
		s, _ := run("random.get_str", []any{n}, map[string]any{"punctuation": false}).(string)
		if len(s) != n || strings.ContainsAny(s, "!#$%&") {
			t.Errorf("random.get_str %d punctuation=False = %q", n, s)
		}
	}
	if s, _ := run("random.get_str", []any{8}, map[string]any{"chars": "ab"}).(string); strings.Trim(s, "ab") != "" || len(s) != 8 {
		t.Errorf("random.get_str chars=ab = %q", s)
	}
	for _, tt := range []struct {
		fun    string
		args   []any
		kwargs map[string]any
		want   any
	}{
		{"config.get", []any{"mirror:url"}, nil, "from-opts"},
		{"config.get", []any{"only_pillar"}, nil, 7},
		{"config.get", []any{"worker_threads"}, nil, 5},
		{"config.get", []any{"nope", "dflt"}, nil, "dflt"},
		{"config.get", []any{"mirror"}, map[string]any{"merge": "recurse"}, map[string]any{"url": "from-opts", "port": 1, "extra": true}},
		{"config.get", []any{"mirror:url"}, map[string]any{"omit_opts": true}, "from-grains"},
		{"config.option", []any{"file_client"}, nil, "local"},
		{"log.debug", []any{"hello"}, nil, nil},
		{"defaults.merge", []any{map[string]any{"a": map[string]any{"b": 1}}, map[string]any{"a": map[string]any{"c": 2}}}, nil, map[string]any{"a": map[string]any{"b": 1, "c": 2}}},
		{"defaults.update", []any{map[string]any{"a": 1}, map[string]any{"a": 2, "b": 3}}, nil, map[string]any{"a": 1, "b": 3}},
		{"defaults.get", []any{map[string]any{"a": map[string]any{"b": 1}}, "a:b"}, nil, 1},
		{"slsutil.merge", []any{map[string]any{"a": []any{1}}, map[string]any{"a": []any{2}}}, map[string]any{"merge_lists": true}, map[string]any{"a": []any{1, 2}}},
		{"slsutil.merge_all", []any{[]any{map[string]any{"a": 1}, map[string]any{"b": 2}, nil}}, nil, map[string]any{"a": 1, "b": 2}},
		{"slsutil.serialize", []any{"json", map[string]any{"a": 1}}, nil, `{"a":1}`},
		{"slsutil.deserialize", []any{"yaml", "a: [1, yes]"}, nil, map[string]any{"a": []any{1, true}}},
		{"mine.get", []any{"*", "network.ip_addrs"}, nil, map[string]any{}},
		{"grains.filter_by", []any{map[string]any{"Debian": map[string]any{"x": 1}}}, map[string]any{"merge": "", "grain": "os"}, map[string]any{"x": 1}},
		{"grains.filter_by", []any{map[string]any{}}, map[string]any{"merge": map[string]any{"y": 2}}, map[string]any{"y": 2}},
		{"file.dirname", []any{"/etc/nginx/"}, nil, "/etc/nginx"},
		{"file.dirname", []any{"/etc"}, nil, "/"},
		{"file.basename", []any{"/etc/hosts"}, nil, "hosts"},
		{"file.join", []any{"/etc", "nginx", "/abs", "x.conf"}, nil, "/abs/x.conf"},
		{"file.readdir", []any{dir}, nil, []any{".", "..", "app.conf"}},
		{"file.contains_regex", []any{conf, "^listen"}, map[string]any{"lchar": " "}, true},
		{"file.contains_regex", []any{conf, "^listen"}, nil, false},
		{"cmd.has_exec", []any{"sh"}, nil, true},
		{"cmd.has_exec", []any{"no-such-command-halite"}, nil, false},
		{"pkg.version_cmp", []any{"1.0~rc1", "1.0"}, nil, -1},
		{"user.info", []any{"no-such-user-halite"}, nil, map[string]any{}},
		{"alternatives.show_current", []any{"no-such-alternative-halite"}, nil, false},
		{"match.grain", []any{"os:Debian"}, nil, true},
		{"match.compound", []any{"G@os:Debian and web*"}, nil, true},
		{"match.compound", []any{"G@os:RedHat or db*"}, nil, false},
		{"match.glob", []any{"db*"}, map[string]any{"minion_id": "db1"}, true},
		{"match.pillar", []any{"mirror:extra:True"}, nil, true},
		{"environ.get", []any{"HALITE_NO_SUCH_VAR", "dflt"}, nil, "dflt"},
		{"hashutil.sha256_digest", []any{"get salted"}, nil, "d49859ccbc854fa68d800b5734efc70d72383e6479d545468bc300263164ff33"},
		{"hashutil.digest", []any{"get salted", "md5"}, nil, "2aacf29e92feaf528fb738bcf9d647ac"},
		{"hashutil.base64_b64encode", []any{"get salted"}, nil, "Z2V0IHNhbHRlZA=="},
		{"hashutil.base64_b64decode", []any{"Z2V0IHNhbHRlZA=="}, nil, "get salted"},
		{"file.is_link", []any{conf}, nil, false},
		{"file.get_mode", []any{conf}, nil, "0644"},
		{"file.search", []any{conf, "^  listen 80$"}, nil, true},
		{"file.search", []any{conf, "^listen"}, nil, false},
		{"file.contains", []any{conf, " listen 80 "}, nil, true},
		{"file.access", []any{conf, "f"}, nil, true},
		{"file.access", []any{filepath.Join(dir, "nope"), "r"}, nil, false},
	} {
		if got := run(tt.fun, tt.args, tt.kwargs); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %v %v = %#v, want %#v", tt.fun, tt.args, tt.kwargs, got, tt.want)
		}
	}
	root := run("user.info", []any{"root"}, nil).(map[string]any)
	if root["uid"] != 0 || root["home"] != "/root" {
		t.Errorf("user.info root = %v", root)
	}
	if g := run("group.info", []any{"root"}, nil).(map[string]any); g["gid"] != 0 {
		t.Errorf("group.info root = %v", g)
	}
}

func TestFileServerListingsMasterless(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"top.sls", "nginx/init.sls", "nginx/files/nginx.conf", "nginx/config.sls", ".git/HEAD"} {
		os.MkdirAll(filepath.Dir(filepath.Join(root, f)), 0o755)
		os.WriteFile(filepath.Join(root, f), []byte("x"), 0o644)
	}
	env := &modules.Env{Logger: hclog.NewNullLogger(), Opts: map[string]any{"file_roots": map[string]any{"base": []any{root}}}}
	run := func(fun string, kw map[string]any) any {
		res := modules.Run(context.Background(), env, fun, nil, kw)
		if !res.Success {
			t.Fatalf("%s: %v", fun, res.Return)
		}
		return res.Return
	}
	if got := run("cp.list_states", nil); !reflect.DeepEqual(got, []any{"nginx", "nginx.config", "top"}) {
		t.Errorf("cp.list_states = %v", got)
	}
	if got := run("cp.list_master", map[string]any{"prefix": "nginx/files"}); !reflect.DeepEqual(got, []any{"nginx/files/nginx.conf"}) {
		t.Errorf("cp.list_master = %v", got)
	}
	if got := run("cp.list_master_dirs", nil); !reflect.DeepEqual(got, []any{"nginx", "nginx/files"}) {
		t.Errorf("cp.list_master_dirs = %v", got)
	}
	if got := run("status.time", map[string]any{"format": "%Y-%m-%d %%"}); len(got.(string)) != 12 {
		t.Errorf("status.time = %v", got)
	}
}

func TestMoreFormulaFunctions(t *testing.T) {
	env := &modules.Env{Logger: hclog.NewNullLogger(), Grains: func() map[string]any { return map[string]any{"fqdn": "web1.example.com"} }}
	run := func(fun string, args ...any) any {
		t.Helper()
		res := modules.Run(context.Background(), env, fun, args, nil)
		if !res.Success {
			t.Fatalf("%s %v: %v", fun, args, res.Return)
		}
		return res.Return
	}
	for _, tt := range []struct {
		fun  string
		args []any
		want any
	}{
		{"file.user_to_uid", []any{"root"}, 0},
		{"file.group_to_gid", []any{"root"}, 0},
		{"file.uid_to_user", []any{0}, "root"},
		{"file.gid_to_group", []any{0}, "root"},
		{"file.user_to_uid", []any{"no-such-user-halite"}, ""},
		{"network.get_fqdn", nil, "web1.example.com"},
		{"network.interface_ip", []any{"lo"}, "127.0.0.1"},
		{"network.interface_ip", []any{"no-such-if"}, ""},
	} {
		if got := run(tt.fun, tt.args...); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %v = %#v, want %#v", tt.fun, tt.args, got, tt.want)
		}
	}
	if g := run("user.list_groups", "root").([]any); len(g) == 0 || g[0] != "root" {
		t.Errorf("user.list_groups root = %v", g)
	}
	if z := run("timezone.get_zone").(string); z == "" {
		t.Error("timezone.get_zone is empty")
	}
	if v := run("sysctl.get", "kernel.ostype"); v != "Linux" {
		t.Errorf("sysctl.get kernel.ostype = %v", v)
	}
}
