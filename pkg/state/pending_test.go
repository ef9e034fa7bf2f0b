package state

import (
	"fmt"
	"reflect"
	"testing"
)

func TestPendingPathsLookup(t *testing.T) {
	dir := func(p string) PathPrediction { return PathPrediction{Path: p, Kind: PathDir, UID: -1, GID: -1} }
	file := func(p, content string) PathPrediction {
		return PathPrediction{Path: p, Kind: PathFile, Content: []byte(content), HasContent: true, UID: -1, GID: -1}
	}
	gone := func(p string) PathPrediction { return PathPrediction{Path: p, Kind: PathAbsent, UID: -1, GID: -1} }
	type step struct {
		by    string
		preds []PathPrediction
	}
	for _, tc := range []struct {
		name     string
		steps    []step
		path     string
		wantOK   bool
		wantKind PathKind
		wantBy   string
	}{
		{"nothing recorded", nil, "/srv/app", false, 0, ""},
		{"own prediction", []step{{"mk", []PathPrediction{dir("/srv/app")}}}, "/srv/app", true, PathDir, "mk"},
		{"path is cleaned", []step{{"mk", []PathPrediction{dir("/srv//app/")}}}, "/srv/./app", true, PathDir, "mk"},
		{"a directory says nothing of what is below it", []step{{"mk", []PathPrediction{dir("/srv/app")}}}, "/srv/app/conf", false, 0, ""},
		{"later prediction wins", []step{{"a", []PathPrediction{file("/etc/x", "1")}}, {"b", []PathPrediction{gone("/etc/x")}}}, "/etc/x", true, PathAbsent, "b"},
		{"removing a directory removes what was below it",
			[]step{{"write", []PathPrediction{file("/srv/app/conf", "x")}}, {"rm", []PathPrediction{gone("/srv/app")}}},
			"/srv/app/conf", true, PathAbsent, "rm"},
		{"removal above covers paths the disk has",
			[]step{{"rm", []PathPrediction{gone("/srv")}}}, "/srv/app/conf", true, PathAbsent, "rm"},
		{"recreated after the removal",
			[]step{{"rm", []PathPrediction{gone("/srv/app")}}, {"mk", []PathPrediction{dir("/srv/app"), file("/srv/app/conf", "x")}}},
			"/srv/app/conf", true, PathFile, "mk"},
		{"a file where a directory was",
			[]step{{"mk", []PathPrediction{dir("/srv/app"), file("/srv/app/conf", "x")}}, {"f", []PathPrediction{file("/srv/app", "")}}},
			"/srv/app/conf", true, PathAbsent, "f"},
		{"relative paths are ignored", []step{{"mk", []PathPrediction{dir("srv/app")}}}, "srv/app", false, 0, ""},
		{"no kind is ignored", []step{{"mk", []PathPrediction{{Path: "/srv/app"}}}}, "/srv/app", false, 0, ""},
		{"the root is ignored", []step{{"rm", []PathPrediction{gone("/")}}}, "/etc", false, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p PendingPaths
			for _, s := range tc.steps {
				p.Record(s.by, s.preds...)
			}
			got, ok := p.Lookup(tc.path)
			if ok != tc.wantOK || got.Kind != tc.wantKind || got.By != tc.wantBy {
				t.Fatalf("Lookup(%q) = %s by %q, %v; want %s by %q, %v", tc.path, got.Kind, got.By, ok, tc.wantKind, tc.wantBy, tc.wantOK)
			}
		})
	}
}

func TestPendingPathsNilAndContent(t *testing.T) {
	var nilp *PendingPaths
	if _, ok := nilp.Lookup("/etc"); ok || nilp.Len() != 0 || nilp.MentionedIn("test -f /etc") != nil {
		t.Fatal("a nil *PendingPaths must hold nothing")
	}
	if _, _, ok := nilp.Resolve("/etc"); ok {
		t.Fatal("a nil *PendingPaths must resolve nothing")
	}
	var p PendingPaths
	p.Record("conf", PathPrediction{Path: "/etc/app.ini", Kind: PathFile, Mode: 0o640, UID: 0, GID: 0, Content: []byte("[server]\n"), HasContent: true})
	got, ok := p.Lookup("/etc/app.ini")
	if !ok || string(got.Content) != "[server]\n" || !got.HasContent || got.Mode != 0o640 || got.By != "conf" {
		t.Fatalf("Lookup = %+v, %v", got, ok)
	}
	if p.Len() != 1 {
		t.Fatalf("Len = %d", p.Len())
	}
}

