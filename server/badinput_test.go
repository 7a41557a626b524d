package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
	"bedside/server/store"
)

// otherPatient admits a second patient (bed 2) with one contact and returns the contact and
// a family link token for it.
func (e *env) otherPatient() (store.Patient, store.Contact, string) {
	e.t.Helper()
	ctx := context.Background()
	bed, err := e.st.CreateBed(ctx, store.Bed{WardID: e.demo.WardID, Name: "2"})
	require.NoError(e.t, err)
	p, err := e.st.Admit(ctx, store.Patient{BedID: bed.ID, FirstName: "Bruno", Language: "it"})
	require.NoError(e.t, err)
	k, err := e.st.CreateContact(ctx, store.Contact{PatientID: p.ID, Name: "Carla", Relation: "wife"})
	require.NoError(e.t, err)
	token, err := server.NewFamilyLink(ctx, e.st, k.ID, time.Hour, server.LinkOptions{Now: e.clock.Now})
	require.NoError(e.t, err)
	return p, k, token
}

func TestBadInput(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	_, carla, carlaToken := e.otherPatient()
	stranger := e.family(carlaToken)
	require.False(t, stranger.cfg.DeviceOnline)
	require.Equal(t, "Bruno", stranger.cfg.Patient)

	// A call in progress that none of the bad input may disturb.
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)

	t.Run("malformed JSON", func(t *testing.T) {
		fam.sendRaw([]byte(`{"type": "invite",`))
		fam.expectError(signal.CodeBadMessage)
		fam.sendRaw([]byte(`[1,2,3]`))
		fam.expectError(signal.CodeBadMessage)
		fam.sendRaw([]byte(`{"type":"offer","call":"../../etc","sdp":"x"}`))
		m := fam.expectError(signal.CodeBadMessage)
		require.Empty(t, m.Call)
	})
	t.Run("unknown type", func(t *testing.T) {
		dev.sendRaw([]byte(`{"type":"teleport","call":"` + id + `"}`))
		m := dev.expectError(signal.CodeUnknownType)
		require.Equal(t, id, m.Call)
	})
	t.Run("server-only type", func(t *testing.T) {
		dev.send(signal.Message{Type: signal.TypeEnded, Call: id, Reason: signal.ReasonHangup})
		dev.expectError(signal.CodeBadMessage)
	})
	t.Run("oversized message", func(t *testing.T) {
		big := `{"type":"offer","call":"` + id + `","sdp":"` + strings.Repeat("a", signal.MaxMessageSize) + `"}`
		fam.sendRaw([]byte(big))
		fam.expectError(signal.CodeTooLarge)
	})
	t.Run("another patient's call", func(t *testing.T) {
		for _, typ := range []signal.Type{signal.TypeAccept, signal.TypeDecline, signal.TypeHangup, signal.TypeConnected} {
			stranger.send(signal.Message{Type: typ, Call: id})
			stranger.expectError(signal.CodeNoSuchCall)
		}
		stranger.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "evil"})
		stranger.expectError(signal.CodeNoSuchCall)
	})
	t.Run("relay outside a call", func(t *testing.T) {
		dev.send(signal.Message{Type: signal.TypeAnswer, Call: "nosuchcall", SDP: "x"})
		dev.expectError(signal.CodeNoSuchCall)
	})
	t.Run("device invites a non-contact", func(t *testing.T) {
		dev.send(signal.Message{Type: signal.TypeInvite, To: carla.ID})
		dev.expectError(signal.CodeForbidden)
		dev.send(signal.Message{Type: signal.TypeInvite, To: "nobody"})
		dev.expectError(signal.CodeForbidden)
	})
	t.Run("second accept", func(t *testing.T) {
		dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
		dev.expectError(signal.CodeBadState)
		fam.send(signal.Message{Type: signal.TypeAccept, Call: id})
		fam.expectError(signal.CodeBadState)
	})
	t.Run("hello again", func(t *testing.T) {
		fam.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: carlaToken})
		fam.expectError(signal.CodeBadState)
	})
	t.Run("wrong device signature", func(t *testing.T) {
		w := e.dial()
		_, otherKey, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		w.send(w.deviceHello(device{id: d.id, key: otherKey}))
		w.expectError(signal.CodeUnauthorized)
		w.expectClosed()
		// A signature of another nonce is refused too.
		w = e.dial()
		sig := ed25519.Sign(d.key, signal.HelloPayload("an old nonce"))
		w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleDevice, Device: d.id, Sig: base64.StdEncoding.EncodeToString(sig)})
		w.expectError(signal.CodeUnauthorized)
		w.expectClosed()
	})
	t.Run("unknown link", func(t *testing.T) {
		w := e.dial()
		w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: "not-a-real-token"})
		// The same answer as a revoked link's: it does not tell whether the token existed.
		w.expectError(signal.CodeLinkRevoked)
		w.expectClosed()
	})
	t.Run("staff", func(t *testing.T) {
		w := e.dial()
		w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleStaff})
		w.expectError(signal.CodeForbidden)
		w.expectClosed()
	})
	t.Run("request before hello", func(t *testing.T) {
		w := e.dial()
		w.send(signal.Message{Type: signal.TypeInvite})
		w.expectError(signal.CodeUnauthorized)
		w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: carlaToken})
		w.expect(signal.TypeWelcome)
	})
	t.Run("revoked link", func(t *testing.T) {
		k, err := e.st.CreateContact(ctx, store.Contact{PatientID: e.demo.PatientID, Name: "Luca"})
		require.NoError(t, err)
		token, err := e.srv.NewFamilyLink(ctx, k.ID, time.Hour)
		require.NoError(t, err)
		luca := e.family(token)
		links, err := e.st.Links(ctx, k.ID)
		require.NoError(t, err)
		require.NoError(t, e.st.RevokeLink(ctx, links[0].ID, e.clock.Now()))
		w := e.dial()
		w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: token})
		w.expectError(signal.CodeLinkRevoked)
		w.expectClosed()
		// An open page learns it at its next request.
		luca.send(signal.Message{Type: signal.TypeInvite})
		luca.expectError(signal.CodeLinkRevoked)
		luca.expectClosed()
	})
	t.Run("expired link", func(t *testing.T) {
		k, err := e.st.CreateContact(ctx, store.Contact{PatientID: e.demo.PatientID, Name: "Marco"})
		require.NoError(t, err)
		token, err := server.NewFamilyLink(ctx, e.st, k.ID, time.Minute, server.LinkOptions{Now: func() time.Time { return e.clock.Now().Add(-2 * time.Minute) }})
		require.NoError(t, err)
		w := e.dial()
		w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: token})
		w.expectError(signal.CodeLinkExpired)
		w.expectClosed()
	})

	// After all that, the call still works end to end and is logged once.
	fam.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "offer"})
	require.Equal(t, "offer", dev.expect(signal.TypeOffer).SDP)
	dev.send(signal.Message{Type: signal.TypeConnected, Call: id})
	dev.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, fam.expect(signal.TypeEnded).Reason)
	require.Equal(t, signal.ReasonHangup, dev.expect(signal.TypeEnded).Reason)
	recs := e.waitCalls(1)
	require.Equal(t, string(signal.ReasonHangup), recs[0].Reason)
	got, err := e.st.Device(ctx, d.id)
	require.NoError(t, err)
	require.False(t, got.Revoked)
	require.NotContains(t, e.logs.String(), e.demo.FamilyToken)
	require.NotContains(t, e.logs.String(), carlaToken)
	require.NotContains(t, e.logs.String(), server.DemoPatient)
	require.NotContains(t, e.logs.String(), server.DemoContact)
}

