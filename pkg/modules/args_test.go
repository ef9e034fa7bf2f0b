package modules

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestExpect(t *testing.T) {
	tests := []struct {
		name    string
		call    Call
		maxPos  int
		names   []string
		wantErr string
	}{
		{"ok", Call{Args: []any{1}, Kwargs: map[string]any{"b": 2}}, 2, []string{"a", "b"}, ""},
		{"internal kwargs ignored", Call{Kwargs: map[string]any{"__pub_jid": "1", "__env__": "base"}}, 0, nil, ""},
		{"variadic", Call{Args: make([]any, 50)}, Variadic, nil, ""},
		{"too many", Call{Args: []any{1, 2}}, 1, []string{"a"}, "takes at most 1 positional argument (2 given)"},
		{"none allowed", Call{Args: []any{1}}, 0, nil, "takes at most 0 positional arguments (1 given)"},
		{"unknown kwarg", Call{Kwargs: map[string]any{"c": 1}}, 2, []string{"a", "b"}, "unexpected keyword argument 'c'"},
		{"unknown kwargs sorted", Call{Kwargs: map[string]any{"z": 1, "c": 1, "a": 1}}, 2, []string{"a"}, "unexpected keyword arguments 'c', 'z'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call.Expect(tt.maxPos, tt.names...)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Expect: %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Expect = %v, want %q", err, tt.wantErr)
			}
			if !errors.Is(err, ErrInvalidArgument) {
				t.Errorf("error does not wrap ErrInvalidArgument")
			}
		})
	}
}

func TestGetters(t *testing.T) {
	c := &Call{
		Args: []any{"text", 30, int64(7), 2.5, "yes", []any{"a", 2}, nil},
		Kwargs: map[string]any{
			"flag": false, "csv": "x, y,,z", "env": map[string]any{"A": "1"},
			"envlist": []any{map[string]any{"A": "1"}, map[string]any{"B": 2}},
			"numstr":  " 12 ", "intf": 3.0, "onoff": "OFF", "codes": []any{1, "2"}, "code": 3,
		},
	}
	check := func(name string, got, want any, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	s, err := c.String(0, "s")
	check("String", s, "text", err)
	s, err = c.String(1, "n")
	check("String of int", s, "30", err)
	n, err := c.Int(1, "n")
	check("Int", n, 30, err)
	n, err = c.Int(2, "n64")
	check("Int from int64", n, 7, err)
	n, err = c.OptInt(-1, "numstr", 0)
	check("Int from numeric string", n, 12, err)
	n, err = c.OptInt(-1, "intf", 0)
	check("Int from integral float", n, 3, err)
	n, err = c.OptInt(-1, "absent", 9)
	check("OptInt default", n, 9, err)
	n, err = c.OptInt(6, "null", 9)
	check("OptInt null is default", n, 9, err)
	f, err := c.Float(3, "f")
	check("Float", f, 2.5, err)
	f, err = c.OptFloat(1, "n", 0)
	check("Float from int", f, 30.0, err)
	b, err := c.OptBool(4, "yes", false)
	check("Bool from yes", b, true, err)
	b, err = c.OptBool(-1, "flag", true)
	check("Bool", b, false, err)
	b, err = c.OptBool(-1, "onoff", true)
	check("Bool from OFF", b, false, err)
	l, err := c.OptStrings(-1, "csv")
	check("Strings from csv", l, []string{"x", "y", "z"}, err)
	l, err = c.OptStrings(5, "list")
	check("Strings from list", l, []string{"a", "2"}, err)
	ints, err := c.OptInts(-1, "codes")
	check("Ints", ints, []int{1, 2}, err)
	ints, err = c.OptInts(-1, "code")
	check("Ints from scalar", ints, []int{3}, err)
	m, err := c.OptMap(-1, "env")
	check("Map", m, map[string]any{"A": "1"}, err)
	m, err = c.OptMap(-1, "envlist")
	check("Map from list of maps", m, map[string]any{"A": "1", "B": 2}, err)
	r, err := (&Call{Args: []any{"a", 1, true, 1.5}}).RestStrings(1)
	check("RestStrings", r, []string{"1", "true", "1.5"}, err)
	if _, err := c.RestStrings(3); err == nil || err.Error() != "argument 'args[5]': want a string, got a list" {
		t.Errorf("RestStrings over a list: %v", err)
	}
	if got := c.Rest(5); len(got) != 2 {
		t.Errorf("Rest(5) = %v", got)
	}
	if got := c.Rest(10); got != nil {
		t.Errorf("Rest(10) = %v", got)
	}
}

func TestGetterErrors(t *testing.T) {
	c := &Call{
		Args:   []any{"abc", 1.5, map[string]any{}, 2},
		Kwargs: map[string]any{"dup": 1, "list": []any{map[string]any{}}, "maybe": "perhaps", "big": 1e300},
	}
	c.Args = append(c.Args, "x") // position 4 is also given as "dup" below
	c.Kwargs["p4"] = "y"
	tests := []struct {
		name string
		get  func() error
		want string
	}{
		{"missing", func() error { _, err := c.String(9, "name"); return err }, "argument 'name': missing required argument"},
		{"both ways", func() error { _, err := c.String(4, "p4"); return err }, "argument 'p4': given both by position and by keyword"},
		{"int from text", func() error { _, err := c.Int(0, "n"); return err }, `argument 'n': want an integer, got string "abc"`},
		{"int from fraction", func() error { _, err := c.Int(1, "n"); return err }, "argument 'n': want an integer, got number 1.5"},
		{"int from huge float", func() error { _, err := c.OptInt(-1, "big", 0); return err }, "argument 'big': want an integer, got number 1e+300"},
		{"string from map", func() error { _, err := c.String(2, "s"); return err }, "argument 's': want a string, got a mapping"},
		{"bool from word", func() error { _, err := c.OptBool(-1, "maybe", false); return err }, `argument 'maybe': want true or false, got string "perhaps"`},
		{"bool from 2", func() error { _, err := c.OptBool(3, "b", false); return err }, "argument 'b': want true or false, got integer 2"},
		{"strings from map item", func() error { _, err := c.OptStrings(-1, "list"); return err }, "argument 'list[0]': want a string, got a mapping"},
		{"map from list of scalars", func() error { _, err := c.OptMap(3, "m"); return err }, "argument 'm': want a mapping, got integer 2"},
		{"float from text", func() error { _, err := c.Float(0, "f"); return err }, `argument 'f': want a number, got string "abc"`},
	}
	for _, tt := range tests {
		err := tt.get()
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
			continue
		}
		var ae *ArgError
		if !errors.As(err, &ae) || !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: %T is not an *ArgError wrapping ErrInvalidArgument", tt.name, err)
		}
	}
}

