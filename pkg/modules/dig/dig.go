// Package dig provides Salt's dig.A and dig.AAAA through the host's
// resolver.
package dig

import (
	"context"
	"net"
	"time"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("dig.A", "Return the IPv4 addresses of HOST (a list; empty when it does not resolve).\n\nCLI Example:\n\n    halite-master run '*' dig.A www.example.com\n", lookup("ip4"))
	modules.Register("dig.AAAA", "Return the IPv6 addresses of HOST (a list; empty when it does not resolve).\n\nCLI Example:\n\n    halite-master run '*' dig.AAAA www.example.com\n", lookup("ip6"))
}

func lookup(network string) modules.Func {
	return func(ctx context.Context, c *modules.Call) (any, error) {
		if err := c.Expect(2, "host", "nameserver"); err != nil {
			return nil, err
		}
		host, err := c.String(0, "host")
		if err != nil {
			return nil, err
		}
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		ips, err := net.DefaultResolver.LookupIP(ctx, network, host)
		out := []any{}
		if err != nil {
			return out, nil
		}
		for _, ip := range ips {
			out = append(out, ip.String())
		}
		return out, nil
	}
}
