package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/hashicorp/go-hclog"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func testLogger(t testing.TB) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{Name: t.Name(), Level: hclog.Warn, Output: io.Discard})
}

// echoServer answers every message on a ROUTER with the same frames.
func echoServer(t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := Listen(context.Background(), "127.0.0.1:0", zmq4.Router, opts, testLogger(t), func(ctx context.Context, c *Conn) {
		for {
			msg, err := c.Recv()
			if err != nil {
				return
			}
			if err := c.Send(msg...); err != nil {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestDealerRouterRoundTrip(t *testing.T) {
	srv := echoServer(t, DefaultOptions())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.Addr().String(), zmq4.Dealer, "m1", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 100 {
		want := [][]byte{[]byte("ping"), bytes.Repeat([]byte{byte(i)}, i*300)}
		if err := c.Send(want...); err != nil {
			t.Fatal(err)
		}
		got, err := c.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !bytes.Equal(got[0], want[0]) || !bytes.Equal(got[1], want[1]) {
			t.Fatalf("round trip %d: got %d frames", i, len(got))
		}
	}
}

// A stock zmq4 DEALER and SUB must interoperate with our servers: the wire
// is plain ZMTP 3.
func TestStockZMQ4Interop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv := echoServer(t, DefaultOptions())
	d := zmq4.NewDealer(ctx, zmq4.WithID(zmq4.SocketIdentity("stock")))
	defer d.Close()
	if err := d.Dial("tcp://" + srv.Addr().String()); err != nil {
		t.Fatal(err)
	}
	if err := d.Send(zmq4.NewMsgFrom([]byte("a"), []byte("b"))); err != nil {
		t.Fatal(err)
	}
	got, err := d.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Frames) != 2 || string(got.Frames[1]) != "b" {
		t.Fatalf("stock dealer got %q", got.Frames)
	}

	pub, err := ListenPub(ctx, "127.0.0.1:0", DefaultOptions(), testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	sub := zmq4.NewSub(ctx)
	defer sub.Close()
	if err := sub.Dial("tcp://" + pub.Addr().String()); err != nil {
		t.Fatal(err)
	}
	_ = sub.SetOption(zmq4.OptionSubscribe, "")
	waitFor(t, func() bool { return pub.NumSubscribers() == 1 })
	pub.Publish([]byte("job"))
	m, err := sub.Recv()
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Frames[0]) != "job" {
		t.Fatalf("stock sub got %q", m.Frames)
	}
}

func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawZMTP completes a ZMTP handshake by hand on a plain TCP connection so
// tests can then write arbitrary bytes.
func rawZMTP(t *testing.T, addr string, typ zmq4.SocketType) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	greeting := make([]byte, 64)
	greeting[0], greeting[9], greeting[10], greeting[11] = 0xff, 0x7f, 3, 0
	copy(greeting[12:], "NULL")
	if _, err := nc.Write(greeting); err != nil {
		t.Fatal(err)
	}
	// READY with Socket-Type metadata.
	var body bytes.Buffer
	body.WriteByte(5)
	body.WriteString("READY")
	body.WriteByte(byte(len("Socket-Type")))
	body.WriteString("Socket-Type")
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(typ)))
	body.Write(l[:])
	body.WriteString(string(typ))
	if _, err := nc.Write(append([]byte{commandFlag, byte(body.Len())}, body.Bytes()...)); err != nil {
		t.Fatal(err)
	}
	return nc
}

func TestOversizedFrameClosesOnlyThatPeer(t *testing.T) {
	opts := DefaultOptions()
	opts.MaxMessage = 1 << 20
	srv := echoServer(t, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	good, err := Dial(ctx, srv.Addr().String(), zmq4.Dealer, "good", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer good.Close()

	cases := map[string][]byte{
		"2^62 bytes":     append([]byte{longFlag}, 0x40, 0, 0, 0, 0, 0, 0, 0),
		"limit+1":        binary.BigEndian.AppendUint64([]byte{longFlag}, 1<<20+1),
		"reserved flags": {0x80, 1, 'x'},
		"many frames":    bytes.Repeat([]byte{moreFlag, 1, 'x'}, 100),
		"sum over limit": append(binary.BigEndian.AppendUint64([]byte{longFlag | moreFlag}, 1<<19), make([]byte, 1<<19)...),
	}
	cases["sum over limit"] = append(cases["sum over limit"], binary.BigEndian.AppendUint64([]byte{longFlag}, 1<<19+10)...)
	for name, payload := range cases {
		t.Run(name, func(t *testing.T) {
			bad := rawZMTP(t, srv.Addr().String(), zmq4.Dealer)
			defer bad.Close()
			_, _ = bad.Write(payload)
			_ = bad.SetReadDeadline(time.Now().Add(5 * time.Second))
			buf := make([]byte, 4096)
			for {
				if _, err := bad.Read(buf); err != nil {
					break // server closed us (or deadline: then the next check fails)
				}
			}
			waitFor(t, func() bool { return srv.NumConns() == 1 })
			if err := good.Send([]byte("still here")); err != nil {
				t.Fatal(err)
			}
			got, err := good.Recv()
			if err != nil || string(got[0]) != "still here" {
				t.Fatalf("healthy peer stopped being served: %q %v", got, err)
			}
		})
	}
}

// A subscriber that never reads must not hold up the others (DESIGN §2a).
func TestFrozenSubscriberDoesNotStallOthers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	opts := DefaultOptions()
	opts.QueueLen = 256
	opts.WriteTimeout = 2 * time.Second
	var slow atomic.Int32
	pub, err := ListenPub(ctx, "127.0.0.1:0", opts, testLogger(t), func(string, net.Addr) { slow.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()

	frozen := rawZMTP(t, pub.Addr().String(), zmq4.Sub)
	defer frozen.Close()
	if tc, ok := frozen.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4096)
	}

	// The frozen peer is found out once the kernel buffers between it and
	// the master are full; publish until then (bounded), then a last batch.
	const healthy, maxJobs = 10, 20000
	var wg sync.WaitGroup
	counts := make([]int, healthy)
	for i := range healthy {
		c, err := Dial(ctx, pub.Addr().String(), zmq4.Sub, fmt.Sprint("h", i), DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				msg, err := c.Recv()
				if err != nil || string(msg[0]) == "end" {
					return
				}
				counts[i]++
			}
		}()
	}
	waitFor(t, func() bool { return pub.NumSubscribers() == healthy+1 })
	payload := bytes.Repeat([]byte("x"), 2048)
	sent := 0
	for ; sent < maxJobs && (slow.Load() == 0 || sent < 2000); sent++ {
		if st := pub.Publish(payload); st.Queued < healthy {
			t.Fatalf("publish %d reached only %d healthy subscribers", sent, st.Queued)
		}
		time.Sleep(100 * time.Microsecond) // a rate the healthy peers keep up with
	}
	pub.Publish([]byte("end"))
	wg.Wait()
	for i, n := range counts {
		if n != sent {
			t.Errorf("healthy subscriber %d got %d of %d", i, n, sent)
		}
	}
	if slow.Load() != 1 {
		t.Errorf("frozen subscriber reported %d times after %d jobs, want 1", slow.Load(), sent)
	}
	t.Logf("frozen subscriber dropped after %d jobs of 2 KiB; %d healthy subscribers got all", sent, healthy)
	waitFor(t, func() bool { return pub.NumSubscribers() == healthy })
}

