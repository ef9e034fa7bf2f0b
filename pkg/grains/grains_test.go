package grains

import (
	"context"
	"net"
	"os"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/version"
)

func TestOSGrains(t *testing.T) {
	tests := []struct {
		file string
		want map[string]any
	}{
		{"debian12", map[string]any{
			"os": "Debian", "os_family": "Debian", "osfullname": "Debian GNU/Linux", "oscodename": "bookworm",
			"osrelease": "12", "osrelease_info": []any{12}, "osmajorrelease": 12, "osfinger": "Debian-12"}},
		{"ubuntu2204", map[string]any{
			"os": "Ubuntu", "os_family": "Debian", "osfullname": "Ubuntu", "oscodename": "jammy",
			"osrelease": "22.04", "osrelease_info": []any{22, 4}, "osmajorrelease": 22, "osfinger": "Ubuntu-22.04"}},
		{"rocky9", map[string]any{
			"os": "Rocky", "os_family": "RedHat", "osfullname": "Rocky Linux", "oscodename": "Blue Onyx",
			"osrelease": "9.3", "osrelease_info": []any{9, 3}, "osmajorrelease": 9, "osfinger": "Rocky Linux-9"}},
		{"centos-stream9", map[string]any{
			"os": "CentOS Stream", "os_family": "RedHat", "osfullname": "CentOS Stream",
			"osrelease": "9", "osrelease_info": []any{9}, "osmajorrelease": 9, "osfinger": "CentOS Stream-9"}},
		{"fedora39", map[string]any{
			"os": "Fedora", "os_family": "RedHat", "osfullname": "Fedora Linux",
			"osrelease": "39", "osrelease_info": []any{39}, "osmajorrelease": 39, "osfinger": "Fedora Linux-39"}},
		{"alpine319", map[string]any{
			"os": "Alpine", "os_family": "Alpine", "osfullname": "Alpine Linux",
			"osrelease": "3.19.1", "osrelease_info": []any{3, 19, 1}, "osmajorrelease": 3, "osfinger": "Alpine Linux-3"}},
		{"arch", map[string]any{
			"os": "Arch", "os_family": "Arch", "osfullname": "Arch Linux", "osrelease": "rolling"}},
		{"derived", map[string]any{
			"os": "Tinyos", "os_family": "Debian", "osfullname": "Tiny OS", "oscodename": "Sprout",
			"osrelease": "1.2", "osrelease_info": []any{1, 2}, "osmajorrelease": 1, "osfinger": "Tiny OS-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/os-release/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got := osGrains(ParseOSRelease(b))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("osGrains =\n%#v\nwant\n%#v", got, tt.want)
			}
		})
	}
	if got := osGrains(map[string]string{}); got["os"] != "Linux" || got["os_family"] != "Linux" {
		t.Errorf("empty os-release: %v", got)
	}
}

func TestParseOSRelease(t *testing.T) {
	in := `# comment
PLAIN=value
DQ="a \"quoted\" \$var \\ back\slash"
SQ='single "x" $y'
EMPTY=
MIXED="ab"'cd'ef
TRAIL=word # comment
 SPACED = no
1BAD=x
BAD-KEY=x
UNTERMINATED="oops
NOVALUE
`
	want := map[string]string{
		"PLAIN": "value",
		"DQ":    `a "quoted" $var \ back\slash`,
		"SQ":    `single "x" $y`,
		"EMPTY": "",
		"MIXED": "abcdef",
		"TRAIL": "word",
	}
	if got := ParseOSRelease([]byte(in)); !reflect.DeepEqual(got, want) {
		t.Errorf("ParseOSRelease =\n%#v\nwant\n%#v", got, want)
	}
}

