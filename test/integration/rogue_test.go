package integration

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/crypto"
	"github.com/halite/halite/pkg/transport"
	"github.com/halite/halite/pkg/wire"
)

// rogueMinion speaks the wire protocol by hand with its own key, so tests
// can hold its session keys and send what a real minion never would.
type rogueMinion struct {
	t       testing.TB
	id      string
	key     crypto.MinionPrivate
	conn    *transport.Conn
	keys    *crypto.SessionKeys
	ch      *crypto.Channel
	status  crypto.AuthStatus
	req     *crypto.AuthRequest
	eph     *crypto.EphemeralPrivate
	keyring *crypto.Keyring
}

func newRogueMinion(t testing.TB, c *cluster, id string) *rogueMinion {
	t.Helper()
	key, err := crypto.GenerateMinionKey()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := transport.Dial(ctx, fmt.Sprintf("127.0.0.1:%d", c.ret), zmq4.Dealer, id, transport.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rogueMinion{t: t, id: id, key: key, conn: conn, keyring: crypto.NewKeyring(time.Minute)}
}

// auth sends an auth request and reads the reply.
func (r *rogueMinion) auth() crypto.AuthStatus {
	r.t.Helper()
	r.sendAuth(time.Now())
	return r.readAuthReply()
}

// sendAuth sends an auth request made at time at.
func (r *rogueMinion) sendAuth(at time.Time) {
	r.t.Helper()
	req, eph, err := crypto.NewAuthRequest(r.key, r.id, at)
	if err != nil {
		r.t.Fatal(err)
	}
	raw, _ := req.Marshal()
	if err := r.conn.Send([]byte(wire.KindAuth), raw); err != nil {
		r.t.Fatal(err)
	}
	r.req, r.eph = req, eph
}

// acceptedRogue is a rogue minion whose key the operator accepted.
func acceptedRogue(t testing.TB, c *cluster, id string) *rogueMinion {
	t.Helper()
	r := newRogueMinion(t, c, id)
	if st := r.auth(); st != crypto.StatusPending {
		t.Fatalf("%s: auth %v, want pending", id, st)
	}
	if _, err := c.client.KeyAction(context.Background(), "accept", id, false); err != nil {
		t.Fatal(err)
	}
	if st := r.readAuthReply(); st != crypto.StatusAccepted {
		t.Fatalf("%s: after accept %v", id, st)
	}
	return r
}

func (r *rogueMinion) readAuthReply() crypto.AuthStatus {
	r.t.Helper()
	frames := r.recv(5 * time.Second)
	if frames == nil {
		r.t.Fatal("no auth reply")
	}
	reply, err := crypto.UnmarshalAuthReply(frames[1])
	if err != nil {
		r.t.Fatal(err)
	}
	keys, err := reply.Open(r.req, r.eph, func(crypto.MasterPublic) error { return nil })
	if err != nil {
		r.t.Fatal(err)
	}
	r.status = reply.Status
	if keys != nil {
		r.keys = keys
		r.ch = crypto.NewChannel(keys.Request, r.id, crypto.ToMaster)
		if err := r.keyring.Set(keys.Publish); err != nil {
			r.t.Fatal(err)
		}
	}
	return reply.Status
}

// recv returns the next message, or nil when none arrives within d.
func (r *rogueMinion) recv(d time.Duration) [][]byte {
	type res struct {
		f   [][]byte
		err error
	}
	ch := make(chan res, 1)
	go func() {
		f, err := r.conn.Recv()
		ch <- res{f, err}
	}()
	select {
	case x := <-ch:
		if x.err != nil {
			return nil
		}
		return x.f
	case <-time.After(d):
		r.conn.Close() // unblocks the reader; the rogue is done after a timeout
		<-ch
		return nil
	}
}

func (r *rogueMinion) sendSealed(typ string, body any) {
	r.t.Helper()
	b, err := wire.Encode(typ, body)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.conn.Send([]byte(wire.KindSealed), r.ch.Seal(b)); err != nil {
		r.t.Fatal(err)
	}
}

// subscriber is a raw subscription to the master's publish port.
type subscriber struct {
	conn *transport.Conn
	msgs chan []byte
}

func subscribe(t testing.TB, c *cluster, id string) *subscriber {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := transport.Dial(ctx, fmt.Sprintf("127.0.0.1:%d", c.pub), zmq4.Sub, id, transport.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s := &subscriber{conn: conn, msgs: make(chan []byte, 4096)}
	go func() {
		defer close(s.msgs)
		for {
			f, err := conn.Recv()
			if err != nil {
				return
			}
			select {
			case s.msgs <- f[0]:
			default:
			}
		}
	}()
	t.Cleanup(func() { conn.Close() })
	return s
}

// rogueMaster plays master to a real minion: it authenticates it with its
// own master key and publishes whatever the test wants.
type rogueMaster struct {
	t       testing.TB
	key     crypto.MasterPrivate
	pubKey  crypto.PublishKey
	pub     *transport.Publisher
	ret     *transport.Server
	returns chan wire.Return
	authed  chan struct{}
}

func newRogueMaster(t testing.TB) *rogueMaster {
	t.Helper()
	key, err := crypto.GenerateMasterKey()
	if err != nil {
		t.Fatal(err)
	}
	pk, err := crypto.NewPublishKey(7)
	if err != nil {
		t.Fatal(err)
	}
	rm := &rogueMaster{t: t, key: key, pubKey: pk, returns: make(chan wire.Return, 100), authed: make(chan struct{}, 10)}
	log := newLogger("rogue-master", &logBuffer{})
	ctx := context.Background()
	rm.pub, err = transport.ListenPub(ctx, "127.0.0.1:0", transport.DefaultOptions(), log, nil)
	if err != nil {
		t.Fatal(err)
	}
	rm.ret, err = transport.Listen(ctx, "127.0.0.1:0", zmq4.Router, transport.DefaultOptions(), log, rm.serve)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rm.ret.Close(); rm.pub.Close() })
	return rm
}

