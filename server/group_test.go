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

// addContact adds a contact to the demo patient and returns it with a fresh family link token.
func (e *env) addContact(name string, change func(*store.Contact)) (store.Contact, string) {
	e.t.Helper()
	ctx := context.Background()
	k := store.Contact{PatientID: e.demo.PatientID, Name: name, Relation: "Son"}
	if change != nil {
		change(&k)
	}
	k, err := e.st.CreateContact(ctx, k)
	require.NoError(e.t, err)
	token, err := server.NewFamilyLink(ctx, e.st, k.ID, 24*time.Hour, server.LinkOptions{Now: e.clock.Now})
	require.NoError(e.t, err)
	return k, token
}

// expectOnly reads until a message of type typ, skipping presence and live; anything else
// fails the test.
func (w *ws) expectOnly(typ signal.Type) signal.Message {
	w.t.Helper()
	for {
		m := w.next()
		if m.Type == typ {
			return m
		}
		if m.Type != signal.TypePresence && m.Type != signal.TypeLive {
			w.t.Fatalf("want %s, got %+v", typ, m)
		}
	}
}

// ids lists the ids of parties.
func ids(ps []signal.Party) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ID)
	}
	return out
}

// threeWay starts a call of the tablet with Anna (the demo contact), connected, with Bob's page
// open beside them; it returns the clients, Bob's contact id and token, and the call id.
func threeWay(t *testing.T, e *env) (dev, anna, bob *ws, bobID, id string) {
	dev, anna, bob, bobID, _, id = threeWayToken(t, e)
	return
}

func threeWayToken(t *testing.T, e *env) (dev, anna, bob *ws, bobID, bobToken, id string) {
	d := e.enroll(e.demo.PairingCode)
	dev = e.device(d)
	bobContact, bobToken := e.addContact("Bob", nil)
	bobID = bobContact.ID
	anna = e.family(e.demo.FamilyToken)
	bob = e.family(bobToken)
	require.True(t, bob.cfg.GroupCalls)
	require.True(t, bob.cfg.MayJoin)

	dev.send(signal.Message{Type: signal.TypeInvite, To: e.demo.ContactID})
	id = dev.expect(signal.TypeRinging).Call
	anna.expect(signal.TypeRing)
	anna.send(signal.Message{Type: signal.TypeAccept, Call: id})
	dev.expect(signal.TypeAccepted)

	// A call of two: the server names the sender in Peer.
	dev.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0 offer"})
	offer := anna.expect(signal.TypeOffer)
	require.Equal(t, signal.DevicePeer, offer.Peer)
	anna.send(signal.Message{Type: signal.TypeAnswer, Call: id, SDP: "v=0 answer"})
	require.Equal(t, e.demo.ContactID, dev.expect(signal.TypeAnswer).Peer)
	dev.send(signal.Message{Type: signal.TypeConnected, Call: id})

	live := bob.expect(signal.TypeLive)
	require.Equal(t, id, live.Call)
	require.ElementsMatch(t, []string{signal.DevicePeer, e.demo.ContactID}, ids(live.Participants))
	require.True(t, live.CanJoin)
	return dev, anna, bob, bobID, bobToken, id
}

