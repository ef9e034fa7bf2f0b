// Package digest names the hash algorithms Salt users name (source_hash,
// file.get_hash, hashutil.digest, ssh fingerprints): one place for the
// list.
package digest

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"
)

// Names lists the algorithms New knows.
var Names = []string{"md5", "sha1", "sha224", "sha256", "sha384", "sha512"}

// New returns the hash named (case-insensitive).
func New(name string) (hash.Hash, error) {
	switch strings.ToLower(name) {
	case "md5":
		return md5.New(), nil
	case "sha1":
		return sha1.New(), nil
	case "sha224":
		return sha256.New224(), nil
	case "sha256":
		return sha256.New(), nil
	case "sha384":
		return sha512.New384(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unsupported hash type %q (want %s)", name, strings.Join(Names, ", "))
}

// ForHexLen names the algorithm whose hex digests have n characters
// (Salt guesses a bare source_hash's type that way); "" when none does.
func ForHexLen(n int) string {
	switch n {
	case 32:
		return "md5"
	case 40:
		return "sha1"
	case 56:
		return "sha224"
	case 64:
		return "sha256"
	case 96:
		return "sha384"
	case 128:
		return "sha512"
	}
	return ""
}
