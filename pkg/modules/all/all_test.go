package all

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/modules"
)

// The functions users are promised (DESIGN.md, the modules brief).
var promised = []string{
	"sys.list_functions", "sys.doc", "sys.list_modules",
	"test.ping", "test.echo", "test.sleep", "test.version", "test.arg", "test.fib", "test.retcode",
	"test.exception", "test.true", "test.false",
	"cmd.run", "cmd.run_all", "cmd.retcode", "cmd.run_stdout", "cmd.run_stderr", "cmd.script",
	"grains.items", "grains.get", "grains.item", "grains.ls", "grains.refresh",
	"status.loadavg", "status.uptime", "status.meminfo", "status.diskusage", "status.cpuinfo",
	"network.interfaces", "network.ip_addrs", "disk.usage",
	"pkg.list_pkgs", "pkg.version", "pkg.install", "pkg.remove",
	"service.status", "service.start", "service.stop", "service.restart", "service.reload",
	"service.enable", "service.disable", "service.enabled", "service.available",
	"file.stats", "file.file_exists", "file.directory_exists", "file.read", "file.get_hash", "file.mkdir",
}

func TestEverythingRegistered(t *testing.T) {
	names := modules.Names()
	for _, n := range promised {
		if !slices.Contains(names, n) {
			t.Errorf("%s is not registered", n)
		}
	}
	for _, n := range names {
		e, _ := modules.Lookup(n)
		if !strings.Contains(e.Doc, "CLI Example") || len(e.Doc) < 40 {
			t.Errorf("%s: doc too thin: %q", n, e.Doc)
		}
	}
}

// TestReturnsEncode checks that what read-only functions return on this
// host survives the wire codec, since every return travels to the master.
func TestReturnsEncode(t *testing.T) {
	calls := []struct {
		fun  string
		args []any
	}{
		{"test.ping", nil}, {"test.fib", []any{100}}, {"test.arg", []any{1, "a"}},
		{"status.loadavg", nil}, {"status.uptime", nil}, {"status.meminfo", nil}, {"status.cpuinfo", nil},
		{"status.diskusage", []any{"/"}}, {"disk.usage", nil}, {"network.interfaces", nil},
		{"network.ip_addrs", nil}, {"cmd.run_all", []any{"echo hi"}}, {"file.stats", []any{"/etc/hostname"}},
		{"sys.doc", []any{"test.ping"}}, {"pkg.version", []any{"bash"}},
	}
	for _, c := range calls {
		res := modules.Run(context.Background(), nil, c.fun, c.args, nil)
		if !res.Success {
			t.Errorf("%s: %v", c.fun, res.Return)
			continue
		}
		b, err := codec.Marshal(res.Return)
		if err != nil {
			t.Errorf("%s: encode: %v", c.fun, err)
			continue
		}
		var back any
		if err := codec.Unmarshal(b, &back); err != nil {
			t.Errorf("%s: decode: %v", c.fun, err)
		}
	}
}

func TestUnknownFunction(t *testing.T) {
	res := modules.Run(context.Background(), nil, "x.y", nil, nil)
	if res.Return != "'x.y' is not available." || res.Retcode != 1 || res.Success {
		t.Errorf("Run(x.y) = %+v", res)
	}
}
