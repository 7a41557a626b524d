package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
)

// TestLinkExpiresWhileConnected: a family page whose link expires while it is open is told
// (link-expired) and closed, as on revocation; the tablet sees it go offline and can no
// longer ring it. Before that moment nothing happens.
func TestLinkExpiresWhileConnected(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	token, err := server.NewFamilyLink(ctx, e.st, e.demo.ContactID, time.Hour, server.LinkOptions{Now: e.clock.Now})
	require.NoError(t, err)
	dev := e.device(e.enroll(e.demo.PairingCode))
	fam := e.family(token)
	p := dev.expect(signal.TypePresence)
	require.Equal(t, e.demo.ContactID, p.Peer)
	require.True(t, *p.Online)

	// A minute before the end the page works: the tablet rings it.
	e.clock.Advance(59 * time.Minute)
	dev.send(signal.Message{Type: signal.TypeInvite, To: e.demo.ContactID})
	id := dev.expect(signal.TypeRinging).Call
	require.Equal(t, id, fam.expect(signal.TypeRing).Call)
	dev.send(signal.Message{Type: signal.TypeHangup, Call: id})
	dev.expect(signal.TypeEnded)
	fam.expect(signal.TypeEnded)

	// The link's hour is up: the page is told and closed.
	e.clock.Advance(time.Minute)
	fam.expectError(signal.CodeLinkExpired)
	fam.expectClosed()
	p = dev.expect(signal.TypePresence)
	require.Equal(t, e.demo.ContactID, p.Peer)
	require.False(t, *p.Online)

	// The tablet can no longer ring it, and the link cannot come back.
	dev.send(signal.Message{Type: signal.TypeInvite, To: e.demo.ContactID})
	require.Equal(t, signal.ReasonOffline, dev.expect(signal.TypeEnded).Reason)
	w := e.dial()
	w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: token})
	w.expectError(signal.CodeLinkExpired)
}
