package master

import (
	"testing"

	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/wire"
)

// BenchmarkPrivateJobPerMinion is the master's extra cost of a private
// job per target minion: encoding the job for it and sealing it under its
// request key (a published job is sealed once for everyone).
func BenchmarkPrivateJobPerMinion(b *testing.B) {
	k, err := crypto.NewRequestKey()
	if err != nil {
		b.Fatal(err)
	}
	ch := crypto.NewChannel(k, "web1", crypto.ToMinion)
	job := wire.Job{JID: "20261202170000000000", Fun: "cmd.run", Args: []any{"chpasswd <<< root:hunter2"},
		TargetType: "list", Target: "web1", Time: wire.Now(), User: "root"}
	b.ReportAllocs()
	for b.Loop() {
		body, err := wire.Encode(wire.TypeJob, &job)
		if err != nil {
			b.Fatal(err)
		}
		_ = ch.Seal(body)
	}
}
