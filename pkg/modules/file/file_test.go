package file

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/halite/halite/pkg/modules"
)

func run(fun string, args []any, kwargs map[string]any) modules.Result {
	return modules.Run(context.Background(), nil, fun, args, kwargs)
}

func setup(t *testing.T) (dir, file, link, dangling string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "data.txt")
	if err := os.WriteFile(file, []byte("hello halite\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(file, 0o640); err != nil {
		t.Fatal(err)
	}
	link = filepath.Join(dir, "link")
	if err := os.Symlink(file, link); err != nil {
		t.Fatal(err)
	}
	dangling = filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "missing"), dangling); err != nil {
		t.Fatal(err)
	}
	return dir, file, link, dangling
}

func TestExists(t *testing.T) {
	dir, file, link, dangling := setup(t)
	tests := []struct {
		fun  string
		path string
		want bool
	}{
		{"file.file_exists", file, true},
		{"file.file_exists", link, true},
		{"file.file_exists", dir, false},
		{"file.file_exists", dangling, false},
		{"file.file_exists", filepath.Join(dir, "nope"), false},
		{"file.file_exists", filepath.Join(file, "under-a-file"), false},
		{"file.directory_exists", dir, true},
		{"file.directory_exists", file, false},
		{"file.exists", file, true},
		{"file.exists", dir, true},
		{"file.exists", filepath.Join(dir, "nope"), false},
	}
	for _, tt := range tests {
		res := run(tt.fun, []any{tt.path}, nil)
		if !res.Success || res.Return != tt.want {
			t.Errorf("%s %s = %+v, want %v", tt.fun, tt.path, res, tt.want)
		}
	}
}

func TestStats(t *testing.T) {
	dir, file, link, dangling := setup(t)
	var st syscall.Stat_t
	if err := syscall.Stat(file, &st); err != nil {
		t.Fatal(err)
	}
	res := run("file.stats", []any{file}, map[string]any{"hash_type": "sha256"})
	got, ok := res.Return.(map[string]any)
	if !ok {
		t.Fatalf("file.stats = %+v", res)
	}
	want := map[string]any{
		"inode": st.Ino, "uid": st.Uid, "gid": st.Gid, "size": int64(13), "mode": "0640", "type": "file",
		"target": file, "mtime": float64(st.Mtim.Sec) + float64(st.Mtim.Nsec)/1e9,
		"sum": coreutilsSum(t, "sha256", file),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if os.Geteuid() == 0 && (got["user"] != "root" || got["group"] != "root") {
		t.Errorf("user/group = %v/%v", got["user"], got["group"])
	}
	realDir, _ := filepath.EvalSymlinks(dir)
	tests := []struct {
		path   string
		kwargs map[string]any
		typ    string
		target string
	}{
		{dir, nil, "dir", realDir},
		{link, nil, "file", filepath.Join(realDir, "data.txt")},
		{link, map[string]any{"follow_symlinks": false}, "link", filepath.Join(realDir, "data.txt")},
		{dangling, nil, "link", dangling},
		{"/dev/null", nil, "char", "/dev/null"},
	}
	for _, tt := range tests {
		r := run("file.stats", []any{tt.path}, tt.kwargs)
		m, ok := r.Return.(map[string]any)
		if !ok || m["type"] != tt.typ || m["target"] != tt.target {
			t.Errorf("stats %s %v = %+v, want type %s target %s", tt.path, tt.kwargs, r, tt.typ, tt.target)
		}
	}
	r := run("file.stats", []any{filepath.Join(dir, "nope")}, nil)
	if r.Success || !strings.Contains(r.Return.(string), "path not found") {
		t.Errorf("missing path: %+v", r)
	}
}

func TestModeBits(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "suid")
	if err := os.WriteFile(p, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o4755|os.ModeSetuid); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Chmod(p, 0o4755); err != nil {
		t.Fatal(err)
	}
	if got := run("file.stats", []any{p}, nil).Return.(map[string]any)["mode"]; got != "4755" {
		t.Errorf("mode = %v, want 4755", got)
	}
}

