// Package test provides Salt's test.* functions: cheap calls for checking
// that minions answer, that arguments and return codes travel intact, and
// for load tests (test.sleep, test.fib).
package test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/version"
)

func init() {
	modules.Register("test.ping", `Just used to make sure the minion is up and responding. Returns true.

CLI Example:

    halite-master run '*' test.ping
`, ping)
	modules.Register("test.echo", `Return the value passed in, unchanged: used for testing the connection.

CLI Example:

    halite-master run '*' test.echo 'foo bar baz quo qux'
`, echo)
	modules.Register("test.sleep", `Sleep for LENGTH seconds (fractions allowed), then return true. The sleep
ends early, with an error, when the job is cancelled.

CLI Example:

    halite-master run '*' test.sleep 20
`, sleep)
	modules.Register("test.version", `Return the version of Halite on the minion.

CLI Example:

    halite-master run '*' test.version
`, versionFunc)
	modules.Register("test.arg", `Return the positional and keyword arguments the function received, as
{"args": [...], "kwargs": {...}}: shows how the CLI typed them.

CLI Example:

    halite-master run '*' test.arg 1 "two" 3.1 txt=hello wow='{a: 1, b: "hello"}'
`, arg)
	modules.Register("test.kwarg", `Return the keyword arguments the function received.

CLI Example:

    halite-master run '*' test.kwarg num=1 txt="two" env='{a: 1, b: "hello"}'
`, kwarg)
	modules.Register("test.fib", `Return the Fibonacci numbers lower than NUM, and the time it took to
compute them in seconds, as [list, seconds]. Used for performance tests.

CLI Example:

    halite-master run '*' test.fib 3
`, fib)
	modules.Register("test.retcode", `Return true and make the job's return code CODE (default 42): tests
that return codes travel back to the caller.

CLI Example:

    halite-master run '*' test.retcode 42
`, retcode)
	modules.Register("test.exception", `Fail with MESSAGE (default "Test Exception"): tests how errors are
reported.

CLI Example:

    halite-master run '*' test.exception 'Oh noes!'
`, exception)
	modules.Register("test.true", `Always return true.

CLI Example:

    halite-master run '*' test.true
`, constant(true))
	modules.Register("test.false", `Always return false (the job still succeeds: false is the answer, not
a failure).

CLI Example:

    halite-master run '*' test.false
`, constant(false))
}

func ping(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	return true, nil
}

func constant(v bool) modules.Func {
	return func(_ context.Context, c *modules.Call) (any, error) {
		if err := c.Expect(0); err != nil {
			return nil, err
		}
		return v, nil
	}
}

func echo(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "text"); err != nil {
		return nil, err
	}
	if _, named := c.Kwargs["text"]; len(c.Args) == 0 && !named {
		return nil, &modules.ArgError{Name: "text", Msg: "missing required argument"}
	}
	v, _, err := c.Value(0, "text") // an explicit null echoes null
	return v, err
}

func sleep(ctx context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "length"); err != nil {
		return nil, err
	}
	secs, err := c.Float(0, "length")
	if err != nil {
		return nil, err
	}
	if secs < 0 {
		return nil, &modules.ArgError{Name: "length", Msg: "must not be negative"}
	}
	t := time.NewTimer(time.Duration(secs * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
		return true, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("sleep interrupted: %w", ctx.Err())
	}
}

func versionFunc(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0); err != nil {
		return nil, err
	}
	return version.Version, nil
}

func arg(_ context.Context, c *modules.Call) (any, error) {
	args := c.Args
	if args == nil {
		args = []any{}
	}
	return map[string]any{"args": args, "kwargs": c.UserKwargs()}, nil
}

func kwarg(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0, c.KwargNames()...); err != nil {
		return nil, err
	}
	return c.UserKwargs(), nil
}

// maxFib bounds test.fib so a typo cannot make a minion compute forever:
// every Fibonacci number below it fits in an int64.
const maxFib int64 = 1 << 62

func fib(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "num"); err != nil {
		return nil, err
	}
	num, err := c.Int(0, "num")
	if err != nil {
		return nil, err
	}
	if num < 0 {
		return nil, &modules.ArgError{Name: "num", Msg: "negative number is not allowed"}
	}
	if int64(num) > maxFib {
		return nil, &modules.ArgError{Name: "num", Msg: fmt.Sprintf("must be at most %d", maxFib)}
	}
	start := time.Now()
	seq := []int{0}
	for a, b := 0, 1; b < num; a, b = b, a+b {
		seq = append(seq, b)
	}
	return []any{seq, time.Since(start).Seconds()}, nil
}

func retcode(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "code"); err != nil {
		return nil, err
	}
	code, err := c.OptInt(0, "code", 42)
	if err != nil {
		return nil, err
	}
	c.Retcode = code
	return true, nil
}

func exception(_ context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "message"); err != nil {
		return nil, err
	}
	msg, err := c.OptString(0, "message", "Test Exception")
	if err != nil {
		return nil, err
	}
	return nil, errors.New(msg)
}
