// Package all links every execution module family into a binary:
//
//	import _ "github.com/halite/halite/pkg/modules/all"
//
// Adding a family is one line here.
package all

import (
	_ "github.com/halite/halite/pkg/modules/alternatives" // alternatives.show_current
	_ "github.com/halite/halite/pkg/modules/cmd"          // cmd.*
	_ "github.com/halite/halite/pkg/modules/config"       // config.get, config.option
	_ "github.com/halite/halite/pkg/modules/cp"           // cp.list_master, cp.list_master_dirs, cp.list_states
	_ "github.com/halite/halite/pkg/modules/debconf"      // debconf.*
	_ "github.com/halite/halite/pkg/modules/defaults"     // defaults.*
	_ "github.com/halite/halite/pkg/modules/dig"          // dig.A, dig.AAAA
	_ "github.com/halite/halite/pkg/modules/disk"         // disk.*
	_ "github.com/halite/halite/pkg/modules/environ"      // environ.get, environ.items
	_ "github.com/halite/halite/pkg/modules/file"         // file.*
	_ "github.com/halite/halite/pkg/modules/grains"       // grains.*
	_ "github.com/halite/halite/pkg/modules/hashutil"     // hashutil.*
	_ "github.com/halite/halite/pkg/modules/ini"          // ini.*
	_ "github.com/halite/halite/pkg/modules/log"          // log.*
	_ "github.com/halite/halite/pkg/modules/match"        // match.*
	_ "github.com/halite/halite/pkg/modules/mine"         // mine.get
	_ "github.com/halite/halite/pkg/modules/network"      // network.*
	_ "github.com/halite/halite/pkg/modules/pillar"       // pillar.*, saltutil.refresh_pillar
	_ "github.com/halite/halite/pkg/modules/pkg"          // pkg.*
	_ "github.com/halite/halite/pkg/modules/random"       // random.*
	_ "github.com/halite/halite/pkg/modules/service"      // service.*
	_ "github.com/halite/halite/pkg/modules/slsutil"      // slsutil.*
	_ "github.com/halite/halite/pkg/modules/ssh"          // ssh.* (known_hosts)
	_ "github.com/halite/halite/pkg/modules/status"       // status.*
	_ "github.com/halite/halite/pkg/modules/sys"          // sys.*
	_ "github.com/halite/halite/pkg/modules/system"       // timezone.get_zone, locale.get_locale, sysctl.get
	_ "github.com/halite/halite/pkg/modules/test"         // test.*
	_ "github.com/halite/halite/pkg/modules/user"         // user.info, user.list_users, group.info
)
