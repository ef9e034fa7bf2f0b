package cmd

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/modules"
)

func run(t *testing.T, fun string, args []any, kwargs map[string]any) modules.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return modules.Run(ctx, &modules.Env{ID: "test"}, fun, args, kwargs)
}

func TestCmdFunctions(t *testing.T) {
	dir := t.TempDir()
	realDir, _ := filepath.EvalSymlinks(dir)
	tests := []struct {
		name    string
		fun     string
		args    []any
		kwargs  map[string]any
		want    any
		retcode int
	}{
		{"run echo", "cmd.run", []any{"echo hello"}, nil, "hello", 0},
		{"exit status is the job retcode", "cmd.run", []any{"exit 3"}, nil, "", 3},
		{"run combines stderr", "cmd.run", []any{"echo out; echo err >&2"}, nil, "out\nerr", 0},
		{"cmd by keyword", "cmd.run", nil, map[string]any{"cmd": "echo kw"}, "kw", 0},
		{"cwd positional", "cmd.run", []any{"pwd", dir}, nil, realDir, 0},
		{"cwd keyword", "cmd.run", []any{"pwd"}, map[string]any{"cwd": dir}, realDir, 0},
		{"env mapping", "cmd.run", []any{"echo $FOO-$N"}, map[string]any{"env": map[string]any{"FOO": "bar", "N": 7}}, "bar-7", 0},
		{"env list of mappings (SLS style)", "cmd.run", []any{"echo $A$B"},
			map[string]any{"env": []any{map[string]any{"A": "x"}, map[string]any{"B": "y"}}}, "xy", 0},
		{"clean_env", "cmd.run", []any{"echo \"[$HOME]\""}, map[string]any{"clean_env": true}, "[]", 0},
		{"prepend_path", "cmd.run", []any{"echo $PATH"}, map[string]any{"prepend_path": "/opt/x/bin", "clean_env": true}, "/opt/x/bin", 0},
		{"python_shell false runs without a shell", "cmd.run", []any{`echo "a  b" '$HOME' x|y`},
			map[string]any{"python_shell": false}, "a  b $HOME x|y", 0},
		{"stdin", "cmd.run", []any{"tr a-z A-Z"}, map[string]any{"stdin": "shout"}, "SHOUT", 0},
		{"shell", "cmd.run", []any{"echo ${BASH_VERSION:+bash}"}, map[string]any{"shell": "/bin/bash"}, "bash", 0},
		{"rstrip false keeps newline", "cmd.run", []any{"echo x"}, map[string]any{"rstrip": false}, "x\n", 0},
		{"ignore_retcode", "cmd.run", []any{"echo x; exit 4"}, map[string]any{"ignore_retcode": true}, "x", 0},
		{"success_retcodes", "cmd.run", []any{"exit 3"}, map[string]any{"success_retcodes": []any{2, 3}}, "", 0},
		{"hide_output keeps retcode", "cmd.run", []any{"echo secret; exit 2"}, map[string]any{"hide_output": true}, "", 2},
		{"run_all splits streams", "cmd.run_all", []any{"echo out; echo err >&2; exit 2"}, nil,
			map[string]any{"stdout": "out", "stderr": "err", "retcode": 2}, 2},
		{"retcode returns the status", "cmd.retcode", []any{"exit 5"}, nil, 5, 5},
		{"retcode zero", "cmd.retcode", []any{"true"}, nil, 0, 0},
		{"run_stdout", "cmd.run_stdout", []any{"echo out; echo err >&2"}, nil, "out", 0},
		{"run_stderr", "cmd.run_stderr", []any{"echo out; echo err >&2"}, nil, "err", 0},
		{"shell ignores python_shell", "cmd.shell", []any{"echo a | tr a b"}, map[string]any{"python_shell": false}, "b", 0},
		{"which", "cmd.which", []any{"sh"}, nil, mustLookPath(t, "sh"), 0},
		{"which missing", "cmd.which", []any{"no-such-binary-halite"}, nil, nil, 0},
		{"signal exit status", "cmd.run", []any{"kill -TERM $$"}, nil, "", 128 + 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.fun, tt.args, tt.kwargs)
			if res.Retcode != tt.retcode {
				t.Fatalf("retcode = %d, want %d (return %v)", res.Retcode, tt.retcode, res.Return)
			}
			if res.Success != (tt.retcode == 0) {
				t.Errorf("success = %v with retcode %d", res.Success, res.Retcode)
			}
			if want, ok := tt.want.(map[string]any); ok {
				got, ok := res.Return.(map[string]any)
				if !ok {
					t.Fatalf("return = %#v, want a mapping", res.Return)
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s = %#v, want %#v", k, got[k], v)
					}
				}
				if pid, _ := got["pid"].(int); pid <= 0 {
					t.Errorf("pid = %v, want a positive int", got["pid"])
				}
				return
			}
			if res.Return != tt.want {
				t.Errorf("return = %#v, want %#v", res.Return, tt.want)
			}
		})
	}
}

