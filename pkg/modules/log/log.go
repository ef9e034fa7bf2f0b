// Package log provides Salt's log.* functions: templates and states write
// to the minion's log (`{%- do salt['log.debug']('...') %}`).
package log

import (
	"context"
	"fmt"
	"strings"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	for _, level := range []string{"debug", "info", "warning", "error", "critical", "exception"} {
		modules.Register("log."+level, fmt.Sprintf(`Write MESSAGE to the minion's log at %s level. Further arguments are
joined to it with spaces. Returns nothing.

CLI Example:

    halite-master run '*' log.%s 'Please do not panic'
`, level, level), logAt(level))
	}
}

func logAt(level string) modules.Func {
	return func(_ context.Context, c *modules.Call) (any, error) {
		parts := make([]string, 0, len(c.Args))
		for _, a := range c.Args {
			parts = append(parts, fmt.Sprint(a))
		}
		msg := strings.Join(parts, " ")
		log := c.Log().Named("template")
		switch level {
		case "debug":
			log.Debug(msg)
		case "info":
			log.Info(msg)
		case "warning":
			log.Warn(msg)
		default:
			log.Error(msg)
		}
		return nil, nil
	}
}
