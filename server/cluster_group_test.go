package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/internal/pgtest"
	"bedside/internal/testkit"
	"bedside/server"
	"bedside/server/store"
)

// A group call across two instances: the tablet and Anna on A (which owns the ward), Bob and
// a guest on B. Bob hears the call is live, joins, and offers and answers reach each member
// by Peer both ways; the guest joins; Bob rings Carl (on B), who declines; the guest's
// connection drops and it resumes through B; Anna leaves and the others go on; when only the guest
// is left the call ends, the guest link is spent, and the log has one row with all four.
func TestClusterGroupCallAcrossInstances(t *testing.T) {
	testkit.NoLeaks(t)
	testClusterGroupCall(t, memoryBuses(t), "")
}

// As TestClusterGroupCallAcrossInstances, over PostgreSQL: store and bus on one database.
func TestClusterGroupCallAcrossInstancesPG(t *testing.T) {
	db := pgtest.URL(t)
	testClusterGroupCall(t, pgBuses(t, db), db)
}

func testClusterGroupCall(t *testing.T, buses func(int) server.Bus, db string) {
	e := newTwin(t, longLease, buses, db)
	d := e.enroll(e.demo.PairingCode)
	dev := e.deviceAt(e.a, d) // A owns the ward
	anna := e.familyAt(e.a, e.demo.FamilyToken)
	bobContact, bobToken := e.addContact("Bob", nil)
	bobID := bobContact.ID
	bob := e.familyAt(e.b.WSURL(), bobToken)
	g, guestToken := e.guest("Ines", "Interpreter", 3)
	gp := e.familyAt(e.b.WSURL(), guestToken)
	require.True(t, gp.cfg.Self.Guest)

	dev.send(signal.Message{Type: signal.TypeInvite, To: e.demo.ContactID})
	id := dev.expect(signal.TypeRinging).Call
	anna.expect(signal.TypeRing)
	anna.send(signal.Message{Type: signal.TypeAccept, Call: id})
	dev.expect(signal.TypeAccepted)
	dev.send(signal.Message{Type: signal.TypeConnected, Call: id})

	// The pages on B hear the call is live, from A's hub.
	for _, w := range []*ws{bob, gp} {
		live := w.expectOnly(signal.TypeLive)
		require.Equal(t, id, live.Call)
		require.ElementsMatch(t, []string{signal.DevicePeer, e.demo.ContactID}, ids(live.Participants))
		require.True(t, live.CanJoin)
	}

	// Bob joins through B.
	bob.send(signal.Message{Type: signal.TypeJoin, Call: id})
	joined := bob.expectOnly(signal.TypeJoined)
	require.Equal(t, []string{signal.DevicePeer, e.demo.ContactID}, ids(joined.Participants))
	for _, w := range []*ws{dev, anna} {
		p := w.expectOnly(signal.TypeParticipant)
		require.Equal(t, signal.EventJoined, p.Event)
		require.Equal(t, bobID, p.From.ID)
	}
	bob.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: signal.DevicePeer, SDP: "v=0 bob-dev"})
	bob.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: e.demo.ContactID, SDP: "v=0 bob-anna"})
	o := dev.expectOnly(signal.TypeOffer)
	require.Equal(t, bobID, o.Peer)
	require.Equal(t, "v=0 bob-dev", o.SDP)
	o = anna.expectOnly(signal.TypeOffer)
	require.Equal(t, bobID, o.Peer)
	require.Equal(t, "v=0 bob-anna", o.SDP)
	dev.send(signal.Message{Type: signal.TypeAnswer, Call: id, Peer: bobID, SDP: "v=0 dev-bob"})
	a := bob.expectOnly(signal.TypeAnswer)
	require.Equal(t, signal.DevicePeer, a.Peer)
	require.Equal(t, "v=0 dev-bob", a.SDP)
	anna.send(signal.Message{Type: signal.TypeAnswer, Call: id, Peer: bobID, SDP: "v=0 anna-bob"})
	a = bob.expectOnly(signal.TypeAnswer)
	require.Equal(t, e.demo.ContactID, a.Peer)
	bob.send(signal.Message{Type: signal.TypeConnected, Call: id})

	// The guest, through B, cannot invite; a join of a call that is not there does not spend
	// its link; it joins, and its offer to Bob goes B → A → B.
	gp.send(signal.Message{Type: signal.TypeInvite})
	require.Equal(t, signal.CodeForbidden, gp.expectOnly(signal.TypeError).Code)
	gp.send(signal.Message{Type: signal.TypeJoin, Call: "no-such-call-0000000000"})
	require.Equal(t, signal.CodeNoSuchCall, gp.expectOnly(signal.TypeError).Code)
	gp.send(signal.Message{Type: signal.TypeJoin, Call: id})
	require.Len(t, gp.expectOnly(signal.TypeJoined).Participants, 3)
	for _, w := range []*ws{dev, anna, bob} {
		p := w.expectOnly(signal.TypeParticipant)
		require.Equal(t, signal.EventJoined, p.Event)
		require.True(t, p.From.Guest)
		require.Equal(t, g.ID, p.From.ID)
	}
	gp.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: bobID, SDP: "v=0 guest-bob"})
	o = bob.expectOnly(signal.TypeOffer)
	require.Equal(t, g.ID, o.Peer)
	bob.send(signal.Message{Type: signal.TypeAnswer, Call: id, Peer: g.ID, SDP: "v=0 bob-guest"})
	require.Equal(t, bobID, gp.expectOnly(signal.TypeAnswer).Peer)

	// Bob rings Carl (both on B) into the call; Carl declines.
	carl, carlToken := e.addContact("Carl", nil)
	cp := e.familyAt(e.b.WSURL(), carlToken)
	bob.send(signal.Message{Type: signal.TypeAdd, Call: id, To: carl.ID})
	ring := cp.expectOnly(signal.TypeRing)
	require.Equal(t, id, ring.Call)
	require.Equal(t, bobID, ring.From.ID)
	require.Len(t, ring.Participants, 4)
	for _, w := range []*ws{dev, anna, bob, gp} {
		p := w.expectOnly(signal.TypeParticipant)
		require.Equal(t, signal.EventRinging, p.Event)
		require.Equal(t, carl.ID, p.From.ID)
	}
	cp.send(signal.Message{Type: signal.TypeDecline, Call: id})
	for _, w := range []*ws{dev, anna, bob, gp} {
		require.Equal(t, signal.EventDeclined, w.expectOnly(signal.TypeParticipant).Event)
	}

	// The guest's connection drops; its place is held; it comes back through B and resumes.
	timers := e.clock.made()
	gp.c.CloseNow()
	testkit.Eventually(t, "the owner holds the guest's place", func() bool { return e.clock.made() > timers })
	gp = e.familyAt(e.b.WSURL(), guestToken)
	gp.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee})
	gp.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: signal.DevicePeer, SDP: "v=0 guest again"})
	o = dev.expectOnly(signal.TypeOffer)
	require.Equal(t, g.ID, o.Peer)
	require.Equal(t, "v=0 guest again", o.SDP)

	// Anna leaves; the others go on.
	anna.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, anna.expectOnly(signal.TypeEnded).Reason)
	for _, w := range []*ws{dev, bob, gp} {
		p := w.expectOnly(signal.TypeParticipant)
		require.Equal(t, signal.EventLeft, p.Event)
		require.Equal(t, e.demo.ContactID, p.From.ID)
	}
	dev.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: bobID, SDP: "v=0 renegotiate"})
	require.Equal(t, "v=0 renegotiate", bob.expectOnly(signal.TypeOffer).SDP)

	// Bob leaves, then the tablet: only the guest is left, the call ends, its link is spent.
	bob.send(signal.Message{Type: signal.TypeHangup, Call: id})
	bob.expectOnly(signal.TypeEnded)
	for _, w := range []*ws{dev, gp} {
		require.Equal(t, signal.EventLeft, w.expectOnly(signal.TypeParticipant).Event)
	}
	dev.send(signal.Message{Type: signal.TypeHangup, Call: id})
	dev.expectOnly(signal.TypeEnded)
	require.Equal(t, signal.EventLeft, gp.expectOnly(signal.TypeParticipant).Event)
	require.Equal(t, signal.ReasonHangup, gp.expectOnly(signal.TypeEnded).Reason)
	require.Equal(t, signal.CodeLinkRevoked, gp.expectOnly(signal.TypeError).Code)
	gp.expectClosed()

	recs := e.waitCalls(1)
	require.Len(t, recs, 1)
	byID := map[string]store.CallParticipant{}
	for _, p := range recs[0].Participants {
		byID[p.ID] = p
	}
	require.Len(t, byID, 4)
	require.Equal(t, store.KindDevice, byID[signal.DevicePeer].Kind)
	require.Equal(t, store.KindFamily, byID[e.demo.ContactID].Kind)
	require.Equal(t, store.KindFamily, byID[bobID].Kind)
	require.Equal(t, store.KindGuest, byID[g.ID].Kind)
	got, err := e.st.GuestLink(context.Background(), g.ID)
	require.NoError(t, err)
	require.False(t, got.Revoked.IsZero(), "spent")
	require.Equal(t, id, got.CallID)
}