func (rm *rogueMaster) ports() (pub, ret int) {
	return rm.pub.Addr().(*net.TCPAddr).Port, rm.ret.Addr().(*net.TCPAddr).Port
}

func (rm *rogueMaster) serve(ctx context.Context, c *transport.Conn) {
	frames, err := c.Recv()
	if err != nil {
		return
	}
	req, err := crypto.UnmarshalAuthRequest(frames[1])
	if err != nil {
		return
	}
	reqKey, _ := crypto.NewRequestKey()
	reply, err := crypto.SealAuthReply(rm.key, req, crypto.StatusAccepted, &crypto.SessionKeys{Publish: rm.pubKey, Request: reqKey}, time.Now())
	if err != nil {
		return
	}
	b, _ := reply.Marshal()
	if err := c.Send([]byte(wire.KindAuth), b); err != nil {
		return
	}
	ch := crypto.NewChannel(reqKey, req.ID, crypto.ToMinion)
	rm.authed <- struct{}{}
	for {
		frames, err := c.Recv()
		if err != nil {
			return
		}
		plain, err := ch.Open(frames[1])
		if err != nil {
			continue
		}
		msg, err := wire.Decode(plain)
		if err != nil {
			continue
		}
		switch msg.Type {
		case wire.TypeHeartbeat:
			ack, _ := wire.Encode(wire.TypeHeartbeatAck, wire.Heartbeat{Time: wire.Now()})
			_ = c.Send([]byte(wire.KindSealed), ch.Seal(ack))
		case wire.TypeReturn:
			var r wire.Return
			if msg.DecodeBody(&r) == nil {
				rm.returns <- r
				ack, _ := wire.Encode(wire.TypeReturnAck, wire.ReturnAck{JID: r.JID})
				_ = c.Send([]byte(wire.KindSealed), ch.Seal(ack))
			}
		}
	}
}

// job encodes a test.echo job for every minion.
func rogueJob(jid, text string, at time.Time) []byte {
	b, err := codec.Marshal(wire.Job{JID: jid, TargetType: "glob", Target: "*", Fun: "test.echo", Args: []any{text}, Time: at.UnixNano()})
	if err != nil {
		panic(err)
	}
	return b
}

func (rm *rogueMaster) publish(env []byte) { rm.pub.Publish(env) }

// expectReturn waits for a return of jid (ok) or makes sure none comes.
func (rm *rogueMaster) nextReturn(d time.Duration) *wire.Return {
	select {
	case r := <-rm.returns:
		return &r
	case <-time.After(d):
		return nil
	}
}

// awaitAck reads until the master answers a return (5 s at most).
func (r *rogueMinion) awaitAck(t testing.TB) wire.ReturnAck {
	t.Helper()
	var ack wire.ReturnAck
	for ack.JID == "" {
		frames := r.recv(5 * time.Second)
		if frames == nil {
			t.Fatal("no answer to the return")
		}
		plain, err := r.ch.Open(frames[1])
		if err != nil {
			t.Fatal(err)
		}
		msg, err := wire.Decode(plain)
		if err != nil {
			t.Fatal(err)
		}
		if msg.Type == wire.TypeReturnAck {
			if err := msg.DecodeBody(&ack); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ack
}
