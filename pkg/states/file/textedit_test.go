package file_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/states/file"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

const sshd = "Port 22\n# comment\nPermitRootLogin yes\n  UsePAM yes\n"

func TestEditLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		e    file.LineEdit
		want string
		err  string
	}{
		{"replace matching line", sshd, file.LineEdit{Mode: "replace", Match: "^PermitRootLogin", Content: "PermitRootLogin no"},
			"Port 22\n# comment\nPermitRootLogin no\n  UsePAM yes\n", ""},
		{"replace keeps indentation", sshd, file.LineEdit{Mode: "replace", Match: "UsePAM", Content: "UsePAM no", Indent: true},
			"Port 22\n# comment\nPermitRootLogin yes\n  UsePAM no\n", ""},
		{"replace without indent", sshd, file.LineEdit{Mode: "replace", Match: "UsePAM", Content: "UsePAM no"},
			"Port 22\n# comment\nPermitRootLogin yes\nUsePAM no\n", ""},
		{"replace with no match is a no-op", sshd, file.LineEdit{Mode: "replace", Match: "^X11", Content: "X11Forwarding no"}, sshd, ""},
		{"delete", sshd, file.LineEdit{Mode: "delete", Match: "^#"}, "Port 22\nPermitRootLogin yes\n  UsePAM yes\n", ""},
		{"delete by content", sshd, file.LineEdit{Mode: "delete", Content: "Port 22"}, "# comment\nPermitRootLogin yes\n  UsePAM yes\n", ""},
		{"delete everything", "a\n", file.LineEdit{Mode: "delete", Match: "a"}, "", ""},
		{"insert at start", sshd, file.LineEdit{Mode: "insert", Location: "start", Content: "# managed"}, "# managed\n" + sshd, ""},
		{"insert at end", sshd, file.LineEdit{Mode: "insert", Location: "end", Content: "Banner none"}, sshd + "Banner none\n", ""},
		{"insert at end without final newline", "a", file.LineEdit{Mode: "insert", Location: "end", Content: "b"}, "a\nb", ""},
		{"insert into empty file", "", file.LineEdit{Mode: "insert", Location: "end", Content: "b"}, "b\n", ""},
		{"insert after", sshd, file.LineEdit{Mode: "insert", After: "^Port", Content: "AddressFamily inet"},
			"Port 22\nAddressFamily inet\n# comment\nPermitRootLogin yes\n  UsePAM yes\n", ""},
		{"insert before with indent", sshd, file.LineEdit{Mode: "insert", Before: "UsePAM", Content: "ChallengeResponse no", Indent: true},
			"Port 22\n# comment\nPermitRootLogin yes\n  ChallengeResponse no\n  UsePAM yes\n", ""},
		{"insert between", "[a]\nx=1\n[b]\n", file.LineEdit{Mode: "insert", After: `^\[a\]`, Before: `^\[b\]`, Content: "y=2"},
			"[a]\ny=2\nx=1\n[b]\n", ""},
		{"insert needs a place", sshd, file.LineEdit{Mode: "insert", Content: "x"}, "", "location"},
		{"ensure after", sshd, file.LineEdit{Mode: "ensure", After: "^Port", Content: "ListenAddress 0.0.0.0"},
			"Port 22\nListenAddress 0.0.0.0\n# comment\nPermitRootLogin yes\n  UsePAM yes\n", ""},
		{"ensure already there", "Port 22\nListenAddress 0.0.0.0\n", file.LineEdit{Mode: "ensure", After: "^Port", Content: "ListenAddress 0.0.0.0"},
			"Port 22\nListenAddress 0.0.0.0\n", ""},
		{"ensure between replaces the one line", "[a]\nold\n[b]\n", file.LineEdit{Mode: "ensure", After: `^\[a\]`, Before: `^\[b\]`, Content: "new"},
			"[a]\nnew\n[b]\n", ""},
		{"ensure between inserts", "[a]\n[b]\n", file.LineEdit{Mode: "ensure", After: `^\[a\]`, Before: `^\[b\]`, Content: "new"},
			"[a]\nnew\n[b]\n", ""},
		{"ensure between too many lines", "[a]\n1\n2\n[b]\n", file.LineEdit{Mode: "ensure", After: `^\[a\]`, Before: `^\[b\]`, Content: "new"},
			"", "more than one line between"},
		{"ensure needs anchors", sshd, file.LineEdit{Mode: "ensure", Content: "x"}, "", "before and/or after"},
		{"ambiguous anchor", "a\na\n", file.LineEdit{Mode: "ensure", After: "a", Content: "x"}, "", "more than expected occurrences"},
		{"missing anchor", "a\n", file.LineEdit{Mode: "insert", After: "zzz", Content: "x"}, "", "Unable to find"},
		{"bad regexp", "a\n", file.LineEdit{Mode: "replace", Match: "(", Content: "x"}, "", "bad match expression"},
		{"bad mode", "a\n", file.LineEdit{Mode: "append", Content: "x"}, "", "mode must be"},
		{"multi-line content", "a\n", file.LineEdit{Mode: "insert", Location: "end", Content: "x\ny"}, "", "single line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := file.EditLines(tc.in, tc.e)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %q\nwant %q", got, tc.want)
			}
			again, err := file.EditLines(got, tc.e)
			if err != nil || again != got {
				t.Fatalf("not idempotent: second edit gave %q, %v", again, err)
			}
		})
	}
}