// An instance holds its own lease as soon as it has started: the ward's owner, which takes
// the lease of an instance whose clients it proxies when nobody holds it, must not take that
// of an instance that only started (it would keep it, and that instance would close its
// clients every time it renews its leases, believing it lost touch).
func TestClusterInstanceHoldsItsLeaseFromStart(t *testing.T) {
	net := server.NewMemoryNet(nil)
	newTwin(t, longLease, func(n int) server.Bus { return net.Join(fmt.Sprintf("i%d", n)) }, "")
	probe := net.Join("probe")
	defer probe.Close()
	owners, err := probe.Claim(context.Background(), []string{"@i0", "@i1"}, longLease)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"@i0": "i0", "@i1": "i1"}, owners)
}

// syncPast is sync for a page that may hear a call is live meanwhile (live is skipped).
func (w *ws) syncPast() {
	w.t.Helper()
	w.sendRaw([]byte(`{"type":"sync-barrier"}`))
	require.Equal(w.t, signal.CodeUnknownType, w.expectOnly(signal.TypeError).Code)
}

// A guest link revoked through the console of an instance that does not own the ward closes
// the guest's page, wherever it is connected.
func TestClusterGuestRevokedThroughAnyInstance(t *testing.T) {
	e := newTwin(t, longLease, memoryBuses(t), "")
	d := e.enroll(e.demo.PairingCode)
	e.deviceAt(e.a, d) // A owns the ward
	g, token := e.guest("Ines", "Interpreter", 3)
	gp := e.familyAt(e.b.WSURL(), token)
	require.NoError(t, e.st.RevokeGuestLink(context.Background(), g.ID, e.clock.Now()))
	e.b.Srv.RevokeGuest(context.Background(), g.ID)
	gp.expectError(signal.CodeLinkRevoked)
	gp.expectClosed()
}

