package network

import (
	"context"
	"net"
	"reflect"
	"slices"
	"testing"

	"github.com/halite/halite/pkg/modules"
)

func mustCIDR(t *testing.T, s string) *net.IPNet {
	t.Helper()
	ip, n, err := net.ParseCIDR(s)
	if err != nil {
		t.Fatal(err)
	}
	n.IP = ip
	return n
}

func sample(t *testing.T) []iface {
	return []iface{
		{name: "lo", up: true, loop: true, addrs: []*net.IPNet{mustCIDR(t, "127.0.0.1/8"), mustCIDR(t, "::1/128")}},
		{name: "eth0", up: true, bcast: true, hw: "52:54:00:12:34:56", addrs: []*net.IPNet{
			mustCIDR(t, "10.0.0.5/24"), mustCIDR(t, "203.0.113.7/32"), mustCIDR(t, "2001:db8::5/64"), mustCIDR(t, "fe80::1/64")}},
		{name: "eth1", up: false, bcast: true, hw: "52:54:00:ab:cd:ef", addrs: []*net.IPNet{mustCIDR(t, "192.168.1.9/16")}},
		{name: "tun0", up: true},
	}
}

func TestInterfacesShape(t *testing.T) {
	got := interfacesShape(sample(t))
	want := map[string]any{
		"lo": map[string]any{"up": true, "hwaddr": "00:00:00:00:00:00",
			"inet":  []any{map[string]any{"address": "127.0.0.1", "netmask": "255.0.0.0", "label": "lo"}},
			"inet6": []any{map[string]any{"address": "::1", "prefixlen": "128", "scope": "host"}}},
		"eth0": map[string]any{"up": true, "hwaddr": "52:54:00:12:34:56",
			"inet": []any{
				map[string]any{"address": "10.0.0.5", "netmask": "255.255.255.0", "broadcast": "10.0.0.255", "label": "eth0"},
				map[string]any{"address": "203.0.113.7", "netmask": "255.255.255.255", "label": "eth0"},
			},
			"inet6": []any{
				map[string]any{"address": "2001:db8::5", "prefixlen": "64", "scope": "global"},
				map[string]any{"address": "fe80::1", "prefixlen": "64", "scope": "link"},
			}},
		"eth1": map[string]any{"up": false, "hwaddr": "52:54:00:ab:cd:ef",
			"inet": []any{map[string]any{"address": "192.168.1.9", "netmask": "255.255.0.0", "broadcast": "192.168.255.255", "label": "eth1"}}},
		"tun0": map[string]any{"up": true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("interfacesShape =\n%#v\nwant\n%#v", got, want)
	}
}

func TestFilterAddrs(t *testing.T) {
	ifs := sample(t)
	_, ten, _ := net.ParseCIDR("10.0.0.0/8")
	tests := []struct {
		name   string
		family int
		f      filter
		want   []string
	}{
		{"default", 4, filter{}, []string{"10.0.0.5", "192.168.1.9", "203.0.113.7"}},
		{"loopback", 4, filter{loopback: true}, []string{"10.0.0.5", "127.0.0.1", "192.168.1.9", "203.0.113.7"}},
		{"interface", 4, filter{iface: "eth0"}, []string{"10.0.0.5", "203.0.113.7"}},
		{"interface glob", 4, filter{iface: "eth*"}, []string{"10.0.0.5", "192.168.1.9", "203.0.113.7"}},
		{"cidr", 4, filter{cidr: ten}, []string{"10.0.0.5"}},
		{"public", 4, filter{public: true}, []string{"203.0.113.7"}},
		{"private", 4, filter{private: true}, []string{"10.0.0.5", "192.168.1.9"}},
		{"v6", 6, filter{}, []string{"2001:db8::5", "fe80::1"}},
		{"v6 loopback", 6, filter{loopback: true}, []string{"2001:db8::5", "::1", "fe80::1"}},
		{"none", 4, filter{iface: "wlan0"}, []string{}},
	}
	for _, tt := range tests {
		if got := filterAddrs(ifs, tt.family, tt.f); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestLive(t *testing.T) {
	res := modules.Run(context.Background(), nil, "network.interfaces", nil, nil)
	ifs, ok := res.Return.(map[string]any)
	if !ok {
		t.Fatalf("interfaces = %+v", res)
	}
	lo, ok := ifs["lo"].(map[string]any)
	if !ok || lo["hwaddr"] != "00:00:00:00:00:00" {
		t.Fatalf("lo = %#v", ifs["lo"])
	}
	inet := lo["inet"].([]any)[0].(map[string]any)
	if inet["address"] != "127.0.0.1" || inet["netmask"] != "255.0.0.0" {
		t.Errorf("lo inet = %v", inet)
	}
	res = modules.Run(context.Background(), nil, "network.ip_addrs", nil, map[string]any{"include_loopback": true})
	if l, _ := res.Return.([]string); !slices.Contains(l, "127.0.0.1") {
		t.Errorf("ip_addrs include_loopback = %+v", res)
	}
	res = modules.Run(context.Background(), nil, "network.ip_addrs", []any{"lo"}, nil)
	if l, _ := res.Return.([]string); len(l) != 0 {
		t.Errorf("ip_addrs lo without loopback = %+v", res)
	}
	res = modules.Run(context.Background(), nil, "network.hw_addr", []any{"lo"}, nil)
	if res.Return != "00:00:00:00:00:00" {
		t.Errorf("hw_addr lo = %+v", res)
	}
}

func TestBadArguments(t *testing.T) {
	tests := []struct {
		fun    string
		args   []any
		kwargs map[string]any
		want   string
	}{
		{"network.ip_addrs", nil, map[string]any{"cidr": "10.0.0.0"}, `network.ip_addrs: argument 'cidr': "10.0.0.0" is not a network like 10.0.0.0/8`},
		{"network.ip_addrs", nil, map[string]any{"type": "secret"}, `network.ip_addrs: argument 'type': "secret" is neither public nor private`},
		{"network.ip_addrs6", []any{"["}, nil, "network.ip_addrs6: argument 'interface': malformed glob"},
		{"network.hw_addr", []any{"nosuch0"}, nil, "network.hw_addr: interface nosuch0: route ip+net: no such network interface"},
	}
	for _, tt := range tests {
		res := modules.Run(context.Background(), nil, tt.fun, tt.args, tt.kwargs)
		if res.Success || res.Return != tt.want {
			t.Errorf("%s = %+v, want %q", tt.fun, res, tt.want)
		}
	}
}
