package transport

import (
	"fmt"
	"io"

	"github.com/go-zeromq/zmq4"
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
	if err := conn.Peer.Meta.UnmarshalZMTP(cmd.Body); err != nil {
		return fmt.Errorf("peer ready metadata: %w", err)
	}
	return nil
}

func (nullSecurity) Encrypt(w io.Writer, data []byte) (int, error) { return w.Write(data) }
func (nullSecurity) Decrypt(w io.Writer, data []byte) (int, error) { return w.Write(data) }