// syncOwner waits until the ward's owner has handled everything w sent, wherever w is
// connected: a request only the owner answers comes back after all of them.
func (w *ws) syncOwner() {
	w.t.Helper()
	w.send(signal.Message{Type: signal.TypeAccept, Call: "sync-barrier-0000000000"})
	require.Equal(w.t, signal.CodeNoSuchCall, w.skipTo(signal.TypeError).Code)
}

// The ward's owner (B) stops in the middle of a group call: A takes the ward. The tablet and
// Anna come back to A, Bob and the guest to a third instance C, whose requests go to A;
// everyone resumes the call there, reaches everyone by Peer, and the call leaves one log row
// with its four participants.
func TestClusterGroupCallOwnerMoves(t *testing.T) {
	e := newTwin(t, longLease, memoryBuses(t), "")
	d := e.enroll(e.demo.PairingCode)
	_, bobToken := e.addContact("Bob", nil)
	_, guestToken := e.guest("Ines", "Interpreter", 3)
	bob, gp := e.familyAt(e.b.WSURL(), bobToken), e.familyAt(e.b.WSURL(), guestToken) // B owns the ward
	dev := e.deviceAt(e.a, d)
	anna := e.familyAt(e.a, e.demo.FamilyToken)
	id := connectedCall(anna, dev)
	for _, w := range []*ws{bob, gp} {
		w.skipTo(signal.TypeLive)
		w.send(signal.Message{Type: signal.TypeJoin, Call: id})
		w.skipTo(signal.TypeJoined)
	}
	bobID, guestID := bob.cfg.Self.ID, gp.cfg.Self.ID

	e.b.Stop() // B gives the ward up
	for _, w := range []*ws{dev, anna, bob, gp} {
		w.expectClosed()
	}
	c := e.w.AddInstance(t, nil)
	dev, anna = e.deviceAt(e.a, d), e.familyAt(e.a, e.demo.FamilyToken) // A owns the ward
	bob, gp = e.familyAt(c.WSURL(), bobToken), e.familyAt(c.WSURL(), guestToken)
	bob.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee})
	bob.syncOwner()
	dev.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee, To: e.demo.ContactID})
	dev.syncOwner()
	anna.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCaller})
	gp.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee})
	anna.syncOwner()
	gp.syncOwner()

	bob.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: e.demo.ContactID, SDP: "v=0 bob-anna"})
	require.Equal(t, bobID, anna.skipTo(signal.TypeOffer).Peer)
	gp.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: signal.DevicePeer, SDP: "v=0 guest-dev"})
	require.Equal(t, guestID, dev.skipTo(signal.TypeOffer).Peer)
	dev.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: bobID, SDP: "v=0 dev-bob"})
	require.Equal(t, signal.DevicePeer, bob.skipTo(signal.TypeOffer).Peer)

	for _, w := range []*ws{bob, anna, dev} {
		w.send(signal.Message{Type: signal.TypeHangup, Call: id})
		w.skipTo(signal.TypeEnded)
	}
	require.Equal(t, signal.ReasonHangup, gp.skipTo(signal.TypeEnded).Reason)
	recs := e.waitCalls(1)
	require.Len(t, recs, 1)
	require.Len(t, recs[0].Participants, 4)
}
