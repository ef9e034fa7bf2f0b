package master

import (
	"errors"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/fileserver"
	"github.com/halite/halite/pkg/wire"
)

// reply answers a minion's request; err, when set, is sent as its text.
func (s *session) reply(reqID uint64, body any, err error) error {
	r := wire.Reply{ReqID: reqID}
	if err != nil {
		r.Error = err.Error()
		r.NotFound = errors.Is(err, fileserver.ErrNotFound)
	} else {
		b, merr := codec.Marshal(body)
		if merr != nil {
			r.Error = "encode reply: " + merr.Error()
		} else {
			r.Body = b
		}
	}
	return s.send(wire.TypeReply, r)
}

func fileInfo(f fileserver.File) wire.FileInfo {
	return wire.FileInfo{Path: f.Path, Hash: f.Hash, Size: f.Size, Mode: uint32(f.Mode)}
}

func (m *Master) handleFileList(s *session, msg wire.Message) error {
	var req wire.FileListRequest
	if err := msg.DecodeBody(&req); err != nil {
		return err
	}
	files, err := m.filesAt(req.Rev).List(orDefault(req.Saltenv, "base"), req.Prefix)
	if err != nil {
		m.refusedPath(s, req.Prefix, err)
		return s.reply(req.ReqID, nil, err)
	}
	out := wire.FileList{Files: make([]wire.FileInfo, 0, len(files))}
	for _, f := range files {
		out.Files = append(out.Files, fileInfo(f))
	}
	return s.reply(req.ReqID, out, nil)
}

func (m *Master) handleFileGet(s *session, msg wire.Message) error {
	var req wire.FileGetRequest
	if err := msg.DecodeBody(&req); err != nil {
		return err
	}
	env := orDefault(req.Saltenv, "base")
	files := m.filesAt(req.Rev)
	if req.Hash != "" {
		f, err := files.Stat(env, req.Path)
		if err == nil && f.Hash == req.Hash {
			return s.reply(req.ReqID, wire.FileData{File: fileInfo(f), Unchanged: true}, nil)
		}
	}
	f, data, err := files.Read(env, req.Path)
	if err != nil {
		m.refusedPath(s, req.Path, err)
		return s.reply(req.ReqID, nil, err)
	}
	return s.reply(req.ReqID, wire.FileData{File: fileInfo(f), Data: data}, nil)
}

// refusedPath logs file requests that tried to leave the file roots.
func (m *Master) refusedPath(s *session, p string, err error) {
	if errors.Is(err, fileserver.ErrUnsafePath) {
		m.log.Named("fileserver").Warn("refused file request outside file_roots", "id", s.id, "path", truncate(p, 200), "error", err)
		m.events.Publish("halite/fileserver/refused", map[string]any{"id": s.id, "path": truncate(p, 200)})
	}
}
