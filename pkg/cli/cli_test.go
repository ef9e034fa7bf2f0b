package cli

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
)

func TestParseArgs(t *testing.T) {
	args, kwargs := ParseArgs([]string{"30", "exit 3", "true", "a=b", "n=5", "echo x=y", "[1, 2]", "--x"})
	wantArgs := []any{30, "exit 3", true, "echo x=y", []any{1, 2}, "--x"}
	if !reflect.DeepEqual(args, wantArgs) {
		t.Errorf("args = %#v, want %#v", args, wantArgs)
	}
	if !reflect.DeepEqual(kwargs, map[string]any{"a": "b", "n": 5}) {
		t.Errorf("kwargs = %#v", kwargs)
	}
}

func TestCodeOf(t *testing.T) {
	if CodeOf(nil) != 0 || CodeOf(errors.New("x")) != ExitUsage || CodeOf(Exit(2, nil)) != 2 {
		t.Error("exit codes wrong")
	}
}

// F18: pprof is not served on a public address unless allowed.
func TestPprofOnlyOnLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); time.Sleep(10 * time.Millisecond) }()
	if err := ServePprof(ctx, "0.0.0.0:0", false, hclog.NewNullLogger()); err == nil {
		t.Fatal("pprof served on 0.0.0.0 without pprof_allow_remote")
	}
	if err := ServePprof(ctx, "127.0.0.1:0", false, hclog.NewNullLogger()); err != nil {
		t.Fatalf("loopback pprof: %v", err)
	}
}
