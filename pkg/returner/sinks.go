package returner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/halite/halite/pkg/config"
)

// New builds the sink a Config describes.
func New(c config.Returner) (Sink, error) {
	switch c.Type {
	case "jsonl":
		if c.Path == "" {
			return nil, errors.New("jsonl returner: no path")
		}
		return &jsonlSink{name: orDefault(c.Name, "jsonl:"+c.Path), path: c.Path,
			maxBytes: orDefault(c.MaxBytes, 100<<20), maxFiles: orDefault(c.MaxFiles, 5)}, nil
	case "elasticsearch":
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("elasticsearch returner: url %q is not an http(s) URL", c.URL)
		}
		return &esSink{name: orDefault(c.Name, "elasticsearch:"+strings.TrimSuffix(c.URL, "/")), url: strings.TrimSuffix(c.URL, "/") + "/_bulk",
			index: orDefault(c.Index, "halite-%Y.%m.%d"), user: c.Username, pass: c.Password,
			hc: &http.Client{Timeout: 30 * time.Second}}, nil
	case "syslog":
		network, addr := "", ""
		if c.Address != "" {
			u, err := url.Parse(c.Address)
			if err != nil || (u.Scheme != "udp" && u.Scheme != "tcp") || u.Host == "" {
				return nil, fmt.Errorf("syslog returner: address %q: want udp://host:port or tcp://host:port", c.Address)
			}
			network, addr = u.Scheme, u.Host
		}
		return &syslogSink{name: orDefault(c.Name, "syslog:"+orDefault(c.Address, "local")), network: network, addr: addr, tag: orDefault(c.Tag, "halite")}, nil
	}
	return nil, fmt.Errorf("unknown returner type %q (want jsonl, elasticsearch or syslog)", c.Type)
}

func orDefault[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

// jsonlSink appends one JSON object per line to a file, rotating it past
// maxBytes (path.1 is the newest rotated file). Each batch is synced
// before Send returns; a resend after a crash between write and cursor
// repeats lines, never loses them.
type jsonlSink struct {
	name     string
	path     string
	maxBytes int64
	maxFiles int

	f    *os.File
	size int64
}

func (s *jsonlSink) Name() string { return s.name }

func (s *jsonlSink) Send(_ context.Context, recs []Record) error {
	if s.f == nil {
		if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
			return err
		}
		f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return err
		}
		s.f, s.size = f, st.Size()
	}
	w := bufio.NewWriter(s.f)
	for _, r := range recs {
		b := append(r.JSON(), '\n')
		if _, err := w.Write(b); err != nil {
			return s.fail(err)
		}
		s.size += int64(len(b))
	}
	if err := w.Flush(); err != nil {
		return s.fail(err)
	}
	if err := s.f.Sync(); err != nil {
		return s.fail(err)
	}
	if s.size >= s.maxBytes {
		return s.rotate()
	}
	return nil
}

// fail closes the file so the next Send reopens it.
func (s *jsonlSink) fail(err error) error {
	s.f.Close()
	s.f = nil
	return err
}

func (s *jsonlSink) rotate() error {
	s.f.Close()
	s.f = nil
	for i := s.maxFiles - 1; i >= 1; i-- {
		_ = os.Rename(s.path+"."+strconv.Itoa(i), s.path+"."+strconv.Itoa(i+1))
	}
	_ = os.Remove(s.path + "." + strconv.Itoa(s.maxFiles+1))
	return os.Rename(s.path, s.path+".1")
}

func (s *jsonlSink) Close() error {
	if s.f != nil {
		return s.f.Close()
	}
	return nil
}

// esSink posts batches to Elasticsearch's _bulk API as `create` actions
// with the record's id as _id, so a batch sent again after a timeout is
// answered "already exists" (409) for what arrived the first time, which
// counts as delivered.
type esSink struct {
	name, url, index, user, pass string
	hc                           *http.Client
}

func (s *esSink) Name() string { return s.name }

// indexFor expands %Y %m %d with the record's UTC date.
func (s *esSink) indexFor(t time.Time) string {
	t = t.UTC()
	return strings.NewReplacer("%Y", t.Format("2006"), "%m", t.Format("01"), "%d", t.Format("02")).Replace(s.index)
}

func (s *esSink) Send(ctx context.Context, recs []Record) error {
	var body bytes.Buffer
	for _, r := range recs {
		action, _ := json.Marshal(map[string]any{"create": map[string]any{"_index": s.indexFor(r.Time), "_id": r.ID}})
		body.Write(action)
		body.WriteByte('\n')
		body.Write(r.JSON())
		body.WriteByte('\n')
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	if s.user != "" {
		req.SetBasicAuth(s.user, s.pass)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("elasticsearch _bulk: %s: %s", resp.Status, truncate(string(b), 300))
	}
	var answer struct {
		Errors bool `json:"errors"`
		Items  []map[string]struct {
			Status int             `json:"status"`
			Error  json.RawMessage `json:"error"`
		} `json:"items"`
	}
	if err := json.Unmarshal(b, &answer); err != nil {
		return fmt.Errorf("elasticsearch _bulk: unreadable answer: %w", err)
	}
	if !answer.Errors {
		return nil
	}
	rejected, first := 0, ""
	for _, item := range answer.Items {
		for _, res := range item {
			switch {
			case res.Status < 300, res.Status == http.StatusConflict:
				// created, or created by an earlier attempt
			case res.Status == http.StatusTooManyRequests || res.Status >= 500:
				return fmt.Errorf("elasticsearch _bulk: item status %d: %s", res.Status, truncate(string(res.Error), 300))
			default:
				rejected++
				if first == "" {
					first = truncate(string(res.Error), 300)
				}
			}
		}
	}
	if rejected > 0 {
		return &RejectedError{N: rejected, First: first}
	}
	return nil
}

func (s *esSink) Close() error { s.hc.CloseIdleConnections(); return nil }

// syslogSink writes each record as one line of JSON at info level (a
// failed return at err level). Records above maxSyslogBytes are cut with
// a note: syslog relays truncate long messages anyway.
type syslogSink struct {
	name, network, addr, tag string

	mu sync.Mutex
	w  *syslog.Writer
}

const maxSyslogBytes = 8 << 10

func (s *syslogSink) Name() string { return s.name }

func (s *syslogSink) Send(_ context.Context, recs []Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		w, err := syslog.Dial(s.network, s.addr, syslog.LOG_INFO|syslog.LOG_DAEMON, s.tag)
		if err != nil {
			return err
		}
		s.w = w
	}
	for _, r := range recs {
		line := string(r.JSON())
		if len(line) > maxSyslogBytes {
			line = line[:maxSyslogBytes] + " …(truncated)"
		}
		var err error
		if ok, _ := r.Doc["success"].(bool); r.Kind == "return" && !ok {
			err = s.w.Err(line)
		} else {
			err = s.w.Info(line)
		}
		if err != nil {
			s.w.Close()
			s.w = nil
			return err
		}
	}
	return nil
}

func (s *syslogSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w != nil {
		return s.w.Close()
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
