package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/internal/testkit"
)

func TestGroupCallMemberAwayThenGone(t *testing.T) {
	e := newEnv(t, nil)
	dev, anna, bob, bobID, bobToken, id := threeWayToken(t, e)
	bob.send(signal.Message{Type: signal.TypeJoin, Call: id})
	bob.expect(signal.TypeJoined)
	dev.expect(signal.TypeParticipant)
	anna.expect(signal.TypeParticipant)

	// Bob's connection drops: his place is held, he comes back and resumes.
	timers := e.clock.made()
	bob.c.CloseNow()
	testkit.Eventually(t, "the server holds Bob's place", func() bool { return e.clock.made() > timers })
	bob2 := e.family(bobToken)
	bob2.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee})
	bob2.sync()
	bob2.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: signal.DevicePeer, SDP: "v=0 again"})
	require.Equal(t, bobID, dev.expect(signal.TypeOffer).Peer)

	// It drops again and does not come back within the outage limit: he left, failed.
	timers = e.clock.made()
	bob2.c.CloseNow()
	testkit.Eventually(t, "the server holds Bob's place", func() bool { return e.clock.made() > timers })
	e.clock.Advance(time.Minute)
	for _, w := range []*ws{dev, anna} {
		p := w.expect(signal.TypeParticipant)
		require.Equal(t, signal.EventLeft, p.Event)
		require.Equal(t, signal.ReasonFailed, p.Reason)
		require.Equal(t, bobID, p.From.ID)
	}
	// The two left go on.
	anna.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0 two again"})
	require.Equal(t, e.demo.ContactID, dev.expect(signal.TypeOffer).Peer)
	dev.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, dev.expect(signal.TypeEnded).Reason)
	require.Equal(t, signal.EventLeft, anna.expect(signal.TypeParticipant).Event)
	require.Equal(t, signal.ReasonHangup, anna.expect(signal.TypeEnded).Reason)
	r := e.waitCalls(1)[0]
	require.Len(t, r.Participants, 3)
	for _, p := range r.Participants {
		want := signal.ReasonHangup
		if p.ID == bobID {
			want = signal.ReasonFailed
		}
		require.Equal(t, string(want), p.Reason, p.ID)
	}
}

func TestGroupCallTabletResumes(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	_, bobToken := e.addContact("Bob", nil)
	anna := e.family(e.demo.FamilyToken)
	bob := e.family(bobToken)
	id := connectedCall(anna, dev)
	bob.expect(signal.TypeLive)
	bob.send(signal.Message{Type: signal.TypeJoin, Call: id})
	bob.expect(signal.TypeJoined)
	dev.expect(signal.TypeParticipant)

	// The tablet's connection drops and comes back; in a group call it names no other end.
	made := e.clock.made()
	dev.c.CloseNow()
	testkit.Eventually(t, "the server holds the tablet's place", func() bool { return e.clock.made() > made })
	dev2 := e.device(d)
	dev2.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee})
	dev2.sync()
	bob.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: signal.DevicePeer, SDP: "v=0 again"})
	require.Equal(t, bob.cfg.Self.ID, dev2.expect(signal.TypeOffer).Peer)
	// A call that is over is answered as over.
	bob.send(signal.Message{Type: signal.TypeHangup, Call: id})
	anna.send(signal.Message{Type: signal.TypeHangup, Call: id})
	dev2.skipTo(signal.TypeEnded)
	dev2.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee})
	require.Equal(t, id, dev2.expect(signal.TypeEnded).Call)
}

// A group call goes on through a restart of the server: each member resumes it, the first
// takes it back as a call of two, the others are taken back as members.
func TestGroupCallTakenBackAfterRestart(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	_, bobToken := e.addContact("Bob", nil)
	_, guestToken := e.guest("Ines", "Interpreter", 3)
	anna, bob, gp := e.family(e.demo.FamilyToken), e.family(bobToken), e.family(guestToken)
	id := connectedCall(anna, dev)
	for _, w := range []*ws{bob, gp} {
		w.skipTo(signal.TypeLive)
		w.send(signal.Message{Type: signal.TypeJoin, Call: id})
		w.skipTo(signal.TypeJoined)
	}
	bobID, guestID := bob.cfg.Self.ID, gp.cfg.Self.ID

	e.restart()
	bob, gp = e.family(bobToken), e.family(guestToken)
	dev, anna = e.device(d), e.family(e.demo.FamilyToken)
	// Bob first: he takes the call back as a call of two with the tablet, which he joined.
	bob.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee})
	bob.sync()
	dev.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee, To: e.demo.ContactID})
	dev.sync()
	anna.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCaller})
	gp.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee})
	for _, w := range []*ws{anna, gp} {
		w.sendRaw([]byte(`{"type":"sync-barrier"}`))
		require.Equal(t, signal.CodeUnknownType, w.skipTo(signal.TypeError).Code)
	}

	// Everyone reaches everyone, named by Peer.
	bob.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: e.demo.ContactID, SDP: "v=0 bob-anna"})
	require.Equal(t, bobID, anna.skipTo(signal.TypeOffer).Peer)
	gp.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: signal.DevicePeer, SDP: "v=0 guest-dev"})
	require.Equal(t, guestID, dev.skipTo(signal.TypeOffer).Peer)
	dev.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: bobID, SDP: "v=0 dev-bob"})
	require.Equal(t, signal.DevicePeer, bob.skipTo(signal.TypeOffer).Peer)

	// The members leave one by one; when only the guest is left, the call ends.
	bob.send(signal.Message{Type: signal.TypeHangup, Call: id})
	bob.skipTo(signal.TypeEnded)
	anna.send(signal.Message{Type: signal.TypeHangup, Call: id})
	anna.skipTo(signal.TypeEnded)
	dev.send(signal.Message{Type: signal.TypeHangup, Call: id})
	dev.skipTo(signal.TypeEnded)
	require.Equal(t, signal.ReasonHangup, gp.skipTo(signal.TypeEnded).Reason)
	r := e.waitCalls(1)[0]
	require.Len(t, r.Participants, 4)
}
