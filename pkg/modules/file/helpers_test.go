package file

import (
	"os/exec"
	"os/user"
	"testing"
)

func runCmd(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	return string(out), err
}

func lookupUID(t *testing.T, name string) string {
	u, err := user.Lookup(name)
	if err != nil {
		t.Skip(err)
	}
	return u.Uid
}
