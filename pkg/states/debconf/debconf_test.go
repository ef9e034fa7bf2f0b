package debconf_test

import (
	"os/exec"
	"strings"
	"testing"

	moddeb "github.com/halite/halite/pkg/modules/debconf"
	_ "github.com/halite/halite/pkg/states/debconf"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

// debconf.set on this machine's debconf database, for a package name no
// package uses (debconf-set-selections makes a template for a question it
// does not know): preseeding, idempotence, passwords kept out of changes,
// and a dry run that writes nothing.
func TestDebconfSet(t *testing.T) {
	statetest.RequireRoot(t)
	statetest.RequireCommand(t, "debconf-set-selections", "debconf")
	const pkg = "halite-debconf-test"
	t.Cleanup(func() {
		c := exec.Command("debconf-communicate", pkg)
		c.Stdin = strings.NewReader("PURGE\n")
		_ = c.Run()
	})
	data := map[string]any{
		pkg + "/name":   map[string]any{"type": "string", "value": "web 1"},
		pkg + "/secret": map[string]any{"type": "password", "value": "hunter2"},
	}
	dry := statetest.Call(t, "debconf.set", pkg, map[string]any{"data": data}, true)
	if dry.Result != nil || len(dry.Changes) != 2 {
		t.Fatalf("dry run: %v %v %s", dry.Result, dry.Changes, dry.Comment)
	}
	if sel, _ := moddeb.Selections(moddeb.Dir); len(sel[pkg]) != 0 {
		t.Fatalf("the dry run wrote answers: %v", sel[pkg])
	}
	res := statetest.Call(t, "debconf.set", pkg, map[string]any{"data": data}, false)
	if res.Result == nil || !*res.Result || res.Changes[pkg+"/secret"] != "(password hidden)" || res.Changes[pkg+"/name"] != "web 1" {
		t.Fatalf("set: %v %v %s", res.Result, res.Changes, res.Comment)
	}
	sel, err := moddeb.Selections(moddeb.Dir)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range sel[pkg] {
		got[a.Question] = a.Value
	}
	if got[pkg+"/name"] != "web 1" || got[pkg+"/secret"] != "hunter2" {
		t.Fatalf("database holds %v", got)
	}
	again := statetest.Call(t, "debconf.set", pkg, map[string]any{"data": data}, false)
	if again.Result == nil || !*again.Result || len(again.Changes) != 0 {
		t.Fatalf("second run: %v %s", again.Changes, again.Comment)
	}
}