func TestReplaceText(t *testing.T) {
	nf := "# none"
	for _, tc := range []struct {
		name string
		in   string
		s    file.ReplaceSpec
		want string
		err  string
	}{
		{"simple", "a=1\nb=2\n", file.ReplaceSpec{Pattern: "^a=.*$", Repl: "a=5", Flags: "m"}, "a=5\nb=2\n", ""},
		{"python group refs", "host=web1 port=80\n", file.ReplaceSpec{Pattern: `host=(\w+) port=(?P<port>\d+)`, Repl: `port=\g<port> host=\1`},
			"port=80 host=web1\n", ""},
		{"dollar is literal", "price\n", file.ReplaceSpec{Pattern: "price", Repl: "$5"}, "$5\n", ""},
		{"backslash literal", "x\n", file.ReplaceSpec{Pattern: "x", Repl: `C:\1`, BackslashLiteral: true}, `C:\1` + "\n", ""},
		{"count", "a a a\n", file.ReplaceSpec{Pattern: "a", Repl: "b", Count: 2}, "b b a\n", ""},
		{"ignorecase", "Foo\n", file.ReplaceSpec{Pattern: "foo", Repl: "bar", Flags: "i"}, "bar\n", ""},
		{"append if not found", "a=1", file.ReplaceSpec{Pattern: "^b=.*$", Repl: "b=2", Flags: "m", AppendIfNotFound: true}, "a=1\nb=2\n", ""},
		{"append not twice", "a=1\nb=2\n", file.ReplaceSpec{Pattern: "^b=3$", Repl: "b=2", Flags: "m", AppendIfNotFound: true}, "a=1\nb=2\n", ""},
		{"prepend", "a=1\n", file.ReplaceSpec{Pattern: "^b", Repl: "b=2", Flags: "m", PrependIfNot: true}, "b=2\na=1\n", ""},
		{"not_found_content", "a=1\n", file.ReplaceSpec{Pattern: "^#", Repl: "x", Flags: "m", AppendIfNotFound: true, NotFoundContent: &nf}, "a=1\n# none\n", ""},
		{"no match no change", "a\n", file.ReplaceSpec{Pattern: "z", Repl: "y"}, "a\n", ""},
		{"bad pattern", "a\n", file.ReplaceSpec{Pattern: "(?<=a)b", Repl: "y"}, "", "bad pattern"},
		{"bad escape", "a\n", file.ReplaceSpec{Pattern: "a", Repl: `\q`}, "", "bad escape"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := file.ReplaceText(tc.in, tc.s)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestPyReplToGo(t *testing.T) {
	for in, want := range map[string]string{
		`\1-\2`:       "${1}-${2}",
		`\g<name>x`:   "${name}x",
		`\g<1>0`:      "${1}0",
		`a\nb\tc`:     "a\nb\tc",
		`\\`:          `\`,
		`$HOME`:       "$$HOME",
		`\.`:          `\.`,
		`\12`:         "${12}",
		`plain text`:  "plain text",
		`tab\t$1\\n`:  "tab\t$$1\\n",
		`\g<_under1>`: "${_under1}",
	} {
		got, err := file.PyReplToGo(in)
		if err != nil || got != want {
			t.Errorf("PyReplToGo(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`\`, `\g`, `\g<`, `\g<>`, `\g<a-b>`, `\z`} {
		if _, err := file.PyReplToGo(bad); err == nil {
			t.Errorf("PyReplToGo(%q): want an error", bad)
		}
	}
}

func TestAppendText(t *testing.T) {
	for _, tc := range []struct {
		in     string
		chunks []string
		ws     bool
		want   string
		n      int
	}{
		{"a\n", []string{"b"}, true, "a\nb\n", 1},
		{"a", []string{"b", "c\nd"}, true, "a\nb\nc\nd\n", 3},
		{"x  =   1\n", []string{"x = 1"}, true, "x  =   1\n", 0},
		{"x  =   1\n", []string{"x = 1"}, false, "x  =   1\nx = 1\n", 1},
		{"", []string{"first"}, true, "first\n", 1},
		{"a\n", []string{"  ", ""}, true, "a\n", 0},
		{"alias ll='ls -l'\n", []string{"alias ll='ls -l'"}, true, "alias ll='ls -l'\n", 0},
	} {
		got, n := file.AppendText(tc.in, tc.chunks, tc.ws)
		if got != tc.want || n != tc.n {
			t.Errorf("AppendText(%q, %q) = %q, %d; want %q, %d", tc.in, tc.chunks, got, n, tc.want, tc.n)
		}
	}
}

func TestLineReplaceAppendStates(t *testing.T) {
	root := t.TempDir()
	conf := filepath.Join(root, "sshd_config")
	writeFile(t, conf, sshd)

	type step struct {
		fun     string
		args    map[string]any
		want    string // file content after a real run
		comment string
	}
	for _, s := range []step{
		{"file.line", map[string]any{"mode": "replace", "match": "^PermitRootLogin", "content": "PermitRootLogin no"},
			"Port 22\n# comment\nPermitRootLogin no\n  UsePAM yes\n", "Changes were made"},
		{"file.replace", map[string]any{"pattern": `^Port \d+$`, "repl": "Port 2222"},
			"Port 2222\n# comment\nPermitRootLogin no\n  UsePAM yes\n", "Changes were made"},
		{"file.replace", map[string]any{"pattern": `^Banner .*$`, "repl": "Banner /etc/issue", "append_if_not_found": true},
			"Port 2222\n# comment\nPermitRootLogin no\n  UsePAM yes\nBanner /etc/issue\n", "Changes were made"},
		{"file.append", map[string]any{"text": []any{"Match User backup", "  ForceCommand internal-sftp"}},
			"Port 2222\n# comment\nPermitRootLogin no\n  UsePAM yes\nBanner /etc/issue\nMatch User backup\n  ForceCommand internal-sftp\n", "Appended 2 lines"},
	} {
		res := dryRunTouchesNothing(t, root, s.fun, conf, s.args)
		statetest.Expect(t, res, statetest.WouldChange)
		if d, _ := res.Changes["diff"].(string); !strings.HasPrefix(d, "--- \n+++ \n@@") {
			t.Fatalf("%s: predicted diff %q", s.fun, d)
		}
		res = call(t, s.fun, conf, s.args, false)
		statetest.Expect(t, res, statetest.Changed)
		if res.Comment != s.comment {
			t.Fatalf("%s: comment %q, want %q", s.fun, res.Comment, s.comment)
		}
		if got := readFile(t, conf); got != s.want {
			t.Fatalf("%s: content %q\nwant %q", s.fun, got, s.want)
		}
		statetest.Expect(t, call(t, s.fun, conf, s.args, false), statetest.Unchanged)
		statetest.Expect(t, call(t, s.fun, conf, s.args, true), statetest.Unchanged)
	}

	missing := filepath.Join(root, "missing")
	for _, tc := range []struct {
		fun  string
		args map[string]any
		want statetest.Outcome
	}{
		{"file.line", map[string]any{"mode": "insert", "location": "end", "content": "x"}, statetest.Failed},
		{"file.replace", map[string]any{"pattern": "a", "repl": "b"}, statetest.Failed},
		{"file.replace", map[string]any{"pattern": "a", "repl": "b", "ignore_if_missing": true}, statetest.Unchanged},
		{"file.line", map[string]any{"content": "x"}, statetest.Failed},    // no mode
		{"file.replace", map[string]any{"pattern": "a"}, statetest.Failed}, // no repl
		{"file.replace", map[string]any{"pattern": "a", "repl": "b", "flags": []any{"VERBOSE"}}, statetest.Failed},
		{"file.append", nil, statetest.Failed}, // no text
	} {
		if res := call(t, tc.fun, missing, tc.args, false); statetest.Classify(res) != tc.want {
			t.Errorf("%s %v: %s, want %s", tc.fun, tc.args, statetest.Format(res), tc.want)
		}
	}
	if exists(missing) {
		t.Fatal("a failing state created the file")
	}
	// file.line create and file.append create the file.
	statetest.Expect(t, call(t, "file.line", missing, map[string]any{"mode": "insert", "location": "end", "content": "x", "create": true}, false), statetest.Changed)
	if readFile(t, missing) != "x\n" {
		t.Fatalf("created %q", readFile(t, missing))
	}
	os.Remove(missing)
	statetest.Expect(t, call(t, "file.append", missing, map[string]any{"text": "hello"}, false), statetest.Changed)
	if readFile(t, missing) != "hello\n" {
		t.Fatalf("created %q", readFile(t, missing))
	}
}

func TestReplaceBackupAndFlags(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "f")
	writeFile(t, p, "Hello\nhello\n")
	res := call(t, "file.replace", p, map[string]any{"pattern": "^hello$", "repl": "bye", "flags": []any{"IGNORECASE", "MULTILINE"}, "backup": ".orig"}, false)
	statetest.Expect(t, res, statetest.Changed)
	if readFile(t, p) != "bye\nbye\n" || readFile(t, p+".orig") != "Hello\nhello\n" {
		t.Fatalf("content %q backup %q", readFile(t, p), readFile(t, p+".orig"))
	}
	// Python's integer flags: 2 = IGNORECASE, 8 = MULTILINE.
	writeFile(t, p, "A\na\n")
	statetest.Expect(t, call(t, "file.replace", p, map[string]any{"pattern": "^a$", "repl": "b", "flags": 10}, false), statetest.Changed)
	if readFile(t, p) != "b\nb\n" {
		t.Fatalf("content %q", readFile(t, p))
	}
	// No DOTALL by default: "." does not cross lines.
	writeFile(t, p, "a\nb\n")
	statetest.Expect(t, call(t, "file.replace", p, map[string]any{"pattern": "a.b", "repl": "x"}, false), statetest.Unchanged)
	statetest.Expect(t, call(t, "file.replace", p, map[string]any{"pattern": "a.b", "repl": "x", "flags": []any{"DOTALL"}}, false), statetest.Changed)
}

func TestParseMode(t *testing.T) {
	for in, want := range map[any]os.FileMode{
		"0644": 0o644, "644": 0o644, "0o755": 0o755, 755: 0o755, int64(600): 0o600,
		float64(400): 0o400, "4755": 0o755 | os.ModeSetuid, "1777": 0o777 | os.ModeSticky, "0": 0,
	} {
		got, err := file.ParseMode(in)
		if err != nil || got != want {
			t.Errorf("ParseMode(%v) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := file.ParseMode(file.FormatMode(got)); back != got {
			t.Errorf("FormatMode(%v) = %q does not parse back", got, file.FormatMode(got))
		}
	}
	for _, bad := range []any{"", "8", "0x1ff", "-644", 999, 10000, "777777", 6.5, true, nil, []any{}} {
		if _, err := file.ParseMode(bad); err == nil {
			t.Errorf("ParseMode(%v): want an error", bad)
		}
	}
}

// FuzzEditLines checks that no input panics, and that an edit applied to
// its own output changes nothing.
func FuzzEditLines(f *testing.F) {
	f.Add(sshd, "replace", "^Port", "Port 2222", "", "", "", true)
	f.Add(sshd, "insert", "", "X", "", "^Port", "", true)
	f.Add(sshd, "ensure", "", "Y", "UsePAM", "^Port", "", false)
	f.Add("a\nb", "delete", "b", "", "", "", "", false)
	f.Add("", "insert", "", "x", "", "", "start", false)
	f.Fuzz(func(t *testing.T, text, mode, match, content, before, after, location string, indent bool) {
		e := file.LineEdit{Mode: mode, Match: match, Content: content, Before: before, After: after, Location: location, Indent: indent}
		out, err := file.EditLines(text, e)
		if err != nil {
			return
		}
		again, err := file.EditLines(out, e)
		if err != nil {
			return // the edit may have made an anchor ambiguous (content matching it)
		}
		if again != out && (mode == "replace" || mode == "delete") {
			t.Fatalf("%s not idempotent: %q -> %q -> %q", mode, text, out, again)
		}
	})
}

// FuzzPyReplToGo checks that any accepted template expands without panic
// and that "$" can never reach Go as a group reference by accident.
func FuzzPyReplToGo(f *testing.F) {
	for _, s := range []string{`\1`, `\g<name>`, `$1`, `a\\b`, `\n`, `\g<1>0`, `${x}`} {
		f.Add(s)
	}
	re := regexp.MustCompile(`(?P<name>a)(b)?`)
	f.Fuzz(func(t *testing.T, repl string) {
		tmpl, err := file.PyReplToGo(repl)
		if err != nil {
			return
		}
		_ = re.ReplaceAllString("ab a", tmpl)
		if !strings.ContainsAny(repl, `\`) {
			// Without escapes the replacement is literal text.
			if got := re.ReplaceAllString("a", tmpl); got != repl {
				t.Fatalf("literal %q expanded to %q", repl, got)
			}
		}
	})
}

// FuzzParseMode checks that ParseMode never panics and that whatever it
// accepts prints back to the same mode.
func FuzzParseMode(f *testing.F) {
	for _, s := range []string{"0644", "4755", "0o700", "", "99", "07777"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := file.ParseMode(s)
		if err != nil {
			return
		}
		back, err := file.ParseMode(file.FormatMode(m))
		if err != nil || back != m {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, m, file.FormatMode(m), back, err)
		}
	})
}

func TestKeyValue(t *testing.T) {
	sshd := "#Port 22\nPermitRootLogin yes\n# comment\nX11Forwarding yes\n"
	for _, tc := range []struct {
		name, text string
		spec       file.KeyValueSpec
		want       string
		n          int
	}{
		{"set and uncomment", sshd, file.KeyValueSpec{Values: map[string]string{"Port": "2222", "PermitRootLogin": "no"}, Separator: " ", Uncomment: "#"},
			"Port 2222\nPermitRootLogin no\n# comment\nX11Forwarding yes\n", 2},
		{"already set", sshd, file.KeyValueSpec{Values: map[string]string{"X11Forwarding": "yes"}, Separator: " "}, sshd, 0},
		{"live line wins over a commented one", "#a=1\na=2\n", file.KeyValueSpec{Values: map[string]string{"a": "3"}, Uncomment: "#"}, "#a=1\na=3\n", 1},
		{"append missing", "a=1\n", file.KeyValueSpec{Values: map[string]string{"b": "2"}, Append: true}, "a=1\nb=2\n", 1},
		{"count all", "a=1\na=1\n", file.KeyValueSpec{Values: map[string]string{"a": "2"}, Count: -1}, "a=2\na=2\n", 2},
		{"separator kept as given", "a = 1\n", file.KeyValueSpec{Values: map[string]string{"a": "2"}, Separator: " = "}, "a = 2\n", 1},
		{"case-insensitive key", "PORT=1\n", file.KeyValueSpec{Values: map[string]string{"port": "2"}, KeyFold: true}, "port=2\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, n := file.KeyValue(tc.text, tc.spec)
			if got != tc.want || n != tc.n {
				t.Fatalf("got %q (%d), want %q (%d)", got, n, tc.want, tc.n)
			}
			if again, n2 := file.KeyValue(got, tc.spec); again != got || n2 != 0 && !tc.spec.Append {
				t.Fatalf("not idempotent: %q -> %q (%d)", got, again, n2)
			}
		})
	}
	dir := t.TempDir()
	p := dir + "/sshd_config"
	writeFile(t, p, sshd)
	res := call(t, "file.keyvalue", p, map[string]any{"key_values": map[string]any{"Port": 2222}, "separator": " ", "uncomment": "#"}, false)
	if res.Result == nil || !*res.Result || readFile(t, p) != "Port 2222\nPermitRootLogin yes\n# comment\nX11Forwarding yes\n" {
		t.Fatalf("file.keyvalue: %v %s\n%s", res.Result, res.Comment, readFile(t, p))
	}
	if again := call(t, "file.keyvalue", p, map[string]any{"key": "Port", "value": 2222, "separator": " ", "uncomment": "#"}, false); len(again.Changes) != 0 {
		t.Fatalf("second run: %v", again.Changes)
	}
}
