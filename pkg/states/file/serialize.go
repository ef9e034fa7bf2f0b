package file

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/halite/halite/pkg/pillar"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
	"github.com/halite/halite/pkg/template"
	"github.com/halite/halite/pkg/yamlvalue"
)

func init() {
	state.Register(state.Def{Name: "file.serialize", Func: serialize, Doc: `Write DATASET to NAME as yaml (the default) or json (formatter, or
serializer). merge_if_exists=True merges DATASET over what the file holds.
user, group, mode, makedirs, backup and show_changes are file.managed's.`})
	state.Register(state.Def{Name: "file.copy", Func: copyState, Doc: `Copy the local file SOURCE to NAME when NAME does not exist (or, with
force=True, differs). makedirs, user, group and mode as for file.managed.`})
	state.Register(state.Def{Name: "file.rename", Func: rename, Doc: `Move SOURCE to NAME when NAME does not exist (force=True replaces it).
makedirs creates NAME's parent directories.`})
}

// managedWith runs file.managed on name with args (the states built on it
// share its permissions, backup, diff and test mode).
func managedWith(ctx context.Context, req *state.Request, args map[string]any) state.Result {
	sub := *req
	sub.Args = args
	return managed(ctx, &sub)
}

func serialize(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	dataset, hasData := a.Raw("dataset")
	if v, ok := a.Raw("dataset_pillar"); ok && !hasData {
		key, _ := v.(string)
		if req.Env != nil && req.Env.Pillar != nil {
			dataset, hasData = template.Lookup(req.Env.Pillar(), key, ":")
		}
	}
	formatter := a.String("formatter", a.String("serializer", "yaml"))
	merge := a.Bool("merge_if_exists", false)
	pass := map[string]any{}
	for _, k := range []string{"user", "group", "mode", "makedirs", "backup", "show_changes", "dir_mode", "create", "check_cmd"} {
		if v, ok := a.Raw(k); ok {
			pass[k] = v
		}
	}
	a.Ignore("serializer_opts", "deserializer_opts", "encoding", "encoding_errors")
	if !hasData {
		a.Fail("dataset", "required (or dataset_pillar)")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(req.Name); err != nil {
		return fail("%v", err)
	}
	if merge {
		if m, ok := dataset.(map[string]any); ok {
			existing, err := readData(req.Name, formatter)
			if err != nil {
				return fail("Failed to merge with the existing %s: %v", req.Name, err)
			}
			if existing != nil {
				dataset = pillar.Merge(existing, m, false)
			}
		}
	}
	text, err := encodeData(dataset, formatter)
	if err != nil {
		return fail("%v", err)
	}
	pass["contents"] = text
	pass["contents_newline"] = false
	return managedWith(ctx, req, pass)
}

// encodeData writes data as Salt's serializers do: YAML in block style,
// JSON indented by two with sorted keys; both end with a newline.
func encodeData(data any, formatter string) (string, error) {
	switch formatter {
	case "yaml":
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(data); err != nil {
			return "", fmt.Errorf("yaml: %w", err)
		}
		return buf.String(), enc.Close()
	case "json":
		b, err := json.MarshalIndent(data, "", "  ")
		if err != nil {
			return "", fmt.Errorf("json: %w", err)
		}
		return string(b) + "\n", nil
	}
	return "", fmt.Errorf("formatter %q is not supported (yaml, json)", formatter)
}

// readData reads the file's current data (nil when it does not exist).
func readData(path, formatter string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch formatter {
	case "json":
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil && err != io.EOF {
			return nil, err
		}
		return m, nil
	default:
		root, err := yamlvalue.Parse(b)
		if err != nil || root == nil {
			return nil, err
		}
		v, err := yamlvalue.NewConverter().Value(root)
		if err != nil {
			return nil, err
		}
		m, _ := v.(map[string]any)
		return m, nil
	}
}

func copyState(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	source := a.String("source", "")
	force := a.Bool("force", false)
	pass := map[string]any{}
	for _, k := range []string{"user", "group", "mode", "makedirs"} {
		if v, ok := a.Raw(k); ok {
			pass[k] = v
		}
	}
	a.Ignore("preserve", "subdir")
	if source == "" {
		a.Fail("source", "required")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(req.Name); err != nil {
		return fail("%v", err)
	}
	if !filepath.IsAbs(source) {
		return fail("Source file %s is not an absolute path", source)
	}
	b, err := os.ReadFile(source)
	if err != nil {
		return fail("Source file %q is not present: %v", source, err)
	}
	if _, err := os.Lstat(req.Name); err == nil && !force {
		return ok(fmt.Sprintf("The target file %q exists and will not be overwritten", req.Name), nil)
	}
	pass["contents"] = string(b)
	pass["contents_newline"] = false
	return managedWith(ctx, req, pass)
}

func rename(_ context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	source := a.String("source", "")
	force := a.Bool("force", false)
	makedirs := a.Bool("makedirs", false)
	if source == "" {
		a.Fail("source", "required")
	}
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if err := checkAbs(req.Name); err != nil {
		return fail("%v", err)
	}
	if !filepath.IsAbs(source) {
		return fail("Source file %s is not an absolute path", source)
	}
	if _, err := os.Lstat(source); err != nil {
		return ok(fmt.Sprintf("Source file %q has already been moved out of place", source), nil)
	}
	if _, err := os.Lstat(req.Name); err == nil && !force {
		return ok(fmt.Sprintf("The target file %q exists and will not be overwritten", req.Name), nil)
	}
	changes := map[string]any{req.Name: source}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("File %q is set to be moved to %q", source, req.Name)}
	}
	if makedirs {
		if err := os.MkdirAll(filepath.Dir(req.Name), 0o755); err != nil {
			return fail("%v", err)
		}
	}
	if err := os.Rename(source, req.Name); err != nil {
		return fail("Failed to move %q to %q: %v", source, req.Name, err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Moved %q to %q", source, req.Name)}
}
