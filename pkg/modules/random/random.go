// Package random provides Salt's random.* execution functions: random
// strings and numbers from the operating system's CSPRNG (formulas make
// passwords and secrets with them).
package random

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("random.get_str", `Return a random string of LENGTH (default 20) characters. By default it mixes
letters, digits and punctuation; chars=STRING picks from those characters only;
lowercase, uppercase, digits, printable, punctuation, whitespace set which
classes may appear (whitespace defaults to false).

CLI Example:

    halite-master run '*' random.get_str 32 punctuation=False
`, getStr)
	modules.Register("random.rand_int", "Return a random integer between START (default 1) and END (default 10), both included.\n\nCLI Example:\n\n    halite-master run '*' random.rand_int 1 100\n", randInt)
	modules.Register("random.str_encode", "Return VALUE encoded with ENCODER (base64 only).\n\nCLI Example:\n\n    halite-master run '*' random.str_encode 'secret'\n", strEncode)
}

const (
	lower  = "abcdefghijklmnopqrstuvwxyz"
	upper  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	digits = "0123456789"
	punct  = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
	space  = " \t\n\r\x0b\x0c"
)

func getStr(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "length", "chars", "lowercase", "uppercase", "digits", "punctuation", "whitespace", "printable"); err != nil {
		return nil, err
	}
	n, err := c.OptInt(0, "length", 20)
	if err != nil {
		return nil, err
	}
	if n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("length %d: want 0 to 1048576", n)
	}
	pool, err := c.OptString(-1, "chars", "")
	if err != nil {
		return nil, err
	}
	if pool == "" {
		flag := func(name string, def bool) bool {
			v, _ := c.OptBool(-1, name, def)
			return v
		}
		printable := flag("printable", true)
		if flag("lowercase", true) {
			pool += lower
		}
		if flag("uppercase", true) {
			pool += upper
		}
		if flag("digits", true) {
			pool += digits
		}
		if flag("punctuation", true) && printable {
			pool += punct
		}
		if flag("whitespace", false) {
			pool += space
		}
	}
	if pool == "" {
		return nil, fmt.Errorf("no characters to choose from")
	}
	runes := []rune(pool)
	out := make([]rune, n)
	for i := range out {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(runes))))
		if err != nil {
			return nil, err
		}
		out[i] = runes[k.Int64()]
	}
	return string(out), nil
}

func randInt(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "start", "end", "seed"); err != nil {
		return nil, err
	}
	start, err := c.OptInt(0, "start", 1)
	if err != nil {
		return nil, err
	}
	end, err := c.OptInt(1, "end", 10)
	if err != nil {
		return nil, err
	}
	if end < start {
		return nil, fmt.Errorf("end %d is below start %d", end, start)
	}
	k, err := rand.Int(rand.Reader, big.NewInt(int64(end-start)+1))
	if err != nil {
		return nil, err
	}
	return int64(start) + k.Int64(), nil
}

func strEncode(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(2, "value", "encoder"); err != nil {
		return nil, err
	}
	v, err := c.String(0, "value")
	if err != nil {
		return nil, err
	}
	enc, err := c.OptString(1, "encoder", "b64encode")
	if err != nil {
		return nil, err
	}
	if enc != "b64encode" && enc != "base64" {
		return nil, fmt.Errorf("encoder %q: only b64encode is supported", enc)
	}
	return base64.StdEncoding.EncodeToString([]byte(v)), nil
}
