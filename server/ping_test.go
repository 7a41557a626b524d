package server_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

// A ping is answered pong at once, in a call or not, and the connection stays up: the family
// page checks its connection so when a call's media stops.
func TestPingIsAnsweredPong(t *testing.T) {
	e := newEnv(t, nil)
	dev := e.device(e.enroll(e.demo.PairingCode))
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	fam.send(signal.Message{Type: signal.TypePing})
	require.Empty(t, fam.expect(signal.TypePong).Call)

	id := connectedCall(fam, dev)
	fam.send(signal.Message{Type: signal.TypePing})
	fam.expect(signal.TypePong)
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, dev.expect(signal.TypeEnded).Reason)
}
