package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/halite/halite/pkg/config"
)

// The example configs cannot drift from the config structs: a key added,
// renamed or with a new default or doc fails here until `make configs`.
func TestExamplesMatchTheStructs(t *testing.T) {
	files, err := Generate("../../pkg/config/config.go")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join("../../contrib/etc", name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("contrib/etc/%s is out of date: run `make configs`", name)
		}
	}
}

// Uncommented, each example is a valid config that means the defaults.
func TestExamplesAreTheDefaults(t *testing.T) {
	docs, err := fieldDocs("../../pkg/config/config.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		def  any
		load func(string) (any, error)
	}{
		{config.DefaultMaster(), func(p string) (any, error) { return config.LoadMaster(p) }},
		{config.DefaultMinion(), func(p string) (any, error) { return config.LoadMinion(p) }},
	} {
		p := filepath.Join(t.TempDir(), "c.yaml")
		live := render("x", c.def, docs, false)
		if err := os.WriteFile(p, live, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := c.load(p)
		if err != nil {
			t.Fatalf("%T example does not load: %v\n%s", c.def, err, live)
		}
		if reflect.TypeOf(c.def) == reflect.TypeOf(config.Minion{}) {
			m := got.(config.Minion)
			m.ID = "" // the default id is the host name
			got = m
		}
		a, _ := yaml.Marshal(got)
		b, _ := yaml.Marshal(c.def)
		if !bytes.Equal(a, b) {
			t.Errorf("%T example loads as\n%s\nnot the defaults\n%s", c.def, a, b)
		}
	}
}
