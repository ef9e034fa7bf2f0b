package pillar

import "github.com/halite/halite/pkg/template"

// DefaultDelimiter separates the levels of a nested key ("mysql:users:0").
const DefaultDelimiter = ":"

// Get is pillar.get: it walks key through nested mappings and lists of p
// (a numeric step indexes a list) and returns def when any step is
// missing. An empty delim means DefaultDelimiter. The value returned is
// p's own, not a copy.
//
//	Get(p, "mysql:server:port", 3306, "")
func Get(p map[string]any, key string, def any, delim string) any {
	if delim == "" {
		delim = DefaultDelimiter
	}
	if p == nil {
		return def
	}
	return template.Traverse(p, key, delim, def)
}
