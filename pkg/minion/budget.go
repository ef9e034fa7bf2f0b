package minion

import (
	"errors"
	"fmt"

	"github.com/hashicorp/go-hclog"

	"github.com/halite/halite/pkg/codec"
	"github.com/halite/halite/pkg/value"
	"github.com/halite/halite/pkg/wire"
)

// maxReturnBytes is the budget of one return's encoded value: half the
// master's limit for a return message, so sealing and the envelope always
// fit. A return over it is never sent as is (the master would refuse the
// frame and the minion would send it again forever).
const maxReturnBytes = wire.MaxReturnValue

// fitReturn makes r's value safe to send: any Go value a module returned
// becomes plain data, strings that are not UTF-8 become value.Bytes, and
// the whole fits maxBytes — long strings are cut with a note, and a value
// that still does not fit (or has too many items for the master to
// decode) is replaced by an error, with the job marked failed.
func fitReturn(r *wire.Return, maxBytes int, log hclog.Logger) {
	b, err := codec.Marshal(r.Return)
	if err != nil {
		replaceReturn(r, fmt.Sprintf("the return could not be encoded: %v", err))
		return
	}
	var v any
	if err := codec.UnmarshalLoose(b, &v); err != nil {
		if errors.Is(err, codec.ErrTooManyItems) {
			err = fmt.Errorf("more than %d data items", codec.MaxItems)
		}
		replaceReturn(r, fmt.Sprintf("the return is too large to send (%v)", err))
		log.Warn("return replaced by an error", "jid", r.JID, "error", err)
		return
	}
	v = value.Sanitize(v)
	size := len(b)
	if size <= maxBytes {
		r.Return = v
		return
	}
	// Cut every long string to a cap, lowering the cap until it fits.
	for limit := maxBytes / 2; limit >= 256; limit /= 4 {
		cut, n := value.Truncate(v, limit)
		cb, err := codec.Marshal(cut)
		if err == nil && len(cb) <= maxBytes {
			log.Warn("return over budget; long outputs truncated", "jid", r.JID, "bytes", size, "budget", maxBytes, "truncated", n)
			r.Return = cut
			return
		}
	}
	replaceReturn(r, fmt.Sprintf("the return of %d bytes is over the budget of %d bytes and could not be truncated to fit", size, maxBytes))
	log.Warn("return replaced by an error", "jid", r.JID, "bytes", size, "budget", maxBytes)
}

func replaceReturn(r *wire.Return, msg string) {
	r.Return = "ERROR: " + msg
	r.Success = false
	if r.Retcode == 0 {
		r.Retcode = 1
	}
}
