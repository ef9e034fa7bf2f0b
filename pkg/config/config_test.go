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
		"keep_jobs: soon\n",
		"api: {listen: '127.0.0.1:8000', token: short}\n",
		"publish_port: [1]\n",
	} {
		if _, err := LoadMaster(write(t, body)); err == nil {
			t.Errorf("%q: accepted", body)
		}
	}
	for _, body := range []string{"id: ../etc\n", "max_jobs: 0\n"} {
		if _, err := LoadMinion(write(t, body)); err == nil {
			t.Errorf("%q: accepted", body)
		}
	}
}
