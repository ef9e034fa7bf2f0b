package pkg

import (
	"context"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	modpkg "github.com/halite/halite/pkg/modules/pkg"
	"github.com/halite/halite/pkg/states/internal/statetest"
)

const policyOut = `tree:
  Installed: (none)
  Candidate: 2.1.0-1
  Version table:
     2.1.0-1 500
        500 http://deb.debian.org/debian bookworm/main amd64 Packages
libc6:i386:
  Installed: 2.36-9+deb12u4
  Candidate: 2.36-9+deb12u7
  Version table:
 *** 2.36-9+deb12u4 100
        100 /var/lib/dpkg/status
ghost:
  Installed: (none)
  Candidate: (none)
  Version table:
`

func TestParseAptPolicy(t *testing.T) {
	got := ParseAptPolicy(policyOut)
	want := map[string]Policy{
		"tree":       {Candidate: "2.1.0-1"},
		"libc6:i386": {Installed: "2.36-9+deb12u4", Candidate: "2.36-9+deb12u7"},
		"ghost":      {},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	if len(ParseAptPolicy("")) != 0 || len(ParseAptPolicy("N: Unable to locate package x\n")) != 0 {
		t.Fatal("noise parsed as packages")
	}
}

func FuzzParseAptPolicy(f *testing.F) {
	f.Add(policyOut)
	f.Add("a:\n Candidate:\nb c:\n  Installed: 1\n")
	f.Fuzz(func(t *testing.T, s string) {
		for name := range ParseAptPolicy(s) {
			if name == "" || strings.ContainsAny(name, " \t\n") {
				t.Fatalf("bad package name %q", name)
			}
		}
	})
}

func TestBadArguments(t *testing.T) {
	for _, tc := range []struct {
		fun  string
		args map[string]any
		msg  string
	}{
		{"pkg.installed", map[string]any{"version": ">=1.0"}, "comparisons are not supported"},
		{"pkg.installed", map[string]any{"pkgs": []any{"a", "a"}}, "listed twice"},
		{"pkg.installed", map[string]any{"pkgs": []any{map[string]any{"a": "1", "b": "2"}}}, "want a name or {name: version}"},
		{"pkg.installed", map[string]any{"pkgs": []any{"-oDebug::x"}}, "invalid package specification"},
		{"pkg.installed", map[string]any{"pkgs": []any{"a"}, "version": "1"}, "use {name: version}"},
		{"pkg.removed", map[string]any{"pkgs": []any{map[string]any{"a": "1"}}}, "only for pkg.installed"},
		{"pkg.installed", map[string]any{"fromrepo": "-oAPT::x"}, "fromrepo"},
	} {
		res := statetest.Call(t, tc.fun, "tree", tc.args, false)
		if statetest.Classify(res) != statetest.Failed || !strings.Contains(res.Comment, tc.msg) {
			t.Errorf("%s %v: %s; want failure with %q", tc.fun, tc.args, statetest.Format(res), tc.msg)
		}
	}
}

// testPkg is a small package from the Debian archive with no dependencies,
// no maintainer scripts and no man pages (so no slow man-db trigger).
const testPkg = "libjs-underscore"

func TestAptLifecycle(t *testing.T) {
	statetest.RequireRoot(t)
	m, err := modpkg.Detect()
	if err != nil || m.Name() != "apt" {
		t.Skipf("needs apt (have %v, %v)", m, err)
	}
	ctx := context.Background()
	pol, _, err := policies(ctx, m, []string{testPkg})
	if err != nil || pol[testPkg].Candidate == "" {
		// A fresh machine may have no package lists yet.
		if out, err := exec.Command("apt-get", "update", "-q", "-o", "DPkg::Lock::Timeout=120").CombinedOutput(); err != nil {
			t.Skipf("apt-get update failed: %v: %s", err, out)
		}
		if pol, _, err = policies(ctx, m, []string{testPkg}); err != nil || pol[testPkg].Candidate == "" {
			t.Skipf("%s not available from the package lists: %v", testPkg, err)
		}
	}
	candidate := pol[testPkg].Candidate
	had := pol[testPkg].Installed != ""
	t.Cleanup(func() {
		v, _ := modpkg.Version(ctx, m, testPkg)
		if now := v[testPkg] != ""; now != had {
			if had {
				modpkg.Install(ctx, m, []modpkg.Spec{{Name: testPkg}}, false)
			} else {
				modpkg.Remove(ctx, m, []string{testPkg}, false)
			}
		}
	})
	if had {
		statetest.Expect(t, statetest.Call(t, "pkg.removed", testPkg, nil, false), statetest.Changed)
	}
	installedVersion := func() string {
		v, err := modpkg.Version(ctx, m, testPkg)
		if err != nil {
			t.Fatal(err)
		}
		return v[testPkg]
	}

	res := statetest.Call(t, "pkg.installed", testPkg, nil, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if !reflect.DeepEqual(res.Changes[testPkg], map[string]any{"old": "", "new": candidate}) || installedVersion() != "" {
		t.Fatalf("dry run: %s", statetest.Format(res))
	}
	statetest.Expect(t, statetest.Call(t, "pkg.latest", testPkg, nil, true), statetest.WouldChange)

	// A release that does not exist fails the install.
	statetest.Expect(t, statetest.Call(t, "pkg.installed", testPkg, map[string]any{"fromrepo": "no-such-release-halite"}, false), statetest.Failed)

	// Install, pinned to the candidate version through pkgs, from this
	// system's own release (fromrepo: apt-get -t CODENAME).
	args := map[string]any{"pkgs": []any{map[string]any{testPkg: candidate}}}
	if codename := osCodename(); codename != "" {
		args["fromrepo"] = codename
	}
	res = statetest.Call(t, "pkg.installed", "web", args, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "The following packages were installed/updated: "+testPkg ||
		!reflect.DeepEqual(res.Changes[testPkg], map[string]any{"old": "", "new": candidate}) {
		t.Fatalf("got %s", statetest.Format(res))
	}
	if installedVersion() != candidate {
		t.Fatalf("installed %q, want %q", installedVersion(), candidate)
	}
	statetest.Expect(t, statetest.Call(t, "pkg.installed", testPkg, nil, false), statetest.Unchanged)
	statetest.Expect(t, statetest.Call(t, "pkg.installed", testPkg, nil, true), statetest.Unchanged)
	res = statetest.Call(t, "pkg.latest", testPkg, nil, false)
	if statetest.Expect(t, res, statetest.Unchanged); res.Comment != "Package "+testPkg+" is already up-to-date" {
		t.Fatalf("comment %q", res.Comment)
	}
	statetest.Expect(t, statetest.Call(t, "pkg.installed", "web", args, false), statetest.Unchanged)

	// A version that does not exist fails with apt's explanation and
	// leaves the installed one alone.
	res = statetest.Call(t, "pkg.installed", testPkg, map[string]any{"version": "0.0.0-halite"}, false)
	statetest.Expect(t, res, statetest.Failed)
	if !strings.Contains(res.Comment, "0.0.0-halite") || installedVersion() != candidate {
		t.Fatalf("got %s", statetest.Format(res))
	}

	res = statetest.Call(t, "pkg.removed", testPkg, nil, true)
	statetest.Expect(t, res, statetest.WouldChange)
	if installedVersion() == "" {
		t.Fatal("dry run removed the package")
	}
	res = statetest.Call(t, "pkg.removed", testPkg, nil, false)
	statetest.Expect(t, res, statetest.Changed)
	if res.Comment != "All targeted packages were removed." ||
		!reflect.DeepEqual(res.Changes[testPkg], map[string]any{"old": candidate, "new": ""}) || installedVersion() != "" {
		t.Fatalf("got %s", statetest.Format(res))
	}
	res = statetest.Call(t, "pkg.removed", testPkg, nil, false)
	if statetest.Expect(t, res, statetest.Unchanged); res.Comment != "All specified packages are already absent" {
		t.Fatalf("comment %q", res.Comment)
	}

	// An unknown package: latest says so without running apt-get install.
	res = statetest.Call(t, "pkg.latest", "no-such-package-halite", nil, false)
	if statetest.Expect(t, res, statetest.Failed); res.Comment != "No information found for 'no-such-package-halite'." {
		t.Fatalf("comment %q", res.Comment)
	}
}

// osCodename is VERSION_CODENAME from /etc/os-release ("bookworm").
func osCodename() string {
	b, _ := os.ReadFile("/etc/os-release")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VERSION_CODENAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}
