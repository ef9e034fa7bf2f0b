package targeting_test

import (
	"errors"
	"fmt"

	"github.com/halite/halite/pkg/targeting"
)

func Example() {
	opts := targeting.Options{Nodegroups: map[string]any{
		"dbs": []any{"db1", "db2"},
	}}
	m, err := targeting.Compile(targeting.Compound, "G@os:Debian and web* or N@dbs and not I@role:legacy", opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	minion := &targeting.Minion{
		ID:     "web1",
		Grains: map[string]any{"os": "Debian", "roles": []any{"web"}},
		Pillar: map[string]any{"role": "web"},
	}
	fmt.Println(m.Match(minion))
	fmt.Println(m)
	fmt.Println(targeting.NeedsPillar(m))
	// Output:
	// true
	// ((G@os:Debian and web*) or (N@dbs and not I@role:legacy))
	// true
}

func ExampleListIDs() {
	m, _ := targeting.Compile(targeting.Compound, "web2 or L@db1,web1", targeting.Options{})
	ids, ok := targeting.ListIDs(m)
	fmt.Println(ids, ok)
	// Output: [db1 web1 web2] true
}

func ExampleParseError() {
	_, err := targeting.Compile(targeting.Compound, "G@os:Debian and (web* or X@db1)", targeting.Options{})
	var pe *targeting.ParseError
	if errors.As(err, &pe) {
		fmt.Println(pe.Pos)
	}
	fmt.Println(err)
	// Output:
	// 25
	// targeting: unknown target type "X@" (want G@, P@, I@, J@, L@, E@, S@ or N@, or no prefix for a glob) at position 25:
	//   G@os:Debian and (web* or X@db1)
	//                            ^
}
