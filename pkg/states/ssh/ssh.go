// Package ssh provides Salt's ssh_auth.present and ssh_auth.absent: keys
// in a user's authorized_keys file.
package ssh

import (
	"context"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/halite/halite/pkg/atomicfile"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "ssh_auth.present", Func: present, Doc: `Ensure the public key NAME (the key itself, or a whole "ssh-ed25519 AAAA...
comment" line) is in USER's authorized keys. enc (default ssh-rsa), comment
and options (a list) describe it; config is the file (default
.ssh/authorized_keys under the user's home).`})
	state.Register(state.Def{Name: "ssh_auth.absent", Func: absent, Doc: `Ensure the public key NAME is not in USER's authorized keys.`})
}

type key struct {
	options []string
	enc     string
	body    string
	comment string
}

// parseKey reads a key the way Salt's ssh_auth does: a bare key body, or an
// authorized_keys line with its type, comment and leading options.
func parseKey(name, enc, comment string, options []string) key {
	f := strings.Fields(name)
	k := key{enc: enc, comment: comment, options: options}
	for i, w := range f {
		if isKeyType(w) && i+1 < len(f) {
			if i > 0 {
				k.options = strings.Split(strings.Join(f[:i], " "), ",")
			}
			k.enc, k.body = w, f[i+1]
			if len(f) > i+2 {
				k.comment = strings.Join(f[i+2:], " ")
			}
			return k
		}
	}
	if len(f) > 0 {
		k.body = f[0]
	}
	return k
}

func isKeyType(w string) bool {
	return strings.HasPrefix(w, "ssh-") || strings.HasPrefix(w, "ecdsa-") || strings.HasPrefix(w, "sk-")
}

func (k key) line() string {
	var b strings.Builder
	if len(k.options) > 0 {
		b.WriteString(strings.Join(k.options, ",") + " ")
	}
	b.WriteString(k.enc + " " + k.body)
	if k.comment != "" {
		b.WriteString(" " + k.comment)
	}
	return b.String()
}

type target struct {
	path     string
	uid, gid int
}

func resolve(a *args.Args) (target, error) {
	userName := a.String("user", "")
	config := a.String("config", ".ssh/authorized_keys")
	if userName == "" {
		return target{}, fmt.Errorf("user is required")
	}
	u, err := user.Lookup(userName)
	if err != nil {
		return target{}, fmt.Errorf("user %s does not exist", userName)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	p := config
	if !filepath.IsAbs(p) {
		p = filepath.Join(u.HomeDir, p)
	}
	return target{path: p, uid: uid, gid: gid}, nil
}

func readLines(p string) ([]string, error) {
	b, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(b)) == "" {
		return nil, nil
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n"), nil
}

// write puts lines into the user's file, creating its directory (0700)
// and the file (0600), owned by the user, before any key is written.
func write(t target, lines []string) error {
	dir := filepath.Dir(t.path)
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		_ = os.Chown(dir, t.uid, t.gid)
	}
	out := strings.Join(lines, "\n")
	if out != "" {
		out += "\n"
	}
	return atomicfile.Write(t.path, []byte(out), 0o600, t.uid, t.gid)
}

func present(_ context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	enc := a.String("enc", "ssh-rsa")
	comment := a.String("comment", "")
	options, _ := a.Strings("options")
	a.Ignore("source", "fingerprint_hash_type", "saltenv")
	t, terr := resolve(a)
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if terr != nil {
		return fail("%v", terr)
	}
	k := parseKey(req.Name, enc, comment, options)
	if k.body == "" {
		return fail("No key given")
	}
	lines, err := readLines(t.path)
	if err != nil {
		return fail("%v", err)
	}
	want := k.line()
	found := false
	for i, l := range lines {
		if parseKey(l, "", "", nil).body != k.body {
			continue
		}
		if strings.TrimSpace(l) == want {
			return state.Result{Result: state.True(), Comment: "The authorized host key " + short(k.body) + " is already present for user " + a.String("user", "")}
		}
		lines[i], found = want, true
	}
	if !found {
		lines = append(lines, want)
	}
	changes := map[string]any{k.body: "New"}
	if found {
		changes[k.body] = "Updated"
	}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Key %s is set to be added to %s", short(k.body), t.path)}
	}
	if err := write(t, lines); err != nil {
		return fail("Failed to write %s: %v", t.path, err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("The authorized host key %s for user %s was added", short(k.body), a.String("user", ""))}
}

func absent(_ context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	a.Ignore("enc", "comment", "options", "source", "fingerprint_hash_type", "saltenv")
	t, terr := resolve(a)
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if terr != nil {
		return fail("%v", terr)
	}
	k := parseKey(req.Name, "", "", nil)
	lines, err := readLines(t.path)
	if err != nil {
		return fail("%v", err)
	}
	var keep []string
	for _, l := range lines {
		if parseKey(l, "", "", nil).body != k.body {
			keep = append(keep, l)
		}
	}
	if len(keep) == len(lines) {
		return state.Result{Result: state.True(), Comment: "Key " + short(k.body) + " is already absent"}
	}
	changes := map[string]any{k.body: "Removed"}
	if req.Test {
		return state.Result{Changes: changes, Comment: "Key " + short(k.body) + " is set for removal"}
	}
	if err := write(t, keep); err != nil {
		return fail("Failed to write %s: %v", t.path, err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: "Key " + short(k.body) + " removed"}
}

func short(body string) string {
	if len(body) > 16 {
		return body[:8] + "..." + body[len(body)-8:]
	}
	return body
}

func fail(format string, a ...any) state.Result {
	return state.Result{Result: state.False(), Comment: fmt.Sprintf(format, a...)}
}
