package server

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

// In a group call the relay lets each member's allocations reach what every other member
// announced, and nothing else.
func TestGroupRelayPeers(t *testing.T) {
	tablet, anna, guest := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3")
	h := newHub(nil)
	k := &call{id: "k", deviceID: "dev1", state: stateConnected}
	k.grp.members = []*member{
		{party: signal.Party{ID: signal.DevicePeer}, seat: seatDevice, announced: addrSet{tablet: {}}},
		{party: signal.Party{ID: "anna"}, seat: seatFamily, announced: announceInto(nil,
			signal.Message{Candidate: &signal.Candidate{Candidate: "candidate:1 1 udp 1 10.0.0.2 9 typ host"}})},
		{party: signal.Party{ID: "g1", Guest: true}, seat: seatGuest, announced: addrSet{guest: {}}},
	}
	h.calls[k.id] = k
	dev := holder{role: signal.RoleDevice, id: "dev1"}
	fam := holder{role: signal.RoleFamily, id: "anna"}
	gst := holder{role: signal.RoleFamily, id: "g1"}
	for _, tc := range []struct {
		name string
		who  holder
		ip   netip.Addr
		want bool
	}{
		{"tablet to Anna", dev, anna, true},
		{"tablet to the guest", dev, guest, true},
		{"tablet to itself", dev, tablet, false},
		{"Anna to the tablet", fam, tablet, true},
		{"Anna to the guest", fam, guest, true},
		{"Anna to herself", fam, anna, false},
		{"the guest to the tablet", gst, tablet, true},
		{"another tablet", holder{role: signal.RoleDevice, id: "dev2"}, anna, false},
		{"someone not in the call", holder{role: signal.RoleFamily, id: "zed"}, tablet, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, h.announcedTo(tc.who, tc.ip))
		})
	}
	require.True(t, h.holderInCall(gst))
	require.False(t, h.holderInCall(holder{role: signal.RoleFamily, id: "zed"}))
}
