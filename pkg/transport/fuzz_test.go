package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
	"github.com/hashicorp/go-hclog"
)

// FuzzGuardScan feeds arbitrary byte streams, split at arbitrary points,
// through the frame guard: it must never panic, and whatever it accepts
// must respect the limits.
func FuzzGuardScan(f *testing.F) {
	greet := make([]byte, 64)
	f.Add(append(greet, 0, 3, 'a', 'b', 'c'), uint8(7))
	f.Add(append(greet, longFlag, 0x40, 0, 0, 0, 0, 0, 0, 0), uint8(3))
	f.Add(append(greet, bytes.Repeat([]byte{moreFlag, 0}, 10)...), uint8(1))
	f.Add(append(greet, binary.BigEndian.AppendUint64([]byte{longFlag}, 300)...), uint8(64))
	f.Fuzz(func(t *testing.T, stream []byte, split uint8) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		g := newGuardConn(a, 1024, 4)
		step := int(split)%97 + 1
		for off := 0; off < len(stream); off += step {
			end := min(off+step, len(stream))
			if err := g.scan(stream[off:end]); err != nil {
				return
			}
			if g.msgBytes > 1024 || g.msgFrames > 4 {
				t.Fatalf("guard accepted beyond limits: %d bytes, %d frames", g.msgBytes, g.msgFrames)
			}
		}
	})
}

// handshakeSeeds are whole conversations from one side: greetings, READY
// commands well and badly formed, and the crash packet of 2ad228d.
func handshakeSeeds(server bool) [][]byte {
	prop := func(k, v string) []byte {
		b := append([]byte{byte(len(k))}, k...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		return append(b, v...)
	}
	typ := "ROUTER"
	if !server {
		typ = "DEALER"
	}
	ok := append(zmtpGreeting(server), readyWith(append(prop("Socket-Type", typ), prop("Identity", "x")...))...)
	return [][]byte{
		crashReady(server),
		ok,
		append(ok, 0, 3, 'a', 'b', 'c'),
		append(zmtpGreeting(server), readyWith(prop("Socket-Type", "PUB"))...),
		append(zmtpGreeting(server), zmtpCommand([]byte("\x04PING\x00\x01"))...),
		zmtpGreeting(server)[:30],
		append(zmtpGreeting(server), readyWith([]byte{0xff})...),
	}
}

// FuzzServerHandshake plays a peer speaking arbitrary bytes to a real
// Server on loopback: the server must survive every conversation without
// even a contained panic.
func FuzzServerHandshake(f *testing.F) {
	for _, s := range handshakeSeeds(false) {
		f.Add(s)
	}
	opts := DefaultOptions()
	opts.HandshakeTimeout = time.Second
	srv, err := Listen(context.Background(), "127.0.0.1:0", zmq4.Router, opts, hclog.NewNullLogger(), func(ctx context.Context, c *Conn) {
		for {
			if _, err := c.Recv(); err != nil {
				return
			}
		}
	})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	f.Fuzz(func(t *testing.T, stream []byte) {
		nc, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_, _ = nc.Write(stream)
		_ = nc.(*net.TCPConn).CloseWrite()
		readUntilClosed(nc)
		if p := srv.Panics(); p != 0 {
			t.Fatalf("server contained %d panics", p)
		}
	})
}

// FuzzClientHandshake plays a fake master speaking arbitrary bytes to a
// real Dial: it must fail cleanly or succeed, never panic.
func FuzzClientHandshake(f *testing.F) {
	for _, s := range handshakeSeeds(true) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		go func() {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			_, _ = nc.Write(stream)
			_ = nc.(*net.TCPConn).CloseWrite()
			readUntilClosed(nc)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := Dial(ctx, ln.Addr().String(), zmq4.Dealer, "m1", DefaultOptions())
		if errors.Is(err, ErrPeerPanic) {
			t.Fatalf("handshake panicked: %v", err)
		}
		if err == nil {
			for {
				if _, err := c.Recv(); err != nil {
					if errors.Is(err, ErrPeerPanic) {
						t.Fatalf("receive panicked: %v", err)
					}
					break
				}
			}
			c.Close()
		}
	})
}
