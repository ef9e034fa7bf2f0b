// Package network provides Salt's network.* functions for the host's
// interfaces and addresses.
package network

import (
	"context"
	"fmt"
	"net"
	"path"
	"sort"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("network.interfaces", `Return the network interfaces and their addresses, in Salt's shape:

    {"eth0": {"hwaddr": "52:54:00:12:34:56", "up": true,
              "inet": [{"address": "10.0.0.5", "netmask": "255.255.255.0",
                        "broadcast": "10.0.0.255", "label": "eth0"}],
              "inet6": [{"address": "fe80::1", "prefixlen": "64", "scope": "link"}]}}

CLI Example:

    halite-master run '*' network.interfaces
`, interfaces)
	modules.Register("network.ip_addrs", `Return the IPv4 addresses of the host, loopback excluded unless
include_loopback=true.

    network.ip_addrs [interface] [include_loopback=false] [cidr=10.0.0.0/8] [type=public|private]

interface may be a glob (eth*). cidr keeps the addresses inside that
network; type keeps public or private ones.

CLI Example:

    halite-master run '*' network.ip_addrs
    halite-master run '*' network.ip_addrs eth0 cidr=10.0.0.0/8
`, ipAddrs(4))
	modules.Register("network.ip_addrs6", `Return the IPv6 addresses of the host, loopback excluded unless
include_loopback=true. Options as for network.ip_addrs.

CLI Example:

    halite-master run '*' network.ip_addrs6
`, ipAddrs(6))
	modules.Register("network.hw_addr", `Return the hardware (MAC) address of an interface.

CLI Example:

    halite-master run '*' network.hw_addr eth0
`, hwAddr)
}

// iface is what the functions need to know of one interface; tests build
// them by hand, the functions from net.Interfaces.
type iface struct {
	name  string
	up    bool
	loop  bool
	bcast bool
	hw    string
	addrs []*net.IPNet
}

func hostInterfaces() ([]iface, error) {
	list, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	out := make([]iface, 0, len(list))
	for _, l := range list {
		i := iface{
			name:  l.Name,
			up:    l.Flags&net.FlagUp != 0,
			loop:  l.Flags&net.FlagLoopback != 0,
			bcast: l.Flags&net.FlagBroadcast != 0,
			hw:    l.HardwareAddr.String(),
		}
		addrs, err := l.Addrs()
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", l.Name, err)
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				i.addrs = append(i.addrs, n)
			}
		}
		out = append(out, i)
	}
	return out, nil
}

func interfaces(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	ifs, err := hostInterfaces()
	if err != nil {
		return nil, err
	}
	return interfacesShape(ifs), nil
}

func interfacesShape(ifs []iface) map[string]any {
	out := map[string]any{}
	for _, i := range ifs {
		d := map[string]any{"up": i.up}
		switch {
		case i.hw != "":
			d["hwaddr"] = i.hw
		case i.loop:
			d["hwaddr"] = "00:00:00:00:00:00"
		}
		var inet, inet6 []any
		for _, a := range i.addrs {
			ones, _ := a.Mask.Size()
			if ip4 := a.IP.To4(); ip4 != nil {
				e := map[string]any{
					"address": ip4.String(),
					"netmask": net.IP(a.Mask[len(a.Mask)-4:]).String(),
					"label":   i.name,
				}
				if i.bcast && ones < 31 {
					e["broadcast"] = broadcast(ip4, a.Mask[len(a.Mask)-4:]).String()
				}
				inet = append(inet, e)
				continue
			}
			inet6 = append(inet6, map[string]any{
				"address":   a.IP.String(),
				"prefixlen": fmt.Sprint(ones),
				"scope":     scope6(a.IP),
			})
		}
		if inet != nil {
			d["inet"] = inet
		}
		if inet6 != nil {
			d["inet6"] = inet6
		}
		out[i.name] = d
	}
	return out
}

func broadcast(ip net.IP, mask net.IPMask) net.IP {
	b := make(net.IP, 4)
	for k := range b {
		b[k] = ip[k] | ^mask[k]
	}
	return b
}

func scope6(ip net.IP) string {
	switch {
	case ip.IsLoopback():
		return "host"
	case ip.IsLinkLocalUnicast():
		return "link"
	case len(ip) == net.IPv6len && ip[0] == 0xfe && ip[1]&0xc0 == 0xc0:
		return "site"
	}
	return "global"
}

func ipAddrs(family int) modules.Func {
	return func(_ context.Context, c *modules.Call) (any, error) {
		if err := c.Expect(1, "interface", "include_loopback", "cidr", "type"); err != nil {
			return nil, err
		}
		f, err := readFilter(c)
		if err != nil {
			return nil, err
		}
		ifs, err := hostInterfaces()
		if err != nil {
			return nil, err
		}
		return filterAddrs(ifs, family, f), nil
	}
}

type filter struct {
	iface    string
	loopback bool
	cidr     *net.IPNet
	public   bool
	private  bool
}

func readFilter(c *modules.Call) (filter, error) {
	var f filter
	var err error
	if f.iface, err = c.OptString(0, "interface", ""); err != nil {
		return f, err
	}
	if f.iface != "" {
		if _, err := path.Match(f.iface, ""); err != nil {
			return f, &modules.ArgError{Name: "interface", Msg: "malformed glob"}
		}
	}
	if f.loopback, err = c.OptBool(-1, "include_loopback", false); err != nil {
		return f, err
	}
	cidr, err := c.OptString(-1, "cidr", "")
	if err != nil {
		return f, err
	}
	if cidr != "" {
		if _, f.cidr, err = net.ParseCIDR(cidr); err != nil {
			return f, &modules.ArgError{Name: "cidr", Msg: fmt.Sprintf("%q is not a network like 10.0.0.0/8", cidr)}
		}
	}
	typ, err := c.OptString(-1, "type", "")
	if err != nil {
		return f, err
	}
	switch typ {
	case "":
	case "public":
		f.public = true
	case "private":
		f.private = true
	default:
		return f, &modules.ArgError{Name: "type", Msg: fmt.Sprintf("%q is neither public nor private", typ)}
	}
	return f, nil
}

func filterAddrs(ifs []iface, family int, f filter) []string {
	seen := map[string]bool{}
	for _, i := range ifs {
		if f.iface != "" {
			if ok, _ := path.Match(f.iface, i.name); !ok {
				continue
			}
		}
		for _, a := range i.addrs {
			is4 := a.IP.To4() != nil
			if is4 != (family == 4) {
				continue
			}
			ip := a.IP
			if ip.IsLoopback() && !f.loopback {
				continue
			}
			if f.cidr != nil && !f.cidr.Contains(ip) {
				continue
			}
			private := ip.IsPrivate() || ip.IsLoopback() || ip.IsLinkLocalUnicast()
			if f.public && private || f.private && !private {
				continue
			}
			seen[ip.String()] = true
		}
	}
	out := make([]string, 0, len(seen))
	for a := range seen {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

func hwAddr(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "iface"); err != nil {
		return nil, err
	}
	name, err := c.String(0, "iface")
	if err != nil {
		return nil, err
	}
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", name, err)
	}
	if len(ifc.HardwareAddr) == 0 && ifc.Flags&net.FlagLoopback != 0 {
		return "00:00:00:00:00:00", nil
	}
	return ifc.HardwareAddr.String(), nil
}
