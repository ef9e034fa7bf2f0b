package integration

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/halite/halite/internal/pgtest"
)

// Every master and minion started by these tests is shut down by them;
// after that no goroutine may be left: the daemons own every goroutine
// they start. The PostgreSQL server some tests share stops after them.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}