func TestGetHashMatchesCoreutils(t *testing.T) {
	_, file, _, _ := setup(t)
	for _, form := range []string{"md5", "sha1", "sha256", "sha512"} {
		res := run("file.get_hash", []any{file}, map[string]any{"form": form})
		r2 := modules.Run(context.Background(), nil, "file.get_hash", []any{file, form}, nil)
		want := coreutilsSum(t, form, file)
		if res.Return != want || r2.Return != want {
			t.Errorf("%s = %v / %v, %ssum says %s", form, res.Return, r2.Return, form, want)
		}
	}
	res := run("file.get_hash", []any{file}, map[string]any{"form": "crc32"})
	if res.Success || !strings.Contains(res.Return.(string), `unsupported hash type "crc32"`) {
		t.Errorf("crc32: %+v", res)
	}
}

func coreutilsSum(t *testing.T, form, file string) string {
	t.Helper()
	res, err := runCmd(form+"sum", file)
	if err != nil {
		t.Skipf("%ssum: %v", form, err)
	}
	return strings.Fields(res)[0]
}

func TestRead(t *testing.T) {
	dir, file, _, _ := setup(t)
	if res := run("file.read", []any{file}, nil); res.Return != "hello halite\n" {
		t.Errorf("read = %+v", res)
	}
	if res := run("file.read", []any{file}, map[string]any{"binary": true}); string(res.Return.([]byte)) != "hello halite\n" {
		t.Errorf("read binary = %+v", res)
	}
	big := filepath.Join(dir, "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxRead + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res := run("file.read", []any{big}, nil)
	if res.Success || !strings.Contains(res.Return.(string), "file too large to return") {
		t.Errorf("big read: %.100v", res)
	}
	res = run("file.read", []any{filepath.Join(dir, "nope")}, nil)
	if res.Success || !strings.Contains(res.Return.(string), "no such file") {
		t.Errorf("missing read: %+v", res)
	}
}

func TestMkdir(t *testing.T) {
	dir := t.TempDir()
	deep := filepath.Join(dir, "a", "b", "c")
	res := run("file.mkdir", []any{deep}, map[string]any{"mode": "0750", "user": "nobody"})
	if res.Return != true {
		t.Fatalf("mkdir = %+v", res)
	}
	for _, d := range []string{filepath.Join(dir, "a"), filepath.Join(dir, "a", "b"), deep} {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm() != 0o750 || !fi.IsDir() {
			t.Errorf("%s: %v %v", d, fi.Mode(), err)
		}
		if os.Geteuid() == 0 {
			if uid := fi.Sys().(*syscall.Stat_t).Uid; strconv.Itoa(int(uid)) != lookupUID(t, "nobody") {
				t.Errorf("%s owned by %d", d, uid)
			}
		}
	}
	// The existing parent keeps its mode and owner.
	if fi, _ := os.Stat(dir); fi.Mode().Perm() == 0o750 {
		t.Errorf("existing parent changed to %v", fi.Mode())
	}
	if res := run("file.mkdir", []any{deep}, map[string]any{"mode": 755}); res.Return != true {
		t.Errorf("mkdir existing = %+v", res)
	}
	tests := []struct {
		args   []any
		kwargs map[string]any
		want   string
	}{
		{[]any{"relative/dir"}, nil, `argument 'dir_path': "relative/dir" is not an absolute path`},
		{[]any{filepath.Join(dir, "m")}, map[string]any{"mode": 488}, `"488" is not an octal mode like 0755`},
		{[]any{filepath.Join(dir, "m")}, map[string]any{"mode": "rwx"}, `"rwx" is not an octal mode like 0755`},
		{[]any{filepath.Join(dir, "m")}, map[string]any{"user": "no-such-user-halite"}, "user no-such-user-halite"},
	}
	for _, tt := range tests {
		res := run("file.mkdir", tt.args, tt.kwargs)
		if res.Success || !strings.Contains(res.Return.(string), tt.want) {
			t.Errorf("mkdir %v %v = %+v, want %q", tt.args, tt.kwargs, res, tt.want)
		}
	}
}

func TestPathArguments(t *testing.T) {
	home, _ := os.UserHomeDir()
	res := run("file.directory_exists", []any{"~"}, nil)
	if fi, err := os.Stat(home); err == nil && fi.IsDir() && res.Return != true {
		t.Errorf("~ = %+v", res)
	}
	res = run("file.exists", []any{"etc/passwd"}, nil)
	if res.Success || res.Return != `file.exists: argument 'path': "etc/passwd" is not an absolute path` {
		t.Errorf("relative = %+v", res)
	}
	res = run("file.exists", nil, nil)
	if res.Success || res.Return != "file.exists: argument 'path': missing required argument" {
		t.Errorf("missing = %+v", res)
	}
}
