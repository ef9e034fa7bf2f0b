package returner

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/jobstore"
)

// Returns per second from the job store into an Elasticsearch-style
// _bulk endpoint on loopback (the endpoint only reads the body and
// answers success), and into a JSON-lines file.
func BenchmarkForwarder(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, `{"errors":false,"items":[]}`)
	}))
	defer srv.Close()
	for _, c := range []config.Returner{
		{Type: "elasticsearch", URL: srv.URL},
		{Type: "jsonl", Path: filepath.Join(b.TempDir(), "r.jsonl")},
	} {
		b.Run(c.Type, func(b *testing.B) {
			const n = 20000
			s, err := jobstore.OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "halite.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				sink, _ := New(c)
				f := NewForwarder(sink, s, false, NewMetrics(prometheus.NewRegistry()), hclog.NewNullLogger())
				name := sink.Name()
				last, _ := s.LastSeq(context.Background())
				_ = s.SetCursor(context.Background(), name, last)
				var rs []jobstore.Return
				jid := fmt.Sprintf("2026120200%010d", last)
				for i := range n {
					rs = append(rs, jobstore.Return{JID: jid, ID: fmt.Sprintf("m%05d", i), Fun: "cmd.run",
						Return: map[string]any{"stdout": "Linux 6.1.0-27-amd64", "retcode": 0}, Success: true})
				}
				if err := s.AddReturns(context.Background(), rs); err != nil {
					b.Fatal(err)
				}
				end, _ := s.LastSeq(context.Background())
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				b.StartTimer()
				began := time.Now()
				go func() { defer close(done); f.Run(ctx) }()
				for {
					cur, _, _ := s.Cursor(context.Background(), name)
					if cur >= end {
						break
					}
					time.Sleep(time.Millisecond)
				}
				total += time.Since(began)
				b.StopTimer()
				cancel()
				<-done
				b.StartTimer()
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "returns/s")
		})
	}
}
