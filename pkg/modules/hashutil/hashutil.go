// Package hashutil provides Salt's hashutil.* execution functions:
// digests and base64 of strings, as formulas use them in templates.
package hashutil

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"

	"github.com/halite/halite/pkg/digest"
	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("hashutil.digest", "Return the hex digest of INSTR with CHECKSUM (md5, sha256 (default) or sha512).\n\nCLI Example:\n\n    halite-master run '*' hashutil.digest 'get salted' sha512\n", digestFun)
	for _, h := range []string{"md5", "sha256", "sha512"} {
		algo := h
		modules.Register("hashutil."+h+"_digest", fmt.Sprintf("Return the %s hex digest of INSTR.\n\nCLI Example:\n\n    halite-master run '*' hashutil.%s_digest 'get salted'\n", algo, algo),
			func(ctx context.Context, c *modules.Call) (any, error) { return sum(c, algo) })
	}
	modules.Register("hashutil.base64_b64encode", "Return INSTR encoded in base64.\n\nCLI Example:\n\n    halite-master run '*' hashutil.base64_b64encode 'get salted'\n", b64encode)
	modules.Register("hashutil.base64_b64decode", "Return the text that the base64 INSTR encodes.\n\nCLI Example:\n\n    halite-master run '*' hashutil.base64_b64decode 'Z2V0IHNhbHRlZA=='\n", b64decode)
	modules.Register("hashutil.base64_encodestring", "Return INSTR encoded in base64 with a newline every 76 characters and at the end (Python's encodebytes).\n\nCLI Example:\n\n    halite-master run '*' hashutil.base64_encodestring 'get salted'\n", encodestring)
	modules.Register("hashutil.hmac_signature", "Return true when SHARED_SECRET's HMAC-SHA256 of STRING, in base64, is CHALLENGE_HMAC.\n\nCLI Example:\n\n    halite-master run '*' hashutil.hmac_signature 'get salted' 'shared secret' 'eBWf9bstXg+NiP5AOwppB5HMvZiYMPzEM9W5YMm/AmQ='\n", hmacSignature)
}

func newHash(algo string) (hash.Hash, error) {
	switch strings.ToLower(algo) {
	case "md5", "sha256", "sha512":
		return digest.New(algo)
	}
	return nil, fmt.Errorf("checksum %q: want md5, sha256 or sha512", algo)
}

func sum(c *modules.Call, algo string) (any, error) {
	if err := c.Expect(1, "instr"); err != nil {
		return nil, err
	}
	s, err := c.String(0, "instr")
	if err != nil {
		return nil, err
	}
	return hexDigest(s, algo)
}

func hexDigest(s, algo string) (string, error) {
	h, err := newHash(algo)
	if err != nil {
		return "", err
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func digestFun(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "instr", "checksum"); err != nil {
		return nil, err
	}
	s, err := c.String(0, "instr")
	if err != nil {
		return nil, err
	}
	algo, err := c.OptString(1, "checksum", "sha256")
	if err != nil {
		return nil, err
	}
	return hexDigest(s, algo)
}

func b64encode(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "instr"); err != nil {
		return nil, err
	}
	s, err := c.String(0, "instr")
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func b64decode(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "instr"); err != nil {
		return nil, err
	}
	s, err := c.String(0, "instr")
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	return string(b), nil
}

func encodestring(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "instr"); err != nil {
		return nil, err
	}
	s, err := c.String(0, "instr")
	if err != nil {
		return nil, err
	}
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	if enc != "" {
		b.WriteString(enc + "\n")
	}
	return b.String(), nil
}

func hmacSignature(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "string", "shared_secret", "challenge_hmac"); err != nil {
		return nil, err
	}
	s, err := c.String(0, "string")
	if err != nil {
		return nil, err
	}
	secret, err := c.String(1, "shared_secret")
	if err != nil {
		return nil, err
	}
	challenge, err := c.String(2, "challenge_hmac")
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(s))
	want, err := base64.StdEncoding.DecodeString(challenge)
	if err != nil {
		return false, nil
	}
	return hmac.Equal(m.Sum(nil), want), nil
}