func TestUserKwargs(t *testing.T) {
	c := &Call{Kwargs: map[string]any{"a": 1, "__pub_jid": "x"}}
	if got := c.UserKwargs(); !reflect.DeepEqual(got, map[string]any{"a": 1}) {
		t.Errorf("UserKwargs = %v", got)
	}
	if got := c.KwargNames(); !reflect.DeepEqual(got, []string{"__pub_jid", "a"}) {
		t.Errorf("KwargNames = %v", got)
	}
	if (&Call{}).Log() == nil {
		t.Error("Log() = nil without an Env")
	}
}

func init() {
	Register("modtest.add", "Add two integers.", func(_ context.Context, c *Call) (any, error) {
		if err := c.Expect(2, "a", "b"); err != nil {
			return nil, err
		}
		a, err := c.Int(0, "a")
		if err != nil {
			return nil, err
		}
		b, err := c.OptInt(1, "b", 1)
		if err != nil {
			return nil, err
		}
		return a + b, nil
	})
	Register("modtest.panic", "Panic.", func(context.Context, *Call) (any, error) {
		var m map[string]int
		m["boom"]++
		return nil, nil
	})
}

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		fun     string
		args    []any
		kwargs  map[string]any
		want    any
		retcode int
	}{
		{"unknown function", "x.y", nil, nil, "'x.y' is not available.", 1},
		{"unknown module", "nosuchmodule.ping", nil, nil, "'nosuchmodule.ping' is not available.", 1},
		{"positional", "modtest.add", []any{2, 3}, nil, 5, 0},
		{"keyword and default", "modtest.add", nil, map[string]any{"a": 2}, 3, 0},
		{"bad argument", "modtest.add", []any{"two"}, nil, `modtest.add: argument 'a': want an integer, got string "two"`, 1},
		{"panic is contained", "modtest.panic", nil, nil, "modtest.panic: internal error: assignment to entry in nil map", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Run(context.Background(), nil, tt.fun, tt.args, tt.kwargs)
			if !reflect.DeepEqual(res.Return, tt.want) || res.Retcode != tt.retcode || res.Success != (tt.retcode == 0) {
				t.Errorf("Run = %+v, want %#v retcode %d", res, tt.want, tt.retcode)
			}
		})
	}
	if _, ok := Lookup("modtest.add"); !ok {
		t.Error("Lookup(modtest.add) failed")
	}
	found := false
	for _, n := range Names() {
		found = found || n == "modtest.add"
	}
	if !found || !strings.Contains(strings.Join(Names(), " "), "modtest.panic") {
		t.Errorf("Names() = %v", Names())
	}
}
