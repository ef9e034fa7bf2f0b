// Package user provides user.present and user.absent: local accounts
// managed through the shadow tools (useradd, usermod, userdel).
//
//	deploy:
//	  user.present:
//	    - fullname: Deploy Bot
//	    - shell: /bin/bash
//	    - groups: [www-data]
package user

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
	state.Register(state.Def{Name: "user.present", Func: present, Doc: `Ensure a local user exists with the given properties.

Arguments: uid, gid (name or id), gid_from_name, groups (supplementary
groups; each must exist; the user is removed from groups not listed unless
remove_groups is False), optional_groups (added when they exist), home,
createhome (default True), shell, fullname, roomnumber, workphone,
homephone, other, password (a crypt(3) hash), enforce_password (default
True), empty_password, system, unique (default True), usergroup.`})
	state.Register(state.Def{Name: "user.absent", Func: absent, Doc: `Ensure a local user does not exist. purge also removes the home
directory and mail spool; force removes a user who is logged in.`})
}

// redacted stands in for password hashes in changes and comments.
const redacted = "XXX-REDACTED-XXX"

type spec struct {
	name                                      string
	uid                                       *int
	gid                                       string
	gidFromName                               bool
	groups                                    []string
	hasGroups                                 bool
	optional                                  []string
	removeGroups                              bool
	home                                      string
	createHome                                bool
	shell                                     string
	gecos                                     [5]*string // fullname, room, work, home phone, other
	password                                  string
	hasPassword, enforcePassword, emptyPasswd bool
	system, unique                            bool
	usergroup                                 *bool
}

func parse(req *state.Request) (spec, error) {
	a := args.Lenient(req.Args, req.Warn)
	s := spec{name: req.Name}
	if n, ok := a.OptInt("uid"); ok {
		s.uid = &n
	}
	s.gid = a.String("gid", "")
	s.gidFromName = a.Bool("gid_from_name", false)
	s.groups, s.hasGroups = a.Strings("groups")
	s.optional, _ = a.Strings("optional_groups")
	s.removeGroups = a.Bool("remove_groups", true)
	s.home = a.String("home", "")
	s.createHome = a.Bool("createhome", true)
	s.shell = a.String("shell", "")
	for i, k := range []string{"fullname", "roomnumber", "workphone", "homephone", "other"} {
		if v, ok := a.OptString(k); ok {
			if strings.ContainsAny(v, ":,\n") {
				a.Fail(k, "must not contain ':', ',' or a newline")
			}
			s.gecos[i] = &v
		}
	}
	s.password, s.hasPassword = a.OptString("password")
	s.enforcePassword = a.Bool("enforce_password", true)
	s.emptyPasswd = a.Bool("empty_password", false)
	s.system = a.Bool("system", false)
	s.unique = a.Bool("unique", true)
	s.usergroup = a.OptBool("usergroup")
	a.Ignore("hash_password", "nologinit", "allow_uid_change", "allow_gid_change")
	if s.name == "" || strings.ContainsAny(s.name, ":,\n /") {
		a.Fail("name", fmt.Sprintf("invalid user name %q", s.name))
	}
	if s.gid != "" && s.gidFromName {
		a.Fail("gid_from_name", "cannot be used together with gid")
	}
	if s.gidFromName {
		s.gid = s.name
	}
	return s, a.Err()
}

// info is the user's properties the way Salt's user.info reports them; it
// is what a new user's changes show.
func info(u acct.User) (map[string]any, error) {
	groups, err := acct.SupplementaryGroups(u.Name)
	if err != nil {
		return nil, err
	}
	all := append([]string(nil), groups...)
	if g, err := acct.GroupByGID(u.GID); err == nil && !contains(all, g.Name) {
		all = append(all, g.Name)
	}
	sort.Strings(all)
	return map[string]any{
		"name": u.Name, "uid": u.UID, "gid": u.GID, "home": u.Home, "shell": u.Shell,
		"fullname": u.Fullname, "roomnumber": u.RoomNumber, "workphone": u.WorkPhone,
		"homephone": u.HomePhone, "other": u.Other, "groups": all,
	}, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}

// wantedGroups resolves the supplementary groups: required ones must
// exist; optional ones are dropped when missing.
func (s spec) wantedGroups() (wanted, missing []string) {
	seen := map[string]bool{}
	for _, g := range s.groups {
		if _, err := acct.LookupGroup(g); err != nil {
			missing = append(missing, g)
			continue
		}
		if !seen[g] {
			seen[g] = true
			wanted = append(wanted, g)
		}
	}
	for _, g := range s.optional {
		if _, err := acct.LookupGroup(g); err == nil && !seen[g] {
			seen[g] = true
			wanted = append(wanted, g)
		}
	}
	sort.Strings(wanted)
	return wanted, missing
}

