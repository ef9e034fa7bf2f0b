// Package acct reads the local account databases (/etc/passwd, /etc/group,
// /etc/shadow) and changes them through the shadow tools (useradd, usermod,
// userdel, groupadd, groupmod, gpasswd), which take the locks and keep the
// shadow files consistent. os/user answers "who is this" but not "who is in
// this group", which group.present needs, so the files are parsed here.
package acct

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/halite/halite/pkg/states/internal/run"
)

// Paths of the account databases.
const (
	PasswdFile = "/etc/passwd"
	GroupFile  = "/etc/group"
	ShadowFile = "/etc/shadow"
)

// ErrNotFound is returned for an unknown user or group.
var ErrNotFound = errors.New("not found")

// User is one /etc/passwd entry. GECOS is split into Salt's fields.
type User struct {
	Name                                       string
	UID, GID                                   int
	Fullname, RoomNumber, WorkPhone, HomePhone string
	Other                                      string
	Home, Shell                                string
}

// Group is one /etc/group entry.
type Group struct {
	Name    string
	GID     int
	Members []string
}

// ParsePasswd reads passwd(5) lines. Malformed lines are skipped, as libc
// does; comments and NIS "+" lines too.
func ParsePasswd(r io.Reader) ([]User, error) {
	var out []User
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 7 || f[0] == "" {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil || uid < 0 || gid < 0 {
			continue
		}
		u := User{Name: f[0], UID: uid, GID: gid, Home: f[5], Shell: f[6]}
		g := strings.SplitN(f[4], ",", 5)
		for len(g) < 5 {
			g = append(g, "")
		}
		u.Fullname, u.RoomNumber, u.WorkPhone, u.HomePhone, u.Other = g[0], g[1], g[2], g[3], g[4]
		out = append(out, u)
	}
	return out, sc.Err()
}

// ParseGroup reads group(5) lines.
func ParseGroup(r io.Reader) ([]Group, error) {
	var out []Group
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) != 4 || f[0] == "" {
			continue
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil || gid < 0 {
			continue
		}
		g := Group{Name: f[0], GID: gid}
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" {
				g.Members = append(g.Members, m)
			}
		}
		out = append(out, g)
	}
	return out, sc.Err()
}

func readPasswd() ([]User, error) {
	f, err := os.Open(PasswdFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParsePasswd(f)
}

func readGroups() ([]Group, error) {
	f, err := os.Open(GroupFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseGroup(f)
}

// LookupUser finds a user by name.
func LookupUser(name string) (User, error) {
	users, err := readPasswd()
	if err != nil {
		return User{}, fmt.Errorf("read %s: %w", PasswdFile, err)
	}
	for _, u := range users {
		if u.Name == name {
			return u, nil
		}
	}
	return User{}, fmt.Errorf("user %s: %w", name, ErrNotFound)
}

// LookupGroup finds a group by name.
func LookupGroup(name string) (Group, error) {
	groups, err := readGroups()
	if err != nil {
		return Group{}, fmt.Errorf("read %s: %w", GroupFile, err)
	}
	for _, g := range groups {
		if g.Name == name {
			return g, nil
		}
	}
	return Group{}, fmt.Errorf("group %s: %w", name, ErrNotFound)
}

// GroupByGID finds a group by id.
func GroupByGID(gid int) (Group, error) {
	groups, err := readGroups()
	if err != nil {
		return Group{}, fmt.Errorf("read %s: %w", GroupFile, err)
	}
	for _, g := range groups {
		if g.GID == gid {
			return g, nil
		}
	}
	return Group{}, fmt.Errorf("gid %d: %w", gid, ErrNotFound)
}

// ResolveGID turns a group name or a numeric id into an id.
func ResolveGID(s string) (int, error) {
	if g, err := LookupGroup(s); err == nil {
		return g.GID, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, nil
	}
	return 0, fmt.Errorf("group %s: %w", s, ErrNotFound)
}

// SupplementaryGroups lists the groups that name user is a listed member
// of, sorted.
func SupplementaryGroups(user string) ([]string, error) {
	groups, err := readGroups()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", GroupFile, err)
	}
	var out []string
	for _, g := range groups {
		for _, m := range g.Members {
			if m == user {
				out = append(out, g.Name)
				break
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// PasswordHash returns the user's hash from /etc/shadow ("" when the user
// has no entry).
func PasswordHash(user string) (string, error) {
	f, err := os.Open(ShadowFile)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", ShadowFile, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if ok && name == user {
			h, _, _ := strings.Cut(rest, ":")
			return h, nil
		}
	}
	return "", sc.Err()
}

// Tool runs one of the shadow tools and turns a failure into an error
// carrying its message. The tools refuse at once when another process
// holds the account database lock ("cannot lock /etc/passwd; try again
// later"), as happens when a package's maintainer script adds its user at
// the same moment; Tool then waits and tries again for a few seconds.
func Tool(ctx context.Context, name string, args ...string) error {
	delay := 50 * time.Millisecond
	for attempt := 0; ; attempt++ {
		_, err := run.Tool(ctx, name, args...)
		var ee *run.ExitError
		if err == nil || attempt >= 8 || !errors.As(err, &ee) || !lockBusy(ee.Result.Stderr) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, time.Second)
	}
}

func lockBusy(stderr string) bool {
	return strings.Contains(stderr, "cannot lock") || strings.Contains(stderr, "try again later")
}