func TestGroupCallJoinAndLeave(t *testing.T) {
	e := newEnv(t, nil)
	dev, anna, bob, bobID, id := threeWay(t, e)

	bob.send(signal.Message{Type: signal.TypeJoin, Call: id})
	joined := bob.expect(signal.TypeJoined)
	require.Equal(t, []string{signal.DevicePeer, e.demo.ContactID}, ids(joined.Participants))
	require.Equal(t, server.DemoPatient, joined.Participants[0].Name)
	require.Equal(t, server.DemoContact, joined.Participants[1].Name)
	for _, w := range []*ws{dev, anna} {
		p := w.expect(signal.TypeParticipant)
		require.Equal(t, signal.EventJoined, p.Event)
		require.Equal(t, bobID, p.From.ID)
		require.Equal(t, "Bob", p.From.Name)
	}

	// The newcomer offers to each; everything is routed by Peer and carries the sender's id.
	bob.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: signal.DevicePeer, SDP: "v=0 bob-dev"})
	bob.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: e.demo.ContactID, SDP: "v=0 bob-anna"})
	o := dev.expect(signal.TypeOffer)
	require.Equal(t, bobID, o.Peer)
	require.Equal(t, "v=0 bob-dev", o.SDP)
	o = anna.expect(signal.TypeOffer)
	require.Equal(t, bobID, o.Peer)
	require.Equal(t, "v=0 bob-anna", o.SDP)
	dev.send(signal.Message{Type: signal.TypeAnswer, Call: id, Peer: bobID, SDP: "v=0 dev-bob"})
	a := bob.expect(signal.TypeAnswer)
	require.Equal(t, signal.DevicePeer, a.Peer)
	cand := &signal.Candidate{Candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host"}
	anna.send(signal.Message{Type: signal.TypeCandidate, Call: id, Peer: bobID, Candidate: cand})
	c := bob.expect(signal.TypeCandidate)
	require.Equal(t, e.demo.ContactID, c.Peer)
	require.Equal(t, cand, c.Candidate)
	// Three in the call: a message without a peer is refused, the call goes on.
	anna.send(signal.Message{Type: signal.TypeCandidate, Call: id, Candidate: cand})
	anna.expectError(signal.CodeBadMessage)
	bob.send(signal.Message{Type: signal.TypeConnected, Call: id})

	// Anna leaves; the others go on, and her page hears the call is still live.
	e.clock.Advance(time.Minute)
	anna.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, anna.expect(signal.TypeEnded).Reason)
	for _, w := range []*ws{dev, bob} {
		p := w.expect(signal.TypeParticipant)
		require.Equal(t, signal.EventLeft, p.Event)
		require.Equal(t, e.demo.ContactID, p.From.ID)
		require.Equal(t, signal.ReasonHangup, p.Reason)
	}
	live := anna.expect(signal.TypeLive)
	require.Equal(t, []string{signal.DevicePeer, bobID}, ids(live.Participants))
	require.True(t, live.CanJoin)
	dev.send(signal.Message{Type: signal.TypeOffer, Call: id, Peer: bobID, SDP: "v=0 renegotiate"})
	require.Equal(t, "v=0 renegotiate", bob.expect(signal.TypeOffer).SDP)

	// Bob leaves: fewer than two left, the call ends for the tablet too.
	e.clock.Advance(time.Minute)
	bob.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, bob.expect(signal.TypeEnded).Reason)
	require.Equal(t, signal.EventLeft, dev.expect(signal.TypeParticipant).Event)
	require.Equal(t, signal.ReasonHangup, dev.expect(signal.TypeEnded).Reason)
	over := anna.expect(signal.TypeLive)
	require.Equal(t, id, over.Call)
	require.Empty(t, over.Participants)

	r := e.waitCalls(1)[0]
	require.Equal(t, string(signal.ReasonHangup), r.Reason)
	require.Equal(t, e.demo.ContactID, r.ContactID)
	require.Len(t, r.Participants, 3)
	byID := map[string]store.CallParticipant{}
	for _, p := range r.Participants {
		byID[p.ID] = p
	}
	require.Equal(t, store.KindDevice, byID[signal.DevicePeer].Kind)
	require.Equal(t, store.KindFamily, byID[bobID].Kind)
	require.Equal(t, string(signal.ReasonHangup), byID[e.demo.ContactID].Reason)
	require.Equal(t, time.Minute, byID[e.demo.ContactID].Left.Sub(byID[bobID].Joined))
	require.Equal(t, 2*time.Minute, byID[signal.DevicePeer].Left.Sub(byID[bobID].Joined))
}

