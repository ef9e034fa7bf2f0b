package file_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/halite/halite/pkg/states/internal/statetest"
)

func TestSerializeCopyRename(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "conf", "app.json")
	data := map[string]any{"b": []any{1, 2}, "a": map[string]any{"x": true}}
	statetest.Expect(t, call(t, "file.serialize", p, map[string]any{"dataset": data, "formatter": "json", "makedirs": true, "mode": "0640"}, false), statetest.Changed)
	b, _ := os.ReadFile(p)
	if string(b) != "{\n  \"a\": {\n    \"x\": true\n  },\n  \"b\": [\n    1,\n    2\n  ]\n}\n" {
		t.Fatalf("json:\n%s", b)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", st.Mode())
	}
	statetest.Expect(t, call(t, "file.serialize", p, map[string]any{"dataset": data, "formatter": "json"}, false), statetest.Unchanged)
	// merge_if_exists keeps what the file has and adds the dataset.
	y := filepath.Join(dir, "app.yaml")
	os.WriteFile(y, []byte("keep: 1\nover: old\n"), 0o644)
	statetest.Expect(t, call(t, "file.serialize", y, map[string]any{"dataset": map[string]any{"over": "new"}, "merge_if_exists": true}, false), statetest.Changed)
	if b, _ := os.ReadFile(y); string(b) != "keep: 1\nover: new\n" {
		t.Fatalf("yaml merge:\n%s", b)
	}
	// copy: only when the target is missing (or force).
	dst := filepath.Join(dir, "copy.yaml")
	statetest.Expect(t, call(t, "file.copy", dst, map[string]any{"source": y}, false), statetest.Changed)
	statetest.Expect(t, call(t, "file.copy", dst, map[string]any{"source": p}, false), statetest.Unchanged)
	if b, _ := os.ReadFile(dst); string(b) != "keep: 1\nover: new\n" {
		t.Fatalf("copy: %q", b)
	}
	// rename: moves once.
	moved := filepath.Join(dir, "moved", "x.yaml")
	statetest.Expect(t, call(t, "file.rename", moved, map[string]any{"source": dst, "makedirs": true}, true), statetest.WouldChange)
	statetest.Expect(t, call(t, "file.rename", moved, map[string]any{"source": dst, "makedirs": true}, false), statetest.Changed)
	statetest.Expect(t, call(t, "file.rename", moved, map[string]any{"source": dst}, false), statetest.Unchanged)
	if _, err := os.Stat(moved); err != nil {
		t.Fatal(err)
	}
}
