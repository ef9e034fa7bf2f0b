// Package grains collects the static facts about a minion that Salt calls
// grains: identity, OS, kernel, CPU, memory, network addresses,
// virtualisation, init system. Targeting (G@os:Debian), templates
// ({{ grains['os_family'] }}) and the master's cache all read them, so the
// names and shapes follow Salt's.
//
// Collection is cheap (a few files and syscalls, well under 50 ms) and
// never fails: what cannot be read is left out or reported as "unknown".
package grains

import (
	"context"
	"crypto/sha256"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/halite/halite/pkg/grains/procfs"
	"github.com/halite/halite/pkg/version"
)

// lookupBudget bounds the slow parts of collection (DNS for the fqdn, a
// helper program for virtualisation) so grains stay fast on a host whose
// resolver hangs.
const lookupBudget = 30 * time.Millisecond

// Collect gathers the grains of this host. id is the minion id (the "id"
// grain). static grains from the minion's configuration replace collected
// ones of the same name (top-level keys; no deep merge). The error is
// non-nil only when ctx ended during collection; the grains gathered so
// far are returned with it.
func Collect(ctx context.Context, id string, static map[string]any) (map[string]any, error) {
	g := map[string]any{}
	set := func(m map[string]any) {
		for k, v := range m {
			g[k] = v
		}
	}

	// The two parts that may wait on something outside run alongside the
	// file reads.
	var (
		wg        sync.WaitGroup
		fqdn      string
		virtual   map[string]any
		hostnm, _ = os.Hostname()
	)
	wg.Add(2)
	go func() { defer wg.Done(); fqdn = lookupFQDN(ctx, hostnm) }()
	go func() { defer wg.Done(); virtual = detectVirtual(ctx) }()

	g["id"] = id
	g["kernel"] = "unknown"
	set(unameGrains())
	set(osReleaseGrains())
	if fam, _ := g["os_family"].(string); fam == "Debian" {
		if arch, ok := debianArch[str(g["cpuarch"])]; ok {
			g["osarch"] = arch
		}
	}
	if _, ok := g["osarch"]; !ok {
		if arch, ok := g["cpuarch"]; ok {
			g["osarch"] = arch
		}
	}
	set(cpuGrains())
	set(memGrains())
	set(netGrains())
	set(processGrains())
	set(dmiGrains())
	g["init"] = initSystem()
	if mid := machineID(); mid != "" {
		g["machine_id"] = mid
	}
	g["haliteversion"] = version.Version
	set(saltGrains(id))

	wg.Wait()
	g["localhost"] = hostnm
	g["fqdn"] = fqdn
	host, domain, _ := strings.Cut(fqdn, ".")
	g["host"] = host
	g["domain"] = domain
	g["fqdn_ip4"], g["fqdn_ip6"] = fqdnIPs(ctx, fqdn)
	set(lsbGrains(g))
	set(virtual)

	for k, v := range static {
		g[k] = v
	}
	return g, ctx.Err()
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func unameGrains() map[string]any {
	var u syscall.Utsname
	if err := syscall.Uname(&u); err != nil {
		return map[string]any{"kernel": runtimeKernel()}
	}
	return map[string]any{
		"kernel":        utsString(u.Sysname[:]),
		"kernelrelease": utsString(u.Release[:]),
		"kernelversion": utsString(u.Version[:]),
		"cpuarch":       utsString(u.Machine[:]),
		"nodename":      utsString(u.Nodename[:]),
	}
}

func runtimeKernel() string {
	return strings.ToUpper(runtime.GOOS[:1]) + runtime.GOOS[1:]
}

// utsString converts a NUL-terminated utsname field (int8 or uint8
// depending on the architecture) to a string.
func utsString[T int8 | uint8](f []T) string {
	b := make([]byte, 0, len(f))
	for _, c := range f {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}

func osReleaseGrains() map[string]any {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if b, err := os.ReadFile(p); err == nil {
			return osGrains(ParseOSRelease(b))
		}
	}
	return map[string]any{"os": runtimeKernel(), "os_family": runtimeKernel()}
}

func cpuGrains() map[string]any {
	g := map[string]any{"num_cpus": runtime.NumCPU()}
	info, err := procfs.ReadCPUInfo()
	if err != nil {
		return g
	}
	if m := info.First("model name", "Processor", "cpu model", "cpu", "CPU part"); m != "" {
		g["cpu_model"] = m
	}
	if flags := info.First("flags", "Features"); flags != "" {
		g["cpu_flags"] = strings.Fields(flags)
	} else {
		g["cpu_flags"] = []string{}
	}
	return g
}

func memGrains() map[string]any {
	g := map[string]any{}
	m, err := procfs.ReadMeminfo()
	if err != nil {
		return g
	}
	if n, ok := procfs.MeminfoBytes(m, "MemTotal"); ok {
		g["mem_total"] = int(n >> 20)
	}
	if n, ok := procfs.MeminfoBytes(m, "SwapTotal"); ok {
		g["swap_total"] = int(n >> 20)
	}
	return g
}

// netGrains reports addresses per interface, loopback included, as Salt
// does.
func netGrains() map[string]any {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var (
		ip4, ip6 = map[string]any{}, map[string]any{}
		ipAll    = map[string]any{}
		hw       = map[string]any{}
		all4     = map[string]bool{}
		all6     = map[string]bool{}
	)
	for _, ifc := range ifaces {
		v4, v6 := []string{}, []string{}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			if ipn.IP.To4() != nil {
				v4 = append(v4, ipn.IP.String())
				all4[ipn.IP.String()] = true
			} else {
				v6 = append(v6, ipn.IP.String())
				all6[ipn.IP.String()] = true
			}
		}
		ip4[ifc.Name] = v4
		ip6[ifc.Name] = v6
		ipAll[ifc.Name] = append(append([]string{}, v4...), v6...)
		switch {
		case len(ifc.HardwareAddr) > 0:
			hw[ifc.Name] = ifc.HardwareAddr.String()
		case ifc.Flags&net.FlagLoopback != 0:
			hw[ifc.Name] = "00:00:00:00:00:00"
		}
	}
	return map[string]any{
		"ip4_interfaces":    ip4,
		"ip6_interfaces":    ip6,
		"ip_interfaces":     ipAll,
		"hwaddr_interfaces": hw,
		"ipv4":              sortedKeys(all4),
		"ipv6":              sortedKeys(all6),
	}
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func processGrains() map[string]any {
	g := map[string]any{
		"pid":   os.Getpid(),
		"path":  os.Getenv("PATH"),
		"shell": os.Getenv("SHELL"),
		"uid":   os.Getuid(),
		"gid":   os.Getgid(),
	}
	if g["shell"] == "" {
		g["shell"] = "/bin/sh"
	}
	if u, err := user.LookupId(strconv.Itoa(os.Getuid())); err == nil {
		g["username"] = u.Username
	}
	if gr, err := user.LookupGroupId(strconv.Itoa(os.Getgid())); err == nil {
		g["groupname"] = gr.Name
	}
	g["locale_info"] = localeInfo(os.Getenv)
	return g
}

// localeInfo reports the locale the minion runs with, like Salt's grain.
func localeInfo(getenv func(string) string) map[string]any {
	lang, enc := "unknown", "unknown"
	for _, k := range []string{"LC_ALL", "LC_CTYPE", "LANG"} {
		v := getenv(k)
		if v == "" {
			continue
		}
		v, _, _ = strings.Cut(v, "@")
		l, e, ok := strings.Cut(v, ".")
		lang = l
		if ok {
			enc = e
		}
		break
	}
	tz, _ := time.Now().Zone()
	return map[string]any{"defaultlanguage": lang, "defaultencoding": enc, "timezone": tz}
}

// dmiGrains reads the firmware's description of the machine, as Salt does
// (serial and uuid are readable by root only).
func dmiGrains() map[string]any {
	g := map[string]any{}
	for grain, file := range map[string]string{
		"biosversion":     "bios_version",
		"biosreleasedate": "bios_date",
		"manufacturer":    "sys_vendor",
		"productname":     "product_name",
		"serialnumber":    "product_serial",
		"uuid":            "product_uuid",
	} {
		if v := readTrim("/sys/class/dmi/id/" + file); v != "" {
			g[grain] = v
		}
	}
	if uuid, ok := g["uuid"].(string); ok {
		g["uuid"] = strings.ToLower(uuid)
	}
	return g
}

func machineID() string {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if id := readTrim(p); id != "" {
			return id
		}
	}
	return ""
}

