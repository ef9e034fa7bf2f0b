// Package state is Halite's state system, in Salt's vocabulary and with
// Salt's semantics: SLS files rendered from Jinja and YAML, the top file,
// include, extend and exclude, requisites (require, watch, onchanges,
// onfail, prereq, listen, their _any/_all and _in forms, use), order and
// failhard, the runner, and the highstate outputter.
//
// The stages mirror Salt's so that what a Salt user knows holds here:
//
//	SLS text ──render──▶ YAML ──parse──▶ High (ID declarations)
//	High ──extend, requisite_in, use, exclude──▶ High
//	High ──compile──▶ []Chunk (low chunks, sorted by order)
//	[]Chunk ──plan (resolve requisites, find cycles)──▶ Run ──▶ results
//
// Ordering follows Salt: SLS files in top file order, an included SLS
// before the one that includes it, declarations in file order (Salt's
// state_auto_order, counting from 10000), `order:` to override; each
// state's requisites run just before it if they have not run yet.
//
// A dry run (test=True) predicts the whole run, not each state against the
// untouched disk: every state reports what it would do to paths
// (Result.Predicted), and the states after it see those predictions in
// Request.Pending (see PendingPaths). So a file.managed into a directory an
// earlier state would create predicts a new file instead of failing, and a
// state whose onfail target is predicted to succeed is predicted not to run.
//
// State functions are registered by the packages under pkg/states with
// Register; the minion wires Compiler to its file client, template engine,
// grains, pillar and matcher, and registers the state.* execution
// functions with RegisterFunctions.
package state
