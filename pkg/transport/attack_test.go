package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// zmtpGreeting is a ZMTP 3.0 NULL greeting (RFC 23).
func zmtpGreeting(server bool) []byte {
	g := make([]byte, greetingLen)
	g[0], g[9], g[10] = 0xff, 0x7f, 3
	copy(g[12:32], "NULL")
	if server {
		g[32] = 1
	}
	return g
}

// zmtpCommand frames a command body.
func zmtpCommand(body []byte) []byte {
	if len(body) > 255 {
		return append(binary.BigEndian.AppendUint64([]byte{commandFlag | longFlag}, uint64(len(body))), body...)
	}
	return append([]byte{commandFlag, byte(len(body))}, body...)
}

// crashReady is the 76-byte packet that killed the master at 2ad228d: a
// greeting and a READY whose one property stops before its value length
// (zmq4's Property.Write slices past the end).
func crashReady(server bool) []byte {
	return append(zmtpGreeting(server), zmtpCommand([]byte("\x05READY\x03abc"))...)
}

// readyWith is a READY command carrying metadata md as raw bytes.
func readyWith(md []byte) []byte { return zmtpCommand(append([]byte("\x05READY"), md...)) }

func TestTruncatedReadyDoesNotKillServer(t *testing.T) {
	srv := echoServer(t, DefaultOptions())
	if n := len(crashReady(false)); n != 76 {
		t.Fatalf("crash packet is %d bytes, want the 76 of the report", n)
	}
	for range 3 {
		nc, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := nc.Write(crashReady(false)); err != nil {
			t.Fatal(err)
		}
		// The server answers with its own greeting and READY, then hangs up.
		readUntilClosed(nc)
	}
	// Still serving honest peers.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.Addr().String(), zmq4.Dealer, "honest", DefaultOptions())
	if err != nil {
		t.Fatalf("server no longer serving after crash packets: %v", err)
	}
	defer c.Close()
	if err := c.Send([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Recv(); err != nil {
		t.Fatal(err)
	}
	if p := srv.Panics(); p != 0 {
		t.Errorf("%d panics contained; the metadata parser should refuse the packet without one", p)
	}
}

// fakePeer listens on loopback and answers every connection with script,
// then keeps reading until the other side hangs up.
func fakePeer(t *testing.T, script []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = nc.Write(script)
			readUntilClosed(nc)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func TestTruncatedReadyDoesNotKillClient(t *testing.T) {
	addr := fakePeer(t, crashReady(true))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := Dial(ctx, addr, zmq4.Dealer, "m1", DefaultOptions())
	if err == nil {
		t.Fatal("handshake with a truncated READY succeeded")
	}
	if errors.Is(err, ErrPeerPanic) {
		t.Fatalf("refused only by the panic guard: %v", err)
	}
	if !errors.Is(err, errBadMetadata) {
		t.Fatalf("want a metadata error, got %v", err)
	}
}

func TestParseMetadata(t *testing.T) {
	prop := func(k, v string) []byte {
		b := append([]byte{byte(len(k))}, k...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		return append(b, v...)
	}
	good := append(prop("Socket-Type", "DEALER"), prop("identity", "web1")...)
	md := zmq4.Metadata{}
	if err := parseMetadata(md, good); err != nil {
		t.Fatal(err)
	}
	if md["Socket-Type"] != "DEALER" || md["Identity"] != "web1" {
		t.Fatalf("parsed %v", md)
	}
	for name, b := range map[string][]byte{
		"truncated name":    {5, 'a'},
		"no value length":   []byte("\x03abc"),
		"short value":       append(prop("a", "")[:2], 0, 0, 0, 9, 'x'),
		"empty name":        prop("", "x"),
		"bad name byte":     prop("a b", "x"),
		"huge value length": append([]byte("\x01a"), 0xff, 0xff, 0xff, 0xff),
	} {
		if err := parseMetadata(zmq4.Metadata{}, b); !errors.Is(err, errBadMetadata) {
			t.Errorf("%s: got %v, want errBadMetadata", name, err)
		}
	}
}

// A READY without a socket type (or with one zmq4 does not know) made
// zmq4's IsCompatible panic; found by FuzzServerHandshake.
func TestReadyWithoutSocketType(t *testing.T) {
	srv := echoServer(t, DefaultOptions())
	for _, md := range [][]byte{nil, []byte("\x0bSocket-Type\x00\x00\x00\x03BAD")} {
		nc, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, _ = nc.Write(append(zmtpGreeting(false), readyWith(md)...))
		_ = nc.(*net.TCPConn).CloseWrite()
		readUntilClosed(nc)
	}
	if p := srv.Panics(); p != 0 {
		t.Fatalf("%d panics contained; want the READY refused before zmq4 sees it", p)
	}
}

// F4: idle connections that never finish their handshake (a slowloris
// from one address) must not keep an honest peer from another address
// out: the accept loop never blocks, and one source gets a bounded share.
func TestSlowlorisDoesNotStarveOthers(t *testing.T) {
	srv := echoServer(t, DefaultOptions())
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range 600 { // more than every handshake slot
		c, err := d.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		idle = append(idle, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := Dial(ctx, srv.Addr().String(), zmq4.Dealer, "honest", DefaultOptions())
	if err != nil {
		t.Fatalf("honest peer kept out by 600 idle connections: %v", err)
	}
	c.Close()
	if srv.TurnedAway() == 0 {
		t.Error("no connection of the flood was turned away")
	}
}

// readUntilClosed reads what the other side sends until it hangs up (or 5
// s pass), then closes nc.
func readUntilClosed(nc net.Conn) {
	_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.Copy(io.Discard, nc)
	nc.Close()
}

// Sends racing with Close (acks sent from another goroutine while the
// server shuts down) must not start a writer Close does not wait for: the
// race detector flagged WaitGroup.Add racing with Wait.
func TestSendRacingClose(t *testing.T) {
	srv := echoServer(t, DefaultOptions())
	for range 50 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		c, err := Dial(ctx, srv.Addr().String(), zmq4.Dealer, "racer", DefaultOptions())
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 2000 {
				if c.Send([]byte("x")) != nil {
					return
				}
				time.Sleep(time.Microsecond) // let the writer drain and end
			}
		}()
		time.Sleep(time.Millisecond)
		_ = c.Close()
		<-done
		if err := c.Send([]byte("after")); err == nil {
			t.Fatal("Send after Close succeeded")
		}
	}
}
