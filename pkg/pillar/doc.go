// Package pillar compiles pillar, Salt's per-minion configuration data
// (secrets included), on the master: one minion at a time, with that
// minion's grains, from the pillar_roots trees.
//
// The stages are Salt's, so that a Salt pillar tree compiles unchanged:
//
//	top.sls of every saltenv ──render, parse, match (grains)──▶ SLS names per saltenv
//	each SLS ──Jinja──▶ YAML ──parse──▶ mapping (its includes first)
//	mappings ──deep merge, top file order, later wins──▶ the minion's pillar
//
// Where Salt is lenient to the point of surprise, this package is strict on
// purpose: an SLS that is missing, fails to render, is not valid YAML or is
// not a mapping makes the whole compile fail with an error naming the file
// and line. Salt would send the minion a pillar with an _errors key, or a
// partial one, and states would then run with missing data.
//
// Cache keeps compiled pillar per minion and recompiles when the tree or
// the minion's grains change; Redactor and Scrub keep secret values out of
// logs and stored job returns.
package pillar
