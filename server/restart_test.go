package server_test

import (
	"testing"

	"bedside/call/signal"
	"bedside/internal/testkit"

	"github.com/stretchr/testify/require"
)

// The callee of a call whose network changed asks the caller to restart ICE: the server relays
// the request inside the call like an offer (both ways, naming the sender as peer), refuses it
// malformed, before the call is answered and from outside the call, and the connection stays
// up each time.
func TestRestartRequestIsRelayed(t *testing.T) {
	e := newEnv(t, nil)
	dev := e.device(e.enroll(e.demo.PairingCode))
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)

	// Ringing, not answered yet: nothing to restart.
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeRestart, Call: id})
	dev.expectError(signal.CodeBadState)
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)
	dev.send(signal.Message{Type: signal.TypeConnected, Call: id})

	dev.send(signal.Message{Type: signal.TypeRestart, Call: id})
	m := fam.expect(signal.TypeRestart)
	require.Equal(t, id, m.Call)
	require.Equal(t, signal.DevicePeer, m.Peer)
	require.Empty(t, m.SDP)
	fam.send(signal.Message{Type: signal.TypeRestart, Call: id})
	require.Equal(t, id, dev.expect(signal.TypeRestart).Call)

	for _, raw := range []string{
		`{"type":"restart"}`,
		`{"type":"restart","call":"` + id + `","sdp":"v=0"}`,
		`{"type":"restart","call":"` + id + `","candidate":{"candidate":""}}`,
		`{"type":"restart","call":"` + id + `","peer":"no/such"}`,
		`{"type":"restart","call":["` + id + `"]}`,
	} {
		dev.sendRaw([]byte(raw))
		dev.expectError(signal.CodeBadMessage)
	}
	dev.send(signal.Message{Type: signal.TypeRestart, Call: "someone-elses-call"})
	dev.expectError(signal.CodeNoSuchCall)

	// Still up, and still relaying: the call ends normally, one row.
	dev.send(signal.Message{Type: signal.TypeRestart, Call: id})
	fam.expect(signal.TypeRestart)
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, dev.expect(signal.TypeEnded).Reason)
	require.Len(t, e.waitCalls(1), 1)
}

// A restart request crosses instances like an offer: the tablet on A asks the family page on
// B (and back).
func TestClusterRelaysRestartRequest(t *testing.T) {
	testkit.NoLeaks(t)
	e := newTwin(t, longLease, memoryBuses(t), "")
	dev := e.deviceAt(e.a, e.enroll(e.demo.PairingCode))
	fam := e.familyAt(e.b.WSURL(), e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	id := connectedCall(fam, dev)
	dev.send(signal.Message{Type: signal.TypeRestart, Call: id})
	m := fam.expect(signal.TypeRestart)
	require.Equal(t, id, m.Call)
	require.Equal(t, signal.DevicePeer, m.Peer)
	fam.send(signal.Message{Type: signal.TypeRestart, Call: id})
	require.Equal(t, id, dev.expect(signal.TypeRestart).Call)
	fam.sendRaw([]byte(`{"type":"restart","call":"` + id + `","sdp":"x"}`))
	fam.expectError(signal.CodeBadMessage)
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, dev.expect(signal.TypeEnded).Reason)
}

// In a group call the request goes to the pair's other end named in peer, who hears who asks.
func TestGroupRestartRequestGoesToThePeer(t *testing.T) {
	e := newEnv(t, nil)
	dev, anna, bob, bobID, id := threeWay(t, e)
	bob.send(signal.Message{Type: signal.TypeJoin, Call: id})
	bob.expect(signal.TypeJoined)
	dev.expect(signal.TypeParticipant)
	anna.expect(signal.TypeParticipant)

	// Bob offered both his pairs; Anna's network changed: she asks him.
	anna.send(signal.Message{Type: signal.TypeRestart, Call: id, Peer: bobID})
	m := bob.expect(signal.TypeRestart)
	require.Equal(t, e.demo.ContactID, m.Peer)
	dev.send(signal.Message{Type: signal.TypeRestart, Call: id, Peer: bobID})
	require.Equal(t, signal.DevicePeer, bob.expect(signal.TypeRestart).Peer)
	// Three in the call: without a peer it is refused.
	anna.send(signal.Message{Type: signal.TypeRestart, Call: id})
	anna.expectError(signal.CodeBadMessage)
}

// A family phone that changed networks is back on a new connection before the server notices
// that its old one is dead: resuming on the new one takes the call over (the same link), the
// other end's messages reach it there, the old connection's end later does not end the call,
// and the call leaves one log row.
func TestFamilyResumesOnANewConnection(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	old := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	id := connectedCall(old, dev)
	old.send(signal.Message{Type: signal.TypeConnected, Call: id})
	old.sync()

	fresh := e.family(e.demo.FamilyToken)
	fresh.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCaller})
	fresh.sync()
	fresh.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0 restart"})
	require.Equal(t, "v=0 restart", dev.expect(signal.TypeOffer).SDP)
	dev.send(signal.Message{Type: signal.TypeAnswer, Call: id, SDP: "v=0 answer"})
	require.Equal(t, "v=0 answer", fresh.expect(signal.TypeAnswer).SDP)
	old.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0 stale"})
	old.expectError(signal.CodeNoSuchCall)

	old.c.CloseNow()
	dev.send(signal.Message{Type: signal.TypeRestart, Call: id})
	require.Equal(t, signal.TypeRestart, fresh.expect(signal.TypeRestart).Type)
	fresh.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, dev.expect(signal.TypeEnded).Reason)
	recs := e.waitCalls(1)
	require.Len(t, recs, 1)
	require.Equal(t, "hangup", recs[0].Reason)
}
