package pkg

import "testing"

func TestCompareDebVersions(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "1.1", -1},
		{"1.10", "1.9", 1},
		{"1.0~rc1", "1.0", -1},
		{"1.0", "1.0+b1", -1},
		{"1:0.9", "2.0", 1},
		{"0.2.4-0ubuntu1", "0.2.4.1-0ubuntu1", -1},
		{"2.36.1-8+deb12u1", "2.36.1-8", 1},
		{"1.0a", "1.0", 1},
		{"001.0", "1.0", 0},
	} {
		if got := CompareDebVersions(tt.a, tt.b, false); got != tt.want {
			t.Errorf("%s vs %s = %d, want %d", tt.a, tt.b, got, tt.want)
		}
		if got := CompareDebVersions(tt.b, tt.a, false); got != -tt.want {
			t.Errorf("%s vs %s = %d, want %d", tt.b, tt.a, got, -tt.want)
		}
	}
}
