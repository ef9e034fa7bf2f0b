// Package all links every state module family into a binary: import it
// for its side effect, the way database/sql drivers are imported.
//
//	import _ "github.com/halite/halite/pkg/states/all"
package all

import (
	_ "github.com/halite/halite/pkg/states/alternatives"
	_ "github.com/halite/halite/pkg/states/archive"
	_ "github.com/halite/halite/pkg/states/cmd"
	_ "github.com/halite/halite/pkg/states/cron"
	_ "github.com/halite/halite/pkg/states/debconf"
	_ "github.com/halite/halite/pkg/states/file"
	_ "github.com/halite/halite/pkg/states/git"
	_ "github.com/halite/halite/pkg/states/group"
	_ "github.com/halite/halite/pkg/states/ini"
	_ "github.com/halite/halite/pkg/states/module"
	_ "github.com/halite/halite/pkg/states/pip"
	_ "github.com/halite/halite/pkg/states/pkg"
	_ "github.com/halite/halite/pkg/states/service"
	_ "github.com/halite/halite/pkg/states/ssh"
	_ "github.com/halite/halite/pkg/states/system"
	_ "github.com/halite/halite/pkg/states/test"
	_ "github.com/halite/halite/pkg/states/user"
)
