// Package logging builds a daemon's logger from its config: a level, a
// level per subsystem (Salt's log_granular_levels), text or JSON lines
// (for ELK and Loki shippers), to standard error or a file that SIGHUP
// reopens (for logrotate).
package logging

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/hashicorp/go-hclog"
)

// Config is the logging part of a daemon's configuration.
type Config struct {
	// Name is the root logger's name ("master", "minion").
	Name string
	// Level is the default level: trace, debug, info, warn(ing), error, off.
	Level string
	// Format is text (default) or json.
	Format string
	// File, when set, is appended to instead of writing to standard error.
	File string
	// Granular sets the level of a subsystem and everything under it, by
	// the name its lines show ("master.returns") or without the root
	// name ("returns").
	Granular map[string]string
}

// Levels are the names a level may be given by.
var Levels = map[string]bool{"trace": true, "debug": true, "info": true, "warn": true, "warning": true, "error": true, "off": true}

// Formats are the log_format values.
var Formats = map[string]bool{"": true, "text": true, "json": true}

// Log is a daemon's logger and its output.
type Log struct {
	hclog.Logger
	file *reopener // nil when logging to standard error
}

// New builds the logger; stderr is where it writes without a file.
func New(c Config, stderr io.Writer) (*Log, error) {
	if !Levels[c.Level] && c.Level != "" {
		return nil, fmt.Errorf("log_level: unknown level %q", c.Level)
	}
	if !Formats[c.Format] {
		return nil, fmt.Errorf("log_format: %q is not text or json", c.Format)
	}
	l := &Log{}
	out := stderr
	if c.File != "" {
		r, err := openReopener(c.File)
		if err != nil {
			return nil, err
		}
		l.file, out = r, r
	}
	granular := map[string]hclog.Level{}
	for name, lv := range c.Granular {
		if !Levels[lv] {
			return nil, fmt.Errorf("log_granular_levels.%s: unknown level %q", name, lv)
		}
		if !strings.HasPrefix(name, c.Name+".") && name != c.Name {
			name = c.Name + "." + name
		}
		granular[name] = level(lv)
	}
	base := hclog.New(&hclog.LoggerOptions{
		Name:   c.Name,
		Level:  level(c.Level),
		Output: out,
		// Each subsystem keeps its own level: set when it is named.
		IndependentLevels: len(granular) > 0,
		JSONFormat:        c.Format == "json",
	})
	if len(granular) == 0 {
		l.Logger = base
		return l, nil
	}
	l.Logger = subsystems{Logger: base, levels: granular}.apply(base)
	return l, nil
}

func level(s string) hclog.Level {
	if s == "warning" {
		s = "warn"
	}
	if s == "" {
		return hclog.Info
	}
	return hclog.LevelFromString(s)
}

// Reopen closes and reopens the log file (after logrotate moved it).
func (l *Log) Reopen() error {
	if l.file == nil {
		return nil
	}
	return l.file.reopen()
}

// Close closes the log file, if any.
func (l *Log) Close() error {
	if l.file == nil {
		return nil
	}
	return l.file.close()
}

// ReopenOnHangup reopens the log file on every SIGHUP until ctx ends. It
// also keeps SIGHUP from killing a daemon that logs to standard error.
func (l *Log) ReopenOnHangup(ctx context.Context) (stopped <-chan struct{}) {
	done := make(chan struct{})
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go func() {
		defer close(done)
		defer signal.Stop(hup)
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := l.Reopen(); err != nil {
					l.Error("reopen the log file", "error", err)
				} else if l.file != nil {
					l.Info("log file reopened", "path", l.file.path)
				}
			}
		}
	}()
	return done
}

// subsystems gives each named logger the level configured for it or
// the nearest subsystem above it.
type subsystems struct {
	hclog.Logger
	levels map[string]hclog.Level
}

func (s subsystems) apply(l hclog.Logger) hclog.Logger {
	name := l.Name()
	for n := name; n != ""; {
		if lv, ok := s.levels[n]; ok {
			l.SetLevel(lv)
			break
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
	return subsystems{Logger: l, levels: s.levels}
}

func (s subsystems) Named(name string) hclog.Logger {
	return s.apply(s.Logger.Named(name))
}

func (s subsystems) ResetNamed(name string) hclog.Logger {
	return s.apply(s.Logger.ResetNamed(name))
}

func (s subsystems) With(args ...any) hclog.Logger {
	return subsystems{Logger: s.Logger.With(args...), levels: s.levels}
}

// reopener is a log file that can be reopened under the same path.
type reopener struct {
	path string
	mu   sync.Mutex
	f    *os.File
}

func openReopener(path string) (*reopener, error) {
	r := &reopener{path: path}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("log_file: %w", err)
	}
	f, err := openLog(path)
	if err != nil {
		return nil, err
	}
	r.f = f
	return r, nil
}

func openLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("log_file: %w", err)
	}
	return f, nil
}

func (r *reopener) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return 0, os.ErrClosed
	}
	return r.f.Write(p)
}

func (r *reopener) reopen() error {
	f, err := openLog(r.path)
	if err != nil {
		return err // keep writing to the old file: better than nowhere
	}
	r.mu.Lock()
	old := r.f
	r.f = f
	r.mu.Unlock()
	if old != nil {
		return old.Close()
	}
	return nil
}

func (r *reopener) close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.f == nil {
		return nil
	}
	err := r.f.Close()
	r.f = nil
	return err
}
