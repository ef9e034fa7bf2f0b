// Package fileserver serves the master's file_roots to minions: SLS files,
// templates and file.managed sources, addressed as salt://path (or
// halite://path). Paths resolve strictly inside the roots: "..", absolute
// paths, NUL bytes and symlinks that lead out of a root are refused
// (CVE-2020-11652 was exactly this in Salt).
package fileserver

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/halite/halite/pkg/template"
)

// Errors callers branch on.
var (
	ErrNotFound   = fmt.Errorf("file not found in file_roots: %w", fs.ErrNotExist)
	ErrUnsafePath = template.ErrUnsafePath
	ErrTooLarge   = errors.New("file too large to serve")
	ErrNoSaltenv  = errors.New("unknown saltenv")
)

// MaxFileSize is the largest file served in one message.
const MaxFileSize = 8 << 20

// File describes one served file.
type File struct {
	Path string // slash-separated, relative to its root
	Hash string // "sha256:<hex>"
	Size int64
	Mode fs.FileMode // permission bits
}

// Server resolves and reads files from file_roots. Safe for concurrent use.
type Server struct {
	roots map[string][]string

	mu     sync.Mutex
	hashes map[string]hashEntry // abs path → hash, valid while size and mtime match
}

type hashEntry struct {
	size  int64
	mtime time.Time
	hash  string
}

// New returns a server for roots (saltenv → directories, first match wins).
func New(roots map[string][]string) *Server {
	return &Server{roots: roots, hashes: map[string]hashEntry{}}
}

// Clean validates a requested path (with or without salt://) and returns its
// canonical relative form.
func Clean(p string) (string, error) { return template.CleanName(p) }

// Resolve finds rel in the saltenv's roots and returns the absolute path.
func (s *Server) Resolve(saltenv, rel string) (string, fs.FileInfo, error) {
	clean, err := Clean(rel)
	if err != nil {
		return "", nil, err
	}
	roots, ok := s.roots[saltenv]
	if !ok {
		return "", nil, fmt.Errorf("%w %q", ErrNoSaltenv, saltenv)
	}
	for _, root := range roots {
		cand := filepath.Join(root, filepath.FromSlash(clean))
		real, err := filepath.EvalSymlinks(cand)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("resolve %s: %w", clean, err)
		}
		realRoot, err := filepath.EvalSymlinks(root)
		if err != nil {
			return "", nil, fmt.Errorf("resolve root %s: %w", root, err)
		}
		if !within(realRoot, real) {
			return "", nil, fmt.Errorf("%s leads outside its file root: %w", clean, ErrUnsafePath)
		}
		fi, err := os.Stat(real)
		if err != nil {
			return "", nil, err
		}
		return real, fi, nil
	}
	return "", nil, fmt.Errorf("%s (saltenv %s): %w", clean, saltenv, ErrNotFound)
}

func within(root, p string) bool {
	if p == root {
		return true
	}
	return strings.HasPrefix(p, strings.TrimSuffix(root, string(filepath.Separator))+string(filepath.Separator))
}

// Stat returns the file's description (hash included).
func (s *Server) Stat(saltenv, rel string) (File, error) {
	abs, fi, err := s.Resolve(saltenv, rel)
	if err != nil {
		return File{}, err
	}
	if fi.IsDir() {
		return File{}, fmt.Errorf("%s is a directory: %w", rel, ErrNotFound)
	}
	h, err := s.hash(abs, fi)
	if err != nil {
		return File{}, err
	}
	clean, _ := Clean(rel)
	return File{Path: clean, Hash: h, Size: fi.Size(), Mode: fi.Mode().Perm()}, nil
}

// Read returns the file's description and contents.
func (s *Server) Read(saltenv, rel string) (File, []byte, error) {
	f, err := s.Stat(saltenv, rel)
	if err != nil {
		return File{}, nil, err
	}
	if f.Size > MaxFileSize {
		return File{}, nil, fmt.Errorf("%s is %d bytes: %w (max %d)", rel, f.Size, ErrTooLarge, MaxFileSize)
	}
	abs, _, err := s.Resolve(saltenv, rel)
	if err != nil {
		return File{}, nil, err
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return File{}, nil, err
	}
	// The file may have changed between Stat and ReadFile: describe what
	// is sent.
	sum := sha256.Sum256(data)
	f.Hash, f.Size = "sha256:"+hex.EncodeToString(sum[:]), int64(len(data))
	return f, data, nil
}

