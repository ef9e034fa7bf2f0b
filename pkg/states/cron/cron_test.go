package cron

import (
	"context"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/states/internal/statetest"
)

// A crontab as Salt writes it, with a user line above the marker.
const saltTab = `MAILTO=ops@example.com
0 * * * * /usr/bin/hand-written
# Lines below here are managed by Salt, do not edit
SHELL=/bin/bash
# nightly backup SALT_CRON_IDENTIFIER:backup
30 2 * * * /usr/local/bin/backup.sh --all
# SALT_CRON_IDENTIFIER:/usr/bin/true
#DISABLED#*/5 * * * * /usr/bin/true
# first line
# second line SALT_CRON_IDENTIFIER:multi
@daily /usr/bin/rotate  now
* * * * * legacy job without id
`

func TestParseCrontab(t *testing.T) {
	c := ParseCrontab(saltTab)
	want := Crontab{
		Pre: []string{"MAILTO=ops@example.com", "0 * * * * /usr/bin/hand-written"},
		Env: []EnvVar{{"SHELL", "/bin/bash"}},
		Entries: []Entry{
			{Minute: "30", Hour: "2", DayMonth: "*", Month: "*", DayWeek: "*", Cmd: "/usr/local/bin/backup.sh --all", Identifier: "backup", Comment: "nightly backup"},
			{Minute: "*/5", Hour: "*", DayMonth: "*", Month: "*", DayWeek: "*", Cmd: "/usr/bin/true", Identifier: "/usr/bin/true", Commented: true},
			{Special: "@daily", Cmd: "/usr/bin/rotate now", Identifier: "multi", Comment: "first line\nsecond line"},
			{Minute: "*", Hour: "*", DayMonth: "*", Month: "*", DayWeek: "*", Cmd: "legacy job without id"},
		},
	}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("parsed\n%#v\nwant\n%#v", c, want)
	}
	// Rendering keeps the user's lines and Salt's layout.
	out := c.String()
	if !strings.HasPrefix(out, "MAILTO=ops@example.com\n0 * * * * /usr/bin/hand-written\n"+tag+"\n") {
		t.Fatalf("render lost the user's lines:\n%s", out)
	}
	for _, line := range []string{"# nightly backup SALT_CRON_IDENTIFIER:backup\n30 2 * * * /usr/local/bin/backup.sh --all\n",
		"#DISABLED#*/5 * * * * /usr/bin/true\n", "# first line\n# second line SALT_CRON_IDENTIFIER:multi\n@daily /usr/bin/rotate now\n"} {
		if !strings.Contains(out, line) {
			t.Errorf("render lacks %q:\n%s", line, out)
		}
	}
	if again := ParseCrontab(out); !reflect.DeepEqual(again, c) {
		t.Fatalf("render/parse round trip changed the crontab:\n%#v", again)
	}
	// A crontab nobody managed yet: everything is the user's.
	if c := ParseCrontab("5 4 * * * x\n"); len(c.Entries) != 0 || len(c.Pre) != 1 {
		t.Fatalf("unmanaged crontab parsed as %#v", c)
	}
}

func TestEntryMatches(t *testing.T) {
	e := Entry{Cmd: "/bin/a", Identifier: "job1"}
	if !e.matches("/bin/other", "job1") || e.matches("/bin/a", "/bin/a") {
		t.Fatal("an entry with an identifier is matched by identifier only")
	}
	legacy := Entry{Cmd: "/bin/a"}
	if !legacy.matches("/bin/a", "anything") || legacy.matches("/bin/b", "/bin/b") {
		t.Fatal("an entry without identifier is matched by command")
	}
	noID := Entry{Cmd: "/bin/a", Identifier: noIdentifier}
	if !noID.matches("/bin/a", "x") {
		t.Fatal(`"NO ID SET" counts as no identifier`)
	}
}

// FuzzParseCrontab checks parsing never panics and that a parsed crontab
// renders to text that parses back to the same structure (so repeated
// runs cannot drift).
func FuzzParseCrontab(f *testing.F) {
	f.Add(saltTab)
	f.Add("")
	f.Add(tag + "\n#DISABLED#@reboot x\n# SALT_CRON_IDENTIFIER:\n1 2 3 4 5\n")
	f.Add("a=b\n" + tag + "\nA=\n#  c SALT_CRON_IDENTIFIER:i SALT_CRON_IDENTIFIER:j\n* * * * *  two  spaces\n")
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseCrontab(s)
		again := ParseCrontab(c.String())
		if !reflect.DeepEqual(normalize(c), normalize(again)) {
			t.Fatalf("round trip drifted:\n%#v\n%#v", c, again)
		}
	})
}

// normalize maps nil and empty slices together for comparison.
func normalize(c Crontab) Crontab {
	if len(c.Pre) == 0 {
		c.Pre = nil
	}
	if len(c.Env) == 0 {
		c.Env = nil
	}
	if len(c.Entries) == 0 {
		c.Entries = nil
	}
	return c
}

