// Package environ provides environ.get and environ.items: the minion
// process's environment, as formulas read it.
package environ

import (
	"context"
	"os"
	"strings"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("environ.get", "Return the value of the environment variable KEY of the minion process, or DEFAULT (\"\").\n\nCLI Example:\n\n    halite-master run '*' environ.get PATH\n", get)
	modules.Register("environ.items", "Return the environment of the minion process as a dictionary.\n\nCLI Example:\n\n    halite-master run '*' environ.items\n", items)
}

func get(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "key", "default"); err != nil {
		return nil, err
	}
	key, err := c.String(0, "key")
	if err != nil {
		return nil, err
	}
	if v, ok := os.LookupEnv(key); ok {
		return v, nil
	}
	if d, ok, _ := c.Value(1, "default"); ok {
		return d, nil
	}
	return "", nil
}

func items(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		out[k] = v
	}
	return out, nil
}