func TestPendingPathsResolve(t *testing.T) {
	var p PendingPaths
	p.Record("s",
		PathPrediction{Path: "/srv/current", Kind: PathSymlink, Target: "releases/1"},
		PathPrediction{Path: "/srv/releases/1", Kind: PathDir},
		PathPrediction{Path: "/srv/abs", Kind: PathSymlink, Target: "/srv/current"},
		PathPrediction{Path: "/srv/to-disk", Kind: PathSymlink, Target: "/etc"},
		PathPrediction{Path: "/srv/loop-a", Kind: PathSymlink, Target: "/srv/loop-b"},
		PathPrediction{Path: "/srv/loop-b", Kind: PathSymlink, Target: "/srv/loop-a"},
	)
	for _, tc := range []struct {
		path, resolved string
		ok             bool
		kind           PathKind
	}{
		{"/srv/current", "/srv/releases/1", true, PathDir},
		{"/srv/abs", "/srv/releases/1", true, PathDir},
		{"/srv/to-disk", "/etc", false, 0},
		{"/srv/releases/1", "/srv/releases/1", true, PathDir},
		{"/var", "/var", false, 0},
	} {
		resolved, pp, ok := p.Resolve(tc.path)
		if resolved != tc.resolved || ok != tc.ok || pp.Kind != tc.kind {
			t.Errorf("Resolve(%q) = %q, %s, %v; want %q, %s, %v", tc.path, resolved, pp.Kind, ok, tc.resolved, tc.kind, tc.ok)
		}
	}
	// A loop stops (at a link) instead of spinning.
	if _, pp, ok := p.Resolve("/srv/loop-a"); !ok || pp.Kind != PathSymlink {
		t.Errorf("loop: %s %v", pp.Kind, ok)
	}
}

func TestPendingPathsMentionedIn(t *testing.T) {
	var p PendingPaths
	p.Record("s",
		PathPrediction{Path: "/srv/app", Kind: PathDir},
		PathPrediction{Path: "/srv/app/logs/healthy", Kind: PathFile},
	)
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"test -f /srv/app/logs/healthy", []string{"/srv/app/logs/healthy", "/srv/app"}},
		{"grep -q ok '/srv/app/conf'", []string{"/srv/app"}},
		{"ls /srv/app", []string{"/srv/app"}},
		{"ls /srv/app;true", []string{"/srv/app"}},
		{"ls /srv/apple /srv/app.d /srv/app-2 /srv/app_x", nil},
		{"test -f /srv/app/logs/healthy2", []string{"/srv/app"}},
		{"ls /srv/apple /srv/app", []string{"/srv/app"}},
		{"true", nil},
	} {
		if got := p.MentionedIn(tc.cmd); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("MentionedIn(%q) = %v, want %v", tc.cmd, got, tc.want)
		}
	}
}

// BenchmarkPendingPaths measures what a dry run adds per state: recording
// a prediction, looking up a path 6 levels deep, and scanning a condition
// command for predicted paths, with 1,000 paths predicted.
func BenchmarkPendingPaths(b *testing.B) {
	var p PendingPaths
	for i := range 1000 {
		p.Record("s", PathPrediction{Path: fmt.Sprintf("/srv/app%d/conf/d/e/file%d", i%50, i), Kind: PathFile, HasContent: true})
	}
	cmd := "test -f /srv/app7/conf/d/e/file7 && grep -q x /etc/other"
	b.Run("Lookup", func(b *testing.B) {
		for b.Loop() {
			if _, ok := p.Lookup("/srv/app7/conf/d/e/file7"); !ok {
				b.Fatal("not found")
			}
		}
	})
	b.Run("MentionedIn", func(b *testing.B) {
		for b.Loop() {
			if len(p.MentionedIn(cmd)) != 1 {
				b.Fatal("not found")
			}
		}
	})
}
