package beacons

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"sort"
	"syscall"
)

func init() { register("login", newLogin) }

// loginBeacon follows the host's auth logs (sshd, PAM) and reports the
// logins and failed logins since its last check, by service, result and
// source address; `burst` failed logins in one check raise an event.
//
// Options: files (default /var/log/auth.log and /var/log/secure, those
// that exist), burst (default 10), sources: hash (default: the first 16
// hex digits of the address's SHA-256, the same on every host, so one
// attacker can be followed across the fleet without storing addresses),
// keep, or drop.
type loginBeacon struct {
	files   []string
	burst   int
	sources string
	tails   map[string]*tailPos
}

type tailPos struct {
	ino     uint64
	off     int64
	partial []byte // an unfinished last line, completed by the next read
}

var defaultAuthLogs = []string{"/var/log/auth.log", "/var/log/secure"}

// maxReadPerCheck bounds what one check reads of a file; the rest waits
// for the next check.
const maxReadPerCheck = 16 << 20

func newLogin(opts map[string]any, _ Env) (Beacon, error) {
	b := &loginBeacon{files: defaultAuthLogs, burst: 10, sources: "hash", tails: map[string]*tailPos{}}
	for k, v := range opts {
		switch k {
		case "files":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, errors.New("files: want a list of paths")
			}
			b.files = nil
			for _, f := range list {
				s, ok := f.(string)
				if !ok || s == "" {
					return nil, errors.New("files: want a list of paths")
				}
				b.files = append(b.files, s)
			}
		case "burst":
			n, ok := number(v)
			if !ok || n < 1 {
				return nil, errors.New("burst: want a positive count")
			}
			b.burst = int(n)
		case "sources":
			s, _ := v.(string)
			if s != "hash" && s != "keep" && s != "drop" {
				return nil, errors.New("sources: want hash, keep or drop")
			}
			b.sources = s
		default:
			return nil, fmt.Errorf("unknown option %q (files, burst, sources, interval)", k)
		}
	}
	return b, nil
}

// Auth log lines, as sshd and PAM write them (syslog or journald's text).
var (
	sshdLine = regexp.MustCompile(`\bsshd(?:-session)?\[\d+\]: (Failed|Accepted) (?:password|publickey|keyboard-interactive/pam|hostbased|none) for (?:invalid user )?(\S+) from (\S+)`)
	pamFail  = regexp.MustCompile(`: pam_unix\(([\w-]+):auth\): authentication failure;.*?(?:rhost=(\S*))?(?:\s|$)`)
	pamOpen  = regexp.MustCompile(`: pam_unix\((login|su|su-l):session\): session opened for user`)
)

type loginKey struct{ service, result, source string }

// parseAuthLine returns what a line says, if it is a login or a failed one.
func parseAuthLine(line string) (loginKey, bool) {
	if m := sshdLine.FindStringSubmatch(line); m != nil {
		result := "ok"
		if m[1] == "Failed" {
			result = "failed"
		}
		return loginKey{"sshd", result, m[3]}, true
	}
	if m := pamFail.FindStringSubmatch(line); m != nil {
		if m[1] == "sshd" {
			return loginKey{}, false // sshd logs its own "Failed ..." line too
		}
		return loginKey{m[1], "failed", m[2]}, true
	}
	if m := pamOpen.FindStringSubmatch(line); m != nil {
		return loginKey{m[1], "ok", ""}, true
	}
	return loginKey{}, false
}

func (b *loginBeacon) Check(context.Context) (Report, error) {
	counts := map[loginKey]int{}
	var errs []error
	for _, path := range b.files {
		if err := b.read(path, func(line string) {
			if k, ok := parseAuthLine(line); ok {
				k.source = b.source(k.source)
				counts[k]++
			}
		}); err != nil {
			errs = append(errs, err)
		}
	}
	if len(counts) == 0 {
		return Report{}, errors.Join(errs...)
	}
	keys := make([]loginKey, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if counts[keys[i]] != counts[keys[j]] {
			return counts[keys[i]] > counts[keys[j]]
		}
		return keys[i].source < keys[j].source
	})
	var rows []any
	failed, ok := 0, 0
	for _, k := range keys {
		row := map[string]any{"service": k.service, "result": k.result, "count": counts[k]}
		if k.source != "" {
			row["source"] = k.source
		}
		rows = append(rows, row)
		if k.result == "failed" {
			failed += counts[k]
		} else {
			ok += counts[k]
		}
	}
	data := map[string]any{"counts": rows, "failed": failed, "ok": ok}
	fire := failed >= b.burst
	if fire {
		data["burst"] = b.burst
	}
	return Report{Data: data, Send: true, Fire: fire}, errors.Join(errs...)
}

func (b *loginBeacon) source(addr string) string {
	switch {
	case addr == "" || b.sources == "drop":
		return ""
	case b.sources == "keep":
		return addr
	}
	sum := sha256.Sum256([]byte(addr))
	return hex.EncodeToString(sum[:8])
}

// read calls fn with every complete line appended to path since the last
// call. The first call only notes where the file ends: history before the
// beacon started is not reported. A file that was replaced (rotation) or
// shrank (truncated) is read from its start.
func (b *loginBeacon) read(path string, fn func(string)) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		delete(b.tails, path)
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	var ino uint64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = sys.Ino
	}
	pos := b.tails[path]
	if pos == nil {
		b.tails[path] = &tailPos{ino: ino, off: st.Size()}
		return nil
	}
	if pos.ino != ino || st.Size() < pos.off {
		*pos = tailPos{ino: ino}
	}
	if st.Size() == pos.off {
		return nil
	}
	buf := make([]byte, min(st.Size()-pos.off, maxReadPerCheck))
	n, err := f.ReadAt(buf, pos.off)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pos.off += int64(n)
	data := append(pos.partial, buf[:n]...)
	start := 0
	for i, c := range data {
		if c == '\n' {
			fn(string(data[start:i]))
			start = i + 1
		}
	}
	pos.partial = append([]byte(nil), data[start:]...)
	if len(pos.partial) > 64<<10 { // not a log line: drop it
		pos.partial = nil
	}
	return nil
}
