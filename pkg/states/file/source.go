package file

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/halite/halite/pkg/modules"
)

// errNoSource marks a source that does not exist (the next one in a list
// is tried); any other error stops the state.
var errNoSource = errors.New("source not found")

// fetch returns the bytes of one source: salt:// or halite:// through the
// minion's file client (saltenv may be overridden with ?saltenv=), file://
// or an absolute local path.
func fetch(ctx context.Context, env *modules.Env, src, saltenv string) ([]byte, error) {
	switch {
	case strings.HasPrefix(src, "salt://"), strings.HasPrefix(src, "halite://"):
		if env == nil || env.Files == nil {
			return nil, fmt.Errorf("cannot fetch %s: no file server client on this minion", src)
		}
		if base, q, ok := strings.Cut(src, "?"); ok {
			vals, err := url.ParseQuery(q)
			if err != nil {
				return nil, fmt.Errorf("source %s: bad query: %w", src, err)
			}
			if e := vals.Get("saltenv"); e != "" {
				saltenv = e
			}
			src = base
		}
		p, err := env.Files.CacheFile(ctx, src, saltenv)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%w: Source file %s not found in saltenv '%s'", errNoSource, src, saltenv)
			}
			return nil, fmt.Errorf("fetch %s: %w", src, err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read cached %s: %w", src, err)
		}
		return b, nil
	case strings.HasPrefix(src, "file://"):
		return readLocal(strings.TrimPrefix(src, "file://"), src)
	case filepath.IsAbs(src):
		return readLocal(src, src)
	}
	if i := strings.Index(src, "://"); i > 0 {
		return nil, fmt.Errorf("source %s: scheme %s:// is not supported (use salt://, file:// or an absolute path)", src, src[:i])
	}
	return nil, fmt.Errorf("source %s: not a salt:// URL or an absolute path", src)
}

func readLocal(path, src string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: Source file %s not found", errNoSource, src)
	}
	if err != nil {
		return nil, fmt.Errorf("read source %s: %w", src, err)
	}
	return b, nil
}

// fetchFirst returns the first source in the list that exists, and its
// name, as Salt does for `source: [salt://a.host, salt://a]`.
func fetchFirst(ctx context.Context, env *modules.Env, sources []string, saltenv string) ([]byte, string, error) {
	var missing []string
	for _, s := range sources {
		b, err := fetch(ctx, env, s, saltenv)
		if err == nil {
			return b, s, nil
		}
		if !errors.Is(err, errNoSource) {
			return nil, s, err
		}
		missing = append(missing, s)
	}
	if len(missing) == 1 {
		return nil, "", fmt.Errorf("Source file %s not found", missing[0])
	}
	return nil, "", fmt.Errorf("None of the sources were found: %s", strings.Join(missing, ", "))
}

// checkHash verifies data against a source_hash: "sha256=HEX", "md5=HEX",
// or bare HEX whose length names the algorithm.
func checkHash(data []byte, spec, src string) error {
	algo, want, ok := strings.Cut(strings.TrimSpace(spec), "=")
	if !ok {
		want, algo = algo, ""
	}
	algo = strings.ToLower(algo)
	want = strings.ToLower(strings.TrimSpace(want))
	if algo == "" {
		switch len(want) {
		case 32:
			algo = "md5"
		case 40:
			algo = "sha1"
		case 64:
			algo = "sha256"
		case 96:
			algo = "sha384"
		case 128:
			algo = "sha512"
		default:
			return fmt.Errorf("source_hash %q: cannot tell the hash type from its length", spec)
		}
	}
	var h hash.Hash
	switch algo {
	case "md5":
		h = md5.New()
	case "sha1":
		h = sha1.New()
	case "sha224":
		h = sha256.New224()
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		return fmt.Errorf("source_hash %q: unsupported hash type %s", spec, algo)
	}
	if _, err := hex.DecodeString(want); err != nil || len(want) != 2*h.Size() {
		return fmt.Errorf("source_hash %q: not a %s hex digest", spec, algo)
	}
	h.Write(data)
	got := hex.EncodeToString(h.Sum(nil))
	if got != want {
		return fmt.Errorf("Specified %s checksum for %s (%s) does not match actual checksum (%s)", algo, src, want, got)
	}
	return nil
}
