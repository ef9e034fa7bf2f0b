package disk

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/halite/halite/pkg/modules"
)

func TestPercent(t *testing.T) {
	tests := []struct {
		part, whole uint64
		want        string
	}{
		{0, 0, "-"}, {0, 10, "0%"}, {1, 10, "10%"}, {1, 3, "34%"}, {10, 10, "100%"}, {1, 1000, "1%"},
	}
	for _, tt := range tests {
		if got := percent(tt.part, tt.whole); got != tt.want {
			t.Errorf("percent(%d, %d) = %q, want %q", tt.part, tt.whole, got, tt.want)
		}
	}
}

// TestUsageMatchesDf compares disk.usage for / with df -P itself.
func TestUsageMatchesDf(t *testing.T) {
	res := modules.Run(context.Background(), nil, "disk.usage", nil, nil)
	if !res.Success {
		t.Fatal(res.Return)
	}
	all := res.Return.(map[string]any)
	root, ok := all["/"].(map[string]any)
	if !ok {
		t.Fatalf("no / in %v", all)
	}
	out, err := exec.Command("df", "-P", "/").Output()
	if err != nil {
		t.Skipf("df: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	f := strings.Fields(lines[len(lines)-1])
	if root["filesystem"] != f[0] || root["1K-blocks"] != f[1] {
		t.Errorf("disk.usage / = %v; df -P says %v", root, f)
	}
	// used/available move while other tests write; the shape must hold.
	for _, k := range []string{"used", "available"} {
		if _, ok := root[k].(string); !ok {
			t.Errorf("%s = %#v, want text", k, root[k])
		}
	}
	if c := root["capacity"].(string); !strings.HasSuffix(c, "%") {
		t.Errorf("capacity = %q", c)
	}
	var st syscall.Statfs_t
	if syscall.Statfs("/proc", &st) == nil && st.Blocks == 0 {
		if _, ok := all["/proc"]; ok {
			t.Error("/proc (size zero) listed without args=a")
		}
		res = modules.Run(context.Background(), nil, "disk.usage", []any{"-a"}, nil)
		if _, ok := res.Return.(map[string]any)["/proc"]; !ok {
			t.Errorf("/proc missing with args=a: %v", res.Return)
		}
	}
}

func TestInodeusage(t *testing.T) {
	res := modules.Run(context.Background(), nil, "disk.inodeusage", nil, nil)
	if !res.Success {
		t.Fatal(res.Return)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs("/", &st); err != nil {
		t.Fatal(err)
	}
	root, ok := res.Return.(map[string]any)["/"].(map[string]any)
	if st.Files > 0 && (!ok || root["inodes"] != strconv.FormatUint(st.Files, 10)) {
		t.Errorf("/ = %v, statfs files %d", root, st.Files)
	}
}

func TestBadFlags(t *testing.T) {
	res := modules.Run(context.Background(), nil, "disk.usage", []any{"h"}, nil)
	if res.Success || res.Return != `disk.usage: argument 'args': unsupported flag 'h' (want a, l, P or k)` {
		t.Errorf("got %+v", res)
	}
}
