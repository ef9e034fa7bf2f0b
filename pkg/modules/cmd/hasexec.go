package cmd

import (
	"context"
	"os/exec"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("cmd.has_exec", `Return true when CMD is an executable on PATH (or an executable path).

CLI Example:

    halite-master run '*' cmd.has_exec cat
`, hasExec)
}

func hasExec(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "cmd"); err != nil {
		return nil, err
	}
	name, err := c.String(0, "cmd")
	if err != nil {
		return nil, err
	}
	_, err = exec.LookPath(name)
	return err == nil, nil
}
