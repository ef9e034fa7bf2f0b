package jobstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/halite/halite/pkg/jobstore"
)

// The master records a job, streams returns in through a Batcher, marks the
// minions still missing at the deadline, and flushes before showing the job.
func Example() {
	dir, err := os.MkdirTemp("", "halite-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	store, err := jobstore.OpenSQLite(ctx, filepath.Join(dir, "halite.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	jid := "20250314092653589793"
	if err := store.CreateJob(ctx, &jobstore.Job{
		JID: jid, Fun: "test.fib", Args: []any{7}, TargetType: "glob", Target: "web*",
		User: "alice", Expected: []string{"web1", "web2", "web3"},
	}); err != nil {
		fmt.Println(err)
		return
	}

	runCtx, stop := context.WithCancel(ctx)
	batcher := jobstore.NewBatcher(store, 500, 10*time.Millisecond, nil)
	done := make(chan error)
	go func() { done <- batcher.Run(runCtx) }()
	defer func() { stop(); <-done }()

	batcher.Add(jobstore.Return{JID: jid, ID: "web1", Fun: "test.fib",
		Return: []any{0, 1, 1, 2, 3, 5, 8}, Success: true})
	batcher.Add(jobstore.Return{JID: jid, ID: "web2", Fun: "test.fib",
		Return: "fib: out of cheese", Retcode: 1})
	if err := store.SetStates(ctx, jid, map[string]jobstore.MinionState{
		"web1": jobstore.StateTimedOut, // its return is on its way: stays returned
		"web3": jobstore.StateTimedOut,
	}); err != nil {
		fmt.Println(err)
		return
	}

	if err := batcher.Flush(ctx); err != nil {
		fmt.Println(err)
		return
	}
	rec, err := store.GetJob(ctx, jid)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rec.Results {
		if r.Return != nil {
			fmt.Printf("%s: %s retcode=%d %v\n", r.ID, r.State, r.Return.Retcode, r.Return.Return)
		} else {
			fmt.Printf("%s: %s\n", r.ID, r.State)
		}
	}
	// Output:
	// web1: returned retcode=0 [0 1 1 2 3 5 8]
	// web2: returned retcode=1 fib: out of cheese
	// web3: timed-out
}
