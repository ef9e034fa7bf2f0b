// Package group provides group.present and group.absent: local groups
// managed through groupadd, groupmod, gpasswd and groupdel.
//
//	www-deploy:
//	  group.present:
//	    - gid: 7648
//	    - addusers: [deploy]
package group

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/acct"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "group.present", Func: present, Doc: `Ensure a local group exists.

Arguments: gid, system, members (the complete member list), addusers and
delusers (users to add or remove, leaving others alone; not together with
members).`})
	state.Register(state.Def{Name: "group.absent", Func: absent, Doc: "Ensure a local group does not exist."})
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}

type spec struct {
	name                        string
	gid                         *int
	system                      bool
	members, addusers, delusers []string
	hasMembers                  bool
}

func parse(req *state.Request) (spec, error) {
	a := args.Lenient(req.Args, req.Warn)
	s := spec{name: req.Name}
	if n, ok := a.OptInt("gid"); ok {
		if n < 0 {
			a.Fail("gid", "must not be negative")
		}
		s.gid = &n
	}
	s.system = a.Bool("system", false)
	s.members, s.hasMembers = a.Strings("members")
	s.addusers, _ = a.Strings("addusers")
	s.delusers, _ = a.Strings("delusers")
	if s.name == "" || strings.ContainsAny(s.name, ":,\n /") {
		a.Fail("name", fmt.Sprintf("invalid group name %q", s.name))
	}
	if s.hasMembers && (len(s.addusers) > 0 || len(s.delusers) > 0) {
		a.Fail("members", `Conflicting options "members" with "addusers" and/or "delusers" can not be used together.`)
	}
	for _, u := range s.addusers {
		for _, d := range s.delusers {
			if u == d {
				a.Fail("addusers", "Same user(s) can not be added and deleted simultaneously")
			}
		}
	}
	return s, a.Err()
}

// changes lists what differs between g and the spec, in Salt's terms.
func (s spec) changes(g acct.Group) map[string]any {
	ch := map[string]any{}
	if s.gid != nil && g.GID != *s.gid {
		ch["gid"] = *s.gid
	}
	if s.hasMembers {
		want := sortedSet(s.members)
		have := sortedSet(g.Members)
		if strings.Join(want, ",") != strings.Join(have, ",") {
			ch["members"] = want
		}
	}
	var add, del []string
	for _, u := range s.addusers {
		if !has(g.Members, u) {
			add = append(add, u)
		}
	}
	for _, u := range s.delusers {
		if has(g.Members, u) {
			del = append(del, u)
		}
	}
	if len(add) > 0 {
		ch["addusers"] = add
	}
	if len(del) > 0 {
		ch["delusers"] = del
	}
	return ch
}

func sortedSet(l []string) []string {
	m := map[string]bool{}
	var out []string
	for _, x := range l {
		if x != "" && !m[x] {
			m[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

func has(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func describe(ch map[string]any) string {
	keys := make([]string, 0, len(ch))
	for k := range ch {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "\n%s: %v", k, ch[k])
	}
	return b.String()
}

// apply makes the changes with the shadow tools.
func apply(ctx context.Context, name string, ch map[string]any) error {
	if gid, ok := ch["gid"].(int); ok {
		if err := acct.Tool(ctx, "groupmod", "-g", strconv.Itoa(gid), name); err != nil {
			return err
		}
	}
	if m, ok := ch["members"].([]string); ok {
		if err := acct.Tool(ctx, "gpasswd", "-M", strings.Join(m, ","), name); err != nil {
			return err
		}
	}
	if l, ok := ch["addusers"].([]string); ok {
		for _, u := range l {
			if err := acct.Tool(ctx, "gpasswd", "-a", u, name); err != nil {
				return err
			}
		}
	}
	if l, ok := ch["delusers"].([]string); ok {
		for _, u := range l {
			if err := acct.Tool(ctx, "gpasswd", "-d", u, name); err != nil {
				return err
			}
		}
	}
	return nil
}

func info(g acct.Group) map[string]any {
	m := g.Members
	if m == nil {
		m = []string{}
	}
	return map[string]any{"name": g.Name, "gid": g.GID, "members": m, "passwd": "x"}
}

func present(ctx context.Context, req *state.Request) state.Result {
	s, err := parse(req)
	if err != nil {
		return fail("Invalid arguments: %v", err)
	}
	g, err := acct.LookupGroup(s.name)
	if err != nil && !errors.Is(err, acct.ErrNotFound) {
		return fail("%v", err)
	}
	if err == nil {
		ch := s.changes(g)
		if len(ch) == 0 {
			return state.Result{Result: state.True(), Comment: fmt.Sprintf("Group %s is present and up to date", s.name)}
		}
		if req.Test {
			return state.Result{Changes: ch, Comment: "The following group attributes are set to be changed:" + describe(ch)}
		}
		if err := apply(ctx, s.name, ch); err != nil {
			return fail("Failed to update group %s: %v", s.name, err)
		}
		g2, err := acct.LookupGroup(s.name)
		if err != nil {
			return fail("%v", err)
		}
		if left := s.changes(g2); len(left) > 0 {
			return state.Result{Result: state.False(), Changes: ch, Comment: "Some changes could not be applied:" + describe(left)}
		}
		return state.Result{Result: state.True(), Changes: ch, Comment: "The following group attributes were changed:" + describe(ch)}
	}

	// Create it.
	if s.gid != nil {
		if other, err := acct.GroupByGID(*s.gid); err == nil {
			return fail("Group %s is not present but gid %d is already taken by group %s", s.name, *s.gid, other.Name)
		}
	}
	if req.Test {
		return state.Result{Changes: map[string]any{s.name: "new group"}, Comment: fmt.Sprintf("Group %s set to be added", s.name)}
	}
	argv := []string{}
	if s.gid != nil {
		argv = append(argv, "-g", strconv.Itoa(*s.gid))
	}
	if s.system {
		argv = append(argv, "-r")
	}
	argv = append(argv, s.name)
	if err := acct.Tool(ctx, "groupadd", argv...); err != nil {
		return fail("Failed to create new group %s: %v", s.name, err)
	}
	members := s.members
	if !s.hasMembers {
		members = s.addusers
	}
	if len(members) > 0 {
		if err := acct.Tool(ctx, "gpasswd", "-M", strings.Join(sortedSet(members), ","), s.name); err != nil {
			return state.Result{Result: state.False(), Changes: map[string]any{s.name: "new group"},
				Comment: fmt.Sprintf("Group %s has been created but, some changes could not be applied: %v", s.name, err)}
		}
	}
	g, err = acct.LookupGroup(s.name)
	if err != nil {
		return fail("Group %s was created but cannot be read back: %v", s.name, err)
	}
	return state.Result{Result: state.True(), Changes: info(g), Comment: fmt.Sprintf("New group %s created", s.name)}
}

func absent(ctx context.Context, req *state.Request) state.Result {
	if err := args.Lenient(req.Args, req.Warn).Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	name := req.Name
	if _, err := acct.LookupGroup(name); errors.Is(err, acct.ErrNotFound) {
		return state.Result{Result: state.True(), Comment: "Group not present"}
	} else if err != nil {
		return fail("%v", err)
	}
	if req.Test {
		return state.Result{Changes: map[string]any{name: ""}, Comment: fmt.Sprintf("Group %s is set for removal", name)}
	}
	if err := acct.Tool(ctx, "groupdel", name); err != nil {
		return fail("Failed to remove group %s: %v", name, err)
	}
	return state.Result{Result: state.True(), Changes: map[string]any{name: ""}, Comment: fmt.Sprintf("Removed group %s", name)}
}
