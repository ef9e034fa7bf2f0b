package procfs

import (
	"errors"
	"os"
	"reflect"
	"testing"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseMeminfo(t *testing.T) {
	m := ParseMeminfo(fixture(t, "meminfo"))
	if len(m) != 14 {
		t.Fatalf("got %d entries, want 14", len(m))
	}
	if m[0] != (MeminfoEntry{Key: "MemTotal", Value: "24683620", Unit: "kB"}) {
		t.Errorf("first = %+v", m[0])
	}
	if m[8].Key != "Active(anon)" {
		t.Errorf("entry 8 = %+v", m[8])
	}
	tests := []struct {
		key  string
		want uint64
		ok   bool
	}{
		{"MemTotal", 24683620 * 1024, true},
		{"HugePages_Total", 0, true},
		{"Hugepagesize", 2048 * 1024, true},
		{"SwapTotal", 0, false},
	}
	for _, tt := range tests {
		got, ok := MeminfoBytes(m, tt.key)
		if got != tt.want || ok != tt.ok {
			t.Errorf("MeminfoBytes(%s) = %d, %v; want %d, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
	if _, ok := MeminfoBytes(ParseMeminfo([]byte("X: 12 MB\nY: abc kB\nZ: 99999999999999999999 kB")), "X"); ok {
		t.Error("unknown unit accepted")
	}
	if _, ok := MeminfoBytes(ParseMeminfo([]byte("Y: abc kB")), "Y"); ok {
		t.Error("non-numeric value accepted")
	}
}

func TestParseCPUInfo(t *testing.T) {
	x86 := ParseCPUInfo(fixture(t, "cpuinfo_x86"))
	if len(x86) != 2 {
		t.Fatalf("x86: %d blocks, want 2", len(x86))
	}
	if x86.First("model name") == "" || x86[1]["processor"] != "1" {
		t.Errorf("x86 = %v", x86)
	}
	arm := ParseCPUInfo(fixture(t, "cpuinfo_arm64"))
	if len(arm) != 2 {
		t.Fatalf("arm: %d blocks, want 2", len(arm))
	}
	if got := arm.First("model name", "CPU part"); got != "0xd0c" {
		t.Errorf("arm First = %q", got)
	}
	if arm[0]["CPU architecture"] != "8" {
		t.Errorf("arm block = %v", arm[0])
	}
}

func TestParseLoadavg(t *testing.T) {
	l, err := ParseLoadavg([]byte("0.12 1.50 15.00 1/234 5678\n"))
	if err != nil || l != (Loadavg{0.12, 1.5, 15}) {
		t.Errorf("ParseLoadavg = %+v, %v", l, err)
	}
	for _, bad := range []string{"", "1 2", "a b c", "1 -2 3", "NaN 1 1"} {
		if _, err := ParseLoadavg([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseLoadavg(%q) err = %v", bad, err)
		}
	}
}

func TestParseUptime(t *testing.T) {
	up, err := ParseUptime([]byte("641.25 996.09\n"))
	if err != nil || up != 641.25 {
		t.Errorf("ParseUptime = %v, %v", up, err)
	}
	for _, bad := range []string{"", "x", "-1 2", "1e20"} {
		if _, err := ParseUptime([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseUptime(%q) err = %v", bad, err)
		}
	}
}

func TestParseMounts(t *testing.T) {
	got := ParseMounts(fixture(t, "mounts"))
	want := []Mount{
		{"proc", "/proc", "proc", "rw,relatime"},
		{"/dev/vda", "/", "ext4", "rw,relatime,discard"},
		{"tmpfs", "/dev/shm", "tmpfs", "rw,relatime,size=24683620k"},
		{"/dev/sdb1", "/mnt/my disk", "vfat", "rw"},
		{"server:/export", `/mnt/back\slash`, "nfs4", "rw"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseMounts =\n%+v\nwant\n%+v", got, want)
	}
	if got := unescapeOctal(`a\040b\9\777\12`); got != `a b\9\777\12` {
		t.Errorf("unescapeOctal = %q", got)
	}
}

func TestLive(t *testing.T) {
	if _, err := os.Stat("/proc/meminfo"); err != nil {
		t.Skip("no /proc")
	}
	m, err := ReadMeminfo()
	if err != nil {
		t.Fatal(err)
	}
	if total, ok := MeminfoBytes(m, "MemTotal"); !ok || total == 0 {
		t.Errorf("MemTotal = %d, %v", total, ok)
	}
	if c, err := ReadCPUInfo(); err != nil || len(c) == 0 {
		t.Errorf("ReadCPUInfo = %d blocks, %v", len(c), err)
	}
	if _, err := ReadLoadavg(); err != nil {
		t.Error(err)
	}
	if up, err := ReadUptime(); err != nil || up <= 0 {
		t.Errorf("ReadUptime = %v, %v", up, err)
	}
	mounts, err := ReadMounts()
	if err != nil {
		t.Fatal(err)
	}
	root := false
	for _, m := range mounts {
		root = root || m.Mountpoint == "/"
	}
	if !root {
		t.Errorf("no / in %+v", mounts)
	}
}

func FuzzParseMeminfo(f *testing.F) {
	f.Add(fixture(f, "meminfo"))
	f.Add([]byte("A: 1 kB\nB:\n: 3\nC 4 kB extra"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, e := range ParseMeminfo(data) {
			if e.Key == "" || e.Value == "" {
				t.Fatalf("empty key or value in %+v", e)
			}
			MeminfoBytes([]MeminfoEntry{e}, e.Key)
		}
	})
}

func FuzzParseCPUInfo(f *testing.F) {
	f.Add(fixture(f, "cpuinfo_x86"))
	f.Add(fixture(f, "cpuinfo_arm64"))
	f.Add([]byte("a:b\n\n\n:c\nd: e: f"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := ParseCPUInfo(data)
		for _, blk := range c {
			if len(blk) == 0 {
				t.Fatal("empty block")
			}
		}
		c.First("model name", "Processor")
	})
}

func FuzzParseLoadavg(f *testing.F) {
	f.Add([]byte("0.12 0.34 0.56 1/234 5678\n"))
	f.Add([]byte("1e308 1 1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLoadavg(data)
		if err == nil && (l.Load1 < 0 || l.Load5 < 0 || l.Load15 < 0) {
			t.Fatalf("negative load %+v", l)
		}
	})
}

func FuzzParseUptime(f *testing.F) {
	f.Add([]byte("641.25 996.09\n"))
	f.Add([]byte("0x10"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if up, err := ParseUptime(data); err == nil && (up < 0 || up > 1e12) {
			t.Fatalf("uptime %v accepted", up)
		}
	})
}

func FuzzParseMounts(f *testing.F) {
	f.Add(fixture(f, "mounts"))
	f.Add([]byte(`a \134\040\0 c d`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range ParseMounts(data) {
			if m.Device == "" || m.Mountpoint == "" || m.FSType == "" {
				t.Fatalf("empty field in %+v", m)
			}
		}
	})
}
