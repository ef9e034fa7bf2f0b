package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The README's "For Salt users" table stays true: every test it names as
// proof exists, and every halite command it shows parses (the binary
// accepts its subcommand and flags).
func TestReadmeSaltTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "## For Salt users\n")
	if start < 0 {
		t.Fatal(`README has no "For Salt users" section`)
	}
	section := readme[start+1:]
	section = section[:strings.Index(section, "\n## ")]

	tests := map[string]bool{}
	filepath.WalkDir("../..", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, _ := os.ReadFile(p)
		for _, m := range regexp.MustCompile(`(?m)^func (Test\w+)\(`).FindAllStringSubmatch(string(src), -1) {
			tests[m[1]] = true
		}
		return nil
	})
	code := regexp.MustCompile("`(halite-(?:master|minion) [^`]*)`")
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| Salt habit") {
			continue
		}
		cells := strings.Split(strings.ReplaceAll(line, `\|`, "\x00"), " | ")
		if len(cells) != 4 {
			t.Errorf("row without 4 cells: %s", line)
			continue
		}
		rows++
		proof := strings.TrimSuffix(cells[3], " |")
		for _, name := range regexp.MustCompile(`Test\w+`).FindAllString(proof, -1) {
			if !tests[name] {
				t.Errorf("README names %s as proof, but no such test exists", name)
			}
		}
		if proof == "—" && !strings.HasPrefix(cells[2], "missing") {
			t.Errorf("a row that is not 'missing' names no test: %s", line)
		}
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			var args []string
			for _, f := range strings.Fields(m[1]) {
				if f == "…" {
					continue
				}
				args = append(args, strings.Trim(f, "'"))
			}
			cmd := exec.Command(filepath.Join(binDir, args[0]), append(args[1:], "--help")...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Errorf("README command %q does not parse: %v\n%s", m[1], err, out.String())
			}
		}
	}
	if rows < 20 {
		t.Errorf("the table has %d rows; it should cover the habits", rows)
	}
}
