package status

import (
	"context"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/halite/halite/pkg/grains/procfs"
	"github.com/halite/halite/pkg/modules"
)

func call(t *testing.T, fun string, args ...any) any {
	t.Helper()
	res := modules.Run(context.Background(), nil, fun, args, nil)
	if !res.Success {
		t.Fatalf("%s: %v", fun, res.Return)
	}
	return res.Return
}

func TestLoadavg(t *testing.T) {
	got := call(t, "status.loadavg").(map[string]any)
	for _, k := range []string{"1-min", "5-min", "15-min"} {
		if v, ok := got[k].(float64); !ok || v < 0 {
			t.Errorf("%s = %#v", k, got[k])
		}
	}
	if len(got) != 3 {
		t.Errorf("keys = %v", got)
	}
}

func TestUptimeShape(t *testing.T) {
	now := time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC)
	got := uptimeShape(now, 2*86400+3*3600+7*60+5.9)
	want := map[string]any{
		"seconds":   int64(2*86400 + 3*3600 + 7*60 + 5),
		"since_iso": "2024-03-03T08:52:55.000000",
		"since_t":   now.Unix() - (2*86400 + 3*3600 + 7*60 + 5),
		"days":      int64(2),
		"time":      "3:07",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("uptimeShape =\n%#v\nwant\n%#v", got, want)
	}
}

func TestUptimeLive(t *testing.T) {
	got := call(t, "status.uptime").(map[string]any)
	up, err := procfs.ReadUptime()
	if err != nil {
		t.Fatal(err)
	}
	if s := got["seconds"].(int64); s < int64(up)-5 || s > int64(up)+5 {
		t.Errorf("seconds = %d, /proc/uptime says %v", s, up)
	}
}

func TestMeminfo(t *testing.T) {
	got := call(t, "status.meminfo").(map[string]any)
	total, ok := got["MemTotal"].(map[string]any)
	if !ok || total["unit"] != "kB" || total["value"] == "" {
		t.Fatalf("MemTotal = %#v", got["MemTotal"])
	}
	b, _ := os.ReadFile("/proc/meminfo")
	if !strings.Contains(string(b), total["value"].(string)+" kB") {
		t.Errorf("MemTotal %v not in /proc/meminfo", total["value"])
	}
}

func TestCPUInfo(t *testing.T) {
	got := call(t, "status.cpuinfo").(map[string]any)
	if _, ok := got["processor"]; !ok {
		t.Errorf("no processor key: %v", got)
	}
	if flags, ok := got["flags"]; ok {
		if l, ok := flags.([]string); !ok || len(l) == 0 {
			t.Errorf("flags = %#v", flags)
		}
	}
}

func TestDiskusage(t *testing.T) {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/", &st); err != nil {
		t.Fatal(err)
	}
	root := call(t, "status.diskusage", "/").(map[string]any)
	u := root["/"].(map[string]any)
	if u["total"] != st.Blocks*uint64(st.Frsize) || u["available"].(uint64) > u["total"].(uint64) {
		t.Errorf("/ = %v, statfs blocks %d frsize %d", u, st.Blocks, st.Frsize)
	}
	all := call(t, "status.diskusage").(map[string]any)
	if _, ok := all["/"]; !ok {
		t.Errorf("no / among all filesystems: %v", all)
	}
	mounts, _ := procfs.ReadMounts()
	var rootType string
	for _, m := range mounts {
		if m.Mountpoint == "/" {
			rootType = m.FSType
		}
	}
	byType := call(t, "status.diskusage", rootType).(map[string]any)
	if _, ok := byType["/"]; !ok {
		t.Errorf("diskusage %s = %v, want / in it", rootType, byType)
	}
	if none := call(t, "status.diskusage", "nosuchfs").(map[string]any); len(none) != 0 {
		t.Errorf("diskusage nosuchfs = %v", none)
	}
	res := modules.Run(context.Background(), nil, "status.diskusage", []any{"/nonexistent"}, nil)
	if res.Success || !strings.Contains(res.Return.(string), "statfs /nonexistent") {
		t.Errorf("missing path: %+v", res)
	}
}
