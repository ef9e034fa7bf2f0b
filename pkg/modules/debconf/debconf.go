// Package debconf provides Salt's debconf.* execution functions: the
// answers to Debian packages' install-time questions. It reads debconf's
// own database files (what debconf-get-selections does, without needing
// debconf-utils) and writes through debconf-set-selections.
package debconf

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/modules/cmd"
)

func init() {
	modules.Register("debconf.get_selections", `Return every debconf answer by package: {package: [[question, type, value], ...]}
(fetchempty=false leaves out questions without a value).

CLI Example:

    halite-master run '*' debconf.get_selections
`, getSelections)
	modules.Register("debconf.show", "Return the debconf answers of package NAME as [[question, type, value], ...], or None when it has none.\n\nCLI Example:\n\n    halite-master run '*' debconf.show tzdata\n", show)
	modules.Register("debconf.set", "Answer QUESTION of PACKAGE with VALUE of TYPE (string, boolean, select, password, ...); return true.\n\nCLI Example:\n\n    halite-master run '*' debconf.set tzdata tzdata/Areas select Europe\n", set)
}

// Dir is where debconf keeps its database.
const Dir = "/var/cache/debconf"

// Answer is one debconf question's answer.
type Answer struct {
	Question, Type, Value string
}

// record is one stanza of a debconf database file.
type record map[string]string

func readRecords(path string) ([]record, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseRecords(f)
}

// parseRecords reads RFC 822-like stanzas separated by blank lines; a
// line starting with a space continues the field before it.
func parseRecords(r io.Reader) ([]record, error) {
	var out []record
	cur := record{}
	last := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.TrimSpace(l) == "":
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur, last = record{}, ""
		case (l[0] == ' ' || l[0] == '\t') && last != "":
			cur[last] += "\n" + strings.TrimSpace(l)
		default:
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			last = strings.TrimSpace(k)
			cur[last] = strings.TrimSpace(v)
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out, sc.Err()
}

// Selections reads the answers in the database under dir, by owning
// package, as debconf-get-selections prints them.
func Selections(dir string) (map[string][]Answer, error) {
	templates, err := readRecords(filepath.Join(dir, "templates.dat"))
	if err != nil {
		return nil, err
	}
	types := make(map[string]string, len(templates))
	for _, t := range templates {
		types[t["Name"]] = t["Type"]
	}
	out := map[string][]Answer{}
	for _, file := range []string{"config.dat", "passwords.dat"} {
		recs, err := readRecords(filepath.Join(dir, file))
		if err != nil && !os.IsPermission(err) {
			return nil, err
		}
		for _, r := range recs {
			typ := types[r["Template"]]
			if typ == "" || typ == "title" || typ == "text" || typ == "note" || typ == "error" {
				continue
			}
			for _, owner := range strings.Split(r["Owners"], ",") {
				owner = strings.TrimSpace(owner)
				if owner == "" {
					continue
				}
				out[owner] = append(out[owner], Answer{Question: r["Name"], Type: typ, Value: r["Value"]})
			}
		}
	}
	for _, l := range out {
		sort.Slice(l, func(i, j int) bool { return l[i].Question < l[j].Question })
	}
	return out, nil
}

// Set answers one question through debconf-set-selections.
func Set(ctx context.Context, pkg, question, typ, value string) error {
	for _, f := range []string{pkg, question, typ} {
		if f == "" || strings.ContainsAny(f, " \t\n") {
			return fmt.Errorf("debconf: invalid package, question or type %q", f)
		}
	}
	if strings.ContainsAny(value, "\n") {
		return fmt.Errorf("debconf: a value cannot span lines")
	}
	res, err := cmd.Run(ctx, cmd.Options{Argv: []string{"debconf-set-selections"}, Stdin: fmt.Sprintf("%s %s %s %s\n", pkg, question, typ, value), Timeout: time.Minute})
	if err != nil {
		return fmt.Errorf("debconf-set-selections: %w", err)
	}
	if res.Retcode != 0 {
		return fmt.Errorf("debconf-set-selections: %s", strings.TrimSpace(res.Stderr+res.Stdout))
	}
	return nil
}

func toList(l []Answer) []any {
	out := make([]any, len(l))
	for i, a := range l {
		out[i] = []any{a.Question, a.Type, a.Value}
	}
	return out
}

func getSelections(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "fetchempty"); err != nil {
		return nil, err
	}
	empty, err := c.OptBool(0, "fetchempty", true)
	if err != nil {
		return nil, err
	}
	sel, err := Selections(Dir)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for pkg, l := range sel {
		if !empty {
			kept := l[:0:0]
			for _, a := range l {
				if a.Value != "" {
					kept = append(kept, a)
				}
			}
			l = kept
		}
		out[pkg] = toList(l)
	}
	return out, nil
}

func show(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "name"); err != nil {
		return nil, err
	}
	name, err := c.String(0, "name")
	if err != nil {
		return nil, err
	}
	sel, err := Selections(Dir)
	if err != nil {
		return nil, err
	}
	if l, ok := sel[name]; ok {
		return toList(l), nil
	}
	return nil, nil
}

func set(ctx context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(4, "package", "question", "type", "value"); err != nil {
		return nil, err
	}
	var f [4]string
	for i, n := range []string{"package", "question", "type", "value"} {
		s, err := c.String(i, n)
		if err != nil {
			return nil, err
		}
		f[i] = s
	}
	if err := Set(ctx, f[0], f[1], f[2], f[3]); err != nil {
		return nil, err
	}
	return true, nil
}
