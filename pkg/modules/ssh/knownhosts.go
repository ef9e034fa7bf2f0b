// Package ssh provides Salt's ssh.* execution functions for known_hosts
// files (ssh.get_known_host_entries, ssh.set_known_host,
// ssh.rm_known_host, ssh.recv_known_host_entries) and the model of a
// known_hosts file that the ssh_known_hosts states share: entries by
// host, plain or hashed (|1|salt|hmac), and key fingerprints in Salt's
// colon-separated hex form.
package ssh

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"github.com/halite/halite/pkg/digest"
	"strconv"
	"strings"
)

// Entry is one known host key.
type Entry struct {
	Enc, Key string
}

// HostPattern is how a host appears in known_hosts: the name, or
// [name]:port for a port other than 22.
func HostPattern(host string, port int) string {
	if port != 0 && port != 22 {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host
}

// HashHost is OpenSSH's hashed host field: |1|base64(salt)|base64(HMAC-SHA1(salt, host)).
func HashHost(pattern string) (string, error) {
	salt := make([]byte, sha1.Size)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	return hashWith(salt, pattern), nil
}

func hashWith(salt []byte, pattern string) string {
	m := hmac.New(sha1.New, salt)
	m.Write([]byte(pattern))
	return "|1|" + base64.StdEncoding.EncodeToString(salt) + "|" + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// hostMatches reports whether a known_hosts host field names pattern.
func hostMatches(field, pattern string) bool {
	if strings.HasPrefix(field, "|1|") {
		parts := strings.Split(field, "|")
		if len(parts) != 4 {
			return false
		}
		salt, err := base64.StdEncoding.DecodeString(parts[2])
		if err != nil {
			return false
		}
		return hmac.Equal([]byte(hashWith(salt, pattern)), []byte(field))
	}
	for _, h := range strings.Split(field, ",") {
		if h == pattern {
			return true
		}
	}
	return false
}

// KnownHosts is a known_hosts file's lines.
type KnownHosts struct {
	lines []string
}

// ParseKnownHosts reads known_hosts text.
func ParseKnownHosts(text string) *KnownHosts {
	k := &KnownHosts{}
	if text != "" {
		k.lines = strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	}
	return k
}

func (k *KnownHosts) String() string {
	if len(k.lines) == 0 {
		return ""
	}
	return strings.Join(k.lines, "\n") + "\n"
}

// entryOf parses a line: markers (@cert-authority, @revoked) are skipped.
func entryOf(l string) (host string, e Entry, ok bool) {
	f := strings.Fields(l)
	if len(f) < 3 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], "@") {
		return "", Entry{}, false
	}
	return f[0], Entry{Enc: f[1], Key: f[2]}, true
}

// Find returns the entries for pattern.
func (k *KnownHosts) Find(pattern string) []Entry {
	var out []Entry
	for _, l := range k.lines {
		if h, e, ok := entryOf(l); ok && hostMatches(h, pattern) {
			out = append(out, e)
		}
	}
	return out
}

// Remove drops every entry for pattern (a line naming it among other
// hosts loses only that name); it reports how many lines changed.
func (k *KnownHosts) Remove(pattern string) int {
	n := 0
	out := k.lines[:0]
	for _, l := range k.lines {
		h, _, ok := entryOf(l)
		if !ok || !hostMatches(h, pattern) {
			out = append(out, l)
			continue
		}
		n++
		if strings.HasPrefix(h, "|1|") || !strings.Contains(h, ",") {
			continue
		}
		var keep []string
		for _, name := range strings.Split(h, ",") {
			if name != pattern {
				keep = append(keep, name)
			}
		}
		out = append(out, strings.Join(keep, ",")+l[len(h):])
	}
	k.lines = out
	return n
}

// Add appends an entry for pattern, hashed when hashHost is set.
func (k *KnownHosts) Add(pattern string, e Entry, hashHost bool) error {
	host := pattern
	if hashHost {
		h, err := HashHost(pattern)
		if err != nil {
			return err
		}
		host = h
	}
	k.lines = append(k.lines, host+" "+e.Enc+" "+e.Key)
	return nil
}

// Fingerprint is Salt's fingerprint of a base64 public key: the digest
// (md5, sha1, sha224, sha256, sha384, sha512) in hex pairs joined by ":".
func Fingerprint(key, hashType string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return "", fmt.Errorf("public key is not base64: %w", err)
	}
	if hashType == "" {
		hashType = "sha256"
	}
	h, err := digest.New(hashType)
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	h.Write(raw)
	hx := hex.EncodeToString(h.Sum(nil))
	pairs := make([]string, 0, len(hx)/2)
	for i := 0; i < len(hx); i += 2 {
		pairs = append(pairs, hx[i:i+2])
	}
	return strings.Join(pairs, ":"), nil
}

// FingerprintMatches compares a key with a fingerprint as a user writes
// it: Salt's colon hex (of hashType), or OpenSSH's SHA256:base64 and
// MD5:hex.
func FingerprintMatches(key, fp, hashType string) bool {
	fp = strings.TrimSpace(fp)
	if b64, ok := strings.CutPrefix(fp, "SHA256:"); ok {
		raw, err := base64.StdEncoding.DecodeString(key)
		if err != nil {
			return false
		}
		sum := sha256.Sum256(raw)
		return strings.TrimRight(base64.StdEncoding.EncodeToString(sum[:]), "=") == strings.TrimRight(b64, "=")
	}
	if rest, ok := strings.CutPrefix(fp, "MD5:"); ok {
		fp, hashType = rest, "md5"
	}
	want, err := Fingerprint(key, hashType)
	return err == nil && strings.EqualFold(want, fp)
}
