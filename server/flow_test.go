package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
	"bedside/server/store"
)

func ptr[T any](v T) *T { return &v }

func TestFamilyCallsDevice(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	require.Equal(t, server.DemoWard, dev.cfg.Ward)
	require.Equal(t, server.DemoBed, dev.cfg.Bed)
	require.Equal(t, server.DemoPatient, dev.cfg.Patient)
	require.Equal(t, "en", dev.cfg.Language)
	require.Equal(t, 45, dev.cfg.RingSeconds)
	require.Len(t, dev.cfg.ICEServers, 1)
	require.Len(t, dev.cfg.Contacts, 1)
	require.Equal(t, e.demo.ContactID, dev.cfg.Contacts[0].ID)
	require.Equal(t, server.DemoContact, dev.cfg.Contacts[0].Name)
	require.False(t, dev.cfg.Contacts[0].Online)

	fam := e.family(e.demo.FamilyToken)
	require.Equal(t, server.DemoPatient, fam.cfg.Patient)
	require.Equal(t, e.demo.ContactID, fam.cfg.Self.ID)
	require.True(t, fam.cfg.DeviceOnline)
	p := dev.expect(signal.TypePresence)
	require.Equal(t, e.demo.ContactID, p.Peer)
	require.True(t, *p.Online)

	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	ring := dev.expect(signal.TypeRing)
	require.Equal(t, id, ring.Call)
	require.Equal(t, e.demo.ContactID, ring.From.ID)
	require.Equal(t, server.DemoContact, ring.From.Name)

	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)
	e.clock.Advance(1500 * time.Millisecond)

	fam.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0 offer"})
	require.Equal(t, "v=0 offer", dev.expect(signal.TypeOffer).SDP)
	dev.send(signal.Message{Type: signal.TypeAnswer, Call: id, SDP: "v=0 answer"})
	require.Equal(t, "v=0 answer", fam.expect(signal.TypeAnswer).SDP)
	cand := &signal.Candidate{Candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host", SDPMid: ptr("0"), SDPMLineIndex: ptr(uint16(0))}
	dev.send(signal.Message{Type: signal.TypeCandidate, Call: id, Candidate: cand})
	require.Equal(t, cand, fam.expect(signal.TypeCandidate).Candidate)
	fam.send(signal.Message{Type: signal.TypeCandidate, Call: id, Candidate: cand})
	require.Equal(t, cand, dev.expect(signal.TypeCandidate).Candidate)

	dev.send(signal.Message{Type: signal.TypeConnected, Call: id})
	fam.send(signal.Message{Type: signal.TypeConnected, Call: id})
	dev.sync()
	fam.sync()
	e.clock.Advance(time.Minute)
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, fam.expect(signal.TypeEnded).Reason)
	require.Equal(t, signal.ReasonHangup, dev.expect(signal.TypeEnded).Reason)

	recs := e.waitCalls(1)
	r := recs[0]
	require.Equal(t, store.FromFamily, r.Direction)
	require.Equal(t, e.demo.ContactID, r.ContactID)
	require.Equal(t, d.id, r.DeviceID)
	require.Equal(t, string(signal.ReasonHangup), r.Reason)
	require.Equal(t, 1500, r.SetupMS)
	require.Equal(t, 1500*time.Millisecond+time.Minute, r.Ended.Sub(r.Started))
	require.Equal(t, r.Started, r.Answered)

	// The call is over: more messages about it are refused, the connection stays up.
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	fam.expectError(signal.CodeNoSuchCall)

	// Leaving is presence to the device.
	fam.c.CloseNow()
	p = dev.next()
	require.Equal(t, signal.TypePresence, p.Type)
	require.False(t, *p.Online)
}

func TestDeviceCallsFamilyTabs(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	tab1 := e.family(e.demo.FamilyToken)
	tab2 := e.family(e.demo.FamilyToken)

	dev.send(signal.Message{Type: signal.TypeInvite, To: e.demo.ContactID})
	id := dev.expect(signal.TypeRinging).Call
	r1, r2 := tab1.expect(signal.TypeRing), tab2.expect(signal.TypeRing)
	require.Equal(t, id, r1.Call)
	require.Equal(t, id, r2.Call)
	require.Equal(t, signal.DevicePeer, r1.From.ID)
	require.Equal(t, server.DemoPatient, r1.From.Name)

	tab2.send(signal.Message{Type: signal.TypeAccept, Call: id})
	dev.expect(signal.TypeAccepted)
	require.Equal(t, signal.ReasonElsewhere, tab1.expect(signal.TypeEnded).Reason)

	// The losing tab is out of the call; a second accept on the winner is a bad state.
	tab1.send(signal.Message{Type: signal.TypeAccept, Call: id})
	tab1.expectError(signal.CodeNoSuchCall)
	tab2.send(signal.Message{Type: signal.TypeAccept, Call: id})
	tab2.expectError(signal.CodeBadState)

	dev.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "offer"})
	require.Equal(t, "offer", tab2.expect(signal.TypeOffer).SDP)
	tab2.send(signal.Message{Type: signal.TypeConnected, Call: id})
	tab2.sync()
	dev.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, tab2.expect(signal.TypeEnded).Reason)
	require.Equal(t, signal.ReasonHangup, dev.expect(signal.TypeEnded).Reason)

	r := e.waitCalls(1)[0]
	require.Equal(t, store.FromPatient, r.Direction)
	require.Equal(t, string(signal.ReasonHangup), r.Reason)
	require.Equal(t, 0, r.SetupMS)
}