// change is one usermod step: the Salt change key, the wanted value as
// reported, and the usermod arguments.
type change struct {
	key   string
	value any
	args  []string
}

// diff lists what must change for an existing user to match s.
func (s spec) diff(u acct.User, wanted []string) ([]change, error) {
	var out []change
	if s.uid != nil && u.UID != *s.uid {
		out = append(out, change{"uid", *s.uid, []string{"-u", strconv.Itoa(*s.uid)}})
	}
	primary := u.GID
	if s.gid != "" {
		gid, err := acct.ResolveGID(s.gid)
		if err != nil {
			return nil, fmt.Errorf("Group %s is not available", s.gid)
		}
		if gid != u.GID {
			out = append(out, change{"gid", gid, []string{"-g", strconv.Itoa(gid)}})
		}
		primary = gid
	}
	if s.hasGroups || len(s.optional) > 0 {
		cur, err := acct.SupplementaryGroups(u.Name)
		if err != nil {
			return nil, err
		}
		pname := ""
		if g, err := acct.GroupByGID(primary); err == nil {
			pname = g.Name
		}
		var want []string
		for _, g := range wanted {
			if g != pname {
				want = append(want, g)
			}
		}
		var have []string
		for _, g := range cur {
			if g != pname {
				have = append(have, g)
			}
		}
		if s.removeGroups {
			if strings.Join(want, ",") != strings.Join(have, ",") {
				out = append(out, change{"groups", want, []string{"-G", strings.Join(want, ",")}})
			}
		} else {
			var add []string
			for _, g := range want {
				if !contains(have, g) {
					add = append(add, g)
				}
			}
			if len(add) > 0 {
				out = append(out, change{"groups", add, []string{"-a", "-G", strings.Join(add, ",")}})
			}
		}
	}
	if s.home != "" && u.Home != s.home {
		out = append(out, change{"home", s.home, []string{"-d", s.home}})
	}
	if s.shell != "" && u.Shell != s.shell {
		out = append(out, change{"shell", s.shell, []string{"-s", s.shell}})
	}
	cur := [5]string{u.Fullname, u.RoomNumber, u.WorkPhone, u.HomePhone, u.Other}
	gecos := cur
	gecosChanged := false
	for i, k := range []string{"fullname", "roomnumber", "workphone", "homephone", "other"} {
		if p := s.gecos[i]; p != nil && *p != cur[i] {
			gecos[i] = *p
			gecosChanged = true
			out = append(out, change{k, *p, nil})
		}
	}
	if gecosChanged {
		out = append(out, change{"", nil, []string{"-c", joinGECOS(gecos)}})
	}
	if s.hasPassword || s.emptyPasswd {
		h, err := acct.PasswordHash(u.Name)
		if err != nil {
			return nil, err
		}
		want := s.password
		if s.emptyPasswd {
			want = ""
		}
		// enforce_password False only sets a password on an account that
		// has none (locked: "!" or "*").
		unset := h == "" || h == "!" || h == "*" || h == "!*"
		if h != want && (s.enforcePassword || unset) {
			out = append(out, change{"passwd", redacted, []string{"-p", want}})
		}
	}
	return out, nil
}

func joinGECOS(g [5]string) string {
	s := strings.Join(g[:], ",")
	return strings.TrimRight(s, ",")
}

func present(ctx context.Context, req *state.Request) state.Result {
	s, err := parse(req)
	if err != nil {
		return fail("Invalid arguments: %v", err)
	}
	wanted, missing := s.wantedGroups()
	if len(missing) > 0 {
		msg := "The following group(s) are not present: " + strings.Join(missing, ",")
		if req.Test {
			// They may be created by an earlier state of this run.
			return state.Result{Comment: msg}
		}
		return fail("%s", msg)
	}
	u, err := acct.LookupUser(s.name)
	if errors.Is(err, acct.ErrNotFound) {
		return create(ctx, req, s, wanted)
	}
	if err != nil {
		return fail("%v", err)
	}
	changes, err := s.diff(u, wanted)
	if err != nil {
		if req.Test {
			return state.Result{Comment: err.Error()}
		}
		return fail("%v", err)
	}
	if len(changes) == 0 {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("User %s is present and up to date", s.name)}
	}
	if req.Test {
		pred := map[string]any{}
		var b strings.Builder
		b.WriteString("The following user attributes are set to be changed:\n")
		for _, c := range changes {
			if c.key == "" {
				continue
			}
			pred[c.key] = c.value
			fmt.Fprintf(&b, "%s: %v\n", c.key, c.value)
		}
		return state.Result{Changes: pred, Comment: strings.TrimRight(b.String(), "\n")}
	}
	pre, err := info(u)
	if err != nil {
		return fail("%v", err)
	}
	var argv []string
	for _, c := range changes {
		argv = append(argv, c.args...)
	}
	argv = append(argv, s.name)
	if err := acct.Tool(ctx, "usermod", argv...); err != nil {
		return fail("Failed to update user %s: %v", s.name, err)
	}
	u2, err := acct.LookupUser(s.name)
	if err != nil {
		return fail("%v", err)
	}
	post, err := info(u2)
	if err != nil {
		return fail("%v", err)
	}
	out := map[string]any{}
	for k, v := range post {
		if fmt.Sprint(pre[k]) != fmt.Sprint(v) {
			out[k] = v
		}
	}
	for _, c := range changes {
		if c.key == "passwd" {
			out["passwd"] = redacted
		}
	}
	left, err := s.diff(u2, wanted)
	if err != nil {
		return state.Result{Result: state.False(), Changes: out, Comment: err.Error()}
	}
	if len(left) > 0 {
		var keys []string
		for _, c := range left {
			if c.key != "" {
				keys = append(keys, c.key)
			}
		}
		return state.Result{Result: state.False(), Changes: out, Comment: fmt.Sprintf("These values could not be changed: %s", strings.Join(keys, ", "))}
	}
	return state.Result{Result: state.True(), Changes: out, Comment: fmt.Sprintf("Updated user %s", s.name)}
}

