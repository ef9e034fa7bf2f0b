package beacons

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseAuthLines(t *testing.T) {
	for line, want := range map[string]string{
		"Dec  2 10:00:01 h sshd[811]: Failed password for invalid user admin from 203.0.113.9 port 51122 ssh2":                                         "sshd failed 203.0.113.9",
		"Dec  2 10:00:02 h sshd[811]: Failed password for root from 203.0.113.9 port 51123 ssh2":                                                       "sshd failed 203.0.113.9",
		"Dec  2 10:00:03 h sshd[812]: Accepted publickey for deploy from 198.51.100.4 port 40000 ssh2: ED25519":                                        "sshd ok 198.51.100.4",
		"2026-12-02T10:00:04.1+00:00 h sshd-session[9]: Failed keyboard-interactive/pam for bob from ::1 port 2 ssh2":                                  "sshd failed ::1",
		"Dec  2 10:00:05 h su[900]: pam_unix(su:auth): authentication failure; logname=bob uid=1000 euid=0 tty=/dev/pts/0 ruser=bob rhost=  user=root": "su failed ",
		"Dec  2 10:00:06 h sudo: pam_unix(sudo:auth): authentication failure; logname=bob uid=1000 euid=0 tty=/dev/pts/0 ruser=bob rhost=  user=bob":   "sudo failed ",
		"Dec  2 10:00:07 h su[901]: pam_unix(su:session): session opened for user root(uid=0) by bob(uid=1000)":                                        "su ok ",
		// Not counted: sshd's own PAM line (its "Failed" line counts), noise.
		"Dec  2 10:00:08 h sshd[811]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9": "",
		"Dec  2 10:00:09 h sshd[811]: Invalid user admin from 203.0.113.9 port 51122":                                                      "",
		"Dec  2 10:00:10 h CRON[1]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)":                                "",
	} {
		k, ok := parseAuthLine(line)
		got := ""
		if ok {
			got = k.service + " " + k.result + " " + k.source
		}
		if got != want {
			t.Errorf("%s\n  = %q, want %q", line, got, want)
		}
	}
}

