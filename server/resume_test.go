package server_test

import (
	"testing"
	"time"

	"bedside/call/signal"
	"bedside/server/store"

	"github.com/stretchr/testify/require"
)

// A tablet whose connection goes in the middle of a call (a network cut, roaming to another
// access point) reconnects and resumes the call: the server held it, relays for it again, and
// writes one call-log row when it ends, with the true reason.
func TestDeviceResumesACallAfterReconnecting(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	id := connectedCall(fam, dev)
	dev.sync()

	// The tablet's old connection is replaced by a new one (its new address): the call is
	// held, not ended, for as long as the outage limit.
	fresh := e.device(d)
	dev.expectClosed()
	e.clock.Advance(59 * time.Second)
	fresh.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee, To: e.demo.ContactID})
	fresh.sync()
	e.clock.Advance(10 * time.Second) // past the limit: the call no longer waits for anyone

	// The call carries on: the family's restart offer reaches the tablet's new connection.
	fam.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0 restart"})
	require.Equal(t, "v=0 restart", fresh.expect(signal.TypeOffer).SDP)
	fresh.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, fam.expect(signal.TypeEnded).Reason)
	fresh.expect(signal.TypeEnded)
	recs := e.waitCalls(1)
	require.Equal(t, "hangup", recs[0].Reason)

	// Resuming a call that is over is told how it ended, and changes nothing.
	fresh.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee, To: e.demo.ContactID})
	require.Equal(t, signal.ReasonHangup, fresh.expect(signal.TypeEnded).Reason)
	require.Len(t, e.waitCalls(1), 1)
}

// A hang-up that says the call failed (the engine gave up on a lost network) ends the call as
// failed, and the call log says so.
func TestHangupFailedIsLoggedAsFailed(t *testing.T) {
	e := newEnv(t, nil)
	dev := e.device(e.enroll(e.demo.PairingCode))
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	id := connectedCall(fam, dev)
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id, Reason: signal.ReasonFailed})
	require.Equal(t, signal.ReasonFailed, dev.expect(signal.TypeEnded).Reason)
	require.Equal(t, "failed", e.waitCalls(1)[0].Reason)
}

// The server restarts in the middle of a call: both ends resume it with the new server, which
// takes it back, relays for it, and writes one log row when it ends. A device cannot take back
// a call with someone who is not its patient's contact.
func TestCallTakenBackAfterRestart(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	id := connectedCall(fam, dev)
	dev.sync()

	e.restart()
	dev, fam = e.device(d), e.family(e.demo.FamilyToken)
	dev.send(signal.Message{Type: signal.TypeResume, Call: "someone-elses", Side: signal.SideCallee, To: "no-such-contact"})
	dev.expectError(signal.CodeForbidden)
	dev.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee, To: e.demo.ContactID})
	dev.sync()
	fam.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCaller})
	fam.sync()
	fam.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0 restart"})
	require.Equal(t, "v=0 restart", dev.expect(signal.TypeOffer).SDP)
	dev.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, fam.expect(signal.TypeEnded).Reason)
	recs := e.waitCalls(1)
	require.Equal(t, "hangup", recs[0].Reason)
	require.Equal(t, store.FromFamily, recs[0].Direction)
}

// Only one end comes back after a restart: the call waits for the other for the outage limit,
// then ends as failed, with its log row.
func TestCallTakenBackAloneFails(t *testing.T) {
	e := newEnv(t, nil)
	fam := e.family(e.demo.FamilyToken)
	fam.send(signal.Message{Type: signal.TypeResume, Call: "lost-call-1", Side: signal.SideCaller})
	fam.sync()
	e.clock.Advance(61 * time.Second)
	require.Equal(t, signal.ReasonFailed, fam.expect(signal.TypeEnded).Reason)
	require.Equal(t, "failed", e.waitCalls(1)[0].Reason)
}

// connectedCall has fam call dev, dev answer and report media flowing, and returns the call id.
func connectedCall(fam, dev *ws) string {
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)
	dev.send(signal.Message{Type: signal.TypeConnected, Call: id})
	return id
}