func FuzzParseOSRelease(f *testing.F) {
	for _, name := range []string{"debian12", "ubuntu2204", "rocky9", "derived"} {
		b, err := os.ReadFile("testdata/os-release/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`A="\`))
	f.Add([]byte("ID=\nID_LIKE=\"debian\"\nVERSION_ID=1.x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rel := ParseOSRelease(data)
		for k := range rel {
			if !validKey(k) {
				t.Fatalf("invalid key %q", k)
			}
		}
		g := osGrains(rel)
		if str(g["os"]) == "" || str(g["os_family"]) == "" {
			t.Fatalf("no os/os_family from %q", data)
		}
	})
}

func TestClassifyVirtual(t *testing.T) {
	tests := []struct {
		name    string
		f       virtFacts
		virt    string
		subtype string
	}{
		{"docker env file", virtFacts{dockerenv: true, hypervisor: true, product: "KVM"}, "container", "Docker"},
		{"docker cgroup v1", virtFacts{cgroup: "12:pids:/docker/0123abc\n0::/docker/0123abc"}, "container", "Docker"},
		{"podman", virtFacts{containerenv: true}, "container", "Podman"},
		{"kubernetes", virtFacts{cgroup: "0::/kubepods/besteffort/pod1/abc"}, "container", "containerd"},
		{"lxc", virtFacts{environ: "lxc"}, "container", "LXC"},
		{"kvm by dmi", virtFacts{product: "Standard PC (Q35 + ICH9, 2009)", vendor: "QEMU", hypervisor: true}, "kvm", ""},
		{"vmware", virtFacts{product: "VMware Virtual Platform", vendor: "VMware, Inc."}, "VMware", ""},
		{"virtualbox", virtFacts{product: "VirtualBox", vendor: "innotek GmbH"}, "VirtualBox", ""},
		{"hyper-v", virtFacts{product: "Virtual Machine", vendor: "Microsoft Corporation"}, "VirtualPC", ""},
		{"ec2", virtFacts{product: "m5.large", vendor: "Amazon EC2"}, "Nitro", "Amazon EC2"},
		{"systemd-detect-virt kvm", virtFacts{hypervisor: true, detectVirt: "kvm"}, "kvm", ""},
		{"systemd-detect-virt none", virtFacts{detectVirt: "none"}, "", ""},
		{"bare metal", virtFacts{product: "PowerEdge R640", vendor: "Dell Inc.", cgroup: "0::/init.scope"}, "", ""},
	}
	for _, tt := range tests {
		v, s := classifyVirtual(tt.f)
		if v != tt.virt || s != tt.subtype {
			t.Errorf("%s: got %q/%q, want %q/%q", tt.name, v, s, tt.virt, tt.subtype)
		}
	}
}

func TestInitFrom(t *testing.T) {
	openrc := func(p string) bool { return p == "/sbin/openrc" }
	none := func(string) bool { return false }
	tests := []struct {
		comm, exe string
		exists    func(string) bool
		want      string
	}{
		{"systemd", "/usr/lib/systemd/systemd", none, "systemd"},
		{"", "/lib/systemd/systemd", none, "systemd"},
		{"init", "/sbin/init", openrc, "openrc"},
		{"init", "/bin/busybox", none, "busybox"},
		{"init", "/sbin/init", none, "sysvinit"},
		{"runit", "/sbin/runit", none, "runit"},
		{"tini", "/usr/bin/tini", none, "unknown"},
		{"", "", none, "unknown"},
	}
	for _, tt := range tests {
		if got := initFrom(tt.comm, tt.exe, tt.exists); got != tt.want {
			t.Errorf("initFrom(%q, %q) = %q, want %q", tt.comm, tt.exe, got, tt.want)
		}
	}
}

func TestFQDNFromHosts(t *testing.T) {
	hosts := []byte("127.0.0.1 localhost\n10.0.0.5 web1.example.com web1 # comment\n10.0.0.6 db1 db1.corp.example\n# 10.0.0.7 app1.example.org app1\n")
	tests := map[string]string{"web1": "web1.example.com", "WEB1": "web1.example.com", "db1": "db1.corp.example", "app1": "", "localhost": ""}
	for host, want := range tests {
		if got := fqdnFromHosts(hosts, host); got != want {
			t.Errorf("fqdnFromHosts(%q) = %q, want %q", host, got, want)
		}
	}
	if got := lookupFQDN(context.Background(), "already.dotted.name"); got != "already.dotted.name" {
		t.Errorf("dotted host = %q", got)
	}
}

func TestLocaleInfo(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		env      map[string]string
		lang, en string
	}{
		{map[string]string{"LANG": "en_US.UTF-8"}, "en_US", "UTF-8"},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "de_DE.ISO-8859-1@euro"}, "de_DE", "ISO-8859-1"},
		{map[string]string{"LANG": "C"}, "C", "unknown"},
		{map[string]string{}, "unknown", "unknown"},
	}
	for _, tt := range tests {
		got := localeInfo(env(tt.env))
		if got["defaultlanguage"] != tt.lang || got["defaultencoding"] != tt.en || got["timezone"] == "" {
			t.Errorf("localeInfo(%v) = %v", tt.env, got)
		}
	}
}

// TestCollectLive checks the grains of the machine the tests run on
// against what the system itself says.
func TestCollectLive(t *testing.T) {
	g, err := Collect(context.Background(), "minion-1", map[string]any{"roles": []any{"web"}, "os": "Overridden"})
	if err != nil {
		t.Fatal(err)
	}
	if g["id"] != "minion-1" || g["haliteversion"] != version.Version {
		t.Errorf("id/haliteversion = %v/%v", g["id"], g["haliteversion"])
	}
	if g["os"] != "Overridden" || !reflect.DeepEqual(g["roles"], []any{"web"}) {
		t.Errorf("static grains not applied: os=%v roles=%v", g["os"], g["roles"])
	}
	if g["num_cpus"] != runtime.NumCPU() {
		t.Errorf("num_cpus = %v, want %d", g["num_cpus"], runtime.NumCPU())
	}
	if runtime.GOOS == "linux" && g["kernel"] != "Linux" {
		t.Errorf("kernel = %v", g["kernel"])
	}
	if want := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]; want != "" && g["cpuarch"] != want {
		t.Errorf("cpuarch = %v, want %s", g["cpuarch"], want)
	}
	if mem, _ := g["mem_total"].(int); mem <= 0 {
		t.Errorf("mem_total = %v", g["mem_total"])
	}
	if ipv4, _ := g["ipv4"].([]string); !slices.Contains(ipv4, "127.0.0.1") {
		t.Errorf("ipv4 = %v, want 127.0.0.1 in it", g["ipv4"])
	}
	ifaces, _ := net.Interfaces()
	ip4, _ := g["ip4_interfaces"].(map[string]any)
	for _, ifc := range ifaces {
		if _, ok := ip4[ifc.Name]; !ok {
			t.Errorf("ip4_interfaces lacks %s", ifc.Name)
		}
	}
	host, _ := os.Hostname()
	if g["localhost"] != host || !strings.HasPrefix(str(g["fqdn"]), str(g["host"])) {
		t.Errorf("localhost/fqdn/host = %v/%v/%v", g["localhost"], g["fqdn"], g["host"])
	}
	if g["pid"] != os.Getpid() {
		t.Errorf("pid = %v", g["pid"])
	}
	if mid := readTrim("/etc/machine-id"); mid != "" && g["machine_id"] != mid {
		t.Errorf("machine_id = %v, want %s", g["machine_id"], mid)
	}
	if str(g["virtual"]) == "" || str(g["init"]) == "" {
		t.Errorf("virtual/init = %v/%v", g["virtual"], g["init"])
	}
	if fileExists("/.dockerenv") && (g["virtual"] != "container" || g["virtual_subtype"] != "Docker") {
		t.Errorf("/.dockerenv exists but virtual = %v/%v", g["virtual"], g["virtual_subtype"])
	}
	rel, err := os.ReadFile("/etc/os-release")
	if err == nil && strings.Contains(string(rel), "ID=debian") {
		g2, _ := Collect(context.Background(), "x", nil)
		if g2["os"] != "Debian" || g2["os_family"] != "Debian" || g2["osarch"] == nil {
			t.Errorf("on Debian: os=%v os_family=%v osarch=%v", g2["os"], g2["os_family"], g2["osarch"])
		}
	}
}

func TestCollectCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	g, err := Collect(ctx, "x", nil)
	if err == nil || g["id"] != "x" {
		t.Errorf("Collect(cancelled) = %d grains, %v; want partial grains and an error", len(g), err)
	}
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v", el)
	}
}

// BenchmarkCollect reports the time one full collection takes (target:
// under 50 ms).
func BenchmarkCollect(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := Collect(ctx, "bench", nil); err != nil {
			b.Fatal(err)
		}
	}
}
