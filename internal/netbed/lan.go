package netbed

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"bedside/internal/testkit"
)

// lanPrefix is the one segment of NewLAN.
const lanPrefix = "10.77.8"

// lanHosts are the hosts of NewLAN and the last byte of their addresses.
var lanHosts = []struct {
	name string
	last int
}{{Server, 10}, {Tablet, 20}, {Family, 40}}

func lanAddr(host string) netip.Addr {
	for _, h := range lanHosts {
		if h.name == host {
			return netip.MustParseAddr(fmt.Sprintf("%s.%d", lanPrefix, h.last))
		}
	}
	return netip.Addr{}
}

// NewLAN builds a testbed of one network segment, as a ward's Wi-Fi where the family member
// sits beside the bed: server, tablet and family are each a namespace with a veth link to a
// bridge in the router namespace, all in 10.77.8.0/24, with no router and no impairment (Set,
// Cut and Stats fail the test). Multicast crosses the bridge, so a browser's mDNS host
// candidates ("….local") resolve between the hosts, and it stays there: the segment has no
// link to anything else. Like New, it needs root and iproute2, and the test's cleanup removes
// it.
func NewLAN(tb testing.TB) *Bed {
	tb.Helper()
	testkit.Need(tb, "ip", "sysctl")
	if os.Geteuid() != 0 {
		tb.Fatal("netbed needs root (network namespaces)")
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	b := &Bed{tb: tb, prefix: "nl" + hex.EncodeToString(rnd[:]), ns: map[string]string{}, lan: true}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("netbed: %v", err)
		}
	})
	if err := b.setUpLAN(); err != nil {
		tb.Fatalf("netbed: %v", err)
	}
	return b
}

func (b *Bed) setUpLAN() error {
	for _, h := range []string{Router, Server, Tablet, Family} {
		b.ns[h] = b.prefix + "-" + h
		if err := b.ip("", "netns", "add", b.ns[h]); err != nil {
			delete(b.ns, h)
			return err
		}
		if err := b.ip(h, "link", "set", "lo", "up"); err != nil {
			return err
		}
		if err := b.sysctl(h, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"); err != nil {
			return err
		}
	}
	// Snooping off: the bridge floods multicast to every port, as a plain switch does.
	steps := [][]string{
		{Router, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0"},
		{Router, "link", "set", "br0", "up"},
	}
	for _, h := range lanHosts {
		steps = append(steps,
			[]string{h.name, "link", "add", "eth0", "type", "veth", "peer", "name", h.name, "netns", b.ns[Router]},
			[]string{h.name, "addr", "add", lanAddr(h.name).String() + "/24", "dev", "eth0"},
			[]string{h.name, "link", "set", "eth0", "up"},
			// Everything is on the link: a default route without a gateway gives multicast
			// (and a browser that looks for a default route) a way out.
			[]string{h.name, "route", "add", "default", "dev", "eth0"},
			[]string{Router, "link", "set", h.name, "master", "br0"},
			[]string{Router, "link", "set", h.name, "up"},
		)
	}
	for _, s := range steps {
		if err := b.ip(s[0], s[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// Firewall gives host a stateful firewall, as a device's own firewall (or a NAT in front of
// it) has: what comes in is let through only when it answers what host sent, except mDNS
// (UDP 5353). Another host's ICE checks then reach host only after host sent to that host's
// address itself: for a browser's mDNS candidate, only once host resolved its name. It needs
// nft (Debian's nftables).
func (b *Bed) Firewall(host string) {
	b.tb.Helper()
	testkit.Need(b.tb, "nft")
	rules := `table inet netbed {
	chain input {
		type filter hook input priority 0; policy drop;
		iif lo accept
		ct state established,related accept
		udp dport 5353 accept
	}
}
`
	cmd := b.Command(host, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.tb.Fatalf("netbed: a firewall for %s: %v: %s", host, err, strings.TrimSpace(string(out)))
	}
}
