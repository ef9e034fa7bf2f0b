package minion

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	"golang.org/x/sys/unix"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/config"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/modules"
	binval "github.com/halite/halite/pkg/value"
	"github.com/halite/halite/pkg/wire"
)

// `halite-minion call` without --local runs a function as salt-call does:
// with the master's pillar and file server, its return recorded on the
// master as a job. When the daemon runs it does the work, asked over a
// Unix socket in cache_dir (it holds the session, the pillar and the file
// cache); otherwise the caller opens its own authenticated channel with
// the minion's key, as `exec` does to deliver a report.

// CallSocket is where a serving minion answers `halite-minion call`.
func CallSocket(cfg config.Minion) string { return filepath.Join(cfg.CacheDir, "minion.sock") }

// Limits on the call socket's frames: a request is a function name and
// its arguments; a reply is a return, already bounded by maxReturnBytes.
const (
	maxCallRequest = 1 << 20
	maxCallReply   = 2 * maxReturnBytes
)

// callConnectWait bounds how long a call waits for the master to
// authenticate the minion before it gives up.
const callConnectWait = 15 * time.Second

// CallRequest is one `halite-minion call`.
type CallRequest struct {
	Fun    string         `cbor:"1,keyasint"`
	Args   []any          `cbor:"2,keyasint,omitempty"`
	Kwargs map[string]any `cbor:"3,keyasint,omitempty"`
	// NoReturn: do not record the call on the master (--no-return).
	NoReturn bool `cbor:"4,keyasint,omitempty"`
}

// CallReply is the function's result, or Error when it could not run.
type CallReply struct {
	Return  any    `cbor:"1,keyasint"`
	Retcode int    `cbor:"2,keyasint"`
	Success bool   `cbor:"3,keyasint"`
	Error   string `cbor:"4,keyasint,omitempty"`
	// Pending: the master has not acknowledged the return yet; it waits
	// in the spool for the daemon or the next call to deliver.
	Pending bool `cbor:"5,keyasint,omitempty"`
}

// ErrNotConnected: the minion could not reach or authenticate with its
// master in time.
var ErrNotConnected = errors.New("the master was not reached")

// Call runs req through the master: by the daemon when one runs with
// this cache_dir, else on a channel of its own (holding the daemon's lock
// meanwhile, so one process at a time speaks as this minion).
func Call(ctx context.Context, cfg config.Minion, log hclog.Logger, req CallRequest) (CallReply, error) {
	unlock, err := Lock(cfg)
	if errors.Is(err, ErrDaemonRunning) {
		return callDaemon(ctx, cfg, req)
	}
	if err != nil {
		return CallReply{}, err
	}
	defer unlock()
	return callDirect(ctx, cfg, log, req)
}

// callDirect connects as this minion, runs the call and waits (briefly)
// for the master to store its return; an unacknowledged return stays in
// the spool for the daemon or the next call.
func callDirect(ctx context.Context, cfg config.Minion, log hclog.Logger, req CallRequest) (CallReply, error) {
	m, err := New(ctx, cfg, log, Options{})
	if err != nil {
		return CallReply{}, err
	}
	m.deliverOnly = true
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); m.runLinks(ctx, false) }()
	defer func() {
		cancel()
		wg.Wait()
		m.bg.Wait()
		if err := m.spool.persistAll(); err != nil {
			log.Error("spool the call's return", "error", err)
		}
	}()
	if err := m.awaitMaster(ctx); err != nil {
		return CallReply{}, err
	}
	reply := m.runCall(ctx, req, os.Getuid())
	if !req.NoReturn {
		reply.Pending = !m.awaitSpoolEmpty(ctx, 5*time.Second)
	}
	return reply, nil
}

// awaitMaster waits until the minion holds a session, or says why not.
func (m *Minion) awaitMaster(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, callConnectWait)
	defer cancel()
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-m.Authenticated():
			return nil
		case <-ctx.Done():
			return fmt.Errorf("%w at %s within %v (use --local to run without a master)", ErrNotConnected, m.masterAddrs(), callConnectWait)
		case <-t.C:
			switch st := crypto.AuthStatus(m.KeyState()); st {
			case crypto.StatusPending, crypto.StatusRejected, crypto.StatusDenied:
				return fmt.Errorf("%w: this minion's key is %s on the master (fingerprint %s)", ErrNotConnected, st, m.key.Public().Fingerprint())
			}
		}
	}
}

// awaitSpoolEmpty waits up to d for every return to be acknowledged.
func (m *Minion) awaitSpoolEmpty(ctx context.Context, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for len(m.spool.pending()) > 0 {
		if time.Now().After(deadline) || !waitOrDone(ctx, 20*time.Millisecond) {
			return false
		}
	}
	return true
}

