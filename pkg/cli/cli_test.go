package cli

import (
	"errors"
	"reflect"
	"testing"
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
