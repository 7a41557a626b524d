package server_test

import (
	"testing"
	"time"

	"bedside/call/signal"

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
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)
	dev.send(signal.Message{Type: signal.TypeConnected, Call: id})
	dev.sync()

	// The tablet's old connection is replaced by a new one (its new address): the call is
	// held, not ended, for as long as the outage limit.
	fresh := e.device(d)
	dev.expectClosed()
	e.clock.Advance(59 * time.Second)
	fresh.send(signal.Message{Type: signal.TypeResume, Call: id})
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

	// Resuming a call that is over, or someone else's, is refused and changes nothing.
	fresh.send(signal.Message{Type: signal.TypeResume, Call: id})
	fresh.expectError(signal.CodeNoSuchCall)
}

// A hang-up that says the call failed (the engine gave up on a lost network) ends the call as
// failed, and the call log says so.
func TestHangupFailedIsLoggedAsFailed(t *testing.T) {
	e := newEnv(t, nil)
	dev := e.device(e.enroll(e.demo.PairingCode))
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)
	dev.send(signal.Message{Type: signal.TypeConnected, Call: id})
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id, Reason: signal.ReasonFailed})
	require.Equal(t, signal.ReasonFailed, dev.expect(signal.TypeEnded).Reason)
	require.Equal(t, "failed", e.waitCalls(1)[0].Reason)
}
