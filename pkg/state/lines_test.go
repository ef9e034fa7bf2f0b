package state

import (
	"context"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/template"
)

// Errors found in the rendered text (YAML, SLS structure) cite the line of
// the template source, not of the rendered text, when the template engine
// keeps a line map.
func TestErrorsCiteSourceLines(t *testing.T) {
	src := memSource{
		// The loop and the set tag render to fewer lines than they take;
		// the multi-line output adds lines.
		"shape.sls": lines(
			"{% set users = ['a', 'b'] %}", // 1
			"{% for u in users %}",         // 2
			"user-{{ u }}:",                // 3
			"  t.succeed:",                 // 4
			"    - name: {{ u }}",          // 5
			"{% endfor %}",                 // 6
			"{{ 'x:\\n  t.succeed: []' }}", // 7
			"bad:",                         // 8
			"  t.succeed:",                 // 9
			"    mode: 644",                // 10 (not a list)
		),
		"multi.sls": lines(
			"{%- set x = 1 %}",  // 1
			"{%- if x %}",       // 2
			"{%- endif %}",      // 3
			"a:",                // 4
			"  t.succeed:",      // 5
			"    - require: []", // 6
			"      other: o",    // 7 (a requisite with a sibling key)
		),
		"yaml.sls": lines(
			"{% for i in [1, 2, 3] %}", // 1
			"k{{ i }}: v",              // 2
			"{% endfor %}",             // 3
			"bad: x: y",                // 4
		),
	}
	c := &Compiler{Source: src, Render: template.New(nil, nil)}
	for sls, want := range map[string]string{
		"shape": "shape.sls:9: State 'bad' in SLS 'shape' is not formed as a list",
		"multi": "multi.sls:6: Multiple dictionaries",
		"yaml":  "yaml.sls:4: yaml: mapping values are not allowed",
	} {
		_, err := c.ShowSLS(context.Background(), "", []string{sls})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v\nwant it to contain %q", sls, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "refer to the rendered template") {
			t.Errorf("%s: still says lines refer to the rendered text: %v", sls, err)
		}
	}
}