// cronUser creates a throwaway account so the tests never touch a real
// user's crontab.
func cronUser(t *testing.T) string {
	t.Helper()
	statetest.RequireRoot(t)
	statetest.RequireCommand(t, "crontab", "cron")
	name := statetest.UniqueName("hcron")
	if out, err := exec.Command("useradd", "-M", "-N", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v: %s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("crontab", "-u", name, "-r").Run()
		exec.Command("userdel", name).Run()
	})
	return name
}

func crontabOf(t *testing.T, user string) string {
	t.Helper()
	s, err := readCrontab(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPresentAbsent(t *testing.T) {
	u := cronUser(t)
	// The user's own line must survive everything below.
	if err := writeCrontab(context.Background(), u, "MAILTO=me\n15 3 * * * /usr/bin/mine\n"); err != nil {
		t.Fatal(err)
	}
	job := "/usr/local/bin/backup.sh"
	args := map[string]any{"user": u, "minute": 30, "hour": "2", "comment": "nightly"}

	res := statetest.Call(t, "cron.present", job, args, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if res.Comment != "Cron "+job+" is set to be added" || res.Changes[u] != job {
		t.Fatalf("dry run: %s", statetest.Format(res))
	}
	if strings.Contains(crontabOf(t, u), job) {
		t.Fatal("test mode wrote the crontab")
	}

	res = statetest.Call(t, "cron.present", job, args, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "Cron "+job+" added to "+u+"'s crontab" {
		t.Fatalf("comment %q", res.Comment)
	}
	want := "MAILTO=me\n15 3 * * * /usr/bin/mine\n" + tag + "\n# nightly SALT_CRON_IDENTIFIER:" + job + "\n30 2 * * * " + job + "\n"
	// (command output is reported without its final newline)
	if got := crontabOf(t, u); got != strings.TrimSuffix(want, "\n") {
		t.Fatalf("crontab:\n%s\nwant:\n%s", got, want)
	}
	statetest.Expect(t, statetest.Call(t, "cron.present", job, args, false), statetest.Unchanged)
	statetest.Expect(t, statetest.Call(t, "cron.present", job, args, true), statetest.Unchanged)

	// Changing the schedule updates the line in place.
	args["hour"] = "3"
	res = statetest.Call(t, "cron.present", job, args, false)
	if statetest.Expect(t, res, statetest.Changed); res.Comment != "Cron "+job+" updated" {
		t.Fatalf("comment %q", res.Comment)
	}
	if got := crontabOf(t, u); strings.Count(got, job) != 2 || !strings.Contains(got, "30 3 * * * "+job) {
		t.Fatalf("crontab after update:\n%s", got)
	}

	// An identifier lets the command change without duplicating the job.
	id := map[string]any{"user": u, "special": "@hourly", "identifier": "rotate"}
	statetest.Expect(t, statetest.Call(t, "cron.present", "/usr/bin/rotate v1", id, false), statetest.Changed)
	statetest.Expect(t, statetest.Call(t, "cron.present", "/usr/bin/rotate v2", id, false), statetest.Changed)
	if got := crontabOf(t, u); strings.Contains(got, "v1") || !strings.Contains(got, "@hourly /usr/bin/rotate v2") {
		t.Fatalf("identifier update:\n%s", got)
	}

	// random picks a value once and keeps it.
	rnd := map[string]any{"user": u, "minute": "random"}
	statetest.Expect(t, statetest.Call(t, "cron.present", "/usr/bin/jitter", rnd, false), statetest.Changed)
	first := crontabOf(t, u)
	statetest.Expect(t, statetest.Call(t, "cron.present", "/usr/bin/jitter", rnd, false), statetest.Unchanged)
	if crontabOf(t, u) != first {
		t.Fatal("random minute changed on the second run")
	}

	// absent
	res = statetest.Call(t, "cron.absent", job, map[string]any{"user": u}, true)
	statetest.Expect(t, res, statetest.WouldChange)
	res = statetest.Call(t, "cron.absent", job, map[string]any{"user": u}, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "Cron "+job+" removed from "+u+"'s crontab" {
		t.Fatalf("comment %q", res.Comment)
	}
	got := crontabOf(t, u)
	if strings.Contains(got, job) || !strings.Contains(got, "15 3 * * * /usr/bin/mine") {
		t.Fatalf("crontab after absent:\n%s", got)
	}
	statetest.Expect(t, statetest.Call(t, "cron.absent", job, map[string]any{"user": u}, false), statetest.Unchanged)
	statetest.Expect(t, statetest.Call(t, "cron.absent", "/usr/bin/rotate v2", map[string]any{"user": u, "identifier": "rotate"}, false), statetest.Changed)
}

func TestCronBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"/bin/x", map[string]any{"minute": "1 2"}, `argument "minute"`},
		{"/bin/x", map[string]any{"special": "@sometimes"}, "@sometimes"},
		{"", nil, `argument "name"`},
		{"a\nb", nil, `argument "name"`},
		{"/bin/x", map[string]any{"user": "no-such-user-halite"}, "User no-such-user-halite does not exist"},
	} {
		res := statetest.Call(t, "cron.present", tc.name, tc.args, false)
		if statetest.Classify(res) != statetest.Failed || !strings.Contains(res.Comment, tc.want) {
			t.Errorf("%q %v: %s; want failure mentioning %q", tc.name, tc.args, statetest.Format(res), tc.want)
		}
	}
}
