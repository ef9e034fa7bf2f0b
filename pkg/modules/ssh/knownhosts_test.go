package ssh

import (
	"strings"
	"testing"
)

func TestHashedHostMatches(t *testing.T) {
	h, err := HashHost("[git.example]:2222")
	if err != nil {
		t.Fatal(err)
	}
	if !hostMatches(h, "[git.example]:2222") || hostMatches(h, "git.example") {
		t.Fatalf("hashed host %s matches wrongly", h)
	}
	if !hostMatches("a,b,c", "b") || hostMatches("a,b", "ab") {
		t.Fatal("plain host lists match wrongly")
	}
}

// FuzzKnownHosts: any file parses, renders back, and removing a host
// leaves no entry for it.
func FuzzKnownHosts(f *testing.F) {
	f.Add("a,b ssh-ed25519 AAAA\n# c\n|1|x|y ssh-rsa BBBB\n", "b")
	f.Add("@cert-authority * ssh-rsa AAAA\n", "*")
	f.Fuzz(func(t *testing.T, text, host string) {
		k := ParseKnownHosts(text)
		if text != "" && strings.HasSuffix(text, "\n") && k.String() != text {
			t.Fatalf("round trip %q -> %q", text, k.String())
		}
		k.Remove(host)
		if got := k.Find(host); len(got) != 0 && !strings.ContainsAny(host, " \t\n") {
			t.Fatalf("entries for %q left after Remove: %v", host, got)
		}
	})
}
