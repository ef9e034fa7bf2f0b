package group_test

import (
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"

	_ "github.com/halite/halite/pkg/states/group"
	"github.com/halite/halite/pkg/states/internal/acct"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

func tempUser(t *testing.T) string {
	t.Helper()
	u := statetest.UniqueName("hgu")
	if out, err := exec.Command("useradd", "-M", "-N", u).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", u).Run() })
	return u
}

func freeGID(t *testing.T) int {
	t.Helper()
	for gid := 47000; gid < 48000; gid++ {
		if _, err := acct.GroupByGID(gid); err != nil {
			return gid
		}
	}
	t.Skip("no free gid")
	return 0
}

func members(t *testing.T, name string) []string {
	t.Helper()
	g, err := acct.LookupGroup(name)
	if err != nil {
		t.Fatal(err)
	}
	return g.Members
}

func TestGroupLifecycle(t *testing.T) {
	statetest.RequireRoot(t)
	alice, bob, carol := tempUser(t), tempUser(t), tempUser(t)
	name := statetest.UniqueName("hg")
	t.Cleanup(func() { exec.Command("groupdel", name).Run() })
	gid := freeGID(t)
	args := map[string]any{"gid": gid, "members": []any{bob, alice}}

	res := statetest.Call(t, "group.present", name, args, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if _, err := acct.LookupGroup(name); err == nil {
		t.Fatal("test mode created the group")
	}
	res = statetest.Call(t, "group.present", name, args, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "New group "+name+" created" || res.Changes["gid"] != gid {
		t.Fatalf("got %s", statetest.Format(res))
	}
	g, _ := acct.LookupGroup(name)
	if g.GID != gid || strings.Join(g.Members, ",") != strings.Join(sortedPair(alice, bob), ",") {
		t.Fatalf("group %+v", g)
	}
	statetest.Expect(t, statetest.Call(t, "group.present", name, args, false), statetest.Unchanged)
	statetest.Expect(t, statetest.Call(t, "group.present", name, args, true), statetest.Unchanged)

	// addusers / delusers leave other members alone.
	add := map[string]any{"addusers": []any{carol}, "delusers": []any{alice}}
	res = statetest.Call(t, "group.present", name, add, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if !reflect.DeepEqual(res.Changes["addusers"], []string{carol}) || !reflect.DeepEqual(res.Changes["delusers"], []string{alice}) {
		t.Fatalf("predicted %v", res.Changes)
	}
	res = statetest.Call(t, "group.present", name, add, false)
	statetest.Expect(t, res, statetest.Changed)
	if m := strings.Join(members(t, name), ","); m != strings.Join(sortedPair(bob, carol), ",") && m != bob+","+carol && m != carol+","+bob {
		t.Fatalf("members %q", m)
	}
	statetest.Expect(t, statetest.Call(t, "group.present", name, add, false), statetest.Unchanged)

	// gid change.
	gid2 := freeGID(t)
	if gid2 == gid {
		gid2++
	}
	res = statetest.Call(t, "group.present", name, map[string]any{"gid": gid2}, false)
	statetest.Expect(t, res, statetest.Changed)
	if g, _ := acct.LookupGroup(name); g.GID != gid2 {
		t.Fatalf("gid %d, want %d", g.GID, gid2)
	}

	// absent
	statetest.Expect(t, statetest.Call(t, "group.absent", name, nil, true), statetest.WouldChange)
	if _, err := acct.LookupGroup(name); err != nil {
		t.Fatal("test mode removed the group")
	}
	res = statetest.Call(t, "group.absent", name, nil, false)
	if statetest.Expect(t, res, statetest.Changed); res.Comment != "Removed group "+name {
		t.Fatalf("comment %q", res.Comment)
	}
	res = statetest.Call(t, "group.absent", name, nil, false)
	if statetest.Expect(t, res, statetest.Unchanged); res.Comment != "Group not present" {
		t.Fatalf("comment %q", res.Comment)
	}
}

func sortedPair(a, b string) []string {
	if a < b {
		return []string{a, b}
	}
	return []string{b, a}
}

func TestGroupBadInput(t *testing.T) {
	statetest.RequireRoot(t)
	name := statetest.UniqueName("hg")
	t.Cleanup(func() { exec.Command("groupdel", name).Run() })
	root, _ := acct.LookupGroup("root")
	for _, tc := range []struct {
		args map[string]any
		msg  string
	}{
		{map[string]any{"members": []any{"a"}, "addusers": []any{"b"}}, "can not be used together"},
		{map[string]any{"addusers": []any{"a"}, "delusers": []any{"a"}}, "simultaneously"},
		{map[string]any{"gid": strconv.Itoa(root.GID)}, "already taken by group root"},
		{map[string]any{"gid": "x"}, `argument "gid"`},
	} {
		res := statetest.Call(t, "group.present", name, tc.args, false)
		if statetest.Classify(res) != statetest.Failed || !strings.Contains(res.Comment, tc.msg) {
			t.Errorf("%v: %s; want failure with %q", tc.args, statetest.Format(res), tc.msg)
		}
	}
	if _, err := acct.LookupGroup(name); err == nil {
		t.Fatal("a failed state created the group")
	}
	// A member that does not exist fails after creating the group, and says so.
	res := statetest.Call(t, "group.present", name, map[string]any{"members": []any{"no-such-user-halite"}}, false)
	if statetest.Classify(res) != statetest.Failed || !strings.Contains(res.Comment, "no-such-user-halite") {
		t.Fatalf("got %s", statetest.Format(res))
	}
}

func TestSystemGroup(t *testing.T) {
	statetest.RequireRoot(t)
	name := statetest.UniqueName("hgs")
	t.Cleanup(func() { exec.Command("groupdel", name).Run() })
	statetest.Expect(t, statetest.Call(t, "group.present", name, map[string]any{"system": true}, false), statetest.Changed)
	g, err := acct.LookupGroup(name)
	if err != nil || g.GID >= 1000 || g.GID == 0 {
		t.Fatalf("system group %+v, %v: want a system gid", g, err)
	}
	statetest.Expect(t, statetest.Call(t, "group.present", name, map[string]any{"system": true}, false), statetest.Unchanged)
}
