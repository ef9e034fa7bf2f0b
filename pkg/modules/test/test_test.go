package test

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/version"
)

func TestFunctions(t *testing.T) {
	tests := []struct {
		name    string
		fun     string
		args    []any
		kwargs  map[string]any
		want    any
		retcode int
	}{
		{"ping", "test.ping", nil, nil, true, 0},
		{"ping ignores publication kwargs", "test.ping", nil, map[string]any{"__pub_jid": "20240101"}, true, 0},
		{"echo string", "test.echo", []any{"foo bar"}, nil, "foo bar", 0},
		{"echo keeps YAML type", "test.echo", []any{30}, nil, 30, 0},
		{"echo by keyword", "test.echo", nil, map[string]any{"text": []any{"a", 1}}, []any{"a", 1}, 0},
		{"echo explicit null", "test.echo", nil, map[string]any{"text": nil}, nil, 0},
		{"sleep", "test.sleep", []any{0.01}, nil, true, 0},
		{"sleep string number", "test.sleep", []any{"0"}, nil, true, 0},
		{"version", "test.version", nil, nil, version.Version, 0},
		{"arg", "test.arg", []any{1, "two", 3.1}, map[string]any{"txt": "hello", "__pub_fun": "test.arg"},
			map[string]any{"args": []any{1, "two", 3.1}, "kwargs": map[string]any{"txt": "hello"}}, 0},
		{"arg empty", "test.arg", nil, nil, map[string]any{"args": []any{}, "kwargs": map[string]any{}}, 0},
		{"kwarg", "test.kwarg", nil, map[string]any{"a": 1}, map[string]any{"a": 1}, 0},
		{"retcode default", "test.retcode", nil, nil, true, 42},
		{"retcode given", "test.retcode", []any{3}, nil, true, 3},
		{"retcode zero", "test.retcode", nil, map[string]any{"code": 0}, true, 0},
		{"true", "test.true", nil, nil, true, 0},
		{"false is an answer", "test.false", nil, nil, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := modules.Run(context.Background(), nil, tt.fun, tt.args, tt.kwargs)
			if !reflect.DeepEqual(res.Return, tt.want) || res.Retcode != tt.retcode {
				t.Errorf("got %#v retcode %d, want %#v retcode %d", res.Return, res.Retcode, tt.want, tt.retcode)
			}
			if res.Success != (tt.retcode == 0) {
				t.Errorf("success = %v", res.Success)
			}
		})
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		fun    string
		args   []any
		kwargs map[string]any
		want   string
	}{
		{"test.exception", nil, nil, "test.exception: Test Exception"},
		{"test.exception", []any{"Oh noes!"}, nil, "test.exception: Oh noes!"},
		{"test.echo", nil, nil, "test.echo: argument 'text': missing required argument"},
		{"test.ping", []any{1}, nil, "test.ping: takes at most 0 positional arguments (1 given)"},
		{"test.ping", nil, map[string]any{"x": 1}, "test.ping: unexpected keyword argument 'x'"},
		{"test.sleep", []any{"soon"}, nil, `test.sleep: argument 'length': want a number, got string "soon"`},
		{"test.sleep", []any{-1}, nil, "test.sleep: argument 'length': must not be negative"},
		{"test.fib", []any{-1}, nil, "test.fib: argument 'num': negative number is not allowed"},
		{"test.fib", []any{1.5}, nil, "test.fib: argument 'num': want an integer, got number 1.5"},
		{"test.retcode", []any{"x"}, nil, `test.retcode: argument 'code': want an integer, got string "x"`},
	}
	for _, tt := range tests {
		res := modules.Run(context.Background(), nil, tt.fun, tt.args, tt.kwargs)
		if res.Return != tt.want || res.Retcode != 1 || res.Success {
			t.Errorf("%s %v %v = %+v, want %q retcode 1", tt.fun, tt.args, tt.kwargs, res, tt.want)
		}
	}
}

func TestFib(t *testing.T) {
	tests := []struct {
		num  int
		want []int
	}{
		{0, []int{0}},
		{1, []int{0}},
		{2, []int{0, 1, 1}},
		{3, []int{0, 1, 1, 2}},
		{100, []int{0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89}},
	}
	for _, tt := range tests {
		res := modules.Run(context.Background(), nil, "test.fib", []any{tt.num}, nil)
		pair, ok := res.Return.([]any)
		if !ok || len(pair) != 2 {
			t.Fatalf("fib %d = %#v, want [list, seconds]", tt.num, res.Return)
		}
		if !reflect.DeepEqual(pair[0], tt.want) {
			t.Errorf("fib %d = %v, want %v", tt.num, pair[0], tt.want)
		}
		if secs, ok := pair[1].(float64); !ok || secs < 0 || secs > 1 {
			t.Errorf("fib %d elapsed = %#v", tt.num, pair[1])
		}
	}
	// The largest allowed input terminates and stays exact.
	res := modules.Run(context.Background(), nil, "test.fib", []any{int64(1) << 62}, nil)
	seq := res.Return.([]any)[0].([]int)
	if last := seq[len(seq)-1]; last != 2880067194370816120 {
		t.Errorf("last fib below 2^62 = %d", last)
	}
}

func TestSleepHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	res := modules.Run(ctx, nil, "test.sleep", []any{100}, nil)
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("sleep returned after %v", el)
	}
	msg, _ := res.Return.(string)
	if res.Success || !strings.Contains(msg, "context deadline exceeded") {
		t.Errorf("result = %+v", res)
	}
}

func TestSleepDuration(t *testing.T) {
	start := time.Now()
	res := modules.Run(context.Background(), nil, "test.sleep", []any{0.2}, nil)
	if el := time.Since(start); el < 200*time.Millisecond || res.Return != true {
		t.Errorf("slept %v, result %+v", el, res)
	}
}

// BenchmarkPing is the cost of dispatching the cheapest function through
// the registry: the floor under every job a minion runs.
func BenchmarkPing(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if res := modules.Run(ctx, nil, "test.ping", nil, nil); res.Return != true {
			b.Fatal(res)
		}
	}
}