func mustLookPath(t *testing.T, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatal(err)
	}
	p, _ = filepath.Abs(p)
	return p
}

func TestCmdBadArguments(t *testing.T) {
	tests := []struct {
		name    string
		fun     string
		args    []any
		kwargs  map[string]any
		wantErr string
	}{
		{"missing cmd", "cmd.run", nil, nil, "argument 'cmd': missing required argument"},
		{"unknown kwarg named", "cmd.run", []any{"true"}, map[string]any{"umask": "077", "bogus": 1}, "unexpected keyword arguments 'bogus', 'umask'"},
		{"too many positional", "cmd.run", []any{"true", "/", "x"}, nil, "takes at most 2 positional arguments (3 given)"},
		{"cmd twice", "cmd.run", []any{"true"}, map[string]any{"cmd": "false"}, "given both by position and by keyword"},
		{"bad timeout", "cmd.run", []any{"true"}, map[string]any{"timeout": "soon"}, "argument 'timeout': want a number"},
		{"negative timeout", "cmd.run", []any{"true"}, map[string]any{"timeout": -1}, "must not be negative"},
		{"missing cwd", "cmd.run", []any{"true"}, map[string]any{"cwd": "/nonexistent/dir"}, "cwd:"},
		{"unknown user", "cmd.run", []any{"true"}, map[string]any{"runas": "no-such-user-halite"}, "runas"},
		{"group without runas", "cmd.run", []any{"true"}, map[string]any{"group": "root"}, "without runas"},
		{"unterminated quote", "cmd.run", []any{`echo "oops`}, map[string]any{"python_shell": false}, "unterminated quote"},
		{"missing binary", "cmd.run", []any{"no-such-binary-halite --flag"}, map[string]any{"python_shell": false}, "executable file not found"},
		{"missing shell", "cmd.run", []any{"true"}, map[string]any{"shell": "/no/such/shell"}, "start"},
		{"nested env value", "cmd.run", []any{"true"}, map[string]any{"env": map[string]any{"A": []any{1}}}, "argument 'env': A: want a scalar value"},
		{"raise_err", "cmd.run", []any{"echo boom >&2; exit 1"}, map[string]any{"raise_err": true}, "command exited with status 1: boom"},
		{"script relative path", "cmd.script", []any{"x.sh"}, nil, "is not an absolute path"},
		{"script http", "cmd.script", []any{"http://example.com/x.sh"}, nil, "unsupported URL"},
		{"script salt:// without file server", "cmd.script", []any{"salt://x.sh"}, nil, "no file server configured"},
		{"script missing file", "cmd.script", []any{"/nonexistent/x.sh"}, nil, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.fun, tt.args, tt.kwargs)
			msg, _ := res.Return.(string)
			if res.Success || res.Retcode == 0 || !strings.Contains(msg, tt.wantErr) {
				t.Fatalf("got %+v, want failure containing %q", res, tt.wantErr)
			}
			if !strings.HasPrefix(msg, tt.fun+": ") {
				t.Errorf("message %q does not name the function", msg)
			}
		})
	}
}

// procGone reports whether pid has exited (it may linger as a zombie when
// the process that inherits orphans does not reap them).
func procGone(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && i+2 < len(s) && s[i+2] == 'Z'
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !procGone(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d still running", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	start := time.Now()
	res := run(t, "cmd.run_all", []any{"echo started; sleep 100 & echo $! > " + pidfile + "; wait"},
		map[string]any{"timeout": 0.5})
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("timeout took %v", el)
	}
	if res.Retcode != 1 {
		t.Fatalf("retcode = %d, want 1; %+v", res.Retcode, res)
	}
	ret := res.Return.(map[string]any)
	if ret["stdout"] != "started" || !strings.Contains(ret["stderr"].(string), "Timed out after 500ms") {
		t.Errorf("return = %#v", ret)
	}
	waitGone(t, readPid(t, pidfile))
}

