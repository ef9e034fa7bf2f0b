package service_test

import (
	"os"
	"testing"

	"github.com/halite/halite/pkg/states/internal/statetest"
)

// service.masked and service.unmasked on this machine's systemd unit
// directory, with a unit name no package uses: masked means the link to
// /dev/null that systemctl mask makes; both are idempotent and test mode
// touches nothing.
func TestMaskedUnmasked(t *testing.T) {
	statetest.RequireRoot(t)
	if _, err := os.Stat("/etc/systemd"); err != nil {
		t.Skip("systemd is not installed here")
	}
	const unit = "halite-mask-test"
	link := "/etc/systemd/system/" + unit + ".service"
	t.Cleanup(func() { os.Remove(link) })

	dry := statetest.Call(t, "service.masked", unit, nil, true)
	if dry.Result != nil || len(dry.Changes) == 0 {
		t.Fatalf("dry run: %v %v %s", dry.Result, dry.Changes, dry.Comment)
	}
	if _, err := os.Lstat(link); err == nil {
		t.Fatal("test mode masked the unit")
	}
	res := statetest.Call(t, "service.masked", unit, nil, false)
	if res.Result == nil || !*res.Result || res.Changes[unit] != "Masked" {
		t.Fatalf("mask: %v %v %s", res.Result, res.Changes, res.Comment)
	}
	if target, err := os.Readlink(link); err != nil || target != "/dev/null" {
		t.Fatalf("unit link = %q, %v", target, err)
	}
	again := statetest.Call(t, "service.masked", unit, nil, false)
	if again.Result == nil || !*again.Result || len(again.Changes) != 0 {
		t.Fatalf("second mask: %v %s", again.Changes, again.Comment)
	}
	un := statetest.Call(t, "service.unmasked", unit, nil, false)
	if un.Result == nil || !*un.Result || un.Changes[unit] != "Unmasked" {
		t.Fatalf("unmask: %v %v %s", un.Result, un.Changes, un.Comment)
	}
	if _, err := os.Lstat(link); err == nil {
		t.Fatal("unmask left the link")
	}
	// A real unit file at the link's place is not a mask and is not
	// replaced by one.
	if err := os.WriteFile(link, []byte("[Service]\nExecStart=/bin/true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	own := statetest.Call(t, "service.masked", unit, nil, false)
	if own.Result == nil || *own.Result {
		t.Fatalf("masking over a unit file did not fail: %s", own.Comment)
	}
	if b, _ := os.ReadFile(link); len(b) == 0 {
		t.Fatal("the unit file was replaced")
	}
}
