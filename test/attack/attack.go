// Package attack plays the attacker against a running master on loopback:
// raw ZMTP crash packets, slow handshakes, auth floods and replays, and —
// with one accepted minion key — oversized, element-bomb, undecodable and
// unexpected returns. Everything it does is bounded in count and time.
//
// It dials from its own loopback address (127.0.0.2 by default), as a
// hostile host would, so the master's per-source limits apply to it and
// not to the honest minions on 127.0.0.1. The e2e suite runs it while an
// honest fleet keeps working; `go run ./tools/attack` runs it by hand.
package attack

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/transport"
	"github.com/halite/halite/pkg/wire"
)

// Config says whom to attack and how hard.
type Config struct {
	// RetAddr and PubAddr are the master's ports (host:port).
	RetAddr, PubAddr string
	// Source is the local address the attacks come from.
	Source string
	// Slowloris is how many idle connections to hold open.
	Slowloris int
	// AuthFlood is how many auth requests with new ids to send.
	AuthFlood int
	// CrashPackets is how many truncated-READY packets to send per port.
	CrashPackets int
	// Key and ID, when set, are an accepted minion's: the attacks that
	// need a session (replays, hostile returns) use them.
	Key *crypto.MinionPrivate
	ID  string
	// Returns is how many hostile returns of each kind to send.
	Returns int
	// JIDs are jobs the attacker was not targeted by, for unexpected
	// returns.
	JIDs []string
	// Hold is how long the slowloris connections stay open.
	Hold time.Duration
}

// Report counts what was sent and how the master answered.
type Report struct {
	CrashPackets      int
	SlowlorisOpened   int
	AuthRequests      int
	AuthAnswered      int
	ReplaysAnswered   int // a replayed auth request answered: must stay 0
	HostileReturns    int
	ReturnsAcked      int // hostile returns acknowledged as stored: must stay 0
	ReturnsRefused    int
	ConnectionsClosed int
}

func (r Report) String() string {
	return fmt.Sprintf("crash packets %d; slowloris %d connections; auth flood %d requests (%d answered); replays answered %d; hostile returns %d (acked as stored %d, refused %d, connection closed %d)",
		r.CrashPackets, r.SlowlorisOpened, r.AuthRequests, r.AuthAnswered, r.ReplaysAnswered, r.HostileReturns, r.ReturnsAcked, r.ReturnsRefused, r.ConnectionsClosed)
}

// Run runs every attack the config allows, concurrently, until done or
// ctx ends.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Source == "" {
		cfg.Source = "127.0.0.2"
	}
	var (
		rep  Report
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	add := func(f func(*Report) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r Report
			err := f(&r)
			mu.Lock()
			defer mu.Unlock()
			rep.add(r)
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(cfg.Source)}, Timeout: 5 * time.Second}
	add(func(r *Report) error { return crashPackets(ctx, d, cfg, r) })
	add(func(r *Report) error { return slowloris(ctx, d, cfg, r) })
	add(func(r *Report) error { return authFlood(ctx, d, cfg, r) })
	if cfg.Key != nil {
		add(func(r *Report) error { return replayAuth(ctx, d, cfg, r) })
		add(func(r *Report) error { return hostileReturns(ctx, d, cfg, r) })
	}
	wg.Wait()
	if len(errs) > 0 {
		return rep, errs[0]
	}
	return rep, nil
}

func (r *Report) add(o Report) {
	r.CrashPackets += o.CrashPackets
	r.SlowlorisOpened += o.SlowlorisOpened
	r.AuthRequests += o.AuthRequests
	r.AuthAnswered += o.AuthAnswered
	r.ReplaysAnswered += o.ReplaysAnswered
	r.HostileReturns += o.HostileReturns
	r.ReturnsAcked += o.ReturnsAcked
	r.ReturnsRefused += o.ReturnsRefused
	r.ConnectionsClosed += o.ConnectionsClosed
}

// greeting is a ZMTP 3.0 NULL greeting as a client.
func greeting() []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10] = 0xff, 0x7f, 3
	copy(g[12:32], "NULL")
	return g
}

