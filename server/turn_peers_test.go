package server

import (
	"net"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCandidateAddr(t *testing.T) {
	for _, tc := range []struct {
		line string
		want string // "" when no address
	}{
		{"candidate:1 1 udp 2122260223 192.168.1.5 54321 typ host generation 0", "192.168.1.5"},
		{"a=candidate:1 1 UDP 2122260223 10.0.0.2 9 typ host\r", "10.0.0.2"},
		{"candidate:2 1 udp 1686052607 203.0.113.9 4000 typ srflx raddr 192.168.1.5 rport 54321", "203.0.113.9"},
		{"candidate:3 1 tcp 1518280447 192.168.1.5 9 typ host tcptype active", "192.168.1.5"},
		{"candidate:4 1 udp 2122262783 2001:db8::7 5000 typ host", "2001:db8::7"},
		{"candidate:5 1 udp 1 fe80::1%eth0 5000 typ host", "fe80::1"},
		{"candidate:6 1 udp 1 ::ffff:10.1.2.3 5000 typ host", "10.1.2.3"},
		{"candidate:7 1 udp 2122260223 0b7a1c3e-4b9f-4d2e-9c1a-1f2e3d4c5b6a.local 54321 typ host", ""},
		{"candidate:8 1 udp 1 0.0.0.0 5000 typ host", ""},
		{"candidate:9 1 udp 1 10.0.0.1 99999 typ host", ""},
		{"candidate:9 1 udp 1 10.0.0.1 -1 typ host", ""},
		{"candidate:10 1 sctp 1 10.0.0.1 5000 typ host", ""},
		{"candidate:11 1 udp 1 10.0.0.1 5000 host typ", ""},
		{"candidate:12 1 udp 1 10.0.0.1 5000", ""},
		{"candidate:", ""},
		{"", ""},
		{"10.0.0.1", ""},
		{"a=ice-ufrag:abcd", ""},
	} {
		a, ok := candidateAddr(tc.line)
		if tc.want == "" {
			require.False(t, ok, tc.line)
			continue
		}
		require.True(t, ok, tc.line)
		require.Equal(t, netip.MustParseAddr(tc.want), a, tc.line)
	}
}

func FuzzCandidateAddr(f *testing.F) {
	f.Add("candidate:1 1 udp 2122260223 192.168.1.5 54321 typ host generation 0")
	f.Add("a=candidate:2 1 UDP 1 abcd.local 9 typ host")
	f.Add("candidate:4 1 udp 2122262783 2001:db8::7%x 5000 typ host")
	f.Fuzz(func(t *testing.T, line string) {
		a, ok := candidateAddr(line)
		if ok && (!a.IsValid() || a.IsUnspecified() || a.Zone() != "" || a.Is4In6()) {
			t.Fatalf("%q gave %v", line, a)
		}
	})
}

func TestPermittedPeer(t *testing.T) {
	for _, tc := range []struct {
		ip            string
		want, withLoo bool
	}{
		{"10.1.2.3", true, true},
		{"192.168.0.7", true, true},
		{"203.0.113.5", true, true},
		{"2001:db8::1", true, true},
		{"127.0.0.1", false, true},
		{"127.1.2.3", false, true},
		{"::1", false, true},
		{"::ffff:127.0.0.1", false, true},
		{"0.0.0.0", false, false},
		{"0.1.2.3", false, false},
		{"::", false, false},
		{"169.254.169.254", false, false},
		{"::ffff:169.254.169.254", false, false},
		{"169.254.1.1", false, false},
		{"fe80::1", false, false},
		{"fd00:ec2::254", false, false},
		{"224.0.0.251", false, false},
		{"239.255.255.250", false, false},
		{"ff02::fb", false, false},
		{"ff01::1", false, false},
	} {
		ip := net.ParseIP(tc.ip)
		require.Equal(t, tc.want, permittedPeer(ip, false), tc.ip)
		require.Equal(t, tc.withLoo, permittedPeer(ip, true), tc.ip+" with loopback allowed")
	}
	require.False(t, permittedPeer(nil, true))
}

func TestParseUsername(t *testing.T) {
	exp, h, ok := parseUsername("1700000000:d.abc")
	require.True(t, ok)
	require.Equal(t, int64(1700000000), exp)
	require.Equal(t, "d.abc", h.tag())
	_, h, ok = parseUsername("1700000000:f.x:y")
	require.True(t, ok)
	require.Equal(t, "f.x:y", h.tag())
	for _, bad := range []string{"", "1700000000", "x:d.abc", "1700000000:abc", "1700000000:d.", "1700000000:z.abc"} {
		_, _, ok := parseUsername(bad)
		require.False(t, ok, bad)
	}
}
