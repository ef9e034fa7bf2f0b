package reactor

import (
	"context"
	"strings"
	"testing"

	"github.com/halite/halite/pkg/template"
)

func TestMatchAndRender(t *testing.T) {
	rules, err := Parse([]map[string]any{
		{"tag": "halite/minion/*/start", "apply": map[string]any{"tgt": "{{ data.id }}", "sls": []any{"base", "web"}, "test": true}},
		{"tag": "halite/beacon/*/login", "run": map[string]any{"tgt": "{{ data.id }}", "fun": "cmd.run", "arg": []any{"logger {{ tag }}"}}},
		{"tag": "halite/deadman/*", "webhook": "https://hooks.example.com/x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	eng := template.New(nil, nil)
	m := Matching(rules, "halite/minion/web1/start")
	if len(m) != 1 || m[0].Index != 1 {
		t.Fatalf("matching: %+v", m)
	}
	a, err := Render(context.Background(), eng, m[0], "halite/minion/web1/start", map[string]any{"id": "web1"})
	if err != nil || a.Target != "web1" || a.Fun != "state.apply" || a.Args[0] != "base,web" || a.Kwargs["test"] != true {
		t.Errorf("apply: %+v %v", a, err)
	}
	// '*' spans '/' as in Salt's reactor.
	if m := Matching(rules, "halite/deadman/db1/backup"); len(m) != 1 || m[0].Kind != KindWebhook {
		t.Errorf("deadman: %+v", m)
	}
	a, err = Render(context.Background(), eng, rules[1], "halite/beacon/db1/login", map[string]any{"id": "db1"})
	if err != nil || a.Args[0] != "logger halite/beacon/db1/login" {
		t.Errorf("run: %+v %v", a, err)
	}
	// A target that renders empty is an error, not a run on nothing.
	if _, err := Render(context.Background(), eng, rules[0], "halite/minion/x/start", nil); err == nil {
		t.Error("empty target rendered without error")
	}
}

func TestParseErrors(t *testing.T) {
	for want, raw := range map[string]map[string]any{
		"Salt's shape":           {"salt/minion/*/start": []any{"/srv/reactor/start.sls"}},
		"no tag":                 {"run": map[string]any{}},
		"exactly one":            {"tag": "x", "run": map[string]any{"tgt": "*", "fun": "f"}, "webhook": "http://x"},
		"no fun":                 {"tag": "x", "run": map[string]any{"tgt": "*"}},
		"not an http(s) URL":     {"tag": "x", "webhook": "file:///etc/passwd"},
		"unknown key \"target\"": {"tag": "x", "apply": map[string]any{"target": "*"}},
	} {
		_, err := Parse([]map[string]any{raw})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "reactor rule 1") {
			t.Errorf("%v: %v, want %q", raw, err, want)
		}
	}
}