func command(body []byte) []byte { return append([]byte{0x04, byte(len(body))}, body...) }

// crashPackets sends the 76-byte packet that killed masters at 2ad228d,
// and a READY without a socket type, to both ports.
func crashPackets(ctx context.Context, d *net.Dialer, cfg Config, r *Report) error {
	packets := [][]byte{
		append(greeting(), command([]byte("\x05READY\x03abc"))...),
		append(greeting(), command([]byte("\x05READY"))...),
	}
	for i := 0; i < cfg.CrashPackets && ctx.Err() == nil; i++ {
		for _, addr := range []string{cfg.RetAddr, cfg.PubAddr} {
			nc, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				continue // turned away: fine
			}
			_, _ = nc.Write(packets[i%len(packets)])
			_ = nc.SetReadDeadline(time.Now().Add(2 * time.Second))
			_, _ = io.Copy(io.Discard, nc)
			nc.Close()
			r.CrashPackets++
		}
	}
	return nil
}

// slowloris opens connections that never finish a handshake and holds
// them for cfg.Hold.
func slowloris(ctx context.Context, d *net.Dialer, cfg Config, r *Report) error {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < cfg.Slowloris && ctx.Err() == nil; i++ {
		nc, err := d.DialContext(ctx, "tcp", cfg.RetAddr)
		if err != nil {
			continue
		}
		_, _ = nc.Write(greeting()[:10]) // half a greeting, then nothing
		conns = append(conns, nc)
		r.SlowlorisOpened++
	}
	t := time.NewTimer(cfg.Hold)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}

// dial opens a ZMTP DEALER connection from the attacker's address,
// retrying for a while: the master turns away connections beyond the
// source's share, and the attacker's own slowloris takes that share.
func dial(ctx context.Context, d *net.Dialer, addr, id string) (*transport.Conn, error) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := transport.DialFrom(ctx, d, addr, zmq4.Dealer, id, transport.DefaultOptions())
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return c, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// recvWithin reads one message or gives up after wait.
func recvWithin(c *transport.Conn, wait time.Duration) ([][]byte, error) {
	_ = c.SetReadDeadline(time.Now().Add(wait))
	return c.Recv()
}

