// Package ini provides Salt's ini.* execution functions and the model of
// an INI file that they and the ini.* states share: sections of
// "key = value" options, with top-level options before the first section.
// Editing keeps every line it does not change (comments, blank lines,
// order, the spacing of untouched options), unlike Salt, which rewrites
// the whole file.
package ini

import (
	"fmt"
	"os"
	"strings"
)

// File is a parsed INI file.
type File struct {
	sep   string
	lines []line
}

type lineKind uint8

const (
	other  lineKind = iota // comment, blank, or text without a separator
	header                 // [section]
	option                 // key SEP value
)

type line struct {
	kind    lineKind
	section string // the section the line is in ("" before the first header)
	key     string // option key, or the section name of a header
	value   string
	raw     string
}

// Parse reads text with sep (Salt's separator, "=" by default) between
// keys and values.
func Parse(text, sep string) *File {
	if sep == "" {
		sep = "="
	}
	f := &File{sep: sep}
	if text == "" {
		return f
	}
	section := ""
	for _, raw := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		t := strings.TrimSpace(raw)
		l := line{kind: other, section: section, raw: raw}
		switch {
		case t == "" || t[0] == '#' || t[0] == ';':
		case t[0] == '[' && t[len(t)-1] == ']':
			section = strings.TrimSpace(t[1 : len(t)-1])
			l.kind, l.section, l.key = header, section, section
		default:
			if k, v, ok := strings.Cut(t, strings.TrimSpace(sep)); ok && strings.TrimSpace(sep) != "" {
				l.kind, l.key, l.value = option, strings.TrimSpace(k), strings.TrimSpace(v)
			} else if sep == " " || strings.TrimSpace(sep) == "" {
				k, v, _ := strings.Cut(t, " ")
				l.kind, l.key, l.value = option, k, strings.TrimSpace(v)
			}
		}
		f.lines = append(f.lines, l)
	}
	return f
}

// Read parses the file at path; a missing file is an empty one.
func Read(path, sep string) (*File, bool, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return Parse("", sep), false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return Parse(string(b), sep), true, nil
}

// String renders the file.
func (f *File) String() string {
	if len(f.lines) == 0 {
		return ""
	}
	var b strings.Builder
	for _, l := range f.lines {
		b.WriteString(l.raw)
		b.WriteByte('\n')
	}
	return b.String()
}

// Sections lists the section names in file order.
func (f *File) Sections() []string {
	var out []string
	for _, l := range f.lines {
		if l.kind == header {
			out = append(out, l.key)
		}
	}
	return out
}

// HasSection reports whether the section exists ("" always does).
func (f *File) HasSection(section string) bool {
	if section == "" {
		return true
	}
	for _, l := range f.lines {
		if l.kind == header && l.key == section {
			return true
		}
	}
	return false
}

// Section returns the options of section ("" for the top level); the
// last of repeated keys wins.
func (f *File) Section(section string) map[string]string {
	out := map[string]string{}
	for _, l := range f.lines {
		if l.kind == option && l.section == section {
			out[l.key] = l.value
		}
	}
	return out
}

// Keys lists the keys of section in file order, each once.
func (f *File) Keys(section string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range f.lines {
		if l.kind == option && l.section == section && !seen[l.key] {
			seen[l.key] = true
			out = append(out, l.key)
		}
	}
	return out
}

// Get returns the value of key in section.
func (f *File) Get(section, key string) (string, bool) {
	v, ok := "", false
	for _, l := range f.lines {
		if l.kind == option && l.section == section && l.key == key {
			v, ok = l.value, true
		}
	}
	return v, ok
}

func (f *File) format(key, value string) string {
	if f.sep == " " {
		return key + " " + value
	}
	return fmt.Sprintf("%s %s %s", key, strings.TrimSpace(f.sep), value)
}

// Set sets key in section to value, adding the section (at the end) and
// the key (after the section's last option) when missing. It reports
// whether the file changed.
func (f *File) Set(section, key, value string) bool {
	last := -1
	for i := range f.lines {
		l := &f.lines[i]
		if l.kind == option && l.section == section && l.key == key {
			last = i
		}
	}
	if last >= 0 {
		if f.lines[last].value == value {
			return false
		}
		f.lines[last].value, f.lines[last].raw = value, f.format(key, value)
		return true
	}
	nl := line{kind: option, section: section, key: key, value: value, raw: f.format(key, value)}
	if !f.HasSection(section) {
		if n := len(f.lines); n > 0 && strings.TrimSpace(f.lines[n-1].raw) != "" {
			f.lines = append(f.lines, line{kind: other, section: f.lines[n-1].section})
		}
		f.lines = append(f.lines, line{kind: header, section: section, key: section, raw: "[" + section + "]"}, nl)
		return true
	}
	// After the section's last option (or its header); before the blank
	// lines and comments that separate it from the next section.
	at := -1
	for i, l := range f.lines {
		if (l.kind == header && l.key == section) || (l.kind == option && l.section == section) {
			at = i + 1
		}
	}
	if at < 0 { // the top level of a file whose first line is a header
		at = 0
	}
	f.lines = append(f.lines[:at], append([]line{nl}, f.lines[at:]...)...)
	return true
}

// Remove deletes key from section; it reports whether it was there.
func (f *File) Remove(section, key string) bool {
	out := f.lines[:0]
	removed := false
	for _, l := range f.lines {
		if l.kind == option && l.section == section && l.key == key {
			removed = true
			continue
		}
		out = append(out, l)
	}
	f.lines = out
	return removed
}

// AddSection adds an empty section at the end; it reports whether it was
// missing.
func (f *File) AddSection(section string) bool {
	if f.HasSection(section) {
		return false
	}
	if n := len(f.lines); n > 0 && strings.TrimSpace(f.lines[n-1].raw) != "" {
		f.lines = append(f.lines, line{kind: other, section: f.lines[n-1].section})
	}
	f.lines = append(f.lines, line{kind: header, section: section, key: section, raw: "[" + section + "]"})
	return true
}

// RemoveSection deletes a section's header and every line up to the next
// header; it reports whether it was there.
func (f *File) RemoveSection(section string) bool {
	if section == "" || !f.HasSection(section) {
		return false
	}
	out := f.lines[:0]
	for _, l := range f.lines {
		if l.section == section {
			continue
		}
		out = append(out, l)
	}
	f.lines = out
	return true
}
