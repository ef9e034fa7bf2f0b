// Package file provides the file.* states: manage files, directories,
// symlinks and lines in files.
//
//	/etc/motd:
//	  file.managed:
//	    - source: salt://motd.j2
//	    - template: jinja
//	    - mode: "0644"
//
// Every state here is idempotent (a second run reports no changes) and, in
// test mode, predicts its changes without touching the disk, against the
// disk as the earlier states of the dry run would leave it
// (state.Request.Pending): the directory an earlier state would create is
// there, the file an earlier state would write has that content. A parent
// directory or an edited file that is missing with no state predicting it
// is not a failure in test mode (a package or a command may create it
// first): the state predicts, and says what it assumes. Content
// changes are reported as a unified diff under "diff", as in Salt. Files
// are replaced atomically (written beside the target and renamed over it).
package file

import "github.com/halite/halite/pkg/state"

func init() {
	state.Register(state.Def{Name: "file.managed", Func: managed, Own: []string{"check_cmd"}, Doc: managedDoc})
	state.Register(state.Def{Name: "file.directory", Func: directory, Doc: directoryDoc})
	state.Register(state.Def{Name: "file.absent", Func: absent, Doc: absentDoc})
	state.Register(state.Def{Name: "file.symlink", Func: symlink, Doc: symlinkDoc})
	state.Register(state.Def{Name: "file.line", Func: line, Doc: lineDoc})
	state.Register(state.Def{Name: "file.replace", Func: replace, Doc: replaceDoc})
	state.Register(state.Def{Name: "file.append", Func: appendState, Doc: appendDoc})
	state.Register(state.Def{Name: "file.recurse", Func: recurse, Doc: recurseDoc})
	state.Register(state.Def{Name: "file.blockreplace", Func: blockreplace, Doc: blockreplaceDoc})
	state.Register(state.Def{Name: "file.accumulated", Func: accumulated, Doc: accumulatedDoc})
	state.Register(state.Def{Name: "file.keyvalue", Func: keyvalue, Doc: keyvalueDoc})
}
