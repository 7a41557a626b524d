package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
	"bedside/server/store"
)

// guest makes a guest link for the demo patient and returns it with its token.
func (e *env) guest(name, role string, hours int) (store.GuestLink, string) {
	e.t.Helper()
	g, token, err := server.NewGuestLink(context.Background(), e.st, e.demo.PatientID, name, role, hours,
		server.LinkOptions{Now: e.clock.Now})
	require.NoError(e.t, err)
	return g, token
}

func TestGuestJoinsOneCall(t *testing.T) {
	e := newEnv(t, nil)
	g, token := e.guest("Ines", "Interpreter", 3)
	gp := e.family(token)
	require.Equal(t, &signal.Party{ID: g.ID, Name: "Ines", Relation: "Interpreter", Guest: true}, gp.cfg.Self)
	require.True(t, gp.cfg.MayJoin)
	require.Equal(t, server.DemoPatient, gp.cfg.Patient)

	// No call in progress: a guest never rings anyone.
	gp.send(signal.Message{Type: signal.TypeInvite})
	gp.expectError(signal.CodeForbidden)
	gp.send(signal.Message{Type: signal.TypeJoin, Call: "nosuchcall"})
	gp.expectError(signal.CodeNoSuchCall)

	dev, anna, _, _, id := threeWay(t, e)
	live := gp.expect(signal.TypeLive)
	require.True(t, live.CanJoin)
	gp.send(signal.Message{Type: signal.TypeAdd, Call: id, To: e.demo.ContactID})
	gp.expectError(signal.CodeForbidden)

	gp.send(signal.Message{Type: signal.TypeJoin, Call: id})
	require.Len(t, gp.expect(signal.TypeJoined).Participants, 2)
	for _, w := range []*ws{dev, anna} {
		p := w.expect(signal.TypeParticipant)
		require.Equal(t, signal.EventJoined, p.Event)
		require.True(t, p.From.Guest)
		require.Equal(t, "Interpreter", p.From.Relation)
	}
	gp.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: signal.DevicePeer, SDP: "v=0 guest"})
	require.Equal(t, g.ID, dev.expect(signal.TypeOffer).Peer)

	// Anna leaves; the tablet and the guest go on. Then the tablet leaves: only a guest is
	// left, the call ends, and the guest link is spent.
	anna.send(signal.Message{Type: signal.TypeHangup, Call: id})
	anna.expect(signal.TypeEnded)
	require.Equal(t, signal.EventLeft, gp.expect(signal.TypeParticipant).Event)
	require.Equal(t, signal.EventLeft, dev.expect(signal.TypeParticipant).Event)
	dev.send(signal.Message{Type: signal.TypeHangup, Call: id})
	dev.expect(signal.TypeEnded)
	require.Equal(t, signal.EventLeft, gp.expect(signal.TypeParticipant).Event)
	require.Equal(t, signal.ReasonHangup, gp.expect(signal.TypeEnded).Reason)
	require.Equal(t, signal.CodeLinkRevoked, gp.expect(signal.TypeError).Code)
	gp.expectClosed()

	r := e.waitCalls(1)[0]
	require.Len(t, r.Participants, 3)
	got, err := e.st.GuestLink(context.Background(), g.ID)
	require.NoError(t, err)
	require.False(t, got.Revoked.IsZero(), "spent")
	require.Equal(t, id, got.CallID)

	w := e.dial()
	w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: token})
	w.expectError(signal.CodeLinkRevoked)
}

func TestGuestLinkRefusals(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	// Hours out of range.
	_, _, err := server.NewGuestLink(ctx, e.st, e.demo.PatientID, "X", "Chaplain", 13, server.LinkOptions{})
	require.ErrorIs(t, err, server.ErrBadRequest)
	_, _, err = server.NewGuestLink(ctx, e.st, e.demo.PatientID, "X", "Chaplain", 0, server.LinkOptions{})
	require.ErrorIs(t, err, server.ErrBadRequest)

	// Expired.
	_, token := e.guest("Ines", "Interpreter", 1)
	e.clock.Advance(time.Hour)
	w := e.dial()
	w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: token})
	w.expectError(signal.CodeLinkExpired)

	// Another patient's guest cannot join this patient's call.
	b2, err := e.st.CreateBed(ctx, store.Bed{WardID: e.demo.WardID, Name: "2"})
	require.NoError(t, err)
	p2, err := e.st.Admit(ctx, store.Patient{BedID: b2.ID, FirstName: "Giulia", Language: "en"})
	require.NoError(t, err)
	_, otherToken, err := server.NewGuestLink(ctx, e.st, p2.ID, "Olga", "Chaplain", 3, server.LinkOptions{Now: e.clock.Now})
	require.NoError(t, err)
	other := e.family(otherToken)
	_, _, _, _, id := threeWay(t, e)
	other.send(signal.Message{Type: signal.TypeJoin, Call: id})
	other.expectError(signal.CodeNoSuchCall)

	// Revoked by a nurse while open: the page is closed.
	g, token := e.guest("Ines", "Interpreter", 3)
	gp := e.family(token)
	gp.expect(signal.TypeLive)
	require.NoError(t, e.st.RevokeGuestLink(ctx, g.ID, time.Time{}))
	e.srv.RevokeGuest(ctx, g.ID)
	gp.expectError(signal.CodeLinkRevoked)
}