// runCall runs a call with the master's current pillar and files and,
// unless told not to, reports it to the master under the caller's name.
func (m *Minion) runCall(ctx context.Context, req CallRequest, uid int) CallReply {
	// salt-call compiles the pillar for every run; a failure is kept in
	// the pillar state, where the functions that read pillar report it.
	if m.env.CurrentPillar != nil {
		_, _ = m.env.CurrentPillar(ctx)
	}
	env := *m.env
	env.Opts = m.cfg.OptsAs("salt-call")
	started := time.Now()
	res := modules.Run(ctx, &env, req.Fun, req.Args, req.Kwargs)
	if !req.NoReturn {
		m.report(wire.Source{Kind: wire.SourceCall, Name: callerName(uid)}, req.Fun, res, started)
	}
	return CallReply{Return: res.Return, Retcode: res.Retcode, Success: res.Success}
}

// callerName is the Unix user a call is recorded under on the master.
func callerName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && wire.CheckSourceName(u.Username) == nil {
		return u.Username
	}
	return "uid-" + strconv.Itoa(uid)
}

// serveCalls answers calls on the Unix socket until ctx ends. The socket
// is the daemon's user's alone (0600 in a 0700 cache_dir), and a peer
// whose uid is neither that user's nor root's is refused as well.
func (m *Minion) serveCalls(ctx context.Context, path string) (stopped <-chan struct{}, err error) {
	_ = os.Remove(path) // a stale socket: the cache lock says no daemon owns it
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("call socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("call socket: %w", err)
	}
	done := make(chan struct{})
	var conns sync.WaitGroup
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()
	go func() {
		defer close(done)
		defer conns.Wait()
		defer os.Remove(path)
		for {
			c, err := ln.AcceptUnix()
			if err != nil {
				if ctx.Err() == nil {
					m.log.Named("call").Error("call socket failed", "error", err)
				}
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				m.answerCall(ctx, c)
			}()
		}
	}()
	return done, nil
}

// answerCall reads one request, runs it and writes the reply. A caller
// that goes away (Ctrl-C) cancels its function.
func (m *Minion) answerCall(ctx context.Context, c *net.UnixConn) {
	defer c.Close()
	log := m.log.Named("call")
	uid, err := peerUID(c)
	if err != nil || (uid != os.Getuid() && uid != 0) {
		log.Warn("refused a call from another user", "uid", uid, "error", err)
		_ = writeFrame(c, CallReply{Error: "permission denied: the call socket is the minion's user's"})
		return
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	var req CallRequest
	if err := readFrame(c, maxCallRequest, &req); err != nil {
		_ = writeFrame(c, CallReply{Error: "bad call request: " + err.Error()})
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		// The caller sends nothing more: a read returns only when it hangs up.
		_, _ = c.Read(make([]byte, 1))
		cancel()
	}()
	m.jobWG.Add(1)
	defer m.jobWG.Done()
	if err := m.awaitMaster(ctx); err != nil {
		_ = writeFrame(c, CallReply{Error: err.Error()})
		return
	}
	log.Debug("call", "fun", req.Fun, "uid", uid)
	_ = writeFrame(c, m.runCall(ctx, req, uid))
}

func peerUID(c *net.UnixConn) (int, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	var (
		cred *unix.Ucred
		cerr error
	)
	if err := raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil {
		return -1, err
	}
	if cerr != nil {
		return -1, cerr
	}
	return int(cred.Uid), nil
}

// callDaemon asks the running daemon to run req.
func callDaemon(ctx context.Context, cfg config.Minion, req CallRequest) (CallReply, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", CallSocket(cfg))
	if err != nil {
		return CallReply{}, fmt.Errorf("a minion daemon runs with this cache_dir but its call socket cannot be reached: %w", err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	if err := writeFrame(c, req); err != nil {
		return CallReply{}, fmt.Errorf("call the minion daemon: %w", err)
	}
	var reply CallReply
	if err := readFrame(c, maxCallReply, &reply); err != nil {
		if ctx.Err() != nil {
			return CallReply{}, ctx.Err()
		}
		return CallReply{}, fmt.Errorf("call the minion daemon: %w", err)
	}
	if reply.Error != "" {
		return reply, errors.New(reply.Error)
	}
	reply.Return = binval.Restore(reply.Return)
	return reply, nil
}

// writeFrame writes v as CBOR behind its 4-byte big-endian length.
func writeFrame(w io.Writer, v any) error {
	b, err := codec.Marshal(v)
	if err != nil {
		return err
	}
	frame := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(b)), uint32(len(b)))
	_, err = w.Write(append(frame, b...))
	return err
}

// readFrame reads one frame of at most limit bytes into v.
func readFrame(r io.Reader, limit int, v any) error {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return err
	}
	size := binary.BigEndian.Uint32(n[:])
	if int64(size) > int64(limit) {
		return fmt.Errorf("frame of %d bytes exceeds the %d-byte limit", size, limit)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	return codec.Unmarshal(b, v)
}
