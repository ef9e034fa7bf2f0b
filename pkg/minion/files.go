package minion

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/halite/halite/pkg/fileserver"
	"github.com/halite/halite/pkg/modules"
	"github.com/halite/halite/pkg/state"
	"github.com/halite/halite/pkg/template"
	"github.com/halite/halite/pkg/wire"
)

// fileClient fetches salt:// files from the master into cache_dir/files,
// by hash: a file whose cached copy is current is not sent again.
type fileClient struct {
	m   *Minion
	dir string
}

func (f *fileClient) local(saltenv, rel string) string {
	return filepath.Join(f.dir, filepath.Base(saltenv), filepath.FromSlash(rel))
}

// CacheFile implements modules.FileClient.
func (f *fileClient) CacheFile(ctx context.Context, url, saltenv string) (string, error) {
	if saltenv == "" {
		saltenv = "base"
	}
	rel, err := fileserver.Clean(url)
	if err != nil {
		return "", err
	}
	rev := revOf(ctx)
	local := f.local(saltenv, rel)
	if rev != "" {
		// A revision's files are cached apart: a run of the current tree
		// beside it must not swap them under it.
		sum := sha256.Sum256([]byte(rev))
		local = f.local(saltenv+"@"+hex.EncodeToString(sum[:8]), rel)
	}
	have := ""
	if data, err := os.ReadFile(local); err == nil {
		have = fileserver.HashBytes(data)
	}
	var fd wire.FileData
	err = f.m.request(ctx, wire.TypeFileGet, func(id uint64) any {
		return wire.FileGetRequest{ReqID: id, Saltenv: saltenv, Path: rel, Hash: have, Rev: rev}
	}, &fd)
	if err != nil {
		return "", fmt.Errorf("fetch salt://%s: %w", rel, err)
	}
	if fd.Unchanged {
		return local, nil
	}
	if got := fileserver.HashBytes(fd.Data); got != fd.File.Hash {
		return "", fmt.Errorf("fetch salt://%s: hash mismatch", rel)
	}
	if err := os.MkdirAll(filepath.Dir(local), 0o700); err != nil {
		return "", err
	}
	tmp := local + ".tmp"
	if err := os.WriteFile(tmp, fd.Data, 0o600); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, local); err != nil {
		return "", err
	}
	return local, nil
}

// ListFiles implements modules.FileClient.
func (f *fileClient) ListFiles(ctx context.Context, prefix, saltenv string) ([]string, error) {
	if saltenv == "" {
		saltenv = "base"
	}
	var fl wire.FileList
	err := f.m.request(ctx, wire.TypeFileList, func(id uint64) any {
		return wire.FileListRequest{ReqID: id, Saltenv: saltenv, Prefix: prefix, Rev: revOf(ctx)}
	}, &fl)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(fl.Files))
	for _, fi := range fl.Files {
		out = append(out, fi.Path)
	}
	return out, nil
}

// read fetches and reads a file; a missing file is fs.ErrNotExist.
func (f *fileClient) read(ctx context.Context, saltenv, rel string) ([]byte, error) {
	p, err := f.CacheFile(ctx, rel, saltenv)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("salt://%s: %w", rel, fs.ErrNotExist)
	}
	if err != nil {
		return nil, err
	}
	return os.ReadFile(p)
}

// remoteStates serves state runs from the master's file server.
type remoteStates struct {
	state.Source
	template.Loader
}

// remoteLoader loads templates (imports, includes) from the master.
func remoteLoader(files *fileClient) template.Loader {
	return template.ReadLoader(func(ctx context.Context, clean string) ([]byte, error) {
		return files.read(ctx, "base", clean)
	})
}

// LocalFileClient serves salt:// from the minion's own file_roots, for
// masterless runs (`halite-minion call --local`), with the same strict
// path rules as the master's file server.
func LocalFileClient(roots map[string][]string) modules.FileClient {
	return localFiles{srv: fileserver.New(roots)}
}

type localFiles struct{ srv *fileserver.Server }

func (l localFiles) CacheFile(_ context.Context, url, saltenv string) (string, error) {
	if saltenv == "" {
		saltenv = "base"
	}
	abs, fi, err := l.srv.Resolve(saltenv, url)
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		return "", fmt.Errorf("%s is a directory", url)
	}
	return abs, nil
}

func (l localFiles) ListFiles(_ context.Context, prefix, saltenv string) ([]string, error) {
	if saltenv == "" {
		saltenv = "base"
	}
	files, err := l.srv.List(saltenv, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(files))
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out, nil
}

type revKey struct{}

// withRev makes the files a job reads come from git revision rev (a
// state run with rev=, from apply --rev).
func withRev(ctx context.Context, rev string) context.Context {
	return context.WithValue(ctx, revKey{}, rev)
}

func revOf(ctx context.Context) string {
	rev, _ := ctx.Value(revKey{}).(string)
	return rev
}
