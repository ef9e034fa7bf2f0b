package schedule

import (
	"testing"

	"gopkg.in/yaml.v3"
)

// Any schedule a pillar can hold parses or errors; it never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"load: {function: status.loadavg, seconds: 60, splay: 5}",
		"x: {function: test.ping, minutes: 1, splay: {start: 1, end: 3}, args: [1], kwargs: {a: b}}",
		"enabled: false",
		"x: {function: f, seconds: 1e308}",
		"x: {fun: f, hours: '-1'}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var raw map[string]any
		if yaml.Unmarshal(b, &raw) != nil {
			return
		}
		es, _ := Parse(raw)
		for _, e := range es {
			if e.Every < MinEvery || e.SplayMin > e.SplayMax || e.SplayMin < 0 {
				t.Fatalf("entry %+v out of bounds", e)
			}
		}
	})
}