func TestDischargedPatient(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	fam := e.family(e.demo.FamilyToken)
	// Mark the patient discharged without revoking the links, as a store might on its own.
	p, err := e.st.Patient(ctx, e.demo.PatientID)
	require.NoError(t, err)
	require.NoError(t, e.st.Discharge(ctx, p.ID, e.clock.Now()))
	fam.send(signal.Message{Type: signal.TypeInvite})
	fam.expectError(signal.CodeLinkRevoked)
	fam.expectClosed()
	w := e.dial()
	w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: e.demo.FamilyToken})
	w.expectError(signal.CodeLinkRevoked)
	w.expectClosed()
}

func TestHelloTimeout(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.HelloTimeout = 50 * time.Millisecond })
	w := e.dial()
	w.expectError(signal.CodeUnauthorized)
	w.expectClosed()
}

func TestRevokedDevice(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	require.NoError(t, e.st.RevokeDevice(context.Background(), d.id))
	dev.send(signal.Message{Type: signal.TypeInvite, To: e.demo.ContactID})
	dev.expectError(signal.CodeRevoked)
	dev.expectClosed()
	w := e.dial()
	w.send(w.deviceHello(d))
	w.expectError(signal.CodeRevoked)
	w.expectClosed()
}

// TestFailedHellosAreRateLimited: an address that fails hello after hello is answered
// rate-limited, but a good credential from the same address (a tablet and a family page
// behind the guesser's NAT) still gets in; with time the bucket refills.
func TestFailedHellosAreRateLimited(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.FailedHellos = server.RateLimit{PerMinute: 1, Burst: 3} })
	d := e.enroll(e.demo.PairingCode)
	_, wrongKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	badDevice := func() *ws {
		w := e.dial()
		w.send(w.deviceHello(device{id: d.id, key: wrongKey}))
		return w
	}
	for range 3 {
		badDevice().expectError(signal.CodeUnauthorized)
	}
	for range 7 { // ten bad device hellos in all
		w := badDevice()
		w.expectError(signal.CodeRateLimited)
		w.expectClosed()
	}
	w := e.dial()
	w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: "guess"})
	w.expectError(signal.CodeRateLimited)

	// The good tablet and family page at the same address are not refused.
	dev := e.device(d)
	e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)

	// The bucket refills with time.
	e.clock.Advance(time.Minute)
	w = e.dial()
	w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: "guess"})
	w.expectError(signal.CodeLinkRevoked)
}

// TestRevokedLinkAnswersAsUnknown: a revoked link's hello gets the same answer as a token
// that never existed.
func TestRevokedLinkAnswersAsUnknown(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	links, err := e.st.Links(ctx, e.demo.ContactID)
	require.NoError(t, err)
	for _, l := range links {
		require.NoError(t, e.st.RevokeLink(ctx, l.ID, e.clock.Now()))
	}
	answer := func(token string) signal.Message {
		w := e.dial()
		w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: token})
		m := w.expect(signal.TypeError)
		w.expectClosed()
		return m
	}
	require.Equal(t, answer("AAAAAAAAAAAAAAAAAAAAAA"), answer(e.demo.FamilyToken))
}

func TestConnectionsPerAddressAreCapped(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.MaxConnsPerIP = 2 })
	first := e.dial()
	e.dial()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, e.wsURL(), nil)
	require.Error(t, err)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	first.c.CloseNow()
	require.Eventually(t, func() bool {
		c, _, err := websocket.Dial(ctx, e.wsURL(), nil)
		if err == nil {
			c.CloseNow()
		}
		return err == nil
	}, wait, 5*time.Millisecond)
}
