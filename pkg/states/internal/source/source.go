// Package source fetches the sources states name: salt:// (or halite://)
// through the minion's file client, file:// and absolute local paths, and
// http(s):// URLs, and checks them against a source_hash (a digest, or
// the URL of a checksum file such as SHA256SUMS, as in Salt).
package source

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/halite/halite/pkg/digest"
	"github.com/halite/halite/pkg/modules"
)

// ErrNotFound marks a source that does not exist (the next one in a list
// is tried); any other error stops the state.
var ErrNotFound = errors.New("source not found")

// MaxInMemory bounds what Fetch reads into memory (file.managed and
// friends); larger downloads go to a file with FetchFile.
const MaxInMemory = 256 << 20

// Fetch returns the bytes of one source. saltenv may be overridden with
// ?saltenv= on a salt:// URL.
func Fetch(ctx context.Context, env *modules.Env, src, saltenv string) ([]byte, error) {
	p, cleanup, err := FetchFile(ctx, env, src, saltenv)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	fi, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("read source %s: %w", src, err)
	}
	if fi.Size() > MaxInMemory {
		return nil, fmt.Errorf("source %s is %d bytes, more than the %d a file's content may have", src, fi.Size(), MaxInMemory)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read source %s: %w", src, err)
	}
	return b, nil
}

// FetchFile makes one source available as a local file and returns its
// path, and a cleanup that removes it if it was downloaded.
func FetchFile(ctx context.Context, env *modules.Env, src, saltenv string) (string, func(), error) {
	none := func() {}
	switch {
	case strings.HasPrefix(src, "salt://"), strings.HasPrefix(src, "halite://"):
		if env == nil || env.Files == nil {
			return "", none, fmt.Errorf("cannot fetch %s: no file server client on this minion", src)
		}
		if base, q, ok := strings.Cut(src, "?"); ok {
			vals, err := url.ParseQuery(q)
			if err != nil {
				return "", none, fmt.Errorf("source %s: bad query: %w", src, err)
			}
			if e := vals.Get("saltenv"); e != "" {
				saltenv = e
			}
			src = base
		}
		p, err := env.Files.CacheFile(ctx, src, saltenv)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", none, fmt.Errorf("%w: Source file %s not found in saltenv '%s'", ErrNotFound, src, saltenv)
			}
			return "", none, fmt.Errorf("fetch %s: %w", src, err)
		}
		return p, none, nil
	case strings.HasPrefix(src, "file://"):
		return local(strings.TrimPrefix(src, "file://"), src)
	case filepath.IsAbs(src):
		return local(src, src)
	case strings.HasPrefix(src, "http://"), strings.HasPrefix(src, "https://"):
		return download(ctx, src)
	}
	if i := strings.Index(src, "://"); i > 0 {
		return "", none, fmt.Errorf("source %s: scheme %s:// is not supported (use salt://, http(s)://, file:// or an absolute path)", src, src[:i])
	}
	return "", none, fmt.Errorf("source %s: not a salt:// URL or an absolute path", src)
}

func local(p, src string) (string, func(), error) {
	if _, err := os.Stat(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", func() {}, fmt.Errorf("%w: Source file %s not found", ErrNotFound, src)
		}
		return "", func() {}, fmt.Errorf("read source %s: %w", src, err)
	}
	return p, func() {}, nil
}

func download(ctx context.Context, src string) (string, func(), error) {
	none := func() {}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return "", none, fmt.Errorf("source %s: %w", src, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", none, fmt.Errorf("fetch %s: %w", src, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return "", none, fmt.Errorf("%w: Source file %s not found (HTTP 404)", ErrNotFound, src)
	}
	if resp.StatusCode != http.StatusOK {
		return "", none, fmt.Errorf("fetch %s: HTTP %s", src, resp.Status)
	}
	f, err := os.CreateTemp("", "halite-source-*")
	if err != nil {
		return "", none, err
	}
	cleanup := func() { os.Remove(f.Name()) }
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		cleanup()
		return "", none, fmt.Errorf("fetch %s: %w", src, err)
	}
	if err := f.Close(); err != nil {
		cleanup()
		return "", none, err
	}
	return f.Name(), cleanup, nil
}

// First returns the first source in the list that exists, and its name,
// as Salt does for `source: [salt://a.host, salt://a]`.
func First(ctx context.Context, env *modules.Env, sources []string, saltenv string) ([]byte, string, error) {
	var missing []string
	for _, s := range sources {
		b, err := Fetch(ctx, env, s, saltenv)
		if err == nil {
			return b, s, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, s, err
		}
		missing = append(missing, s)
	}
	if len(missing) == 1 {
		return nil, "", fmt.Errorf("Source file %s not found", missing[0])
	}
	return nil, "", fmt.Errorf("None of the sources were found: %s", strings.Join(missing, ", "))
}

// ResolveHash turns a source_hash into "algo=hex": a digest as given
// ("sha256=HEX", "md5=HEX", bare HEX), or, when it is a URL or a path, the
// digest for src's file name in that checksum file (SHA256SUMS style, or a
// file holding one digest).
func ResolveHash(ctx context.Context, env *modules.Env, spec, src, saltenv string) (string, error) {
	spec = strings.TrimSpace(spec)
	if !strings.Contains(spec, "://") && !filepath.IsAbs(spec) {
		return spec, nil
	}
	b, err := Fetch(ctx, env, spec, saltenv)
	if err != nil {
		return "", fmt.Errorf("source_hash %s: %w", spec, err)
	}
	name := path.Base(strings.SplitN(src, "?", 2)[0])
	var only string
	n := 0
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		n++
		if n == 1 {
			only = f[0]
		}
		if len(f) >= 2 && strings.TrimPrefix(path.Base(f[len(f)-1]), "*") == name {
			return f[0], nil
		}
	}
	if n == 1 {
		return only, nil
	}
	return "", fmt.Errorf("source_hash %s: no checksum for %s in it", spec, name)
}

// newHash returns the hash named algo, or guessed from a hex digest's
// length when algo is empty.
func newHash(algo, want string) (hash.Hash, string, error) {
	if algo == "" {
		if algo = digest.ForHexLen(len(want)); algo == "" {
			return nil, "", fmt.Errorf("cannot tell the hash type from its length")
		}
	}
	h, err := digest.New(algo)
	return h, algo, err
}

// CheckHash verifies data read from r against spec ("sha256=HEX",
// "md5=HEX", or bare HEX whose length names the algorithm).
func CheckHash(r io.Reader, spec, src string) error {
	algo, want, ok := strings.Cut(strings.TrimSpace(spec), "=")
	if !ok {
		want, algo = algo, ""
	}
	algo = strings.ToLower(algo)
	want = strings.ToLower(strings.TrimSpace(want))
	h, algo, err := newHash(algo, want)
	if err != nil {
		return fmt.Errorf("source_hash %q: %v", spec, err)
	}
	if _, err := hex.DecodeString(want); err != nil || len(want) != 2*h.Size() {
		return fmt.Errorf("source_hash %q: not a %s hex digest", spec, algo)
	}
	if _, err := io.Copy(h, r); err != nil {
		return err
	}
	got := hex.EncodeToString(h.Sum(nil))
	if got != want {
		return fmt.Errorf("Specified %s checksum for %s (%s) does not match actual checksum (%s)", algo, src, want, got)
	}
	return nil
}
