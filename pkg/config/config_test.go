package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestEmptyFileGivesDefaults(t *testing.T) {
	m, err := LoadMaster(write(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if m.PublishPort != 4505 || m.RetPort != 4506 || m.Interface != "0.0.0.0" || m.KeepJobs.D() != 168*time.Hour {
		t.Errorf("master defaults wrong: %+v", m)
	}
	n, err := LoadMinion(write(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	h, _ := os.Hostname()
	if n.ID != h || n.Master != "salt" || n.PublishPort != 4505 {
		t.Errorf("minion defaults wrong: %+v", n)
	}
}

func TestUnknownKeyIsNamed(t *testing.T) {
	_, err := LoadMaster(write(t, "publish_port: 1\nauto_acept: true\n"))
	if err == nil || !strings.Contains(err.Error(), `unknown key "auto_acept"`) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("want unknown key error naming auto_acept on line 2, got %v", err)
	}
	_, err = LoadMinion(write(t, "grains: {a: 1}\nmastr: x\n"))
	if err == nil || !strings.Contains(err.Error(), `"mastr"`) {
		t.Fatalf("want unknown key mastr, got %v", err)
	}
}

func TestValuesAndRelativePaths(t *testing.T) {
	p := write(t, "id: web1\nmaster: 127.0.0.1\npki_dir: pki\ncache_dir: /abs/cache\nheartbeat_interval: 2s\ngrains: {roles: [web]}\n")
	n, err := LoadMinion(p)
	if err != nil {
		t.Fatal(err)
	}
	if n.PKIDir != filepath.Join(filepath.Dir(p), "pki") || n.CacheDir != "/abs/cache" {
		t.Errorf("paths: %q %q", n.PKIDir, n.CacheDir)
	}
	if n.HeartbeatInterval.D() != 2*time.Second || n.ID != "web1" {
		t.Errorf("values: %+v", n)
	}
}

func TestInvalidValues(t *testing.T) {
	for _, body := range []string{
		"publish_port: 70000\n",
		"log_level: loud\n",
		"log_format: xml\n",
		"log_granular_levels: {returns: chatty}\n",
		"log_fromat: json\n",
		"keep_jobs: soon\n",
		"api: {listen: '127.0.0.1:8000', token: short}\n",
		"publish_port: [1]\n",
	} {
		if _, err := LoadMaster(write(t, body)); err == nil {
			t.Errorf("%q: accepted", body)
		}
	}
	for _, body := range []string{"id: ../etc\n", "max_jobs: 0\n", "log_format: logfmt\n"} {
		if _, err := LoadMinion(write(t, body)); err == nil {
			t.Errorf("%q: accepted", body)
		}
	}
}

// F18, F19: durations and bounds that make no sense, and pprof on a
// public address, are refused with the key named.
func TestHardeningBounds(t *testing.T) {
	for body, key := range map[string]string{
		"reconnect_min: 0s\n":                    "reconnect_min",
		"reconnect_max: 0s\n":                    "reconnect_max",
		"reconnect_min: 5s\nreconnect_max: 1s\n": "reconnect_max",
		"heartbeat_interval: 1ms\n":              "heartbeat_interval",
		"clock_skew: 0s\n":                       "clock_skew",
		"pprof_listen: 0.0.0.0:6060\n":           "pprof_listen",
		"max_jobs: 100000000\n":                  "max_jobs",
	} {
		_, err := LoadMinion(write(t, "id: m1\n"+body))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("minion %q: got %v, want an error naming %s", body, err, key)
		}
	}
	for body, key := range map[string]string{
		"ack_timeout: 0s\n":             "ack_timeout",
		"keep_audit: -1h\n":             "keep_audit",
		"clock_skew: 0s\n":              "clock_skew",
		"pprof_listen: 10.1.2.3:6060\n": "pprof_listen",
	} {
		_, err := LoadMaster(write(t, body))
		if err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("master %q: got %v, want an error naming %s", body, err, key)
		}
	}
	if _, err := LoadMaster(write(t, "pprof_listen: 0.0.0.0:6060\npprof_allow_remote: true\n")); err != nil {
		t.Errorf("pprof_allow_remote: %v", err)
	}
	if _, err := LoadMinion(write(t, "id: m1\npprof_listen: 127.0.0.1:6060\n")); err != nil {
		t.Errorf("loopback pprof: %v", err)
	}
}

// master: takes one host or a list (masters sharing a PostgreSQL store);
// master_type is str or failover; store is empty or a postgres:// URL.
func TestSeveralMasters(t *testing.T) {
	for body, want := range map[string][]string{
		"id: m1\nmaster: salt1\n":                         {"salt1"},
		"id: m1\nmaster: [10.0.0.1, 10.0.0.2]\n":          {"10.0.0.1", "10.0.0.2"},
		"id: m1\nmaster:\n  - a.example\n  - b.example\n": {"a.example", "b.example"},
	} {
		n, err := LoadMinion(write(t, body))
		if err != nil {
			t.Fatalf("%q: %v", body, err)
		}
		if got := n.Master.List(); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%q: masters %v, want %v", body, got, want)
		}
		if n.MasterType != MasterTypeStr {
			t.Errorf("%q: master_type %q, want str by default", body, n.MasterType)
		}
	}
	for body, key := range map[string]string{
		"id: m1\nmaster: []\n":                 "master",
		"id: m1\nmaster: ['a,b']\n":            "master",
		"id: m1\nmaster: [a, '']\n":            "master",
		"id: m1\nmaster_type: disable\n":       "master_type",
		"id: m1\nmaster_alive_interval: 1ms\n": "master_alive_interval",
		"id: m1\nmaster: {a: 1}\n":             "master",
	} {
		if _, err := LoadMinion(write(t, body)); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%q: got %v, want an error naming %s", body, err, key)
		}
	}
	if _, err := LoadMinion(write(t, "id: m1\nmaster: [a, b]\nmaster_type: failover\nmaster_alive_interval: 5\n")); err != nil {
		t.Errorf("failover config refused: %v", err)
	}
	if _, err := LoadMaster(write(t, "store: postgres://halite@db:5432/halite?sslmode=disable\n")); err != nil {
		t.Errorf("postgres store refused: %v", err)
	}
	if _, err := LoadMaster(write(t, "store: mysql://x\n")); err == nil || !strings.Contains(err.Error(), "store") {
		t.Errorf("store: mysql:// accepted: %v", err)
	}
}
