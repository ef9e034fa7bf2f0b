package targeting

import (
	"slices"
	"testing"
)

// fleet is a small fleet with the shapes real grains and pillar take: string
// and numeric values, lists of roles, nested dicts, lists of dicts, IPv4 and
// IPv6 addresses, mixed case, ids with dots and slashes, and a minion with no
// data at all. Values use the types YAML/CBOR decoding produces (int64,
// float64, []any, map[string]any).
var fleet = []*Minion{
	{ID: "web1",
		Grains: map[string]any{"os": "Debian", "os_family": "Debian", "osrelease": "12",
			"roles": []any{"web", "nginx"}, "ipv4": []any{"10.0.0.11", "127.0.0.1"}, "ipv6": []any{"::1"},
			"num_cpus": int64(4), "virtual": "kvm",
			"ip_interfaces": map[string]any{"eth0": []any{"10.0.0.11"}, "lo": []any{"127.0.0.1"}}},
		Pillar: map[string]any{"role": "web", "env": "prod"}},
	{ID: "web2",
		Grains: map[string]any{"os": "Debian", "roles": []any{"web"}, "ipv4": []any{"10.0.0.12"}, "num_cpus": int64(2)},
		Pillar: map[string]any{"role": "legacy", "env": "prod"}},
	{ID: "web3",
		Grains: map[string]any{"os": "Ubuntu", "os_family": "Debian", "roles": []any{"web", "cache"},
			"ipv4": []any{"10.0.1.13"}, "num_cpus": int64(8)},
		Pillar: map[string]any{"role": "web", "env": "staging"}},
	{ID: "web10",
		Grains: map[string]any{"os": "Debian", "roles": []any{"web"}, "ipv4": []any{"10.0.0.110"}, "num_cpus": int64(4)},
		Pillar: map[string]any{"role": "web", "env": "prod"}},
	{ID: "Web1",
		Grains: map[string]any{"os": "debian", "roles": []string{"WEB"}, "ipv4": []string{"192.168.1.5"}}},
	{ID: "db1",
		Grains: map[string]any{"os": "Debian", "roles": []any{"db"}, "ipv4": []any{"10.0.2.21"}, "num_cpus": int64(16)},
		Pillar: map[string]any{"role": "db", "env": "prod",
			"mysql": map[string]any{"server_id": int64(1), "replicas": []any{"db2", "db3"}}}},
	{ID: "db2",
		Grains: map[string]any{"os": "CentOS", "os_family": "RedHat", "osrelease": "7.9",
			"osfullname": "CentOS Linux", "roles": []any{"db"}, "ipv4": []any{"10.0.2.22"}},
		Pillar: map[string]any{"role": "legacy", "env": "prod"}},
	{ID: "db3",
		Grains: map[string]any{"os": "Debian", "roles": []any{"db", "backup"}, "ipv4": []any{"10.0.2.23"}},
		Pillar: map[string]any{"role": "db", "env": "staging"}},
	{ID: "db1.staging",
		Grains: map[string]any{"os": "Debian", "roles": []any{"db"}, "ipv4": []any{"10.1.2.21"}},
		Pillar: map[string]any{"role": "db", "env": "staging"}},
	{ID: "cache1",
		Grains: map[string]any{"os": "Ubuntu", "roles": []any{"cache"}, "ipv4": []any{"10.0.1.31"}, "ipv6": []any{"2001:db8::31"}}},
	{ID: "cache2.example.com",
		Grains: map[string]any{"os": "Ubuntu", "roles": []any{"cache"}, "ipv4": []any{"10.0.1.32"}}},
	{ID: "lb-01.dc1.example.com",
		Grains: map[string]any{"os": "FreeBSD", "roles": []any{"lb"}, "ipv4": []any{"10.0.3.1"}, "datacenter": "dc1"}},
	{ID: "lb-02.dc2.example.com",
		Grains: map[string]any{"os": "FreeBSD", "roles": []any{"lb"}, "ipv4": []any{"10.2.3.1"}, "datacenter": "dc2"}},
	{ID: "edge/gw1",
		Grains: map[string]any{"os": "OpenBSD", "roles": []any{"gateway"}, "ipv4": []any{"203.0.113.7"}}},
	{ID: "winbox01",
		Grains: map[string]any{"os": "Windows", "virtual": "physical", "gpu": true, "num_cpus": int64(12)}},
	{ID: "mac-ci",
		Grains: map[string]any{"os": "MacOS", "num_cpus": int64(8), "mem_ratio": 0.5, "roles": []any{"ci"}}},
	{ID: "v6only",
		Grains: map[string]any{"os": "Debian", "ipv4": []any{}, "ipv6": []any{"2001:db8:1::5", "fe80::1%eth0"}}},
	{ID: "legacy1",
		Grains: map[string]any{"os": "Debian", "osrelease": int64(9), "roles": []any{"web"}, "ipv4": []any{"10.0.0.9"}},
		Pillar: map[string]any{"role": "legacy", "env": "prod"}},
	{ID: "monitor",
		Grains: map[string]any{"os": "Debian", "ipv4": []any{"10.0.4.1"},
			"hwaddr_interfaces": map[string]any{"eth0": "52:54:00:12:34:56"},
			"locale_info":       map[string]any{"defaultlanguage": "en_US"},
			"disks":             []any{map[string]any{"name": "sda", "size": int64(100)}, map[string]any{"name": "sdb"}},
			"empty":             map[string]any{},
			"nothing":           nil}},
	{ID: "bare"},
}

// fleetNodegroups exercises every shape of nodegroup definition.
var fleetNodegroups = map[string]any{
	"webservers": "G@roles:web and G@os:Debian",
	"dbs":        []any{"db1", "db2", "db3"},
	"all":        "N@webservers or N@dbs",
	"spaced":     []any{"G@osfullname:CentOS Linux", "or", "cache1"},
	"idstring":   "web1 web2",
	"cyc_a":      "N@cyc_b or web1",
	"cyc_b":      "( N@cyc_a )",
	"self":       "N@self",
	"broken":     "G@os:Debian and",
	"uses_bad":   "web1 or N@broken",
	"badtype":    42,
	"empty":      "",
}

var fleetOpts = Options{Nodegroups: fleetNodegroups}

// matching returns the ids of the fleet minions m matches, sorted.
func matching(m Matcher) []string {
	var ids []string
	for _, mn := range fleet {
		if m.Match(mn) {
			ids = append(ids, mn.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func sorted(ids ...string) []string {
	s := slices.Clone(ids)
	slices.Sort(s)
	return s
}

func allIDs() []string {
	var ids []string
	for _, mn := range fleet {
		ids = append(ids, mn.ID)
	}
	return sorted(ids...)
}

// except returns every fleet id but the given ones.
func except(ids ...string) []string {
	var out []string
	for _, id := range allIDs() {
		if !slices.Contains(ids, id) {
			out = append(out, id)
		}
	}
	return out
}

type matchCase struct {
	expr string
	want []string
}

func runMatchCases(t *testing.T, typ Type, cases []matchCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			m, err := Compile(typ, tc.expr, fleetOpts)
			if err != nil {
				t.Fatalf("Compile(%s, %q): %v", typ, tc.expr, err)
			}
			got := matching(m)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Compile(%s, %q) matches\n  %q\nwant\n  %q", typ, tc.expr, got, tc.want)
			}
		})
	}
}
