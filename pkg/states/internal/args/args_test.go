package args

import (
	"reflect"
	"strings"
	"testing"
)

func TestGetters(t *testing.T) {
	a := New(map[string]any{
		"s": "text", "n": 3, "f": 1.5, "big": int64(7), "yes": "Yes", "off": "off", "b": true,
		"one": "single", "list": []any{"a", 2, true}, "env": []any{map[string]any{"A": 1}, map[string]any{"B": "x"}},
		"m": map[string]any{"k": "v"}, "nil": nil, "__internal": 1, "float_int": 4.0,
	})
	if a.String("s", "") != "text" || a.String("n", "") != "3" || a.String("f", "") != "1.5" || a.String("missing", "d") != "d" {
		t.Fatal("String")
	}
	if a.Int("n", 0) != 3 || a.Int("big", 0) != 7 || a.Int("float_int", 0) != 4 || a.Int("missing", 9) != 9 {
		t.Fatal("Int")
	}
	if !a.Bool("yes", false) || a.Bool("off", true) || !a.Bool("b", false) || a.OptBool("nil") != nil {
		t.Fatal("Bool")
	}
	if l, ok := a.Strings("one"); !ok || !reflect.DeepEqual(l, []string{"single"}) {
		t.Fatalf("Strings single: %v", l)
	}
	if l, _ := a.Strings("list"); !reflect.DeepEqual(l, []string{"a", "2", "True"}) {
		t.Fatalf("Strings list: %v", l)
	}
	if m, _ := a.Map("env"); !reflect.DeepEqual(m, map[string]any{"A": 1, "B": "x"}) {
		t.Fatalf("Map list of maps: %v", m)
	}
	if m, _ := a.Map("m"); m["k"] != "v" {
		t.Fatal("Map")
	}
	if a.Has("nil") {
		t.Fatal("a null value counts as absent")
	}
	if err := a.Err(); err != nil {
		t.Fatalf("every key was read, and __ keys are the runner's: %v", err)
	}
}

func TestErrors(t *testing.T) {
	a := New(map[string]any{"n": "abc", "b": "maybe", "l": map[string]any{}, "m": 5, "typo": 1, "f": 2.5, "s": []any{1}})
	a.Int("n", 0)
	a.Bool("b", false)
	a.Strings("l")
	a.Map("m")
	a.Int("f", 0)
	a.String("s", "")
	err := a.Err()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{`argument "n": want an integer`, `argument "b": want a boolean`,
		`argument "l": want a string or a list`, `argument "m": want a mapping`, `argument "f": want an integer`,
		`argument "s": want a string`, `unexpected argument "typo"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors %q lack %q", err, want)
		}
	}
}