func TestCallEndings(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)

	// Offline: the tablet is not connected.
	fam := e.family(e.demo.FamilyToken)
	require.False(t, fam.cfg.DeviceOnline)
	fam.send(signal.Message{Type: signal.TypeInvite})
	require.Equal(t, signal.ReasonOffline, fam.expect(signal.TypeEnded).Reason)

	dev := e.device(d)
	p := fam.expect(signal.TypePresence)
	require.Equal(t, signal.DevicePeer, p.Peer)
	require.True(t, *p.Online)

	// Declined.
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeDecline, Call: id})
	require.Equal(t, signal.ReasonDeclined, fam.expect(signal.TypeEnded).Reason)
	require.Equal(t, signal.ReasonDeclined, dev.expect(signal.TypeEnded).Reason)

	// Cancelled: the caller hangs up before an answer.
	fam.send(signal.Message{Type: signal.TypeInvite})
	id = fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonCancelled, fam.expect(signal.TypeEnded).Reason)
	require.Equal(t, signal.ReasonCancelled, dev.expect(signal.TypeEnded).Reason)

	// Busy: a second family page calls while the first is ringing.
	fam.send(signal.Message{Type: signal.TypeInvite})
	id = fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	other := e.family(e.demo.FamilyToken)
	other.send(signal.Message{Type: signal.TypeInvite})
	require.Equal(t, signal.ReasonBusy, other.expect(signal.TypeEnded).Reason)
	// The caller itself is busy too.
	fam.send(signal.Message{Type: signal.TypeInvite})
	fam.expectError(signal.CodeBusy)

	// Missed: nobody answers within the ring timeout.
	e.clock.Advance(44 * time.Second)
	e.clock.Advance(time.Second)
	require.Equal(t, signal.ReasonMissed, fam.expect(signal.TypeEnded).Reason)
	require.Equal(t, signal.ReasonMissed, dev.expect(signal.TypeEnded).Reason)

	// Failed: accepted, but media never connects.
	fam.send(signal.Message{Type: signal.TypeInvite})
	id = fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)
	e.clock.Advance(30 * time.Second)
	require.Equal(t, signal.ReasonFailed, fam.expect(signal.TypeEnded).Reason)
	require.Equal(t, signal.ReasonFailed, dev.expect(signal.TypeEnded).Reason)

	// Failed: the tablet vanishes mid-call and does not come back within the outage limit.
	fam.send(signal.Message{Type: signal.TypeInvite})
	id = fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)
	dev.send(signal.Message{Type: signal.TypeConnected, Call: id})
	dev.sync()
	dev.c.CloseNow()
	p = fam.expect(signal.TypePresence)
	require.False(t, *p.Online)
	e.clock.Advance(60 * time.Second)
	require.Equal(t, signal.ReasonFailed, fam.expect(signal.TypeEnded).Reason)

	recs := e.waitCalls(7)
	var reasons []string
	for i := len(recs) - 1; i >= 0; i-- {
		reasons = append(reasons, recs[i].Reason)
	}
	// Rows of calls that started at the same (fake) instant have no defined order.
	require.ElementsMatch(t, []string{"offline", "declined", "cancelled", "busy", "missed", "failed", "failed"}, reasons)
	require.Equal(t, 0, recs[0].SetupMS)
	require.Equal(t, -1, recs[1].SetupMS)
}

func TestDeviceReconnectReplacesOld(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	old := e.device(d)
	fam := e.family(e.demo.FamilyToken)
	old.expect(signal.TypePresence)
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	old.expect(signal.TypeRing)

	fresh := e.device(d)
	require.True(t, fresh.cfg.Contacts[0].Online)
	old.expectClosed()
	require.Equal(t, signal.ReasonFailed, fam.expect(signal.TypeEnded).Reason)

	// The new connection takes calls.
	fam.send(signal.Message{Type: signal.TypeInvite})
	id2 := fam.expect(signal.TypeRinging).Call
	require.NotEqual(t, id, id2)
	require.Equal(t, id2, fresh.expect(signal.TypeRing).Call)
}

func TestSecondTabletTakesOver(t *testing.T) {
	e := newEnv(t, nil)
	_, code, err := server.NewEnrollment(context.Background(), e.st, e.demo.WardID, e.demo.BedID, time.Hour, server.EnrollmentOptions{Now: e.clock.Now})
	require.NoError(t, err)
	first := e.device(e.enroll(e.demo.PairingCode))
	second := e.device(e.enroll(code))
	fam := e.family(e.demo.FamilyToken)
	second.expect(signal.TypePresence)
	second.c.CloseNow()
	// A connection's "client left" line comes after the hub let it go.
	require.Eventually(t, func() bool { return strings.Contains(e.logs.String(), "msg=\"client left\"") }, wait, time.Millisecond)

	// The first tablet is still there: no offline presence, and calls reach it.
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	require.Equal(t, id, first.expect(signal.TypeRing).Call)
}
