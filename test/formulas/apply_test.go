package formulas

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Three formulas of the corpus applied for real on this Debian host, with
// their pillar.example: the first run converges, the second changes
// nothing. The host's files they manage are put back afterwards.
func TestFormulasApplyAndConverge(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("applying formulas for real needs root (CI runs as root)")
	}
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skip("needs a Debian host")
	}
	for _, tc := range []struct {
		name    string
		files   []string // restored after the test
		drift   string   // a managed file the test changes first, so the run must converge it
		service string   // stopped before (so the run starts it) and after the test
	}{
		{"vim", []string{"/etc/vim/vimrc", "/etc/vim/vimrc.local"}, "/etc/vim/vimrc", ""},
		{"sudoers", []string{"/etc/sudoers"}, "/etc/sudoers", ""},
		{"memcached", []string{"/etc/memcached.conf"}, "", "memcached"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range tc.files {
				restore(t, f)
			}
			if tc.drift != "" {
				drift(t, tc.drift)
			}
			if tc.service != "" {
				_ = exec.Command("service", tc.service, "stop").Run()
				t.Cleanup(func() { _ = exec.Command("service", tc.service, "stop").Run() })
			}
			f := formula{dir: tc.name + "-formula", name: tc.name}
			cfg := setup(t, f)
			first := apply(t, cfg, tc.name)
			if failed := failedStates(first); len(failed) > 0 {
				t.Fatalf("first run: failed states %v", failed)
			}
			second := apply(t, cfg, tc.name)
			if failed := failedStates(second); len(failed) > 0 {
				t.Fatalf("second run: failed states %v", failed)
			}
			for id, r := range second {
				if len(r.Changes) > 0 {
					t.Errorf("second run changed %s: %v", id, r.Changes)
				}
			}
			if changedStates(first) == 0 {
				t.Errorf("the first run changed nothing, though the host had drifted")
			}
			t.Logf("%s: %d states, %d changed on the first run, 0 on the second", tc.name, len(first), changedStates(first))
		})
	}
}

type stateResult struct {
	Result  *bool          `json:"result"`
	Changes map[string]any `json:"changes"`
	Comment string         `json:"comment"`
}

func apply(t *testing.T, cfg, sls string) map[string]stateResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, "halite-minion"), "call", "--local", "-c", cfg, "--out", "json", "state.apply", sls).Output()
	var v struct {
		Local map[string]stateResult `json:"local"`
	}
	if jerr := json.Unmarshal(out, &v); jerr != nil {
		t.Fatalf("state.apply %s: %v %v\n%s", sls, err, jerr, out)
	}
	return v.Local
}

func failedStates(rs map[string]stateResult) []string {
	var out []string
	for id, r := range rs {
		if r.Result != nil && !*r.Result {
			out = append(out, id+": "+r.Comment)
		}
	}
	return out
}

func changedStates(rs map[string]stateResult) int {
	n := 0
	for _, r := range rs {
		if len(r.Changes) > 0 {
			n++
		}
	}
	return n
}

// restore puts path back as it was (or removes it) when the test ends.
func restore(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	st, serr := os.Stat(path)
	t.Cleanup(func() {
		if err != nil {
			_ = os.Remove(path)
			return
		}
		_ = os.WriteFile(path, b, st.Mode().Perm())
		if serr == nil {
			_ = os.Chmod(path, st.Mode().Perm())
		}
	})
}

// drift appends a comment line to a managed file (if it exists) so that
// the formula has something to put right.
func drift(t *testing.T, path string) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return // not there yet: the formula creates it
	}
	defer f.Close()
	comment := "# drift added by the halite formula test\n"
	if filepath.Base(path) == "vimrc" {
		comment = "\" drift added by the halite formula test\n"
	}
	if _, err := f.WriteString(comment); err != nil {
		t.Fatal(err)
	}
}
