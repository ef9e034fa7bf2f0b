package file_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/halite/halite/pkg/states/internal/statetest"
)

func TestCommentUncomment(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sshd_config")
	os.WriteFile(p, []byte("PermitRootLogin yes\n  PasswordAuthentication yes\n#Port 22\n# Banner none\nUsePAM yes"), 0o644)
	res := call(t, "file.comment", p, map[string]any{"regex": "^(PermitRootLogin|PasswordAuthentication)"}, false)
	statetest.Expect(t, res, statetest.Changed)
	res = call(t, "file.uncomment", p, map[string]any{"regex": "Port 22"}, false)
	statetest.Expect(t, res, statetest.Changed)
	b, _ := os.ReadFile(p)
	if string(b) != "#PermitRootLogin yes\n  #PasswordAuthentication yes\nPort 22\n# Banner none\nUsePAM yes" {
		t.Fatalf("file:\n%s", b)
	}
	// Idempotent, and the dry run predicts without writing.
	statetest.Expect(t, call(t, "file.comment", p, map[string]any{"regex": "^(PermitRootLogin|PasswordAuthentication)"}, false), statetest.Unchanged)
	statetest.Expect(t, call(t, "file.uncomment", p, map[string]any{"regex": "^Banner"}, true), statetest.WouldChange)
	if b2, _ := os.ReadFile(p); string(b2) != string(b) {
		t.Fatal("dry run wrote the file")
	}
	statetest.Expect(t, call(t, "file.comment", filepath.Join(t.TempDir(), "nope"), map[string]any{"regex": "x", "ignore_missing": true}, false), statetest.Unchanged)
}
