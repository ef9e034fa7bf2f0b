// Command genconfig writes contrib/etc/master.yaml and minion.yaml: every
// key of the config structs with its default value, commented out, under
// the doc comment of its field in pkg/config. `make configs` runs it; a
// test fails when the files have drifted from the structs.
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/halite/halite/pkg/config"
)

func main() {
	src := flag.String("src", "pkg/config/config.go", "the config structs' source (for their doc comments)")
	out := flag.String("out", "contrib/etc", "directory to write master.yaml and minion.yaml to")
	flag.Parse()
	files, err := Generate(*src)
	if err == nil {
		for name, b := range files {
			if err = os.WriteFile(filepath.Join(*out, name), b, 0o644); err != nil {
				break
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genconfig:", err)
		os.Exit(1)
	}
}

// Generate renders both example files from the structs in src.
func Generate(src string) (map[string][]byte, error) {
	docs, err := fieldDocs(src)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{
		"master.yaml": render("halite-master", config.DefaultMaster(), docs, true),
		"minion.yaml": render("halite-minion", config.DefaultMinion(), docs, true),
	}, nil
}

// fieldDocs maps "Type.Field" to the field's doc comment.
func fieldDocs(src string) (map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), src, nil, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	docs := map[string]string{}
	ast.Inspect(f, func(n ast.Node) bool {
		ts, ok := n.(*ast.TypeSpec)
		if !ok {
			return true
		}
		st, ok := ts.Type.(*ast.StructType)
		if !ok {
			return false
		}
		// A comment above a group of fields ("A and B bound ...") is the
		// doc of the undocumented fields after it that it names.
		var last string
		for _, fld := range st.Fields.List {
			doc := strings.TrimSpace(fld.Doc.Text())
			if doc == "" && fld.Comment != nil {
				doc = strings.TrimSpace(fld.Comment.Text())
			}
			if doc != "" {
				last = doc
			}
			for _, name := range fld.Names {
				d := doc
				if d == "" && regexp.MustCompile(`\b`+name.Name+`\b`).MatchString(last) {
					d = last
				}
				docs[ts.Name.Name+"."+name.Name] = d
			}
		}
		return false
	})
	return docs, nil
}

// render writes the example: with commented true every key line starts
// with "#" (the file then configures nothing), else the same YAML live.
func render(binary string, defaults any, docs map[string]string, commented bool) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s configuration: every key with its default value.\n", binary)
	b.WriteString("# Generated from pkg/config by `make configs`; do not edit by hand.\n")
	b.WriteString("# Uncomment and change what you need; a missing key keeps its default.\n")
	writeStruct(&b, reflect.ValueOf(defaults), docs, "", commented)
	return []byte(b.String())
}

// yamlNames writes the Go field names of t in doc as their config keys:
// the reader edits log_level, not LogLevel.
func yamlNames(doc string, t reflect.Type) string {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if name == "" || name == "-" || strings.ToUpper(f.Name) == f.Name {
			continue // API is also a word
		}
		doc = regexp.MustCompile(`\b`+f.Name+`\b`).ReplaceAllString(doc, name)
	}
	return doc
}

func writeStruct(b *strings.Builder, v reflect.Value, docs map[string]string, indent string, commented bool) {
	t := v.Type()
	var lastDoc string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name := strings.Split(tag, ",")[0]
		if strings.HasSuffix(tag, ",inline") {
			writeStruct(b, v.Field(i), docs, indent, commented)
			continue
		}
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		b.WriteString("\n")
		// A doc shared by a group of keys is written once, above the first.
		if doc := yamlNames(docs[t.Name()+"."+f.Name], t); doc != "" && doc != lastDoc {
			lastDoc = doc
			for _, l := range strings.Split(doc, "\n") {
				b.WriteString(strings.TrimRight(indent+"# "+l, " ") + "\n")
			}
		}
		hash := ""
		if commented {
			hash = "#"
		}
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct && f.Type != reflect.TypeOf(config.Duration(0)) {
			b.WriteString(hash + indent + name + ":\n")
			writeStruct(b, fv, docs, indent+"  ", commented)
			continue
		}
		y, err := yaml.Marshal(map[string]any{name: fv.Interface()})
		if err != nil {
			panic(fmt.Sprintf("genconfig: %s: %v", name, err)) // a config type yaml cannot marshal: a programming error
		}
		for _, l := range strings.Split(strings.TrimRight(string(y), "\n"), "\n") {
			b.WriteString(hash + indent + l + "\n")
		}
	}
}
