package integration

import (
	"testing"

	"go.uber.org/goleak"
)

// Every master and minion started by these tests is shut down by them;
// after that no goroutine may be left: the daemons own every goroutine
// they start.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
