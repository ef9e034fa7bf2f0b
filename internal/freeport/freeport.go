// Package freeport picks loopback ports for the servers tests and tools
// start. A port the kernel hands out for ":0" comes from the ephemeral
// range, which outgoing connections take their local ports from too:
// between closing the probe and the server's bind, a client socket can
// take it (CI saw "bind: address already in use"). These ports come from
// below the ephemeral range, where no connection is given a port.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
)

// Get returns a loopback TCP port that was free a moment ago.
func Get() (int, error) {
	lo, hi := below()
	for range 200 {
		p := lo + rand.IntN(hi-lo)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err == nil {
			l.Close()
			return p, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// below is a range of ports under the kernel's ephemeral range.
func below() (lo, hi int) {
	min := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var a, z int
		if n, _ := fmt.Sscan(string(b), &a, &z); n == 2 && a > 2048 {
			min = a
		}
	}
	hi = min - 1
	lo = max(1024, hi-16000)
	return lo, hi
}
