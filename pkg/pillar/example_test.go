package pillar_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/halite/halite/pkg/pillar"
)

func Example() {
	root, err := os.MkdirTemp("", "pillar")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	for name, src := range map[string]string{
		"top.sls":    "base:\n  '*':\n    - common\n  'os:Debian':\n    - match: grain\n    - mysql\n",
		"common.sls": "motd: Managed by Halite ({{ grains.os }})\n",
		"mysql.sls":  "mysql:\n  root_password: correct-horse\n  port: 3306\n",
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(src), 0o644); err != nil {
			panic(err)
		}
	}

	c := pillar.NewCompiler(map[string][]string{"base": {root}}, pillar.Options{})
	p, err := c.Compile(context.Background(), "db1", map[string]any{"os": "Debian"})
	if err != nil {
		panic(err)
	}
	fmt.Println(pillar.Get(p, "motd", "", ""))
	fmt.Println(pillar.Get(p, "mysql:port", 0, ""))

	r := pillar.NewRedactor(nil)
	fmt.Println(r.Redact(p).(map[string]any)["mysql"])
	fmt.Println(pillar.Scrub("mysql -p correct-horse", r.Secrets(p)))
	// Output:
	// Managed by Halite (Debian)
	// 3306
	// map[port:3306 root_password:<redacted>]
	// mysql -p <redacted>
}
