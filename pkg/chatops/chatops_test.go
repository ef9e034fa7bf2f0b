package chatops

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"
)

func TestVerifySlack(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	body := []byte("token=x&text=check+load+web1")
	sig := SignSlack("s3cret", now.Unix(), body)
	ts := strconv.FormatInt(now.Unix(), 10)
	if err := VerifySlack("s3cret", ts, sig, body, now); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{
		"wrong secret": func() error { return VerifySlack("other", ts, sig, body, now) },
		"changed body": func() error { return VerifySlack("s3cret", ts, sig, []byte("text=run+*+cmd.run"), now) },
		"stale":        func() error { return VerifySlack("s3cret", ts, sig, body, now.Add(6*time.Minute)) },
		"bad ts":       func() error { return VerifySlack("s3cret", "x", sig, body, now) },
		"no secret":    func() error { return VerifySlack("", ts, sig, body, now) },
	} {
		if err := f(); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParse(t *testing.T) {
	for text, want := range map[string]Command{
		"check load db3":                     {Name: "check", Target: "db3"},
		"restart apache on production":       {Name: "restart", Target: "production", Fun: "service.restart", Args: []string{"apache"}},
		"run 'web*' cmd.run \"uptime -p\"":   {Name: "run", Target: "web*", Fun: "cmd.run", Args: []string{"uptime -p"}},
		"apply web* nginx test":              {Name: "apply", Target: "web*", Fun: "state.apply", Args: []string{"nginx"}, Test: true},
		"log Upgraded redis to 2.8.19":       {Name: "log", Text: "Upgraded redis to 2.8.19"},
		"maintenance start fs1 disk  swap":   {Name: "maintenance", Action: "start", Target: "fs1", Text: "disk  swap"},
		"resolve ticket #8 Ended up needing": {Name: "resolve", Ticket: "8", Text: "Ended up needing"},
		"jobs 3":                             {Name: "jobs", N: 3},
		"confirm ab12cd":                     {Name: "confirm", ID: "ab12cd"},
		"":                                   {Name: "help"},
	} {
		got, err := Parse(text)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", text, got, err, want)
		}
	}
	for _, bad := range []string{"restart apache", "check web1", "resolve #8 x", "jobs 500", "nuke all", "run 'x", "maintenance pause x"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// FuzzParse: any text a chat user sends parses or is refused, never a
// panic.
func FuzzParse(f *testing.F) {
	f.Add("restart apache on production")
	f.Add("run '*' cmd.run \"a b\" 'c")
	f.Add("resolve ticket # x")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err == nil && c.Name == "" {
			t.Fatalf("%q parsed to no command", s)
		}
	})
}
