package ini

import (
	"context"
	"fmt"
	"sort"

	"github.com/halite/halite/pkg/atomicfile"
	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/value"
)

func init() {
	modules.Register("ini.get_option", "Return the value of OPTION in SECTION of the INI file FILE_NAME (\"\" for none).\n\nCLI Example:\n\n    halite-master run '*' ini.get_option /etc/php/8.2/fpm/php.ini PHP memory_limit\n", getOption)
	modules.Register("ini.get_section", "Return the options of SECTION of FILE_NAME as a dictionary.\n\nCLI Example:\n\n    halite-master run '*' ini.get_section /etc/php/8.2/fpm/php.ini PHP\n", getSection)
	modules.Register("ini.get_ini", "Return FILE_NAME as a dictionary: top-level options, and one dictionary per section.\n\nCLI Example:\n\n    halite-master run '*' ini.get_ini /etc/php/8.2/fpm/php.ini\n", getIni)
	modules.Register("ini.set_option", `Set options in FILE_NAME from SECTIONS ({section: {key: value}}, or
{key: value} for top-level options); return what changed as
{section: {key: {before, after}}}.

CLI Example:

    halite-master run '*' ini.set_option /etc/app.ini '{"main": {"port": 8080}}'
`, setOption)
	modules.Register("ini.remove_option", "Remove OPTION from SECTION of FILE_NAME; return its old value (None when it was not there).\n\nCLI Example:\n\n    halite-master run '*' ini.remove_option /etc/app.ini main port\n", removeOption)
	modules.Register("ini.remove_section", "Remove SECTION and its options from FILE_NAME; return them (None when it was not there).\n\nCLI Example:\n\n    halite-master run '*' ini.remove_section /etc/app.ini main\n", removeSection)
}

// Str is the text an option value is written as: Python's str() of it,
// as Salt writes it (True, 8080, text).
func Str(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case string:
		return x
	}
	return value.Repr(v)
}

func open(c *modules.Call, sepPos int) (string, *File, error) {
	path, err := c.String(0, "file_name")
	if err != nil {
		return "", nil, err
	}
	sep, err := c.OptString(sepPos, "separator", "=")
	if err != nil {
		return "", nil, err
	}
	f, _, err := Read(path, sep)
	return path, f, err
}

// optionArgs reads (file_name, section, option, separator), which
// get_option and remove_option share.
func optionArgs(c *modules.Call) (path string, f *File, section, opt string, err error) {
	if err = c.Expect(4, "file_name", "section", "option", "separator"); err != nil {
		return
	}
	if path, f, err = open(c, 3); err != nil {
		return
	}
	if section, err = c.OptString(1, "section", ""); err != nil {
		return
	}
	opt, err = c.String(2, "option")
	return
}

func getOption(_ context.Context, c *modules.Call) (any, error) {
	_, f, section, opt, err := optionArgs(c)
	if err != nil {
		return nil, err
	}
	v, _ := f.Get(section, opt)
	return v, nil
}

func sectionMap(f *File, section string) map[string]any {
	out := map[string]any{}
	for k, v := range f.Section(section) {
		out[k] = v
	}
	return out
}

func getSection(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "file_name", "section", "separator"); err != nil {
		return nil, err
	}
	_, f, err := open(c, 2)
	if err != nil {
		return nil, err
	}
	section, err := c.OptString(1, "section", "")
	if err != nil {
		return nil, err
	}
	return sectionMap(f, section), nil
}

func getIni(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "file_name", "separator"); err != nil {
		return nil, err
	}
	_, f, err := open(c, 1)
	if err != nil {
		return nil, err
	}
	out := sectionMap(f, "")
	for _, s := range f.Sections() {
		out[s] = sectionMap(f, s)
	}
	return out, nil
}

// Apply sets the options of sections in f (a section's body is a mapping;
// any other value is a top-level option) and returns the changes in
// Salt's shape: {section: {key: {before, after}}}, {key: {before, after}}
// at the top level.
func Apply(f *File, sections map[string]any) map[string]any {
	changes := map[string]any{}
	names := make([]string, 0, len(sections))
	for k := range sections {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		body, isSection := sections[name].(map[string]any)
		if !isSection {
			if ch := set(f, "", name, sections[name]); ch != nil {
				changes[name] = ch
			}
			continue
		}
		keys := make([]string, 0, len(body))
		for k := range body {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		sc := map[string]any{}
		for _, k := range keys {
			if ch := set(f, name, k, body[k]); ch != nil {
				sc[k] = ch
			}
		}
		if len(body) == 0 && f.AddSection(name) {
			sc = map[string]any{}
			changes[name] = sc
		}
		if len(sc) > 0 {
			changes[name] = sc
		}
	}
	return changes
}

func set(f *File, section, key string, v any) map[string]any {
	before, had := f.Get(section, key)
	after := Str(v)
	if !f.Set(section, key, after) {
		return nil
	}
	var b any = before
	if !had {
		b = nil
	}
	return map[string]any{"before": b, "after": after}
}

// Save writes f to path, keeping the file's owner and mode (0644 for a
// new file).
func Save(path string, f *File) error {
	return atomicfile.Replace(path, []byte(f.String()), 0o644)
}

func setOption(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "file_name", "sections", "separator"); err != nil {
		return nil, err
	}
	path, f, err := open(c, 2)
	if err != nil {
		return nil, err
	}
	sections, err := c.OptMap(1, "sections")
	if err != nil {
		return nil, err
	}
	changes := Apply(f, sections)
	if len(changes) > 0 {
		if err := Save(path, f); err != nil {
			return nil, err
		}
	}
	return changes, nil
}

func removeOption(_ context.Context, c *modules.Call) (any, error) {
	path, f, section, opt, err := optionArgs(c)
	if err != nil {
		return nil, err
	}
	old, had := f.Get(section, opt)
	if !had {
		return nil, nil
	}
	f.Remove(section, opt)
	if err := Save(path, f); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return old, nil
}

func removeSection(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "file_name", "section", "separator"); err != nil {
		return nil, err
	}
	path, f, err := open(c, 2)
	if err != nil {
		return nil, err
	}
	section, err := c.String(1, "section")
	if err != nil {
		return nil, err
	}
	if !f.HasSection(section) {
		return nil, nil
	}
	old := sectionMap(f, section)
	f.RemoveSection(section)
	if err := Save(path, f); err != nil {
		return nil, err
	}
	return old, nil
}