func TestGroupCallAdd(t *testing.T) {
	e := newEnv(t, nil)
	dev, anna, bob, bobID, id := threeWay(t, e)
	carl, carlToken := e.addContact("Carl", nil)
	carlPage := e.family(carlToken)
	carlPage.expect(signal.TypeLive)

	// The tablet rings Bob into the call.
	dev.send(signal.Message{Type: signal.TypeAdd, Call: id, To: bobID})
	ring := bob.expectOnly(signal.TypeRing)
	require.Equal(t, signal.DevicePeer, ring.From.ID)
	require.ElementsMatch(t, []string{signal.DevicePeer, e.demo.ContactID}, ids(ring.Participants))
	for _, w := range []*ws{dev, anna} {
		p := w.expect(signal.TypeParticipant)
		require.Equal(t, signal.EventRinging, p.Event)
		require.Equal(t, bobID, p.From.ID)
	}
	// Adding someone being rung, or in the call, is refused.
	anna.send(signal.Message{Type: signal.TypeAdd, Call: id, To: bobID})
	anna.expectError(signal.CodeBusy)
	anna.send(signal.Message{Type: signal.TypeAdd, Call: id, To: e.demo.ContactID})
	anna.expectError(signal.CodeBusy)

	bob.send(signal.Message{Type: signal.TypeAccept, Call: id})
	require.Len(t, bob.expect(signal.TypeJoined).Participants, 2)
	for _, w := range []*ws{dev, anna} {
		require.Equal(t, signal.EventJoined, w.expect(signal.TypeParticipant).Event)
	}

	// Anna rings Carl, who does not answer.
	anna.send(signal.Message{Type: signal.TypeAdd, Call: id, To: carl.ID})
	require.Equal(t, e.demo.ContactID, carlPage.expectOnly(signal.TypeRing).From.ID)
	for _, w := range []*ws{dev, anna, bob} {
		require.Equal(t, signal.EventRinging, w.expect(signal.TypeParticipant).Event)
	}
	e.clock.Advance(46 * time.Second)
	require.Equal(t, signal.ReasonMissed, carlPage.expectOnly(signal.TypeEnded).Reason)
	for _, w := range []*ws{dev, anna, bob} {
		p := w.expect(signal.TypeParticipant)
		require.Equal(t, signal.EventMissed, p.Event)
		require.Equal(t, carl.ID, p.From.ID)
	}
	// Rung again, Carl declines.
	dev.send(signal.Message{Type: signal.TypeAdd, Call: id, To: carl.ID})
	carlPage.expectOnly(signal.TypeRing)
	carlPage.send(signal.Message{Type: signal.TypeDecline, Call: id})
	require.Equal(t, signal.ReasonDeclined, carlPage.expectOnly(signal.TypeEnded).Reason)
	for _, w := range []*ws{dev, anna, bob} {
		require.Equal(t, signal.EventRinging, w.expect(signal.TypeParticipant).Event)
		require.Equal(t, signal.EventDeclined, w.expect(signal.TypeParticipant).Event)
	}
}

