// Package crypto holds Halite's keys and the three protected message formats
// of the security model (DESIGN §3): the authentication handshake, the
// publish envelope and the request channel. It is pure: no sockets, no
// goroutines, no global state. Transport and daemons call it with bytes.
//
// Keys are typed (a MinionPublic can never be passed where a MasterPublic is
// wanted) and their text forms carry a prefix naming the kind, so a key file
// or config value cannot be read back as the wrong kind of key.
//
// Everything that is signed is signed over a domain-separated, fixed binary
// layout built here, never over encoder output, so the signature means the
// same thing whatever the wire encoding does. Wire encoding goes through
// pkg/codec, whose decoder is bounded.
package crypto
