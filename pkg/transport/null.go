package transport

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/go-zeromq/zmq4"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// nullSecurity is ZMTP's NULL mechanism (RFC 23): exchange READY commands
// carrying socket type and identity. zmq4 keeps its own copy unexported.
// Halite needs no ZMTP-level security: confidentiality and authentication
// are end to end in Halite's own envelopes (pkg/crypto), which also bind
// the minion's identity, something CURVE at the socket layer would not.
type nullSecurity struct{}

func (nullSecurity) Type() zmq4.SecurityType { return zmq4.NullSecurity }

func (nullSecurity) Handshake(conn *zmq4.Conn, server bool) error {
	raw, err := conn.Meta.MarshalZMTP()
	if err != nil {
		return fmt.Errorf("marshal ready metadata: %w", err)
	}
	if err := conn.SendCmd(zmq4.CmdReady, raw); err != nil {
		return fmt.Errorf("send ready: %w", err)
	}
	cmd, err := conn.RecvCmd()
	if err != nil {
		return fmt.Errorf("receive ready: %w", err)
	}
	if cmd.Name != zmq4.CmdReady {
		return fmt.Errorf("expected READY, got %q", cmd.Name)
	}
	// zmq4's own Metadata.UnmarshalZMTP indexes past the end of a
	// truncated property and panics (v0.17.0, protocol.go); the peer is
	// not authenticated yet, so its bytes are parsed here instead.
	if err := parseMetadata(conn.Peer.Meta, cmd.Body); err != nil {
		return fmt.Errorf("peer ready metadata: %w", err)
	}
	// zmq4 checks compatibility next with the peer's type as receiver,
	// and SocketType.IsCompatible panics on a type it does not know.
	if typ := zmq4.SocketType(conn.Peer.Meta["Socket-Type"]); !knownSocketTypes[typ] {
		return fmt.Errorf("%w: unknown socket type %q", errBadMetadata, truncate(string(typ), 32))
	}
	return nil
}

// knownSocketTypes are the types zmq4's IsCompatible accepts.
var knownSocketTypes = map[zmq4.SocketType]bool{
	zmq4.Pair: true, zmq4.Pub: true, zmq4.Sub: true, zmq4.Req: true, zmq4.Rep: true,
	zmq4.Dealer: true, zmq4.Router: true, zmq4.Pull: true, zmq4.Push: true,
	zmq4.XPub: true, zmq4.XSub: true,
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Bounds on READY metadata: the properties ZMTP peers send are a socket
// type and an identity (at most 255 bytes in ZMTP 3).
const (
	maxProperties    = 16
	maxPropertyValue = 1024
)

// errBadMetadata is any malformed READY metadata.
var errBadMetadata = errors.New("malformed metadata")

// parseMetadata decodes ZMTP 3 metadata (RFC 23: name-length octet, name,
// 4-octet value length, value, repeated) into md, checking every length
// against what is left before slicing. Names are title-cased as zmq4 does,
// so zmq4's own lookups ("Socket-Type", "Identity") find them.
func parseMetadata(md zmq4.Metadata, b []byte) error {
	for n := 0; len(b) > 0; n++ {
		if n == maxProperties {
			return fmt.Errorf("%w: more than %d properties", errBadMetadata, maxProperties)
		}
		klen := int(b[0])
		b = b[1:]
		if klen == 0 || klen > len(b) {
			return fmt.Errorf("%w: property name of %d bytes, %d left", errBadMetadata, klen, len(b))
		}
		name := b[:klen]
		b = b[klen:]
		for _, c := range name {
			if !isNameByte(c) {
				return fmt.Errorf("%w: invalid byte 0x%02x in property name", errBadMetadata, c)
			}
		}
		if len(b) < 4 {
			return fmt.Errorf("%w: property %q without a value length", errBadMetadata, name)
		}
		vlen := binary.BigEndian.Uint32(b)
		b = b[4:]
		if vlen > maxPropertyValue || int(vlen) > len(b) {
			return fmt.Errorf("%w: property %q value of %d bytes, %d left", errBadMetadata, name, vlen, len(b))
		}
		md[toTitle(string(name))] = string(b[:vlen])
		b = b[vlen:]
	}
	return nil
}

// isNameByte: RFC 23 property names are alphanumerics and "-_.+".
func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '+'
}

// toTitle is zmq4's key normalisation (protocol.go toTitle). A Caser keeps
// state, so each call makes its own.
func toTitle(s string) string { return cases.Title(language.Und, cases.NoLower).String(s) }

func (nullSecurity) Encrypt(w io.Writer, data []byte) (int, error) { return w.Write(data) }
func (nullSecurity) Decrypt(w io.Writer, data []byte) (int, error) { return w.Write(data) }
