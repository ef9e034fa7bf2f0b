package beacons

import (
	"os"
	"path/filepath"
	"testing"
)

// Whatever a log holds, the login beacon reads it without panicking and
// counts only what it recognises.
func FuzzLoginBeacon(f *testing.F) {
	for _, s := range []string{
		"h sshd[1]: Failed password for root from 203.0.113.9 port 1 ssh2\n",
		"h su[2]: pam_unix(su:auth): authentication failure; rhost=\n",
		"\x00\xff\n\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "auth.log")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		bs, err := Parse(map[string]any{"login": map[string]any{"files": []any{path}, "sources": "keep"}}, Env{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bs[0].Beacon.Check(t.Context()); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		r, _ := bs[0].Beacon.Check(t.Context())
		if r.Send {
			total, _ := r.Data["failed"].(int)
			ok, _ := r.Data["ok"].(int)
			if total+ok == 0 {
				t.Fatalf("sent a report of nothing: %+v", r.Data)
			}
		}
	})
}