// authFlood sends auth requests for made-up ids, many per connection.
func authFlood(ctx context.Context, d *net.Dialer, cfg Config, r *Report) error {
	const perConn = 50
	for sent := 0; sent < cfg.AuthFlood && ctx.Err() == nil; {
		c, err := dial(ctx, d, cfg.RetAddr, "flood")
		if err != nil {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		for i := 0; i < perConn && sent < cfg.AuthFlood; i++ {
			key, err := crypto.GenerateMinionKey()
			if err != nil {
				c.Close()
				return err
			}
			req, _, err := crypto.NewAuthRequest(key, fmt.Sprintf("flood-%d", sent), time.Now())
			if err != nil {
				c.Close()
				return err
			}
			raw, _ := req.Marshal()
			sent++
			r.AuthRequests++
			if c.Send([]byte(wire.KindAuth), raw) != nil {
				break
			}
		}
		for {
			if _, err := recvWithin(c, 200*time.Millisecond); err != nil {
				break
			}
			r.AuthAnswered++
		}
		c.Close()
	}
	return nil
}

// session authenticates with the accepted key; it returns the connection,
// the request channel and the raw request (for replays).
func session(ctx context.Context, d *net.Dialer, cfg Config) (*transport.Conn, *crypto.Channel, []byte, error) {
	c, err := dial(ctx, d, cfg.RetAddr, cfg.ID)
	if err != nil {
		return nil, nil, nil, err
	}
	req, eph, err := crypto.NewAuthRequest(*cfg.Key, cfg.ID, time.Now())
	if err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	raw, _ := req.Marshal()
	if err := c.Send([]byte(wire.KindAuth), raw); err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	frames, err := recvWithin(c, 5*time.Second)
	if err != nil || len(frames) != 2 {
		c.Close()
		return nil, nil, nil, fmt.Errorf("attacker auth: no reply (%v)", err)
	}
	reply, err := crypto.UnmarshalAuthReply(frames[1])
	if err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	keys, err := reply.Open(req, eph, func(crypto.MasterPublic) error { return nil })
	if err != nil || keys == nil {
		c.Close()
		return nil, nil, nil, fmt.Errorf("attacker auth: %s (%v)", reply.Status, err)
	}
	_ = c.SetReadDeadline(time.Time{})
	return c, crypto.NewChannel(keys.Request, cfg.ID, crypto.ToMaster), raw, nil
}

// replayAuth replays a captured (here: its own) accepted auth request.
func replayAuth(ctx context.Context, d *net.Dialer, cfg Config, r *Report) error {
	c, _, raw, err := session(ctx, d, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	for range 20 {
		rc, err := dial(ctx, d, cfg.RetAddr, cfg.ID)
		if err != nil {
			continue
		}
		if rc.Send([]byte(wire.KindAuth), raw) == nil {
			if _, err := recvWithin(rc, 300*time.Millisecond); err == nil {
				r.ReplaysAnswered++
			}
		}
		rc.Close()
	}
	return nil
}

// hostileReturns sends, over an authenticated session, returns the master
// must refuse: for jobs the attacker was not targeted by, element bombs,
// oversized bodies and undecodable values.
func hostileReturns(ctx context.Context, d *net.Dialer, cfg Config, r *Report) error {
	bomb := elementBomb(100, 1<<17)
	var jid atomic.Int64
	for i := 0; i < cfg.Returns && ctx.Err() == nil; i++ {
		c, ch, _, err := session(ctx, d, cfg)
		if err != nil {
			return err
		}
		sendRaw := func(ret []byte) {
			body, _ := codec.Marshal(wire.Message{Type: wire.TypeReturn, Body: ret})
			r.HostileReturns++
			if c.Send([]byte(wire.KindSealed), ch.Seal(body)) != nil {
				r.ConnectionsClosed++
			}
		}
		target := fmt.Sprintf("2026120200000000%04d", jid.Add(1))
		if len(cfg.JIDs) > 0 {
			target = cfg.JIDs[i%len(cfg.JIDs)]
		}
		sendRaw(returnWithValue(target, []byte{0xf5}))                         // unexpected
		sendRaw(returnWithValue(target, bomb))                                 // 13 M items
		sendRaw(returnWithValue(target, append([]byte{0x63}, 'a', 0xff, 'b'))) // invalid UTF-8 text
		sendRaw(returnWithValue(target, bytes.Repeat([]byte{0x00}, 1)))        // fine value, unexpected
		for {
			frames, err := recvWithin(c, 2*time.Second)
			if err != nil {
				r.ConnectionsClosed++
				break
			}
			plain, err := ch.Open(frames[1])
			if err != nil {
				continue
			}
			msg, err := wire.Decode(plain)
			if err != nil || msg.Type != wire.TypeReturnAck {
				continue
			}
			var ack wire.ReturnAck
			if msg.DecodeBody(&ack) != nil {
				continue
			}
			if ack.Refused == "" {
				r.ReturnsAcked++
			} else {
				r.ReturnsRefused++
			}
		}
		c.Close()
	}
	return nil
}

// returnWithValue is a CBOR-encoded wire.Return for jid with value as the
// raw encoding of its Return field.
func returnWithValue(jid string, value []byte) []byte {
	b := []byte{0xa3, 0x01}
	b = append(b, textHead(len(jid))...)
	b = append(b, jid...)
	b = append(b, 0x02, 0x68)
	b = append(b, "test.fun"...)
	b = append(b, 0x03)
	return append(b, value...)
}

func textHead(n int) []byte {
	if n < 24 {
		return []byte{0x60 | byte(n)}
	}
	return []byte{0x78, byte(n)}
}

// elementBomb is an array of arrays of one-byte items.
func elementBomb(arrays, each int) []byte {
	head := func(n int) []byte { return binary.BigEndian.AppendUint32([]byte{0x9a}, uint32(n)) }
	b := head(arrays)
	inner := append(head(each), make([]byte, each)...)
	for range arrays {
		b = append(b, inner...)
	}
	return b
}