func TestCancelKillsProcessGroup(t *testing.T) {
	pidfile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan modules.Result)
	go func() {
		done <- modules.Run(ctx, nil, "cmd.run", []any{"sleep 100 & echo $! > " + pidfile + "; wait"}, nil)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if b, _ := os.ReadFile(pidfile); len(b) > 0 && b[len(b)-1] == '\n' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("command did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case res := <-done:
		msg, _ := res.Return.(string)
		if res.Success || !strings.Contains(msg, "context canceled") {
			t.Errorf("result = %+v, want a cancellation error", res)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("cmd.run did not return after cancel")
	}
	waitGone(t, readPid(t, pidfile))
}

func TestBackgroundChildDoesNotHang(t *testing.T) {
	// A daemon that keeps the output pipe open must not keep the job
	// running: Run stops reading shortly after the command exits.
	start := time.Now()
	res := run(t, "cmd.run", []any{"echo parent; sleep 3 &"}, nil)
	if el := time.Since(start); el > 2500*time.Millisecond {
		t.Errorf("took %v; a background child held the job", el)
	}
	if res.Return != "parent" || res.Retcode != 0 {
		t.Errorf("result = %+v", res)
	}
}

func TestOutputCap(t *testing.T) {
	res, err := Run(context.Background(), Options{Command: "head -c 5000 /dev/zero | tr '\\0' a; echo tail >&2", MaxOutput: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated {
		t.Error("Truncated = false")
	}
	if !strings.HasPrefix(res.Stdout, strings.Repeat("a", 1000)+"\n[halite: output truncated, 4000 bytes dropped]") {
		t.Errorf("stdout = %.80q...", res.Stdout)
	}
	if res.Stderr != "tail\n" {
		t.Errorf("stderr = %q", res.Stderr)
	}
}

func TestRunas(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runas needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	res := run(t, "cmd.run", []any{"id -un; id -u; echo $HOME; pwd"}, map[string]any{"runas": "nobody"})
	wantCwd := nobody.HomeDir
	if fi, err := os.Stat(wantCwd); err != nil || !fi.IsDir() {
		wantCwd = "/"
	}
	want := strings.Join([]string{"nobody", nobody.Uid, nobody.HomeDir, wantCwd}, "\n")
	if res.Return != want || res.Retcode != 0 {
		t.Errorf("result = %+v, want %q", res, want)
	}
	// A file only root may read stays unreadable.
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	res = run(t, "cmd.retcode", []any{"cat " + secret}, map[string]any{"runas": "nobody", "cwd": "/"})
	if res.Return == 0 {
		t.Errorf("nobody could read a root-only file: %+v", res)
	}
}

// fileServer is a real FileClient over a directory, as the minion's cache
// would be after fetching from the master.
type fileServer struct{ root string }

func (f fileServer) CacheFile(_ context.Context, url, _ string) (string, error) {
	rel, ok := strings.CutPrefix(url, "salt://")
	if !ok {
		return "", errors.New("bad url")
	}
	p := filepath.Join(f.root, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		return "", err
	}
	return p, nil
}

func (f fileServer) ListFiles(context.Context, string, string) ([]string, error) { return nil, nil }

func TestScript(t *testing.T) {
	root := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(root, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	withShebang := write("args.sh", "#!/bin/sh\necho \"$#:$1:$2\"\necho warn >&2\nexit 4\n", 0o644)
	noShebang := write("plain", "echo plain; basename \"$0\"\n", 0o600)
	env := &modules.Env{ID: "test", Files: fileServer{root}}
	tests := []struct {
		name    string
		args    []any
		kwargs  map[string]any
		stdout  string
		retcode int
	}{
		{"local path with args", []any{withShebang, `one "two words"`}, nil, "2:one:two words", 4},
		{"args as list", []any{withShebang}, map[string]any{"args": []any{"a b", "c"}}, "2:a b:c", 4},
		{"salt url", []any{"salt://args.sh", "x"}, nil, "1:x:", 4},
		{"no shebang runs with sh", []any{noShebang}, nil, "plain\nplain", 0},
		{"no shell", []any{withShebang, "x y"}, map[string]any{"python_shell": false}, "2:x:y", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := modules.Run(context.Background(), env, "cmd.script", tt.args, tt.kwargs)
			ret, ok := res.Return.(map[string]any)
			if !ok {
				t.Fatalf("return = %#v", res.Return)
			}
			if ret["stdout"] != tt.stdout || ret["retcode"] != tt.retcode || res.Retcode != tt.retcode {
				t.Errorf("return = %#v (job retcode %d), want stdout %q retcode %d", ret, res.Retcode, tt.stdout, tt.retcode)
			}
		})
	}
	// The temporary copy is removed afterwards.
	res := modules.Run(context.Background(), env, "cmd.script", []any{write("where.sh", "#!/bin/sh\necho \"$0\"\n", 0o600)}, nil)
	p := res.Return.(map[string]any)["stdout"].(string)
	if !strings.Contains(p, "halite-script-") {
		t.Fatalf("script ran from %q", p)
	}
	if _, err := os.Stat(filepath.Dir(p)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary directory %s left behind (%v)", filepath.Dir(p), err)
	}
}

func TestRunErrors(t *testing.T) {
	if _, err := Run(context.Background(), Options{Command: "  "}); !errors.Is(err, ErrNoCommand) {
		t.Errorf("empty command: err = %v, want ErrNoCommand", err)
	}
	if _, err := Run(context.Background(), Options{Argv: []string{"no-such-binary-halite"}}); !errors.Is(err, exec.ErrNotFound) {
		t.Errorf("missing binary: err = %v, want exec.ErrNotFound", err)
	}
}

func BenchmarkCmdRunTrue(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		res := modules.Run(ctx, nil, "cmd.run", []any{"true"}, nil)
		if !res.Success {
			b.Fatal(res.Return)
		}
	}
}
