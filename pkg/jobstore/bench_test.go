package jobstore

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchReturn is a typical small return: about 200 bytes of JSON once
// stored (cmd.run output with its metadata).
func benchReturn(jid string, i int) Return {
	return Return{
		JID: jid, ID: fmt.Sprintf("minion-%05d.example.net", i), Fun: "cmd.run",
		Return: map[string]any{
			"stdout":  strings.Repeat("x", 150),
			"stderr":  "",
			"pid":     12345 + i,
			"retcode": 0,
		},
		Success: true, Received: time.Now(), Duration: 3 * time.Millisecond,
	}
}

// BenchmarkAddReturns writes batches of 1,000 returns (a job's answers
// from 1,000 minions), each batch for its own job, into each store: the
// embedded SQLite and PostgreSQL (a local server with fsync off, see
// internal/pgtest; a production server's commit costs one fsync per
// batch on top). Target: at least 20,000 returns/s.
func BenchmarkAddReturns(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		s, _ := openStore(b)
		benchAddReturns(b, s)
	})
	b.Run("postgres", func(b *testing.B) { benchAddReturns(b, openPostgres(b)) })
}

func benchAddReturns(b *testing.B, s Store) {
	ctx := context.Background()
	const batch = 1000
	rs := make([]Return, batch)
	v, err := encodeValue(benchReturn("j", 0).Return)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(batch * len(v))) // return values only
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		jid := fmt.Sprintf("%020d", n)
		for i := range rs {
			rs[i] = benchReturn(jid, i)
		}
		if err := s.AddReturns(ctx, rs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "returns/s")
}

// BenchmarkBatcher feeds returns through a Batcher from 8 goroutines (the
// request handlers) and flushes at the end; one op is one return.
func BenchmarkBatcher(b *testing.B) {
	s, _ := openStore(b)
	bt := NewBatcher(s, 500, 10*time.Millisecond, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); bt.Run(ctx) }()
	defer func() { cancel(); <-done }()

	const workers = 8
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			jid := fmt.Sprintf("%020d", w)
			for i := w; i < b.N; i += workers {
				if err := bt.Add(benchReturn(jid, i)); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := bt.Flush(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "returns/s")
}
