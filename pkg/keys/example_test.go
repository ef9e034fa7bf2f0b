package keys_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/keys"
)

// An operator pre-seeds web1 by copying its minion.pub into minions/web1;
// db1 shows up unannounced and waits for "keys accept"; a second key
// claiming to be web1 is denied.
func Example() {
	pki, err := os.MkdirTemp("", "halite-pki")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(pki)
	reg, err := keys.NewFileRegistry(pki, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	key := func() crypto.MinionPublic {
		k, err := crypto.GenerateMinionKey()
		if err != nil {
			panic(err)
		}
		return k.Public()
	}
	web1, db1, impostor := key(), key(), key()
	if err := crypto.WriteMinionPublicFile(filepath.Join(pki, "minions", "web1"), web1); err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	for _, c := range []struct {
		id  string
		pub crypto.MinionPublic
	}{{"web1", web1}, {"db1", db1}, {"web1", impostor}} {
		st, err := reg.Check(ctx, c.id, c.pub)
		fmt.Println(c.id, st, err)
	}
	e, err := reg.Accept(ctx, "db1")
	fmt.Println("accept db1:", e.Prior, "->", e.State, err)
	all, _ := reg.List(ctx)
	for _, e := range all {
		fmt.Println(e.State, e.ID)
	}
	// Output:
	// web1 accepted <nil>
	// db1 pending <nil>
	// web1 denied <nil>
	// accept db1: pending -> accepted <nil>
	// accepted db1
	// accepted web1
	// denied web1
}
