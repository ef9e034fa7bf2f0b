// Package mine provides mine.get until the mine itself exists (the
// orchestration issue): it answers as Salt does when nothing was mined,
// an empty mapping, so formulas that read the mine render.
package mine

import (
	"context"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("mine.get", `Return the mine data of FUN for the minions TGT matches, keyed by minion
id. Halite has no mine yet: the answer is always empty, as Salt's is when
nothing was mined.

CLI Example:

    halite-master run '*' mine.get '*' network.ip_addrs
`, get)
}

func get(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "tgt", "fun", "tgt_type", "exclude_minion"); err != nil {
		return nil, err
	}
	return map[string]any{}, nil
}
