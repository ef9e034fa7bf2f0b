// Package user provides Salt's user.info, user.list_users and group.info,
// read from the host's account database (/etc/passwd and /etc/group).
package user

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("user.info", `Return a user's account: name, uid, gid, home, shell, fullname (and
the rest of the GECOS field), groups. An empty mapping when there is no
such user.

CLI Example:

    halite-master run '*' user.info root
`, info)
	modules.Register("user.list_users", "Return the names of every user, sorted.\n\nCLI Example:\n\n    halite-master run '*' user.list_users\n", listUsers)
	modules.Register("user.list_groups", "Return the names of the groups the user NAME belongs to (primary group included), sorted.\n\nCLI Example:\n\n    halite-master run '*' user.list_groups root\n", listGroups)
	modules.Register("file.user_to_uid", "Return the uid of the user NAME (\"\" when there is none).\n\nCLI Example:\n\n    halite-master run '*' file.user_to_uid root\n", idOf(false))
	modules.Register("file.group_to_gid", "Return the gid of the group NAME (\"\" when there is none).\n\nCLI Example:\n\n    halite-master run '*' file.group_to_gid adm\n", idOf(true))
	modules.Register("file.uid_to_user", "Return the name of the user with uid UID (the uid itself when there is none).\n\nCLI Example:\n\n    halite-master run '*' file.uid_to_user 0\n", nameOf(false))
	modules.Register("file.gid_to_group", "Return the name of the group with gid GID (the gid itself when there is none).\n\nCLI Example:\n\n    halite-master run '*' file.gid_to_group 0\n", nameOf(true))
	modules.Register("group.info", `Return a group: name, gid, members. An empty mapping when there is no
such group.

CLI Example:

    halite-master run '*' group.info adm
`, groupInfo)
}

// passwdFile and groupFile are variables for tests.
var (
	passwdFile = "/etc/passwd"
	groupFile  = "/etc/group"
)

func records(path string, fields int) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out [][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, ":")
		if len(parts) < fields {
			continue
		}
		out = append(out, parts)
	}
	return out, sc.Err()
}

func info(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "name"); err != nil {
		return nil, err
	}
	name, err := c.String(0, "name")
	if err != nil {
		return nil, err
	}
	users, err := records(passwdFile, 7)
	if err != nil {
		return nil, err
	}
	groups, err := records(groupFile, 4)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u[0] != name {
			continue
		}
		uid, _ := strconv.Atoi(u[2])
		gid, _ := strconv.Atoi(u[3])
		gecos := strings.Split(u[4], ",")
		for len(gecos) < 5 {
			gecos = append(gecos, "")
		}
		var member []any
		for _, g := range groups {
			if g[2] == u[3] {
				member = append(member, g[0])
				continue
			}
			for _, m := range strings.Split(g[3], ",") {
				if m == name {
					member = append(member, g[0])
				}
			}
		}
		sort.Slice(member, func(i, j int) bool { return member[i].(string) < member[j].(string) })
		return map[string]any{
			"name": name, "passwd": u[1], "uid": uid, "gid": gid, "home": u[5], "shell": u[6],
			"fullname": gecos[0], "roomnumber": gecos[1], "workphone": gecos[2], "homephone": gecos[3], "other": gecos[4],
			"groups": member,
		}, nil
	}
	return map[string]any{}, nil
}

func listUsers(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	users, err := records(passwdFile, 7)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(users))
	for _, u := range users {
		names = append(names, u[0])
	}
	sort.Strings(names)
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out, nil
}

func groupInfo(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "name"); err != nil {
		return nil, err
	}
	name, err := c.String(0, "name")
	if err != nil {
		return nil, err
	}
	groups, err := records(groupFile, 4)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if g[0] != name {
			continue
		}
		gid, _ := strconv.Atoi(g[2])
		members := []any{}
		for _, m := range strings.Split(g[3], ",") {
			if m != "" {
				members = append(members, m)
			}
		}
		return map[string]any{"name": name, "passwd": g[1], "gid": gid, "members": members}, nil
	}
	return map[string]any{}, nil
}

func listGroups(ctx context.Context, c *modules.Call) (any, error) {
	v, err := info(ctx, c)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	groups, _ := m["groups"].([]any)
	if groups == nil {
		groups = []any{}
	}
	return groups, nil
}

// idOf looks a name up in an account file and returns its numeric id.
func idOf(group bool) modules.Func {
	return func(_ context.Context, c *modules.Call) (any, error) {
		if err := c.Expect(1, "name"); err != nil {
			return nil, err
		}
		v, _, err := c.Value(0, "name")
		if err != nil {
			return nil, err
		}
		name := fmt.Sprint(v)
		if _, err := strconv.Atoi(name); err == nil {
			n, _ := strconv.Atoi(name)
			return n, nil // already an id, as Salt accepts
		}
		recs, err := accounts(group)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r[0] == name {
				n, _ := strconv.Atoi(r[2])
				return n, nil
			}
		}
		return "", nil
	}
}

// nameOf looks a numeric id up in an account file and returns its name.
func nameOf(group bool) modules.Func {
	return func(_ context.Context, c *modules.Call) (any, error) {
		if err := c.Expect(1, "id"); err != nil {
			return nil, err
		}
		v, _, err := c.Value(0, "id")
		if err != nil {
			return nil, err
		}
		id := fmt.Sprint(v)
		recs, err := accounts(group)
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			if r[2] == id {
				return r[0], nil
			}
		}
		return v, nil
	}
}

// accounts reads /etc/group (group) or /etc/passwd.
func accounts(group bool) ([][]string, error) {
	if group {
		return records(groupFile, 4)
	}
	return records(passwdFile, 7)
}
