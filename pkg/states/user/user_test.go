package user_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/states/internal/acct"
	"github.com/halite/halite/pkg/states/internal/statetest"
	_ "github.com/halite/halite/pkg/states/user"
)

func sh(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v: %s", name, args, err, out)
	}
}

// tempGroup creates a group for the test and removes it afterwards.
func tempGroup(t *testing.T) string {
	t.Helper()
	g := statetest.UniqueName("hg")
	sh(t, "groupadd", g)
	t.Cleanup(func() { exec.Command("groupdel", g).Run() })
	return g
}

func cleanupUser(t *testing.T, name string) {
	t.Cleanup(func() {
		exec.Command("userdel", "-r", name).Run()
		exec.Command("groupdel", name).Run()
	})
}

func freeUID(t *testing.T) int {
	t.Helper()
	for uid := 47000; uid < 48000; uid++ {
		b, _ := os.ReadFile("/etc/passwd")
		if !strings.Contains(string(b), ":"+strconv.Itoa(uid)+":") {
			return uid
		}
	}
	t.Skip("no free uid in 47000-47999")
	return 0
}

func groupsOf(t *testing.T, name string) []string {
	t.Helper()
	g, err := acct.SupplementaryGroups(name)
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(g)
	return g
}

func TestUserLifecycle(t *testing.T) {
	statetest.RequireRoot(t)
	g1, g2 := tempGroup(t), tempGroup(t)
	name := statetest.UniqueName("hu")
	cleanupUser(t, name)
	home := filepath.Join(t.TempDir(), name)
	args := map[string]any{"fullname": "Deploy Bot", "shell": "/bin/sh", "home": home, "groups": []any{g1}}

	res := statetest.Call(t, "user.present", name, args, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if res.Comment != "User "+name+" set to be added" {
		t.Fatalf("comment %q", res.Comment)
	}
	if _, err := acct.LookupUser(name); err == nil {
		t.Fatal("test mode created the user")
	}

	res = statetest.Call(t, "user.present", name, args, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "New user "+name+" created" || res.Changes["fullname"] != "Deploy Bot" || res.Changes["home"] != home {
		t.Fatalf("got %s", statetest.Format(res))
	}
	u, err := acct.LookupUser(name)
	if err != nil {
		t.Fatal(err)
	}
	if u.Shell != "/bin/sh" || u.Home != home || u.Fullname != "Deploy Bot" {
		t.Fatalf("account %+v", u)
	}
	if fi, err := os.Stat(home); err != nil || !fi.IsDir() {
		t.Fatalf("home not created: %v", err)
	}
	if g := groupsOf(t, name); strings.Join(g, ",") != g1 {
		t.Fatalf("groups %v, want [%s]", g, g1)
	}
	statetest.Expect(t, statetest.Call(t, "user.present", name, args, false), statetest.Unchanged)
	statetest.Expect(t, statetest.Call(t, "user.present", name, args, true), statetest.Unchanged)

	// Changes: predicted, made, then stable.
	uid := freeUID(t)
	args2 := map[string]any{"uid": uid, "shell": "/bin/bash", "groups": []any{g2}, "optional_groups": []any{"no-such-group-halite"},
		"roomnumber": "42", "home": home}
	res = statetest.Call(t, "user.present", name, args2, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if !strings.HasPrefix(res.Comment, "The following user attributes are set to be changed:") || res.Changes["shell"] != "/bin/bash" {
		t.Fatalf("got %s", statetest.Format(res))
	}
	if u2, _ := acct.LookupUser(name); u2.Shell != "/bin/sh" {
		t.Fatal("test mode changed the shell")
	}
	res = statetest.Call(t, "user.present", name, args2, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "Updated user "+name || res.Changes["shell"] != "/bin/bash" || res.Changes["uid"] != uid || res.Changes["roomnumber"] != "42" {
		t.Fatalf("got %s", statetest.Format(res))
	}
	if g := groupsOf(t, name); strings.Join(g, ",") != g2 {
		t.Fatalf("groups %v, want only %s (remove_groups defaults to True)", g, g2)
	}
	u, _ = acct.LookupUser(name)
	if u.UID != uid || u.Fullname != "Deploy Bot" || u.RoomNumber != "42" {
		t.Fatalf("account %+v (other GECOS fields must be kept)", u)
	}
	statetest.Expect(t, statetest.Call(t, "user.present", name, args2, false), statetest.Unchanged)

	// remove_groups: False only adds.
	res = statetest.Call(t, "user.present", name, map[string]any{"groups": []any{g1}, "remove_groups": false}, false)
	statetest.Expect(t, res, statetest.Changed)
	if g := groupsOf(t, name); len(g) != 2 {
		t.Fatalf("groups %v, want both", g)
	}

	// Password hashes are set but never shown.
	hash := "$6$saltsalt$9bDQz6gY0w0Z9I9dBf1c7aL0oQeVn3m1h7aYjQpZx1u7Z8zE4n0Y1r9i2cT3vX4kL5mN6oP7qR8sT9uV0wX1yZ."
	res = statetest.Call(t, "user.present", name, map[string]any{"password": hash}, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Changes["passwd"] != "XXX-REDACTED-XXX" || strings.Contains(statetest.Format(res), hash) {
		t.Fatalf("password change leaked or missing: %s", statetest.Format(res))
	}
	if h, _ := acct.PasswordHash(name); h != hash {
		t.Fatalf("shadow hash %q", h)
	}
	statetest.Expect(t, statetest.Call(t, "user.present", name, map[string]any{"password": hash}, false), statetest.Unchanged)
	// enforce_password False leaves an existing password alone.
	statetest.Expect(t, statetest.Call(t, "user.present", name, map[string]any{"password": "$6$other$x", "enforce_password": false}, false), statetest.Unchanged)

	// absent
	res = statetest.Call(t, "user.absent", name, map[string]any{"purge": true}, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if _, err := acct.LookupUser(name); err != nil {
		t.Fatal("test mode removed the user")
	}
	res = statetest.Call(t, "user.absent", name, map[string]any{"purge": true}, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Changes[name] != "removed" || res.Comment != "Removed user "+name {
		t.Fatalf("got %s", statetest.Format(res))
	}
	if _, err := acct.LookupUser(name); err == nil {
		t.Fatal("user still there")
	}
	if _, err := os.Stat(home); err == nil {
		t.Fatal("purge left the home directory")
	}
	res = statetest.Call(t, "user.absent", name, nil, false)
	if statetest.Expect(t, res, statetest.Unchanged); res.Comment != "User "+name+" is not present" {
		t.Fatalf("comment %q", res.Comment)
	}
}

func TestUserPrivateGroupRemoved(t *testing.T) {
	statetest.RequireRoot(t)
	name := statetest.UniqueName("hu")
	cleanupUser(t, name)
	res := statetest.Call(t, "user.present", name, map[string]any{"usergroup": true, "createhome": false, "system": true}, false)
	statetest.Expect(t, res, statetest.Changed)
	if _, err := acct.LookupGroup(name); err != nil {
		t.Fatalf("usergroup: True did not create group %s", name)
	}
	if u, _ := acct.LookupUser(name); u.UID >= 1000 || u.UID == 0 {
		t.Fatalf("system: True gave uid %d, want a system uid", u.UID)
	}
	res = statetest.Call(t, "user.absent", name, nil, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Changes[name+" group"] != "removed" {
		t.Fatalf("changes %v", res.Changes)
	}
}

func TestUserBadInput(t *testing.T) {
	statetest.RequireRoot(t)
	name := statetest.UniqueName("hu")
	cleanupUser(t, name)
	for _, tc := range []struct {
		args map[string]any
		dry  bool
		want statetest.Outcome
		msg  string
	}{
		{map[string]any{"groups": []any{"no-such-group-halite"}}, false, statetest.Failed, "The following group(s) are not present: no-such-group-halite"},
		{map[string]any{"groups": []any{"no-such-group-halite"}}, true, statetest.Pending, "not present"},
		{map[string]any{"fullname": "a:b"}, false, statetest.Failed, "fullname"},
		{map[string]any{"uid": "abc"}, false, statetest.Failed, `argument "uid"`},
		{map[string]any{"gid": "no-such-group-halite"}, false, statetest.Failed, "no-such-group-halite"},
	} {
		res := statetest.Call(t, "user.present", name, tc.args, tc.dry)
		if statetest.Classify(res) != tc.want || !strings.Contains(res.Comment, tc.msg) {
			t.Errorf("%v: %s; want %s with %q", tc.args, statetest.Format(res), tc.want, tc.msg)
		}
	}
	if _, err := acct.LookupUser(name); err == nil {
		t.Fatal("a failed state created the user")
	}
	res := statetest.Call(t, "user.present", "bad:name", nil, false)
	statetest.Expect(t, res, statetest.Failed)
}
