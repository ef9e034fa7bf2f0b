package ssh

import (
	"context"
	"fmt"
	"time"

	modssh "github.com/halite/halite/pkg/modules/ssh"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/states/internal/args"
)

func init() {
	state.Register(state.Def{Name: "ssh_known_hosts.present", Func: knownPresent, Doc: `Ensure host NAME's key is in a known_hosts file.

Arguments: key (the base64 public key) with enc (default ssh-rsa), or
fingerprint (Salt's colon hex of fingerprint_hash_type, default sha256;
or OpenSSH's SHA256:...): the host's keys are then fetched with
ssh-keyscan and the one with that fingerprint is saved. user (the file is
~user/.ssh/known_hosts unless config says otherwise) or config (default
/etc/ssh/ssh_known_hosts), port, hash_known_hosts (default True: the
host name is stored hashed), timeout (seconds, for ssh-keyscan). With
neither key nor fingerprint, the keys the host presents are trusted on
first use, as in Salt.`})
	state.Register(state.Def{Name: "ssh_known_hosts.absent", Func: knownAbsent, Doc: `Ensure host NAME has no entry in a known_hosts file.

Arguments: user, config, port.`})
}

func knownPresent(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	userName := a.String("user", "")
	config := a.String("config", "")
	key := a.String("key", "")
	enc := a.String("enc", "")
	fingerprint := a.String("fingerprint", "")
	port := a.Int("port", 0)
	hashHosts := a.Bool("hash_known_hosts", true)
	timeout := a.Int("timeout", 5)
	hashType := a.String("fingerprint_hash_type", "sha256")
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	if key != "" && enc == "" {
		enc = "ssh-rsa"
	}
	if key != "" && fingerprint != "" && !modssh.FingerprintMatches(key, fingerprint, hashType) {
		return fail("The fingerprint of the key given does not match fingerprint %s", fingerprint)
	}
	t, kh, pattern, stored, err := modssh.Open(userName, config, req.Name, port)
	if err != nil {
		return fail("%v", err)
	}
	has := func(match func(modssh.Entry) bool) bool {
		for _, e := range stored {
			if match(e) {
				return true
			}
		}
		return false
	}
	switch {
	case key != "" && has(func(e modssh.Entry) bool { return e.Key == key && e.Enc == enc }),
		key == "" && fingerprint != "" && has(func(e modssh.Entry) bool { return modssh.FingerprintMatches(e.Key, fingerprint, hashType) }):
		return state.Result{Result: state.True(), Comment: fmt.Sprintf("Host %s is already in %s", req.Name, t.Path)}
	}
	verb := "added to"
	if len(stored) > 0 {
		verb = "updated in"
	}
	if req.Test && (key != "" || fingerprint != "") {
		return state.Result{Changes: map[string]any{"old": entries(stored), "new": key},
			Comment: fmt.Sprintf("Key for %s is set to be %s %s", req.Name, verb, t.Path)}
	}
	// The keys to store: the one given, or those the host presents.
	want := []modssh.Entry{{Enc: enc, Key: key}}
	if key == "" {
		remote, err := modssh.Scan(ctx, req.Name, port, enc, time.Duration(timeout)*time.Second)
		if err != nil {
			return fail("%v", err)
		}
		want = nil
		for _, e := range remote {
			if fingerprint == "" || modssh.FingerprintMatches(e.Key, fingerprint, hashType) {
				want = append(want, e)
			}
		}
		if len(want) == 0 {
			return fail("Remote host public keys found but none of their fingerprints match the one you have provided")
		}
		if fingerprint == "" && has(func(e modssh.Entry) bool {
			for _, w := range want {
				if w == e {
					return true
				}
			}
			return false
		}) {
			return state.Result{Result: state.True(), Comment: fmt.Sprintf("Host %s is already in %s", req.Name, t.Path)}
		}
		if req.Test {
			return state.Result{Changes: map[string]any{"old": entries(stored), "new": entries(want)},
				Comment: fmt.Sprintf("Key for %s is set to be %s %s", req.Name, verb, t.Path)}
		}
	}
	kh.Remove(pattern)
	for _, e := range want {
		if err := kh.Add(pattern, e, hashHosts); err != nil {
			return fail("%v", err)
		}
	}
	if err := t.Write(kh); err != nil {
		return fail("Unable to write %s: %v", t.Path, err)
	}
	changes := map[string]any{"old": entries(stored), "new": entries(want)}
	if key != "" {
		return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("%s's key saved to %s (key: %s)", req.Name, t.Path, key)}
	}
	fp, _ := modssh.Fingerprint(want[0].Key, hashType)
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("%s's key saved to %s (fingerprint: %s)", req.Name, t.Path, fp)}
}

func knownAbsent(ctx context.Context, req *state.Request) state.Result {
	a := args.Lenient(req.Args, req.Warn)
	userName := a.String("user", "")
	config := a.String("config", "")
	port := a.Int("port", 0)
	if err := a.Err(); err != nil {
		return fail("Invalid arguments: %v", err)
	}
	t, kh, pattern, stored, err := modssh.Open(userName, config, req.Name, port)
	if err != nil {
		return fail("%v", err)
	}
	if len(stored) == 0 {
		return state.Result{Result: state.True(), Comment: "Host is already absent"}
	}
	changes := map[string]any{"old": entries(stored), "new": nil}
	if req.Test {
		return state.Result{Changes: changes, Comment: fmt.Sprintf("Key for %s is set for removal", req.Name)}
	}
	kh.Remove(pattern)
	if err := t.Write(kh); err != nil {
		return fail("Unable to write %s: %v", t.Path, err)
	}
	return state.Result{Result: state.True(), Changes: changes, Comment: fmt.Sprintf("Removed %s from %s", req.Name, t.Path)}
}

func entries(l []modssh.Entry) any {
	if len(l) == 0 {
		return nil
	}
	out := make([]any, len(l))
	for i, e := range l {
		out[i] = map[string]any{"enc": e.Enc, "key": e.Key}
	}
	return out
}