func TestGroupCallRefusals(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	dev, anna, bob, bobID, id := threeWay(t, e)
	_ = anna

	// Another patient's link: that call is none of its business.
	b2, err := e.st.CreateBed(ctx, store.Bed{WardID: e.demo.WardID, Name: "2"})
	require.NoError(t, err)
	p2, err := e.st.Admit(ctx, store.Patient{BedID: b2.ID, FirstName: "Giulia", Language: "en"})
	require.NoError(t, err)
	other, err := e.st.CreateContact(ctx, store.Contact{PatientID: p2.ID, Name: "Olga"})
	require.NoError(t, err)
	otherToken, err := server.NewFamilyLink(ctx, e.st, other.ID, time.Hour, server.LinkOptions{Now: e.clock.Now})
	require.NoError(t, err)
	stranger := e.family(otherToken)
	stranger.send(signal.Message{Type: signal.TypeJoin, Call: id})
	stranger.expectError(signal.CodeNoSuchCall)
	// Nor can the tablet add someone else's contact.
	dev.send(signal.Message{Type: signal.TypeAdd, Call: id, To: other.ID})
	dev.expectError(signal.CodeForbidden)
	// An unknown call.
	bob.send(signal.Message{Type: signal.TypeJoin, Call: "nosuchcall"})
	bob.expectError(signal.CodeNoSuchCall)

	// The nurse says Bob may not join calls in progress.
	k, err := e.st.Contact(ctx, bobID)
	require.NoError(t, err)
	k.JoinOff = true
	require.NoError(t, e.st.UpdateContact(ctx, k))
	require.NoError(t, e.srv.Refresh(ctx, e.demo.BedID))
	cfg := bob.expectOnly(signal.TypeConfig)
	require.False(t, cfg.Config.MayJoin)
	require.True(t, dev.expectOnly(signal.TypeConfig).Config.GroupCalls)
	live := bob.expect(signal.TypeLive)
	require.False(t, live.CanJoin)
	bob.send(signal.Message{Type: signal.TypeJoin, Call: id})
	bob.expectError(signal.CodeForbidden)

	// Group calls off for the patient: no one joins, the tablet adds no one.
	k.JoinOff = false
	require.NoError(t, e.st.UpdateContact(ctx, k))
	p, err := e.st.Patient(ctx, e.demo.PatientID)
	require.NoError(t, err)
	p.GroupCallsOff = true
	require.NoError(t, e.st.UpdatePatient(ctx, p))
	require.NoError(t, e.srv.Refresh(ctx, e.demo.BedID))
	require.False(t, dev.expectOnly(signal.TypeConfig).Config.GroupCalls)
	require.False(t, bob.expectOnly(signal.TypeConfig).Config.GroupCalls)
	require.False(t, bob.expectOnly(signal.TypeLive).CanJoin)
	bob.send(signal.Message{Type: signal.TypeJoin, Call: id})
	bob.expectError(signal.CodeForbidden)
	dev.send(signal.Message{Type: signal.TypeAdd, Call: id, To: bobID})
	dev.expectError(signal.CodeForbidden)
}

// skipTo reads until a message of type typ, skipping presence, live and participant.
func (w *ws) skipTo(typ signal.Type) signal.Message {
	w.t.Helper()
	for {
		m := w.next()
		if m.Type == typ {
			return m
		}
		switch m.Type {
		case signal.TypePresence, signal.TypeLive, signal.TypeParticipant:
		default:
			w.t.Fatalf("want %s, got %+v", typ, m)
		}
	}
}

func TestGroupCallFull(t *testing.T) {
	e := newEnv(t, nil)
	dev, _, bob, _, id := threeWay(t, e)
	bob.send(signal.Message{Type: signal.TypeJoin, Call: id})
	bob.skipTo(signal.TypeJoined)
	for _, name := range []string{"Carl", "Dora", "Ezio"} {
		_, token := e.addContact(name, nil)
		p := e.family(token)
		p.send(signal.Message{Type: signal.TypeJoin, Call: id})
		p.skipTo(signal.TypeJoined)
	}
	// Five family members: a sixth is refused, the page stays up and hears it cannot join.
	fede, token := e.addContact("Fede", nil)
	sixth := e.family(token)
	live := sixth.expect(signal.TypeLive)
	require.False(t, live.CanJoin)
	require.Len(t, live.Participants, 6)
	sixth.send(signal.Message{Type: signal.TypeJoin, Call: id})
	sixth.expectError(signal.CodeBusy)
	// Nor can the tablet ring them in.
	dev.send(signal.Message{Type: signal.TypeAdd, Call: id, To: fede.ID})
	require.Equal(t, signal.CodeBusy, dev.skipTo(signal.TypeError).Code)
	// A guest still fits.
	_, gt := e.guest("Ines", "Interpreter", 3)
	gp := e.family(gt)
	require.True(t, gp.expect(signal.TypeLive).CanJoin)
	gp.send(signal.Message{Type: signal.TypeJoin, Call: id})
	require.Len(t, gp.expect(signal.TypeJoined).Participants, 6)
	// One leaves: the sixth hears there is room.
	bob.send(signal.Message{Type: signal.TypeHangup, Call: id})
	bob.skipTo(signal.TypeEnded)
	for {
		m := sixth.skipTo(signal.TypeLive)
		if m.CanJoin {
			break
		}
	}
	sixth.send(signal.Message{Type: signal.TypeJoin, Call: id})
	sixth.skipTo(signal.TypeJoined)
}
