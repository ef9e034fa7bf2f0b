package beacons

import (
	"bytes"
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
	"strings"
	"syscall"
)

func init() { register("login", newLogin) }

// loginBeacon follows the host's auth logs (sshd, PAM) and reports the
// logins and failed logins since its last check, by service, result and
// source address; `burst` failed logins in one check raise an event.
//
// Options: files (default /var/log/auth.log and /var/log/secure, those
// that exist); btmp and wtmp (default /var/log/btmp and /var/log/wtmp,
// read only when none of the files exists, as on hosts that log to
// journald alone); burst (default 10), sources: hash (default: the first 16
// hex digits of the address's SHA-256, the same on every host, so one
// attacker can be followed across the fleet without storing addresses),
// keep, or drop.
type loginBeacon struct {
	files      []string
	btmp, wtmp string
	burst      int
	sources    string
	tails      map[string]*tailPos
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
	b := &loginBeacon{files: defaultAuthLogs, btmp: defaultBtmpPath, wtmp: defaultWtmpPath, burst: 10, sources: "hash", tails: map[string]*tailPos{}}
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
		case "btmp", "wtmp":
			p, ok := v.(string)
			if !ok || p == "" {
				return nil, fmt.Errorf("%s: want a path", k)
			}
			if k == "btmp" {
				b.btmp = p
			} else {
				b.wtmp = p
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
			return nil, fmt.Errorf("unknown option %q (files, btmp, wtmp, burst, sources, interval)", k)
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
	count := func(k loginKey) {
		k.source = b.source(k.source)
		counts[k]++
	}
	var errs []error
	textLog := false
	for _, path := range b.files {
		if _, err := os.Stat(path); err == nil {
			textLog = true
		}
		if err := b.read(path, func(line string) {
			if k, ok := parseAuthLine(line); ok {
				count(k)
			}
		}); err != nil {
			errs = append(errs, err)
		}
	}
	if !textLog {
		for path, result := range map[string]string{b.btmp: "failed", b.wtmp: "ok"} {
			if err := b.readUtmp(path, result, count); err != nil {
				errs = append(errs, err)
			}
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
// call (see appended).
func (b *loginBeacon) read(path string, fn func(string)) error {
	return b.appended(path, func(data []byte) int {
		start := 0
		for i, c := range data {
			if c == '\n' {
				fn(string(data[start:i]))
				start = i + 1
			}
		}
		if len(data)-start > 64<<10 { // not a log line: drop it
			return len(data)
		}
		return start
	})
}

// appended hands take the bytes appended to path since the last call
// (with what take left unconsumed last time in front); take returns how
// many it consumed. The first call only notes where the file ends:
// history before the beacon started is not reported. A file that was
// replaced (rotation) or shrank (truncated) is read from its start.
func (b *loginBeacon) appended(path string, take func([]byte) int) error {
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
	used := take(data)
	pos.partial = append([]byte(nil), data[used:]...)
	return nil
}

// Login accounting records (utmp(5), glibc's layout on Linux): btmp holds
// failed logins, wtmp the ones that succeeded. Read only on hosts without
// a text auth log (journald-only systems), where sshd and login still
// write them; with a text log they would count every login twice.
const (
	utmpSize        = 384
	utLoginProcess  = 6
	utUserProcess   = 7
	utLineOffset    = 8
	utLineLen       = 32
	utHostOffset    = 76
	utHostLen       = 256
	defaultBtmpPath = "/var/log/btmp"
	defaultWtmpPath = "/var/log/wtmp"
)

// readUtmp calls fn for each login record appended to path.
func (b *loginBeacon) readUtmp(path, result string, fn func(loginKey)) error {
	return b.appended(path, func(data []byte) int {
		n := len(data) / utmpSize * utmpSize
		for off := 0; off < n; off += utmpSize {
			if k, ok := parseUtmp(data[off:off+utmpSize], result); ok {
				fn(k)
			}
		}
		return n
	})
}

func parseUtmp(rec []byte, result string) (loginKey, bool) {
	typ := int16(rec[0]) | int16(rec[1])<<8
	switch {
	case result == "failed" && (typ == utLoginProcess || typ == utUserProcess):
	case result == "ok" && typ == utUserProcess:
	default:
		return loginKey{}, false
	}
	line := cString(rec[utLineOffset : utLineOffset+utLineLen])
	host := cString(rec[utHostOffset : utHostOffset+utHostLen])
	service := "login"
	if strings.HasPrefix(line, "ssh") || (strings.HasPrefix(line, "pts/") && host != "") {
		service = "sshd"
	}
	return loginKey{service, result, host}, true
}

func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.ToValidUTF8(string(b), "?")
}
