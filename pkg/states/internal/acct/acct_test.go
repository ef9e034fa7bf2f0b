package acct

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParsePasswd(t *testing.T) {
	in := `root:x:0:0:root:/root:/bin/bash
# comment
+nis
deploy:x:1001:1001:Deploy Bot,42,555-1,555-2,extra,more:/home/deploy:/bin/sh
bad:x:notanumber:0::/:/bin/sh
short:x:1:1
neg:x:-1:0::/:/bin/sh
:x:5:5::/:/bin/sh

nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin`
	got, err := ParsePasswd(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []User{
		{Name: "root", UID: 0, GID: 0, Fullname: "root", Home: "/root", Shell: "/bin/bash"},
		{Name: "deploy", UID: 1001, GID: 1001, Fullname: "Deploy Bot", RoomNumber: "42", WorkPhone: "555-1",
			HomePhone: "555-2", Other: "extra,more", Home: "/home/deploy", Shell: "/bin/sh"},
		{Name: "nobody", UID: 65534, GID: 65534, Fullname: "nobody", Home: "/nonexistent", Shell: "/usr/sbin/nologin"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}

func TestParseGroup(t *testing.T) {
	in := "root:x:0:\nsudo:x:27:alice,bob\nweird:x:9: carol , ,dave\nbad:x:x:\nshort:x:1\n"
	got, err := ParseGroup(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Group{{Name: "root", GID: 0}, {Name: "sudo", GID: 27, Members: []string{"alice", "bob"}},
		{Name: "weird", GID: 9, Members: []string{"carol", "dave"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}

func TestLookups(t *testing.T) {
	u, err := LookupUser("root")
	if err != nil || u.UID != 0 || u.Home == "" {
		t.Fatalf("root: %+v, %v", u, err)
	}
	if _, err := LookupUser("no-such-user-halite"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown user: %v", err)
	}
	g, err := LookupGroup("root")
	if err != nil || g.GID != 0 {
		t.Fatalf("root group: %+v, %v", g, err)
	}
	if g, err := GroupByGID(0); err != nil || g.Name != "root" {
		t.Fatalf("gid 0: %+v, %v", g, err)
	}
	for in, want := range map[string]int{"root": 0, "0": 0, "4242": 4242} {
		if got, err := ResolveGID(in); err != nil || got != want {
			t.Errorf("ResolveGID(%q) = %d, %v", in, got, err)
		}
	}
	if _, err := ResolveGID("no-such-group-halite"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown group: %v", err)
	}
}

func FuzzParsePasswd(f *testing.F) {
	f.Add("root:x:0:0:root:/root:/bin/bash\n")
	f.Add("a:x:1:1:f,r,w,h,o,o:/h:/s\n#c\n+x\n")
	f.Add("::::::\n:x:1:1::/:/\n")
	f.Fuzz(func(t *testing.T, s string) {
		users, err := ParsePasswd(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, u := range users {
			if u.Name == "" || u.UID < 0 || u.GID < 0 || strings.ContainsAny(u.Name+u.Home+u.Shell, ":\n") {
				t.Fatalf("bad entry %+v", u)
			}
		}
	})
}

func FuzzParseGroup(f *testing.F) {
	f.Add("sudo:x:27:alice,bob\n")
	f.Add("a:x:1: , ,\n:x:2:\nb:x:-3:\n")
	f.Fuzz(func(t *testing.T, s string) {
		groups, err := ParseGroup(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, g := range groups {
			if g.Name == "" || g.GID < 0 {
				t.Fatalf("bad group %+v", g)
			}
			for _, m := range g.Members {
				if m == "" || strings.ContainsAny(m, ",: \t\n") && strings.TrimSpace(m) != m {
					t.Fatalf("bad member %q in %+v", m, g)
				}
			}
		}
	})
}