// The beacon reports only what was appended since its last check,
// follows a rotated file, and fires on a burst.
func TestLoginBeaconTails(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth.log")
	write := func(flag int, lines ...string) {
		f, err := os.OpenFile(path, flag|os.O_WRONLY|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for _, l := range lines {
			f.WriteString(l + "\n")
		}
	}
	fail := "h sshd[1]: Failed password for root from 203.0.113.9 port 1 ssh2"
	write(os.O_APPEND, fail, fail) // history: not reported
	bs, err := Parse(map[string]any{"login": []any{map[string]any{"files": []any{path}}, map[string]any{"burst": 3}, map[string]any{"interval": 2}}}, Env{})
	if err != nil || len(bs) != 1 || bs[0].Interval.Seconds() != 2 {
		t.Fatalf("%v %+v", err, bs)
	}
	b := bs[0].Beacon
	ctx := context.Background()
	if r, _ := b.Check(ctx); r.Send {
		t.Fatalf("history reported: %+v", r.Data)
	}
	write(os.O_APPEND, fail, "h sshd[1]: Accepted password for bob from 198.51.100.1 port 2 ssh2")
	r, _ := b.Check(ctx)
	if !r.Send || r.Fire || r.Data["failed"] != 1 || r.Data["ok"] != 1 {
		t.Fatalf("after two lines: %+v", r)
	}
	src := r.Data["counts"].([]any)[0].(map[string]any)["source"].(string)
	if len(src) != 16 || strings.Contains(src, "203.0") {
		t.Errorf("source not hashed: %q", src)
	}
	// Rotation: a new file in its place is read from its start.
	os.Rename(path, path+".1")
	write(os.O_TRUNC, fail, fail, fail)
	r, _ = b.Check(ctx)
	if !r.Fire || r.Data["failed"] != 3 {
		t.Fatalf("after rotation and a burst: %+v", r)
	}
	if r, _ := b.Check(ctx); r.Send {
		t.Errorf("nothing new, yet reported: %+v", r.Data)
	}
}

func TestParseBeaconErrors(t *testing.T) {
	for want, raw := range map[string]map[string]any{
		"unknown (known: diskusage, load, login, service)": {"inotify": map[string]any{}},
		"interval":          {"login": map[string]any{"interval": 0}},
		"sources":           {"login": map[string]any{"sources": "show"}},
		"want a percentage": {"diskusage": map[string]any{"/": "200%"}},
		"averages":          {"load": map[string]any{}},
		"services":          {"service": map[string]any{}},
	} {
		if _, err := Parse(raw, Env{}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%v: %v, want %q", raw, err, want)
		}
	}
}

func TestThresholdBeaconsReportChanges(t *testing.T) {
	load := 0.5
	running := true
	env := Env{Run: func(_ context.Context, fun string, _ ...any) (any, error) {
		switch fun {
		case "status.loadavg":
			return map[string]any{"1-min": load, "5-min": 0.1, "15-min": 0.1}, nil
		case "disk.usage":
			return map[string]any{"/": map[string]any{"capacity": "95%"}}, nil
		case "service.status":
			return running, nil
		}
		return nil, nil
	}}
	bs, err := Parse(map[string]any{
		"load":      map[string]any{"averages": map[string]any{"1m": []any{0.0, 2.0}}},
		"diskusage": map[string]any{"/": "90%"},
		"service":   map[string]any{"services": map[string]any{"nginx": map[string]any{}}},
	}, env)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got := map[string]Report{}
	for _, b := range bs {
		got[b.Name], _ = b.Beacon.Check(ctx)
	}
	if got["load"].Send || !got["diskusage"].Fire || got["service"].Send {
		t.Errorf("first checks: %+v", got)
	}
	load, running = 3, false
	for _, b := range bs {
		got[b.Name], _ = b.Beacon.Check(ctx)
	}
	if !got["load"].Fire || got["diskusage"].Send || !got["service"].Fire {
		t.Errorf("after changes: %+v", got)
	}
}

// utmpRecord builds a login record as glibc writes it.
func utmpRecord(typ int16, line, user, host string) []byte {
	rec := make([]byte, utmpSize)
	rec[0], rec[1] = byte(typ), byte(typ>>8)
	copy(rec[utLineOffset:utLineOffset+utLineLen], line)
	copy(rec[44:76], user)
	copy(rec[utHostOffset:utHostOffset+utHostLen], host)
	return rec
}

// On a host without a text auth log (journald only), btmp and wtmp are
// read instead.
func TestLoginBeaconReadsBtmpWithoutAuthLog(t *testing.T) {
	dir := t.TempDir()
	btmp, wtmp := filepath.Join(dir, "btmp"), filepath.Join(dir, "wtmp")
	os.WriteFile(btmp, utmpRecord(6, "ssh:notty", "old", "192.0.2.1"), 0o600)
	os.WriteFile(wtmp, nil, 0o600)
	bs, err := Parse(map[string]any{"login": map[string]any{"files": []any{filepath.Join(dir, "auth.log")}, "btmp": btmp, "wtmp": wtmp, "sources": "keep", "burst": 2}}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	b := bs[0].Beacon
	if r, _ := b.Check(context.Background()); r.Send {
		t.Fatalf("history reported: %+v", r.Data)
	}
	appendTo := func(p string, recs ...[]byte) {
		f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		defer f.Close()
		for _, r := range recs {
			f.Write(r)
		}
	}
	appendTo(btmp, utmpRecord(6, "ssh:notty", "admin", "203.0.113.5"), utmpRecord(6, "ssh:notty", "root", "203.0.113.5"))
	appendTo(wtmp, utmpRecord(7, "pts/0", "deploy", "198.51.100.2"), utmpRecord(8, "pts/0", "", ""), utmpRecord(7, "tty1", "root", "")[:100])
	r, _ := b.Check(context.Background())
	if !r.Fire || r.Data["failed"] != 2 || r.Data["ok"] != 1 {
		t.Fatalf("%+v", r.Data)
	}
	first := r.Data["counts"].([]any)[0].(map[string]any)
	if first["service"] != "sshd" || first["source"] != "203.0.113.5" {
		t.Errorf("%+v", first)
	}
	// The rest of the half-written record arrives: counted once, whole.
	appendTo(wtmp, utmpRecord(7, "tty1", "root", "")[100:])
	r, _ = b.Check(context.Background())
	if r.Data["ok"] != 1 || r.Data["counts"].([]any)[0].(map[string]any)["service"] != "login" {
		t.Errorf("after the record was completed: %+v", r.Data)
	}
}
