package sys

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/modules"
	_ "github.com/halite/halite/pkg/modules/test"
)

func TestListFunctions(t *testing.T) {
	all := modules.Names()
	tests := []struct {
		name string
		args []any
		want []string
	}{
		{"all", nil, all},
		{"module", []any{"sys"}, []string{"sys.doc", "sys.list_functions", "sys.list_modules"}},
		{"module with dot is a glob", []any{"sys.doc"}, []string{"sys.doc"}},
		{"glob", []any{"sys.list_*"}, []string{"sys.list_functions", "sys.list_modules"}},
		{"two modules, deduplicated", []any{"sys.doc", "sys"}, []string{"sys.doc", "sys.list_functions", "sys.list_modules"}},
		{"module name is not a prefix", []any{"sy"}, []string{}},
		{"unknown", []any{"nosuch"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := modules.Run(context.Background(), nil, "sys.list_functions", tt.args, nil)
			if !reflect.DeepEqual(res.Return, tt.want) || !res.Success {
				t.Errorf("got %#v, want %#v", res.Return, tt.want)
			}
		})
	}
	if !contains(all, "test.ping") || !contains(all, "sys.doc") {
		t.Errorf("registry lacks test.ping or sys.doc: %v", all)
	}
}

func TestListModules(t *testing.T) {
	tests := []struct {
		args []any
		want []string
	}{
		{nil, []string{"sys", "test"}},
		{[]any{"s*"}, []string{"sys"}},
		{[]any{"test"}, []string{"test"}},
		{[]any{"tes"}, []string{}},
		{[]any{"test.ping"}, []string{}},
		{[]any{"*.ping"}, []string{"test"}},
	}
	for _, tt := range tests {
		res := modules.Run(context.Background(), nil, "sys.list_modules", tt.args, nil)
		if !reflect.DeepEqual(res.Return, tt.want) {
			t.Errorf("list_modules %v = %#v, want %#v", tt.args, res.Return, tt.want)
		}
	}
}

func TestDoc(t *testing.T) {
	res := modules.Run(context.Background(), nil, "sys.doc", []any{"test.ping"}, nil)
	docs, ok := res.Return.(map[string]any)
	if !ok || len(docs) != 1 || !strings.Contains(docs["test.ping"].(string), "make sure the minion is up") {
		t.Fatalf("sys.doc test.ping = %#v", res.Return)
	}
	res = modules.Run(context.Background(), nil, "sys.doc", []any{"sys"}, nil)
	if docs := res.Return.(map[string]any); len(docs) != 3 || docs["sys.doc"] == "" {
		t.Errorf("sys.doc sys = %#v", docs)
	}
	res = modules.Run(context.Background(), nil, "sys.doc", nil, nil)
	if docs := res.Return.(map[string]any); len(docs) != len(modules.Names()) {
		t.Errorf("sys.doc returned %d docs for %d functions", len(docs), len(modules.Names()))
	}
	// Every registered function documents itself with a CLI example.
	for n, d := range res.Return.(map[string]any) {
		if !strings.Contains(d.(string), "CLI Example") {
			t.Errorf("%s has no CLI example in its doc", n)
		}
	}
	res = modules.Run(context.Background(), nil, "sys.doc", []any{"["}, nil)
	if res.Success || !strings.Contains(res.Return.(string), "malformed glob") {
		t.Errorf("bad glob: %+v", res)
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}
