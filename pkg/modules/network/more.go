package network

import (
	"context"
	"net"
	"os"
	"strings"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("network.get_hostname", "Return the host's name (socket.gethostname).\n\nCLI Example:\n\n    halite-master run '*' network.get_hostname\n", getHostname)
	modules.Register("network.get_fqdn", "Return the host's fully qualified name (the fqdn grain).\n\nCLI Example:\n\n    halite-master run '*' network.get_fqdn\n", getFQDN)
	modules.Register("network.interface_ip", `Return the first IPv4 address of the interface IFACE ("" when it has
none).

CLI Example:

    halite-master run '*' network.interface_ip eth0
`, interfaceIP)
	modules.Register("network.interface", `Return the addresses of the interface IFACE as Salt does: a list of
{address, netmask, broadcast, label} mappings.

CLI Example:

    halite-master run '*' network.interface eth0
`, interfaceAddrs)
}

func getHostname(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	return os.Hostname()
}

func getFQDN(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	if c.Env != nil && c.Env.Grains != nil {
		if f, ok := c.Env.Grains()["fqdn"].(string); ok && f != "" {
			return f, nil
		}
	}
	return os.Hostname()
}

func ipv4Of(name string) ([]*net.IPNet, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, err
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil, err
	}
	var out []*net.IPNet
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			out = append(out, n)
		}
	}
	return out, nil
}

func interfaceIP(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "iface"); err != nil {
		return nil, err
	}
	name, err := c.String(0, "iface")
	if err != nil {
		return nil, err
	}
	nets, err := ipv4Of(name)
	if err != nil || len(nets) == 0 {
		return "", nil // Salt answers "" for an interface without one
	}
	return nets[0].IP.String(), nil
}

func interfaceAddrs(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "iface"); err != nil {
		return nil, err
	}
	name, err := c.String(0, "iface")
	if err != nil {
		return nil, err
	}
	nets, err := ipv4Of(name)
	if err != nil {
		return "Interface \"" + strings.ReplaceAll(name, "\"", "") + "\" not in available interfaces", nil
	}
	out := []any{}
	for _, n := range nets {
		mask := net.IP(n.Mask).String()
		bcast := make(net.IP, 4)
		for i := range 4 {
			bcast[i] = n.IP.To4()[i] | ^n.Mask[len(n.Mask)-4+i]
		}
		out = append(out, map[string]any{"address": n.IP.String(), "netmask": mask, "broadcast": bcast.String(), "label": name})
	}
	return out, nil
}