func create(ctx context.Context, req *state.Request, s spec, wanted []string) state.Result {
	if req.Test {
		return state.Result{Changes: map[string]any{s.name: "new user"}, Comment: fmt.Sprintf("User %s set to be added", s.name)}
	}
	var argv []string
	if s.uid != nil {
		argv = append(argv, "-u", strconv.Itoa(*s.uid))
		if !s.unique {
			argv = append(argv, "-o")
		}
	}
	if s.gid != "" {
		gid, err := acct.ResolveGID(s.gid)
		if err != nil {
			return fail("Group %s is not available", s.gid)
		}
		argv = append(argv, "-g", strconv.Itoa(gid))
	} else if s.usergroup != nil {
		if *s.usergroup {
			argv = append(argv, "-U")
		} else {
			argv = append(argv, "-N")
		}
	}
	if len(wanted) > 0 {
		argv = append(argv, "-G", strings.Join(wanted, ","))
	}
	if s.home != "" {
		argv = append(argv, "-d", s.home)
	}
	if s.createHome {
		argv = append(argv, "-m")
	} else {
		argv = append(argv, "-M")
	}
	if s.shell != "" {
		argv = append(argv, "-s", s.shell)
	}
	var gecos [5]string
	anyGecos := false
	for i, p := range s.gecos {
		if p != nil {
			gecos[i], anyGecos = *p, true
		}
	}
	if anyGecos {
		argv = append(argv, "-c", joinGECOS(gecos))
	}
	if s.system {
		argv = append(argv, "-r")
	}
	if s.hasPassword {
		argv = append(argv, "-p", s.password)
	} else if s.emptyPasswd {
		argv = append(argv, "-p", "")
	}
	argv = append(argv, s.name)
	if err := acct.Tool(ctx, "useradd", argv...); err != nil {
		return fail("Failed to create new user %s: %v", s.name, err)
	}
	u, err := acct.LookupUser(s.name)
	if err != nil {
		return fail("User %s was created but cannot be read back: %v", s.name, err)
	}
	ch, err := info(u)
	if err != nil {
		return fail("%v", err)
	}
	if s.hasPassword || s.emptyPasswd {
		ch["passwd"] = redacted
	}
	return state.Result{Result: state.True(), Changes: ch, Comment: fmt.Sprintf("New user %s created", s.name)}
}

func absent(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	purge := a.Bool("purge", false)
	force := a.Bool("force", false)
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	name := req.Name
	u, err := acct.LookupUser(name)
	if errors.Is(err, acct.ErrNotFound) {
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("User %s is not present", name)}
	}
	if err != nil {
		return fail("%v", err)
	}
	if req.Test {
		return state.Result{Changes: map[string]any{name: "removed"}, Comment: fmt.Sprintf("User %s set for removal", name)}
	}
	// userdel also removes the user's private group; report it as Salt does.
	hadGroup := false
	if g, err := acct.GroupByGID(u.GID); err == nil && g.Name == name {
		hadGroup = true
	}
	argv := []string{}
	if purge {
		argv = append(argv, "-r")
	}
	if force {
		argv = append(argv, "-f")
	}
	argv = append(argv, name)
	if err := acct.Tool(ctx, "userdel", argv...); err != nil {
		// userdel -r exits 12 when the home or mail spool was missing, after
		// deleting the account: judge by the result, not the status.
		if _, lerr := acct.LookupUser(name); lerr == nil {
			return fail("Failed to remove user %s: %v", name, err)
		}
	}
	changes := map[string]any{name: "removed"}
	if hadGroup {
		if _, err := acct.LookupGroup(name); errors.Is(err, acct.ErrNotFound) {
			changes[name+" group"] = "removed"
		}
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Removed user %s", name)}
}
