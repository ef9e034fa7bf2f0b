package integration

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/halite/halite/pkg/chatops"
	"github.com/halite/halite/pkg/config"
)

const slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// slack posts a slash command as Slack would, signed (or not) at ts.
func slack(t *testing.T, c *cluster, user, text string, ts time.Time, secret string) (int, string) {
	t.Helper()
	form := url.Values{"token": {"legacy"}, "team_domain": {"ops"}, "user_name": {user}, "command": {"/halite"}, "text": {text}}
	body := form.Encode()
	req, _ := http.NewRequest("POST", "https://"+c.m.APIAddr().String()+"/v1/chat/slack", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	req.Header.Set("X-Slack-Signature", chatops.SignSlack(secret, ts.Unix(), []byte(body)))
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} // loopback test server
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r struct{ Text string }
	_ = json.Unmarshal(b, &r)
	if r.Text == "" {
		r.Text = string(b)
	}
	return resp.StatusCode, r.Text
}

func chatCluster(t *testing.T) *cluster {
	return newCluster(t, func(cfg *config.Master) {
		cfg.API.Listen = "127.0.0.1:0"
		cfg.Nodegroups = map[string]any{"web": "web*"}
		cfg.ChatOps = config.ChatOps{
			SlackSigningSecret: slackSecret,
			Users: map[string]any{
				"alice": map[string]any{"allow": map[string]any{"web*": []any{"status.*", "disk.usage", "service.restart"}}, "areas": []any{"minions", "log", "jobs"}},
				"bob":   map[string]any{"allow": map[string]any{"db*": []any{"test.*"}}},
			},
		}
	})
}

// Acceptance 2: a signed `check load web1` runs status.loadavg (and the
// memory and disk checks) on it and answers with the values; a bad
// signature or a stale timestamp gets 401 and runs nothing; a user
// without the right ACL is told what is not allowed.
func TestChatCheckLoad(t *testing.T) {
	c := chatCluster(t)
	c.acceptedMinions("web", 2, nil)
	c.waitConnected(2)
	code, text := slack(t, c, "alice", "check load web1", time.Now(), slackSecret)
	if code != 200 || !regexp.MustCompile(`web1: load \d+\.\d\d \d+\.\d\d \d+\.\d\d · memory \d+% used`).MatchString(text) {
		t.Fatalf("check load: %d %q", code, text)
	}
	jobs, _ := c.client.Jobs(t.Context(), jobsFilter())
	if code, _ := slack(t, c, "alice", "run web1 test.ping", time.Now(), "wrong-secret"); code != 401 {
		t.Fatalf("bad signature: %d", code)
	}
	if code, _ := slack(t, c, "alice", "check load web1", time.Now().Add(-10*time.Minute), slackSecret); code != 401 {
		t.Fatalf("stale timestamp: %d", code)
	}
	if after, _ := c.client.Jobs(t.Context(), jobsFilter()); len(after) != len(jobs) {
		t.Fatal("an unverified request ran a job")
	}
	if _, text := slack(t, c, "bob", "check load web1", time.Now(), slackSecret); !strings.Contains(text, "Not allowed") || !strings.Contains(text, "may not run status.loadavg") {
		t.Fatalf("bob: %q", text)
	}
	if _, text := slack(t, c, "bob", "log hello", time.Now(), slackSecret); !strings.Contains(text, "may not use log") {
		t.Fatalf("bob log: %q", text)
	}
	// Every chat call is audited with the chat user and address.
	entries, _ := c.client.Audit(t.Context(), 30)
	var seen bool
	for _, e := range entries {
		seen = seen || strings.HasPrefix(e.User, "slack:alice@127.0.0.1:") && strings.Contains(e.Outcome, "check load web1")
	}
	if !seen {
		t.Fatalf("audit: %+v", entries)
	}
}

// Acceptance 3: `restart SVC on web` for 12 minions asks for
// confirmation; `confirm CODE` (by the same user) runs it, and the answer
// names the failures.
func TestChatConfirm(t *testing.T) {
	c := chatCluster(t)
	c.acceptedMinions("web", 12, nil)
	c.waitConnected(12)
	_, text := slack(t, c, "alice", "restart halite-no-such-service on web", time.Now(), slackSecret)
	m := regexp.MustCompile("confirm ([0-9a-f]{6})").FindStringSubmatch(text)
	if m == nil || !strings.Contains(text, "12 minions") {
		t.Fatalf("no confirmation asked: %q", text)
	}
	if jobs, _ := c.client.Jobs(t.Context(), jobsFilter()); len(jobs) != 0 {
		t.Fatalf("ran before confirmation: %+v", jobs)
	}
	if _, text := slack(t, c, "bob", "confirm "+m[1], time.Now(), slackSecret); !strings.Contains(text, "No command waits") {
		t.Fatalf("another user confirmed: %q", text)
	}
	_, text = slack(t, c, "alice", "confirm "+m[1], time.Now(), slackSecret)
	if !strings.Contains(text, "service.restart on web: 0 returned, 12 failed") && !strings.Contains(text, "12 failed") {
		t.Fatalf("confirmed run: %q", text)
	}
	for i := range 12 {
		if !strings.Contains(text, fmt.Sprintf("web%d", i)) {
			t.Fatalf("failure of web%d not named: %q", i, text)
		}
	}
	if _, text := slack(t, c, "alice", "confirm "+m[1], time.Now(), slackSecret); !strings.Contains(text, "No command waits") {
		t.Fatalf("a code worked twice: %q", text)
	}
}