func TestBackoffJitterBounds(t *testing.T) {
	b := Backoff{Min: 100 * time.Millisecond, Max: 5 * time.Second}
	prevMax := time.Duration(0)
	seen := map[time.Duration]bool{}
	for i := range 20 {
		d := b.Next()
		ceil := min(b.Min<<i, b.Max)
		if d < ceil/2 || d > ceil {
			t.Fatalf("attempt %d: %v outside [%v, %v]", i, d, ceil/2, ceil)
		}
		prevMax = max(prevMax, d)
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Errorf("delays not jittered: %d distinct of 20", len(seen))
	}
	b.Reset()
	if d := b.Next(); d > b.Min {
		t.Errorf("after reset got %v, want <= %v", d, b.Min)
	}
}

func TestServerCloseEndsEverything(t *testing.T) {
	srv := echoServer(t, DefaultOptions())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var conns []*Conn
	for i := range 20 {
		c, err := Dial(ctx, srv.Addr().String(), zmq4.Dealer, fmt.Sprint(i), DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	waitFor(t, func() bool { return srv.NumConns() == 20 })
	srv.Close()
	for _, c := range conns {
		if _, err := c.Recv(); err == nil {
			t.Fatal("client still connected after server close")
		}
		c.Close()
	}
	// goleak in TestMain checks that no goroutine survives.
}

// A subscriber that closes its end is swept away even when nothing is
// published.
func TestPublisherSweepsClosedSubscribers(t *testing.T) {
	ctx := context.Background()
	pub, err := ListenPub(ctx, "127.0.0.1:0", DefaultOptions(), testLogger(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	c, err := Dial(ctx, pub.Addr().String(), zmq4.Sub, "gone", DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return pub.NumSubscribers() == 1 })
	subs := pub.subsSnapshot()
	if subs[0].peerGone() {
		t.Fatal("live subscriber reported gone")
	}
	c.Close()
	waitFor(t, func() bool { return subs[0].peerGone() })
}

// A ZMTP PING between messages is answered with a PONG, in order with the
// writer's messages, and does not disturb the messages around it.
func TestPingIsAnsweredWithPong(t *testing.T) {
	srv := echoServer(t, DefaultOptions())
	nc := rawZMTP(t, srv.Addr().String(), zmq4.Dealer)
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(5 * time.Second))
	readFrame := func() (byte, []byte) {
		var hdr [2]byte
		if _, err := io.ReadFull(nc, hdr[:]); err != nil {
			t.Fatal(err)
		}
		body := make([]byte, hdr[1])
		if _, err := io.ReadFull(nc, body); err != nil {
			t.Fatal(err)
		}
		return hdr[0], body
	}
	if _, err := io.ReadFull(nc, make([]byte, 64)); err != nil { // the server's greeting
		t.Fatal(err)
	}
	if flags, body := readFrame(); flags&commandFlag == 0 || !bytes.HasPrefix(body, []byte("\x05READY")) {
		t.Fatalf("want READY, got %x %q", flags, body)
	}
	ping := append([]byte{commandFlag, 7}, "\x04PING\x00\x0a"...)
	msg := []byte{0, 2, 'h', 'i'}
	if _, err := nc.Write(append(append(append([]byte{}, msg...), ping...), msg...)); err != nil {
		t.Fatal(err)
	}
	var got []string
	for range 3 {
		flags, body := readFrame()
		if flags&commandFlag != 0 {
			got = append(got, "cmd:"+string(body[1:]))
		} else {
			got = append(got, string(body))
		}
	}
	if len(got) != 3 || got[0] != "hi" || got[2] != "hi" || got[1] != "cmd:PONG" {
		// The PONG may come before or after the first echo, never inside it.
		if !(got[0] == "cmd:PONG" && got[1] == "hi" && got[2] == "hi") {
			t.Fatalf("frames: %q", got)
		}
	}
}
