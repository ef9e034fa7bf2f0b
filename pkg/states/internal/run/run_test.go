package run

import (
	"context"
	"errors"
	"os/user"
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	ctx := context.Background()
	r, err := Run(ctx, Cmd{Script: "echo out; echo err >&2; exit 4", Dir: "/"})
	if err != nil || r.Retcode != 4 || r.Stdout != "out" || r.Stderr != "err" || r.PID <= 0 {
		t.Fatalf("%+v %v", r, err)
	}
	r, err = Run(ctx, Cmd{Path: "/bin/cat", Stdin: []byte("in\n"), Env: []string{"X=1"}})
	if err != nil || r.Stdout != "in" {
		t.Fatalf("stdin: %+v %v", r, err)
	}
	r, _ = Run(ctx, Cmd{Script: `echo "$X"`, Env: []string{"X=1", "X=2"}})
	if r.Stdout != "2" {
		t.Fatalf("later env wins: %q", r.Stdout)
	}
	r, _ = Run(ctx, Cmd{Script: `kill -TERM $$`})
	if r.Retcode != 128+15 {
		t.Fatalf("signal exit: %d", r.Retcode)
	}
	if _, err := Run(ctx, Cmd{Path: "/nonexistent/bin"}); err == nil {
		t.Fatal("want a start error")
	}
	if _, err := Run(ctx, Cmd{}); err == nil {
		t.Fatal("want an error for an empty command")
	}
}

func TestRunTimeout(t *testing.T) {
	start := time.Now()
	r, err := Run(context.Background(), Cmd{Script: "sleep 30 & sleep 30", Timeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) || !r.TimedOut {
		t.Fatalf("%+v %v", r, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	if _, err := Run(ctx, Cmd{Script: "sleep 30"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
}

func TestOutputBounded(t *testing.T) {
	r, err := Run(context.Background(), Cmd{Script: "head -c 3000000 /dev/zero | tr '\\0' a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Stdout) > MaxOutput+100 || !strings.Contains(r.Stdout[len(r.Stdout)-60:], "truncated") {
		t.Fatalf("len %d, suffix %q", len(r.Stdout), r.Stdout[len(r.Stdout)-30:])
	}
}

func TestTool(t *testing.T) {
	_, err := Tool(context.Background(), "/bin/sh", "-c", "echo broken >&2; exit 2")
	var ee *ExitError
	if !errors.As(err, &ee) || ee.Result.Retcode != 2 || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("%v", err)
	}
	r, err := Tool(context.Background(), "/bin/sh", "-c", "locale 2>/dev/null | grep LC_ALL || echo LC_ALL=C")
	if err != nil || !strings.Contains(r.Stdout, "LC_ALL=C") {
		t.Fatalf("tools run in the C locale: %q %v", r.Stdout, err)
	}
}

func TestRunAs(t *testing.T) {
	if u, _ := user.Current(); u == nil || u.Uid != "0" {
		t.Skip("needs root")
	}
	nobody, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	r, err := Run(context.Background(), Cmd{Script: "id -u; echo $HOME $USER", User: "nobody", Dir: "/"})
	if err != nil || r.Stdout != nobody.Uid+"\n"+nobody.HomeDir+" nobody" {
		t.Fatalf("%q %v", r.Stdout, err)
	}
	if _, err := Run(context.Background(), Cmd{Script: "true", User: "no-such-user-halite"}); err == nil {
		t.Fatal("want an error for an unknown user")
	}
}