// List returns the files under prefix ("" for all) across the saltenv's
// roots; a path present in several roots is listed once, from the first.
func (s *Server) List(saltenv, prefix string) ([]File, error) {
	roots, ok := s.roots[saltenv]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrNoSaltenv, saltenv)
	}
	if prefix != "" {
		clean, err := Clean(prefix)
		if err != nil {
			return nil, err
		}
		prefix = clean
	}
	seen := map[string]bool{}
	var out []File
	for _, root := range roots {
		realRoot, err := filepath.EvalSymlinks(root)
		if err != nil {
			continue
		}
		err = filepath.WalkDir(realRoot, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // unreadable parts are skipped, not fatal
			}
			rel, _ := filepath.Rel(realRoot, p)
			rel = filepath.ToSlash(rel)
			if d.IsDir() {
				if rel != "." && prefix != "" && !strings.HasPrefix(prefix, rel+"/") && !strings.HasPrefix(rel, prefix) {
					return filepath.SkipDir
				}
				return nil
			}
			if prefix != "" && rel != prefix && !strings.HasPrefix(rel, strings.TrimSuffix(prefix, "/")+"/") {
				return nil
			}
			if seen[rel] {
				return nil
			}
			f, err := s.Stat(saltenv, rel)
			if err != nil {
				return nil // e.g. a symlink leading out: not listed
			}
			seen[rel] = true
			out = append(out, f)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func (s *Server) hash(abs string, fi fs.FileInfo) (string, error) {
	s.mu.Lock()
	e, ok := s.hashes[abs]
	s.mu.Unlock()
	if ok && e.size == fi.Size() && e.mtime.Equal(fi.ModTime()) {
		return e.hash, nil
	}
	f, err := os.Open(abs)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", abs, err)
	}
	sum := "sha256:" + hex.EncodeToString(h.Sum(nil))
	s.mu.Lock()
	s.hashes[abs] = hashEntry{size: fi.Size(), mtime: fi.ModTime(), hash: sum}
	s.mu.Unlock()
	return sum, nil
}

// Backend is one source of files: file_roots, or a git remote.
type Backend interface {
	Stat(saltenv, rel string) (File, error)
	Read(saltenv, rel string) (File, []byte, error)
	List(saltenv, prefix string) ([]File, error)
}

// Chain serves from several backends in order (fileserver_backend): the
// first that has a file serves it; a saltenv exists if any has it.
type Chain []Backend

// Stat describes rel from the first backend that has it.
func (c Chain) Stat(saltenv, rel string) (File, error) {
	var first error
	for _, b := range c {
		f, err := b.Stat(saltenv, rel)
		if err == nil {
			return f, nil
		}
		first = keep(first, err)
	}
	return File{}, orNotFound(first, saltenv, rel)
}

// Read reads rel from the first backend that has it.
func (c Chain) Read(saltenv, rel string) (File, []byte, error) {
	var first error
	for _, b := range c {
		f, data, err := b.Read(saltenv, rel)
		if err == nil {
			return f, data, nil
		}
		first = keep(first, err)
	}
	return File{}, nil, orNotFound(first, saltenv, rel)
}

// List merges the backends' files; a path is listed from the first.
func (c Chain) List(saltenv, prefix string) ([]File, error) {
	seen := map[string]bool{}
	var out []File
	var first error
	found := false
	for _, b := range c {
		files, err := b.List(saltenv, prefix)
		if err != nil {
			first = keep(first, err)
			continue
		}
		found = true
		for _, f := range files {
			if !seen[f.Path] {
				seen[f.Path] = true
				out = append(out, f)
			}
		}
	}
	if !found && first != nil {
		return nil, first
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// keep chooses the error to report: an unsafe path or a file too large
// says more than "not found" or "no such saltenv".
func keep(first, err error) error {
	switch {
	case first == nil:
		return err
	case errors.Is(err, ErrUnsafePath), errors.Is(err, ErrTooLarge):
		return err
	case errors.Is(first, ErrNoSaltenv) && errors.Is(err, ErrNotFound):
		return err
	}
	return first
}

func orNotFound(err error, saltenv, rel string) error {
	if err == nil {
		return fmt.Errorf("%s (saltenv %s): %w", rel, saltenv, ErrNotFound)
	}
	return err
}

// HashBytes is the hash form used on the wire for data.
func HashBytes(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}
