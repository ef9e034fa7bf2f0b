// Package chatops is the chat side of Halite's ChatOps: verifying Slack's
// and Mattermost's slash-command requests, and reading the commands users
// type (`check load db3`, `restart apache on production`). What the
// commands do is the master's business.
package chatops

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ErrSignature is wrapped by every verification failure.
var ErrSignature = errors.New("chat request not verified")

// ReplayWindow is how old (or how far ahead) a signed request may be.
const ReplayWindow = 5 * time.Minute

// VerifySlack checks Slack's request signature: X-Slack-Signature is
// "v0=" + hex HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + body),
// X-Slack-Request-Timestamp within ReplayWindow of now.
func VerifySlack(secret, timestamp, signature string, body []byte, now time.Time) error {
	if secret == "" {
		return fmt.Errorf("%w: no chatops.slack_signing_secret configured", ErrSignature)
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: bad timestamp", ErrSignature)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > ReplayWindow || d < -ReplayWindow {
		return fmt.Errorf("%w: timestamp outside the %v window (replay?)", ErrSignature, ReplayWindow)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + timestamp + ":"))
	mac.Write(body)
	want := "v0=" + hex.EncodeToString(mac.Sum(nil))
	if subtle.ConstantTimeCompare([]byte(want), []byte(signature)) != 1 {
		return fmt.Errorf("%w: bad signature", ErrSignature)
	}
	return nil
}

// SignSlack is what Slack sends for body at timestamp (for clients and
// tests).
func SignSlack(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%d:", timestamp)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifyToken checks Mattermost's slash-command token.
func VerifyToken(want, got string) error {
	if want == "" {
		return fmt.Errorf("%w: no chatops.mattermost_token configured", ErrSignature)
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return fmt.Errorf("%w: bad token", ErrSignature)
	}
	return nil
}

// Command is a parsed chat command.
type Command struct {
	// Name is status, check, run, restart, apply, log, maintenance,
	// resolve, jobs, job, confirm or help.
	Name string
	// Target, Fun, Args: for check (Target), run, restart (Args[0] is the
	// service), apply (Args are SLS names).
	Target string
	Fun    string
	Args   []string
	Test   bool   // apply ... test
	Action string // maintenance start|stop
	Text   string // log, maintenance reason, resolve text
	Ticket string // resolve ticket #N
	N      int    // jobs N
	ID     string // job JID, confirm CODE
}

// Help lists the commands.
const Help = "Commands:\n" +
	"  status — the fleet: up, down, in maintenance, failed jobs in the last hour, overdue runs\n" +
	"  check load HOST — load, memory and disk of HOST\n" +
	"  run TARGET FUNCTION [ARGS...] — run an execution function\n" +
	"  restart SERVICE on TARGET — restart a service (TARGET: a glob, a compound expression or a nodegroup)\n" +
	"  apply TARGET [SLS...] [test] — apply states (test: a dry run)\n" +
	"  log TEXT — note in the ops log\n" +
	"  maintenance start|stop HOST [REASON]\n" +
	"  resolve ticket #N TEXT — close a ticket with a note\n" +
	"  jobs [N] — the last N jobs\n" +
	"  job JID — one job's outcome\n" +
	"  confirm CODE — go ahead with a command that asked for confirmation\n" +
	"  help"

// fields splits like a shell does for quoted words ("a b" and 'a b').
func fields(s string) ([]string, error) {
	var out []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'' || r == '“' || r == '”':
			if r == '“' || r == '”' {
				r = '”'
			}
			quote, inWord = r, true
		case unicode.IsSpace(r):
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errors.New("unterminated quote")
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out, nil
}

// Parse reads a command from the text after the slash command.
func Parse(text string) (Command, error) {
	text = strings.TrimSpace(text)
	w, err := fields(text)
	if err != nil {
		return Command{}, err
	}
	if len(w) == 0 {
		return Command{Name: "help"}, nil
	}
	name := strings.ToLower(w[0])
	rest := w[1:]
	restText := func(n int) string {
		// The text after the first n words, as typed.
		t := text
		for i := 0; i < n; i++ {
			t = strings.TrimLeftFunc(t, unicode.IsSpace)
			if i := strings.IndexFunc(t, unicode.IsSpace); i >= 0 {
				t = t[i:]
			} else {
				t = ""
			}
		}
		return strings.TrimSpace(t)
	}
	usage := func(u string) (Command, error) { return Command{}, fmt.Errorf("usage: %s", u) }
	switch name {
	case "help", "status":
		return Command{Name: name}, nil
	case "check":
		if len(rest) != 2 || strings.ToLower(rest[0]) != "load" {
			return usage("check load HOST")
		}
		return Command{Name: "check", Target: rest[1]}, nil
	case "run":
		if len(rest) < 2 {
			return usage("run TARGET FUNCTION [ARGS...]")
		}
		return Command{Name: "run", Target: rest[0], Fun: rest[1], Args: rest[2:]}, nil
	case "restart":
		if len(rest) != 3 || strings.ToLower(rest[1]) != "on" {
			return usage("restart SERVICE on TARGET")
		}
		return Command{Name: "restart", Target: rest[2], Fun: "service.restart", Args: []string{rest[0]}}, nil
	case "apply":
		if len(rest) < 1 {
			return usage("apply TARGET [SLS...] [test]")
		}
		c := Command{Name: "apply", Target: rest[0], Fun: "state.apply"}
		for _, a := range rest[1:] {
			if strings.EqualFold(a, "test") || strings.EqualFold(a, "test=true") {
				c.Test = true
				continue
			}
			c.Args = append(c.Args, a)
		}
		return c, nil
	case "log":
		if len(rest) == 0 {
			return usage("log TEXT")
		}
		return Command{Name: "log", Text: restText(1)}, nil
	case "maintenance":
		if len(rest) < 2 || (rest[0] != "start" && rest[0] != "stop") {
			return usage("maintenance start|stop HOST [REASON]")
		}
		return Command{Name: "maintenance", Action: rest[0], Target: rest[1], Text: restText(3)}, nil
	case "resolve":
		if len(rest) < 3 || strings.ToLower(rest[0]) != "ticket" || !strings.HasPrefix(rest[1], "#") || len(rest[1]) < 2 {
			return usage("resolve ticket #N TEXT")
		}
		return Command{Name: "resolve", Ticket: strings.TrimPrefix(rest[1], "#"), Text: restText(3)}, nil
	case "jobs":
		c := Command{Name: "jobs", N: 5}
		if len(rest) > 0 {
			n, err := strconv.Atoi(rest[0])
			if err != nil || n < 1 || n > 50 {
				return usage("jobs [N] (1 to 50)")
			}
			c.N = n
		}
		return c, nil
	case "job", "confirm":
		if len(rest) != 1 {
			return usage(name + " " + map[string]string{"job": "JID", "confirm": "CODE"}[name])
		}
		return Command{Name: name, ID: rest[0]}, nil
	}
	return Command{}, fmt.Errorf("unknown command %q; try help", w[0])
}
