package server_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

// A group call whose members are connected to two instances: the ward's owner (A) holds the
// call; pages on B join, ring no one as a guest, and reach everyone by Peer through the bus.
func TestClusterGroupCall(t *testing.T) {
	e := newTwin(t, longLease, memoryBuses(t), "")
	d := e.enroll(e.demo.PairingCode)
	dev := e.deviceAt(e.a, d)
	_, bobToken := e.addContact("Bob", nil)
	g, guestToken := e.guest("Ines", "Interpreter", 3)
	anna := e.familyAt(e.a, e.demo.FamilyToken)
	bob := e.familyAt(e.b.WSURL(), bobToken)
	gp := e.familyAt(e.b.WSURL(), guestToken)
	id := connectedCall(anna, dev)

	require.True(t, bob.skipTo(signal.TypeLive).CanJoin)
	bob.send(signal.Message{Type: signal.TypeJoin, Call: id})
	require.Len(t, bob.skipTo(signal.TypeJoined).Participants, 2)
	gp.skipTo(signal.TypeLive)
	gp.send(signal.Message{Type: signal.TypeInvite})
	require.Equal(t, signal.CodeForbidden, gp.skipTo(signal.TypeError).Code)
	gp.send(signal.Message{Type: signal.TypeJoin, Call: id})
	require.Len(t, gp.skipTo(signal.TypeJoined).Participants, 3)

	bob.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: signal.DevicePeer, SDP: "v=0 bob-dev"})
	require.Equal(t, bob.cfg.Self.ID, dev.skipTo(signal.TypeOffer).Peer)
	gp.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: e.demo.ContactID, SDP: "v=0 guest-anna"})
	require.Equal(t, g.ID, anna.skipTo(signal.TypeOffer).Peer)
	dev.send(signal.Message{Type: signal.TypeAnswer, Call: id, Peer: bob.cfg.Self.ID, SDP: "v=0 dev-bob"})
	require.Equal(t, signal.DevicePeer, bob.skipTo(signal.TypeAnswer).Peer)

	for _, w := range []*ws{anna, bob, dev} {
		w.send(signal.Message{Type: signal.TypeHangup, Call: id})
		w.skipTo(signal.TypeEnded)
	}
	require.Equal(t, signal.ReasonHangup, gp.skipTo(signal.TypeEnded).Reason)
	require.Len(t, e.waitCalls(1)[0].Participants, 4)
	got, err := e.st.GuestLink(context.Background(), g.ID)
	require.NoError(t, err)
	require.False(t, got.Revoked.IsZero(), "spent")
}
