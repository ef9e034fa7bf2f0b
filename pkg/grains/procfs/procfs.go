// Package procfs parses the Linux /proc files that grains and the status,
// disk and network modules report from. The parsers take bytes, not
// paths, so they are tested against fixtures and fuzzed; the Read helpers
// read the live files. Every parser is lenient about lines it does not
// understand (kernels add fields) and strict only where a value is used.
package procfs

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ErrMalformed is wrapped by parse errors.
var ErrMalformed = errors.New("malformed proc file")

// MeminfoEntry is one line of /proc/meminfo: "MemTotal:  16331500 kB".
type MeminfoEntry struct {
	Key   string
	Value string
	Unit  string // "kB", or "" for counts such as HugePages_Total
}

// ParseMeminfo parses /proc/meminfo, keeping the file's order.
func ParseMeminfo(data []byte) []MeminfoEntry {
	var out []MeminfoEntry
	for _, line := range lines(data) {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		key := strings.TrimSuffix(fields[0], ":")
		if key == "" {
			continue
		}
		e := MeminfoEntry{Key: key, Value: fields[1]}
		if len(fields) > 2 {
			e.Unit = fields[2]
		}
		out = append(out, e)
	}
	return out
}

// MeminfoBytes returns the value of key in bytes (kB lines multiplied by
// 1024) and whether it was present and numeric.
func MeminfoBytes(entries []MeminfoEntry, key string) (uint64, bool) {
	for _, e := range entries {
		if e.Key != key {
			continue
		}
		n, err := strconv.ParseUint(e.Value, 10, 64)
		if err != nil {
			return 0, false
		}
		switch strings.ToLower(e.Unit) {
		case "kb":
			if n > 1<<54 {
				return 0, false
			}
			n *= 1024
		case "":
		default:
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// CPUInfo is /proc/cpuinfo: one key/value map per processor block, in file
// order. Architectures differ in keys (x86 "model name", ARM "CPU part",
// s390 a preamble), so values stay text.
type CPUInfo []map[string]string

// ParseCPUInfo parses /proc/cpuinfo. Blank lines separate blocks.
func ParseCPUInfo(data []byte) CPUInfo {
	var (
		out CPUInfo
		cur map[string]string
	)
	for _, line := range lines(data) {
		if strings.TrimSpace(line) == "" {
			cur = nil
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if k == "" {
			continue
		}
		if cur == nil {
			cur = map[string]string{}
			out = append(out, cur)
		}
		cur[k] = strings.TrimSpace(v)
	}
	return out
}

// First returns the first value of key in any block, trying keys in order.
func (c CPUInfo) First(keys ...string) string {
	for _, k := range keys {
		for _, blk := range c {
			if v := blk[k]; v != "" {
				return v
			}
		}
	}
	return ""
}

// Loadavg is /proc/loadavg's three averages.
type Loadavg struct {
	Load1, Load5, Load15 float64
}

// ParseLoadavg parses "0.12 0.34 0.56 1/234 5678".
func ParseLoadavg(data []byte) (Loadavg, error) {
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return Loadavg{}, fmt.Errorf("loadavg: %w: %d fields", ErrMalformed, len(f))
	}
	var l Loadavg
	for i, dst := range []*float64{&l.Load1, &l.Load5, &l.Load15} {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil || v < 0 || v != v {
			return Loadavg{}, fmt.Errorf("loadavg: %w: field %d is %q", ErrMalformed, i+1, f[i])
		}
		*dst = v
	}
	return l, nil
}

// ParseUptime parses /proc/uptime ("12345.67 23456.78") and returns the
// seconds since boot.
func ParseUptime(data []byte) (float64, error) {
	f := strings.Fields(string(data))
	if len(f) < 1 {
		return 0, fmt.Errorf("uptime: %w: empty", ErrMalformed)
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil || v < 0 || v != v || v > 1e12 {
		return 0, fmt.Errorf("uptime: %w: %q", ErrMalformed, f[0])
	}
	return v, nil
}

// Mount is one line of /proc/mounts (fstab format).
type Mount struct {
	Device     string
	Mountpoint string
	FSType     string
	Options    string
}

// ParseMounts parses /proc/mounts or /proc/self/mounts, undoing the octal
// escapes (\040 for a space) the kernel uses in paths.
func ParseMounts(data []byte) []Mount {
	var out []Mount
	for _, line := range lines(data) {
		f := strings.Fields(line)
		if len(f) < 3 || strings.HasPrefix(f[0], "#") {
			continue
		}
		m := Mount{Device: unescapeOctal(f[0]), Mountpoint: unescapeOctal(f[1]), FSType: f[2]}
		if len(f) > 3 {
			m.Options = f[3]
		}
		out = append(out, m)
	}
	return out
}

// unescapeOctal turns \NNN sequences back into bytes.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] <= '3' && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			n := (s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0')
			b.WriteByte(n)
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// lines splits data into lines without line terminators.
func lines(data []byte) []string {
	return strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n")
}

// Read helpers for the live system. They return the parse of the file, or
// the error from reading it.

// ReadMeminfo reads /proc/meminfo.
func ReadMeminfo() ([]MeminfoEntry, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return nil, err
	}
	return ParseMeminfo(b), nil
}

// ReadCPUInfo reads /proc/cpuinfo.
func ReadCPUInfo() (CPUInfo, error) {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return nil, err
	}
	return ParseCPUInfo(b), nil
}

// ReadLoadavg reads /proc/loadavg.
func ReadLoadavg() (Loadavg, error) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return Loadavg{}, err
	}
	return ParseLoadavg(b)
}

// ReadUptime reads /proc/uptime.
func ReadUptime() (float64, error) {
	b, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return 0, err
	}
	return ParseUptime(b)
}

// ReadMounts reads /proc/self/mounts (the mount namespace this process
// sees), falling back to /proc/mounts.
func ReadMounts() ([]Mount, error) {
	b, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		if b, err = os.ReadFile("/proc/mounts"); err != nil {
			return nil, err
		}
	}
	return ParseMounts(b), nil
}
