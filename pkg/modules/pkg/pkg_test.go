package pkg

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/modules"
)

func fixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseDpkgQuery(t *testing.T) {
	got := ParseDpkgQuery(fixture(t, "dpkg-query.txt"), "amd64")
	want := Installed{
		"bash":       {"5.2.15-2+b2"},
		"libc6":      {"2.36-9+deb12u4"},
		"libc6:i386": {"2.36-9+deb12u4"},
		"tzdata":     {"2024a-0+deb12u1"},
		"held":       {"3.1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseDpkgQuery =\n%v\nwant\n%v", got, want)
	}
}

func TestParseRPMQuery(t *testing.T) {
	got := ParseRPMQuery(fixture(t, "rpm-qa.txt"), "x86_64")
	want := Installed{
		"bash":        {"5.1.8-9.el9"},
		"kernel-core": {"5.14.0-362.el9", "5.14.0-427.el9"},
		"glibc.i686":  {"2.34-100.el9"},
		"perl-Time":   {"1:1.9725-2.el9"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseRPMQuery =\n%v\nwant\n%v", got, want)
	}
}

func TestParseApkInfo(t *testing.T) {
	got := ParseApkInfo(fixture(t, "apk-info.txt"))
	want := Installed{
		"musl":                   {"1.2.4_git20230717-r4"},
		"busybox":                {"1.36.1-r15"},
		"ca-certificates-bundle": {"20240226-r0"},
		"libc-utils":             {"0.7.2-r5"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseApkInfo =\n%v\nwant\n%v", got, want)
	}
}

func FuzzParseDpkgQuery(f *testing.F) {
	f.Add(fixture(f, "dpkg-query.txt"), "amd64")
	f.Add("a\tb\tc\td\n\t\t\t\n", "")
	f.Fuzz(func(t *testing.T, out, arch string) {
		for name, vers := range ParseDpkgQuery(out, arch) {
			if name == "" || len(vers) == 0 {
				t.Fatalf("empty entry %q: %v", name, vers)
			}
		}
	})
}

func FuzzParseRPMQuery(f *testing.F) {
	f.Add(fixture(f, "rpm-qa.txt"), "x86_64")
	f.Add("a\t\t\t\t\n", "")
	f.Fuzz(func(t *testing.T, out, arch string) {
		for name, vers := range ParseRPMQuery(out, arch) {
			if name == "" || len(vers) == 0 || vers[0] == "" {
				t.Fatalf("empty entry %q: %v", name, vers)
			}
		}
	})
}

func FuzzParseApkInfo(f *testing.F) {
	f.Add(fixture(f, "apk-info.txt"))
	f.Add("-1-r1\na--r1\n")
	f.Fuzz(func(t *testing.T, out string) {
		for name, vers := range ParseApkInfo(out) {
			if name == "" || len(vers) == 0 || !strings.Contains(vers[0], "-r") {
				t.Fatalf("bad entry %q: %v", name, vers)
			}
		}
	})
}

func TestDiff(t *testing.T) {
	before := Installed{"keep": {"1"}, "up": {"1.0"}, "gone": {"2"}, "kern": {"5.1", "5.2"}}
	after := Installed{"keep": {"1"}, "up": {"1.1"}, "new": {"3"}, "kern": {"5.2", "5.1"}}
	want := Changes{
		"up":   {Old: "1.0", New: "1.1"},
		"gone": {Old: "2", New: ""},
		"new":  {Old: "", New: "3"},
	}
	got := Diff(before, after)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Diff = %v, want %v", got, want)
	}
	if m := got.Map(); !reflect.DeepEqual(m["new"], map[string]any{"old": "", "new": "3"}) {
		t.Errorf("Map = %v", m)
	}
}

func TestSpecValidate(t *testing.T) {
	file := filepath.Join(t.TempDir(), "x.deb")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	good := []Spec{{Name: "nginx"}, {Name: "libc6:i386", Version: "1:2.36-9"}, {Name: "x", Source: file}, {Source: file}}
	for _, s := range good {
		if err := s.Validate(); err != nil {
			t.Errorf("%+v: %v", s, err)
		}
	}
	bad := []Spec{{}, {Name: "-y"}, {Name: "a b"}, {Name: "nginx", Version: "--force"}, {Name: "../x"},
		{Name: "x", Source: "rel.deb"}, {Name: "x", Source: "/nonexistent.deb"}, {Name: "x", Source: filepath.Dir(file)}}
	for _, s := range bad {
		if err := s.Validate(); !errors.Is(err, ErrBadSpec) {
			t.Errorf("%+v: err = %v, want ErrBadSpec", s, err)
		}
	}
}

func TestNamedList(t *testing.T) {
	tests := []struct {
		in   any
		want []pair
	}{
		{"a, b", []pair{{name: "a"}, {name: "b"}}},
		{[]any{"vim", map[string]any{"curl": "7.88"}, map[string]any{"z": nil}}, []pair{{name: "vim"}, {name: "curl", value: "7.88"}, {name: "z"}}},
		{map[string]any{"b": 2, "a": 1}, []pair{{name: "a", value: "1"}, {name: "b", value: "2"}}},
	}
	for _, tt := range tests {
		got, err := namedList("pkgs", tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("namedList(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []any{42, []any{}, []any{[]any{"x"}}, ""} {
		if _, err := namedList("pkgs", bad); !errors.Is(err, modules.ErrInvalidArgument) {
			t.Errorf("namedList(%v) err = %v", bad, err)
		}
	}
}

func requireApt(t *testing.T) Manager {
	t.Helper()
	m, err := Detect()
	if err != nil {
		t.Skip(err)
	}
	if m.Name() != "apt" {
		t.Skipf("package manager is %s; these live tests use dpkg", m.Name())
	}
	return m
}

// TestVersionLive compares pkg.version with dpkg-query itself.
func TestVersionLive(t *testing.T) {
	requireApt(t)
	out, err := exec.Command("dpkg-query", "-W", "-f=${Version}", "bash").Output()
	if err != nil {
		t.Skip("bash is not a dpkg package here")
	}
	want := string(out)
	res := modules.Run(context.Background(), nil, "pkg.version", []any{"bash"}, nil)
	if res.Return != want {
		t.Errorf("pkg.version bash = %+v, want %q", res, want)
	}
	res = modules.Run(context.Background(), nil, "pkg.version", []any{"bash", "halite-no-such-package"}, nil)
	if !reflect.DeepEqual(res.Return, map[string]any{"bash": want, "halite-no-such-package": ""}) {
		t.Errorf("pkg.version two names = %+v", res)
	}
	res = modules.Run(context.Background(), nil, "pkg.list_pkgs", nil, nil)
	if l, ok := res.Return.(map[string]any); !ok || l["bash"] != want {
		t.Errorf("list_pkgs bash = %v", l["bash"])
	}
	res = modules.Run(context.Background(), nil, "pkg.list_pkgs", nil, map[string]any{"versions_as_list": true})
	if l, ok := res.Return.(map[string]any); !ok || !reflect.DeepEqual(l["bash"], []string{want}) {
		t.Errorf("list_pkgs versions_as_list bash = %v", l["bash"])
	}
}

// buildDeb makes a tiny Debian package with dpkg-deb, so install and
// removal are tested for real without a network or a repository.
func buildDeb(t *testing.T, name, version string, extra ...string) string {
	t.Helper()
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("no dpkg-deb")
	}
	root := filepath.Join(t.TempDir(), "root")
	if err := os.MkdirAll(filepath.Join(root, "DEBIAN"), 0o755); err != nil {
		t.Fatal(err)
	}
	control := "Package: " + name + "\nVersion: " + version +
		"\nArchitecture: all\nMaintainer: Halite tests <tests@halite.invalid>\nDescription: empty package for Halite tests\n" +
		strings.Join(extra, "")
	if err := os.WriteFile(filepath.Join(root, "DEBIAN", "control"), []byte(control), 0o644); err != nil {
		t.Fatal(err)
	}
	deb := filepath.Join(t.TempDir(), name+"_"+version+"_all.deb")
	if out, err := exec.Command("dpkg-deb", "--build", "--root-owner-group", root, deb).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb: %v: %s", err, out)
	}
	return deb
}

// TestInstallRemoveLive installs and removes a real package built on the
// spot: sources go through dpkg -i, the removal through apt-get. Other
// package runs on the same host may show up in the changes too (the
// report is a before/after diff, as in Salt), so only this package's
// entry is checked exactly.
func TestInstallRemoveLive(t *testing.T) {
	requireApt(t)
	if os.Geteuid() != 0 {
		t.Skip("installing packages needs root")
	}
	if testing.Short() {
		t.Skip("apt-get is slow; skipped with -short")
	}
	const name = "halite-test-dummy"
	deb := buildDeb(t, name, "1.2-3")
	t.Cleanup(func() { _ = exec.Command("dpkg", "--purge", name).Run() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	change := func(res modules.Result) any {
		t.Helper()
		m, ok := res.Return.(map[string]any)
		if !res.Success || !ok {
			t.Fatalf("result = %+v", res)
		}
		return m[name]
	}

	res := modules.Run(ctx, nil, "pkg.install", nil, map[string]any{"sources": []any{map[string]any{name: deb}}})
	if got, want := change(res), map[string]any{"old": "", "new": "1.2-3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("install: %s = %v, want %v", name, got, want)
	}
	if res := modules.Run(ctx, nil, "pkg.version", []any{name}, nil); res.Return != "1.2-3" {
		t.Errorf("version after install = %+v", res)
	}
	// Installing the same file again changes nothing.
	res = modules.Run(ctx, nil, "pkg.install", nil, map[string]any{"sources": []any{map[string]any{name: deb}}})
	if got := change(res); got != nil {
		t.Errorf("reinstall: %s = %v, want no change", name, got)
	}
	res = modules.Run(ctx, nil, "pkg.remove", []any{name}, nil)
	if got, want := change(res), map[string]any{"old": "1.2-3", "new": ""}; !reflect.DeepEqual(got, want) {
		t.Fatalf("remove: %s = %v, want %v", name, got, want)
	}
	// Removing what is not installed is not an error, and runs no tool.
	res = modules.Run(ctx, nil, "pkg.remove", []any{name}, nil)
	if !res.Success || !reflect.DeepEqual(res.Return, map[string]any{}) {
		t.Errorf("second remove = %+v, want {}", res)
	}
}

// TestRemoveWithDependents removes a package another one depends on: dpkg
// refuses, so apt-get runs and removes the dependent as well, and both
// show in the changes. apt-get rebuilds its cache here, which takes 5-30 s
// on a busy 2-core box, so the test runs only with HALITE_TEST_APT=1.
func TestRemoveWithDependents(t *testing.T) {
	requireApt(t)
	if os.Geteuid() != 0 || os.Getenv("HALITE_TEST_APT") != "1" {
		t.Skip("set HALITE_TEST_APT=1 (as root) to run the apt-get removal test")
	}
	base := buildDeb(t, "halite-test-base", "1.0")
	dep := buildDeb(t, "halite-test-dependent", "2.0", "Depends: halite-test-base\n")
	t.Cleanup(func() { _ = exec.Command("dpkg", "--purge", "halite-test-dependent", "halite-test-base").Run() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res := modules.Run(ctx, nil, "pkg.install", nil, map[string]any{"sources": []any{
		map[string]any{"halite-test-base": base}, map[string]any{"halite-test-dependent": dep}}})
	if !res.Success {
		t.Fatalf("install = %+v", res)
	}
	res = modules.Run(ctx, nil, "pkg.remove", []any{"halite-test-base"}, nil)
	got, _ := res.Return.(map[string]any)
	for name, old := range map[string]string{"halite-test-base": "1.0", "halite-test-dependent": "2.0"} {
		if want := map[string]any{"old": old, "new": ""}; !reflect.DeepEqual(got[name], want) {
			t.Errorf("remove: %s = %v, want %v (result %+v)", name, got[name], want, res)
		}
	}
}

func TestInstallBrokenFile(t *testing.T) {
	requireApt(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	bad := filepath.Join(t.TempDir(), "broken.deb")
	if err := os.WriteFile(bad, []byte("not an archive"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := modules.Run(context.Background(), nil, "pkg.install", nil, map[string]any{"sources": []any{map[string]any{"broken": bad}}})
	msg, _ := res.Return.(string)
	if res.Success || !strings.Contains(msg, "dpkg -i exited with status 1: ") || !strings.Contains(msg, "broken.deb") {
		t.Errorf("broken install = %+v", res)
	}
}

func TestModuleBadArguments(t *testing.T) {
	tests := []struct {
		fun    string
		args   []any
		kwargs map[string]any
		want   string
	}{
		{"pkg.version", nil, nil, "pkg.version: at least one package name is required"},
		{"pkg.install", nil, nil, "pkg.install: give a package name, pkgs or sources"},
		{"pkg.install", []any{"-oops"}, nil, `pkg.install: invalid package specification: name "-oops"`},
		{"pkg.install", nil, map[string]any{"fromrepo": "x", "name": "a"}, "pkg.install: unexpected keyword argument 'fromrepo'"},
		{"pkg.install", nil, map[string]any{"sources": []any{map[string]any{"x": "http://h/x.deb"}}}, `pkg.install: argument 'sources': unsupported URL "http://h/x.deb"`},
		{"pkg.install", nil, map[string]any{"sources": []any{map[string]any{"x": "salt://x.deb"}}}, "pkg.install: cannot fetch salt://x.deb: no file server configured"},
		{"pkg.install", nil, map[string]any{"sources": []any{"x"}}, "pkg.install: argument 'sources': no file given for x"},
		{"pkg.remove", nil, nil, "pkg.remove: give a package name or pkgs"},
		{"pkg.list_pkgs", []any{"x"}, nil, "pkg.list_pkgs: takes at most 0 positional arguments (1 given)"},
	}
	for _, tt := range tests {
		res := modules.Run(context.Background(), nil, tt.fun, tt.args, tt.kwargs)
		msg, _ := res.Return.(string)
		if res.Success || !strings.HasPrefix(msg, tt.want) {
			t.Errorf("%s %v %v = %+v, want %q", tt.fun, tt.args, tt.kwargs, res, tt.want)
		}
	}
}
