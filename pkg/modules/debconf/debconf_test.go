package debconf

import (
	"strings"
	"testing"
)

func TestParseRecords(t *testing.T) {
	recs, err := parseRecords(strings.NewReader("Name: a/q\nTemplate: a/q\nValue: x\nOwners: a, b\n\n\nName: c/d\nDescription: one\n two\n"))
	if err != nil || len(recs) != 2 || recs[0]["Owners"] != "a, b" || recs[1]["Description"] != "one\ntwo" {
		t.Fatalf("records = %v, %v", recs, err)
	}
}

// FuzzParseRecords: any bytes in a debconf database file parse without a
// panic, and every record has a field.
func FuzzParseRecords(f *testing.F) {
	f.Add("Name: a/q\nValue: x\n\nName: b\n  cont\n")
	f.Add(" leading continuation\n:\n\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		recs, err := parseRecords(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, r := range recs {
			if len(r) == 0 {
				t.Fatalf("empty record from %q", s)
			}
		}
	})
}
