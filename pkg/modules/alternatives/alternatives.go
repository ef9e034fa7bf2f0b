// Package alternatives provides Salt's alternatives.show_current: where
// an alternatives link (update-alternatives) points now.
package alternatives

import (
	"context"
	"os"
	"path/filepath"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("alternatives.show_current", `Return the path the alternative NAME points to now, or false when it is
not set up.

CLI Example:

    halite-master run '*' alternatives.show_current editor
`, showCurrent)
}

// altDir is where update-alternatives keeps its links (a variable for tests).
var altDir = "/etc/alternatives"

func showCurrent(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "name"); err != nil {
		return nil, err
	}
	name, err := c.String(0, "name")
	if err != nil {
		return nil, err
	}
	target, err := os.Readlink(filepath.Join(altDir, filepath.Base(name)))
	if err != nil {
		return false, nil
	}
	return target, nil
}
