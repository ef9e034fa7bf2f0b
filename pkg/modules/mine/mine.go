// Package mine provides Salt's mine.* execution functions: mine.get reads
// other minions' mine data from the master (within its mine_acl),
// mine.update and mine.send publish this minion's, mine.delete drops a
// function. Masterless, mine.get answers an empty mapping, as Salt's does
// when nothing was mined.
package mine

import (
	"context"
	"errors"
	"fmt"

	"github.com/halite/halite/pkg/modules"
)

func init() {
	modules.Register("mine.get", `Return the mine data of FUN for the minions TGT matches (TGT_TYPE, default
glob), keyed by minion id. Masterless, the answer is empty.

CLI Example:

    halite-master run '*' mine.get 'web*' network.ip_addrs
`, get)
	modules.Register("mine.update", `Run this minion's mine_functions (config and pillar) and send their
results to the master, replacing what it had; return them.

CLI Example:

    halite-master run '*' mine.update
`, update)
	modules.Register("mine.send", `Run FUNCTION with its arguments and send the result to the mine under
FUNCTION's name (or name=ALIAS; mine_function=FUN with NAME as the alias).

CLI Example:

    halite-master run '*' mine.send network.ip_addrs eth0
`, send)
	modules.Register("mine.delete", `Remove FUN from this minion's mine data on the master.

CLI Example:

    halite-master run '*' mine.delete network.ip_addrs
`, del)
}

var errMasterless = errors.New("the mine lives on the master; this minion runs masterless")

func client(c *modules.Call) (modules.MineClient, error) {
	if c.Env == nil || c.Env.Mine == nil {
		return nil, errMasterless
	}
	return c.Env.Mine, nil
}

func get(ctx context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(3, "tgt", "fun", "tgt_type", "exclude_minion"); err != nil {
		return nil, err
	}
	tgt, err := c.String(0, "tgt")
	if err != nil {
		return nil, err
	}
	fun, err := c.String(1, "fun")
	if err != nil {
		return nil, err
	}
	tt, err := c.OptString(2, "tgt_type", "glob")
	if err != nil {
		return nil, err
	}
	mc, err := client(c)
	if errors.Is(err, errMasterless) {
		return map[string]any{}, nil
	}
	data, err := mc.Get(ctx, tgt, fun, tt)
	if err != nil {
		return nil, err
	}
	if ex, _ := c.OptBool(-1, "exclude_minion", false); ex && c.Env != nil {
		delete(data, c.Env.ID)
	}
	return data, nil
}

func update(ctx context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(0, "clear"); err != nil {
		return nil, err
	}
	mc, err := client(c)
	if err != nil {
		return nil, err
	}
	return mc.Update(ctx)
}

func send(ctx context.Context, c *modules.Call) (any, error) {
	if len(c.Args) == 0 {
		return nil, &modules.ArgError{Name: "name", Msg: "required: the function to run"}
	}
	name := fmt.Sprint(c.Args[0])
	fun := name
	kwargs := map[string]any{}
	for k, v := range c.UserKwargs() {
		switch k {
		case "mine_function":
			fun = fmt.Sprint(v)
		default:
			kwargs[k] = v
		}
	}
	mc, err := client(c)
	if err != nil {
		return nil, err
	}
	if _, ok := modules.Lookup(fun); !ok || fun == "mine.send" {
		return nil, fmt.Errorf("'%s' is not available.", fun)
	}
	res := modules.Run(ctx, c.Env, fun, c.Args[1:], kwargs)
	if !res.Success {
		return nil, fmt.Errorf("%s failed: %v", fun, res.Return)
	}
	if err := mc.Send(ctx, map[string]any{name: res.Return}, false, nil); err != nil {
		return nil, err
	}
	return true, nil
}

func del(ctx context.Context, c *modules.Call) (any, error) {
	if err := c.Expect(1, "fun"); err != nil {
		return nil, err
	}
	fun, err := c.String(0, "fun")
	if err != nil {
		return nil, err
	}
	mc, err := client(c)
	if err != nil {
		return nil, err
	}
	if err := mc.Send(ctx, nil, false, []string{fun}); err != nil {
		return nil, err
	}
	return true, nil
}