// initSystem names PID 1's init system.
func initSystem() string {
	exe, _ := os.Readlink("/proc/1/exe")
	return initFrom(readTrim("/proc/1/comm"), exe, fileExists)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// initFrom decides the init grain from PID 1's command name and binary.
func initFrom(comm, exe string, exists func(string) bool) string {
	name := comm
	if name == "" {
		name = exe[strings.LastIndex(exe, "/")+1:]
	}
	switch {
	case name == "systemd" || strings.Contains(exe, "systemd"):
		return "systemd"
	case name == "upstart" || strings.Contains(exe, "upstart"):
		return "upstart"
	case name == "runit" || name == "runit-init":
		return "runit"
	case name == "s6-svscan":
		return "s6"
	case name == "openrc-init" || name == "init" && exists("/sbin/openrc"):
		return "openrc"
	case name == "init" && strings.Contains(exe, "busybox"):
		return "busybox"
	case name == "init":
		return "sysvinit"
	}
	return "unknown"
}

// lookupFQDN finds the host's fully qualified name: the name itself when it
// has a dot, else the canonical name /etc/hosts gives it, else DNS within
// lookupBudget, else the short name.
func lookupFQDN(ctx context.Context, host string) string {
	if host == "" {
		return "localhost"
	}
	if strings.Contains(host, ".") {
		return host
	}
	if b, err := os.ReadFile("/etc/hosts"); err == nil {
		if fq := fqdnFromHosts(b, host); fq != "" {
			return fq
		}
	}
	ctx, cancel := context.WithTimeout(ctx, lookupBudget)
	defer cancel()
	if cname, err := net.DefaultResolver.LookupCNAME(ctx, host); err == nil {
		if cname = strings.TrimSuffix(cname, "."); strings.Contains(cname, ".") &&
			strings.HasPrefix(strings.ToLower(cname), strings.ToLower(host)+".") {
			return cname
		}
	}
	return host
}

// fqdnFromHosts returns a dotted name /etc/hosts lists for host: the
// canonical name of a line naming host, or an alias host.domain.
func fqdnFromHosts(hosts []byte, host string) string {
	for _, line := range strings.Split(string(hosts), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		names := f[1:]
		named := false
		for _, n := range names {
			named = named || strings.EqualFold(n, host)
		}
		if !named {
			continue
		}
		for _, n := range names {
			if strings.HasPrefix(strings.ToLower(n), strings.ToLower(host)+".") {
				return n
			}
		}
	}
	return ""
}

// virtFacts is the evidence detectVirtual weighs.
type virtFacts struct {
	dockerenv    bool   // /.dockerenv exists
	containerenv bool   // /run/.containerenv exists (podman)
	cgroup       string // /proc/1/cgroup
	environ      string // container= from /proc/1/environ
	product      string // /sys/class/dmi/id/product_name
	vendor       string // /sys/class/dmi/id/sys_vendor
	hypervisor   bool   // "hypervisor" CPU flag
	detectVirt   string // systemd-detect-virt output, when it was run
}

func detectVirtual(ctx context.Context) map[string]any {
	f := virtFacts{
		dockerenv:    fileExists("/.dockerenv"),
		containerenv: fileExists("/run/.containerenv"),
		cgroup:       readTrim("/proc/1/cgroup"),
		product:      readTrim("/sys/class/dmi/id/product_name"),
		vendor:       readTrim("/sys/class/dmi/id/sys_vendor"),
	}
	if env, err := os.ReadFile("/proc/1/environ"); err == nil {
		for _, kv := range strings.Split(string(env), "\x00") {
			if v, ok := strings.CutPrefix(kv, "container="); ok {
				f.environ = v
			}
		}
	}
	if info, err := procfs.ReadCPUInfo(); err == nil {
		for _, fl := range strings.Fields(info.First("flags")) {
			f.hypervisor = f.hypervisor || fl == "hypervisor"
		}
	}
	virt, sub := classifyVirtual(f)
	if virt == "" && f.hypervisor {
		// A VM the firmware strings do not name: ask systemd, briefly.
		if p, err := exec.LookPath("systemd-detect-virt"); err == nil {
			ctx, cancel := context.WithTimeout(ctx, lookupBudget)
			out, _ := exec.CommandContext(ctx, p, "--vm").Output()
			cancel()
			f.detectVirt = strings.TrimSpace(string(out))
			virt, sub = classifyVirtual(f)
		}
	}
	if virt == "" {
		virt = "physical"
		if f.hypervisor {
			virt = "unknown" // a hypervisor we cannot name
		}
	}
	g := map[string]any{"virtual": virt}
	if sub != "" {
		g["virtual_subtype"] = sub
	}
	return g
}

// classifyVirtual names the virtualisation from the evidence, using Salt's
// values: "container" with a subtype for containers, the hypervisor
// otherwise; "" when the evidence does not decide.
func classifyVirtual(f virtFacts) (virtual, subtype string) {
	cg := f.cgroup
	switch {
	case f.dockerenv || strings.Contains(cg, "/docker") || f.environ == "docker":
		return "container", "Docker"
	case f.containerenv || f.environ == "podman":
		return "container", "Podman"
	case strings.Contains(cg, "/kubepods") || strings.Contains(cg, "/containerd"):
		return "container", "containerd"
	case strings.Contains(cg, "/lxc/") || strings.HasPrefix(f.environ, "lxc"):
		return "container", "LXC"
	case f.environ == "systemd-nspawn":
		return "container", "systemd-nspawn"
	}
	dmi := f.product + " " + f.vendor
	switch {
	case strings.Contains(dmi, "VirtualBox"):
		return "VirtualBox", ""
	case strings.Contains(dmi, "VMware"):
		return "VMware", ""
	case strings.Contains(dmi, "KVM"), strings.Contains(dmi, "QEMU"), strings.Contains(dmi, "Google Compute Engine"):
		return "kvm", ""
	case strings.Contains(dmi, "HVM domU"), strings.Contains(dmi, "Xen"):
		return "xen", ""
	case strings.Contains(dmi, "Amazon EC2"):
		return "Nitro", "Amazon EC2"
	case strings.Contains(f.vendor, "Microsoft") && strings.Contains(f.product, "Virtual Machine"):
		return "VirtualPC", ""
	case strings.Contains(dmi, "Parallels"):
		return "Parallels", ""
	case strings.Contains(dmi, "BHYVE"):
		return "bhyve", ""
	}
	switch d := f.detectVirt; d {
	case "", "none":
		return "", ""
	case "qemu", "kvm", "xen", "bochs", "uml", "oracle", "bhyve", "zvm", "parallels":
		return d, ""
	case "vmware":
		return "VMware", ""
	case "microsoft":
		return "VirtualPC", ""
	case "amazon":
		return "Nitro", "Amazon EC2"
	default:
		return d, ""
	}
}

// SaltVersion is the Salt release whose behaviour Halite follows: formulas
// compare grains['saltversion'] and saltversioninfo against it to choose
// syntax. haliteversion is Halite's own.
const SaltVersion = "3006.9"

// PythonVersion is what Salt formulas find in grains['pythonversion']:
// Halite runs no Python, so it reports the Python 3 of Salt 3006's
// onedir builds (3.10), which formulas test with `>= [3]`.
var PythonVersion = []any{3, 10, 14, "final", 0}

// saltGrains are the grains Salt formulas read about Salt itself.
func saltGrains(id string) map[string]any {
	sum := sha256.Sum256([]byte(id))
	n := new(big.Int).SetBytes(sum[:])
	serverID := new(big.Int).Mod(n, big.NewInt(1<<31)).Int64()
	selinux := map[string]any{"enabled": false, "enforced": "Disabled"}
	if b, err := os.ReadFile("/sys/fs/selinux/enforce"); err == nil {
		selinux["enabled"] = true
		selinux["enforced"] = "Permissive"
		if strings.TrimSpace(string(b)) == "1" {
			selinux["enforced"] = "Enforcing"
		}
	}
	return map[string]any{
		"saltversion":     SaltVersion,
		"saltversioninfo": []any{3006, 9},
		"pythonversion":   PythonVersion,
		"server_id":       serverID, // Salt's: sha256 of the id, mod 2**31
		"selinux":         selinux,
	}
}

// lsbGrains are Salt's lsb_distrib_* grains, from the os grains (Salt reads
// the same os-release data on systems without lsb_release).
func lsbGrains(g map[string]any) map[string]any {
	out := map[string]any{}
	if v, ok := g["os"].(string); ok {
		out["lsb_distrib_id"] = v
	}
	if v, ok := g["oscodename"].(string); ok {
		out["lsb_distrib_codename"] = v
	}
	if v, ok := g["osrelease"].(string); ok {
		out["lsb_distrib_release"] = v
	}
	if v, ok := g["osfullname"].(string); ok {
		out["lsb_distrib_description"] = v
	}
	return out
}

// fqdnIPs resolves the fqdn (within the lookup budget) into Salt's
// fqdn_ip4 and fqdn_ip6 lists.
func fqdnIPs(ctx context.Context, fqdn string) ([]any, []any) {
	v4, v6 := []any{}, []any{}
	ctx, cancel := context.WithTimeout(ctx, lookupBudget)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, fqdn)
	if err != nil {
		return v4, v6
	}
	for _, a := range addrs {
		if a.IP.IsLoopback() {
			continue
		}
		if a.IP.To4() != nil {
			v4 = append(v4, a.IP.String())
		} else {
			v6 = append(v6, a.IP.String())
		}
	}
	return v4, v6
}
