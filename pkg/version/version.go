// Package version holds the Halite release string. It is a variable, not a
// constant, so release builds can stamp it without touching the source:
//
//	go build -ldflags "-X github.com/halite/halite/pkg/version.Version=1.2.3" ./cmd/...
//
// Minions report it (test.version, the haliteversion grain) so an operator
// can see which hosts still run an old build.
package version

// Version is the Halite version of this binary.
var Version = "0.1.0-dev"
