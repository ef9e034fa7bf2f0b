package crypto

import "errors"

// Sentinel errors that callers branch on. Returned errors wrap them with
// context; test with errors.Is.
var (
	// ErrMalformed reports bytes that do not decode to a well-formed message:
	// wrong lengths, unknown status, undecodable CBOR. Nothing was verified.
	ErrMalformed = errors.New("crypto: malformed message")

	// ErrBadSignature reports a signature that does not verify under the
	// expected key.
	ErrBadSignature = errors.New("crypto: bad signature")

	// ErrClockSkew reports an authentication request whose timestamp is
	// outside the allowed skew.
	ErrClockSkew = errors.New("crypto: timestamp outside allowed clock skew")

	// ErrBadID reports a minion id that is empty, too long, not made of
	// [A-Za-z0-9._@-], or "." / "..".
	ErrBadID = errors.New("crypto: invalid minion id")

	// ErrUntrustedMaster wraps the error of the trust function given to
	// AuthReply.Open: the minion's pinning refused the master's key.
	ErrUntrustedMaster = errors.New("crypto: untrusted master key")

	// ErrUnknownEpoch reports a publish envelope sealed under an epoch the
	// receiver holds no key for (never had it, or its grace period ended).
	ErrUnknownEpoch = errors.New("crypto: unknown publish key epoch")

	// ErrDecrypt reports ciphertext that fails authentication: tampered,
	// truncated, or sealed under another key, nonce, epoch or direction.
	ErrDecrypt = errors.New("crypto: decryption failed")

	// ErrReplay reports a request-channel frame whose counter was already
	// accepted or is older than the replay window.
	ErrReplay = errors.New("crypto: replayed or too old frame")

	// ErrWrongKeyKind reports a key text whose prefix names another kind of
	// key (a minion key where a master key is wanted, a private key where a
	// public key is wanted, ...).
	ErrWrongKeyKind = errors.New("crypto: wrong kind of key")

	// ErrInsecurePermissions reports a private key file that group or others
	// can access. Like ssh, Halite refuses to use it.
	ErrInsecurePermissions = errors.New("crypto: private key file permissions are too open")
)
