package server_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
)

// TestSlowClientIsDropped: a family page that never reads is dropped when its queue fills,
// while a call on another bed goes on undisturbed.
func TestSlowClientIsDropped(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()

	// Bed 2: its own tablet and family.
	p2, k2, token2 := e.otherPatient()
	_, code2, err := server.NewEnrollment(ctx, e.st, e.demo.WardID, p2.BedID, time.Hour, server.EnrollmentOptions{Now: e.clock.Now})
	require.NoError(t, err)
	dev2 := e.device(e.enroll(code2))
	fam2 := e.family(token2)

	dev1 := e.device(e.enroll(e.demo.PairingCode))
	slow := e.family(e.demo.FamilyToken)
	dev1.expect(signal.TypePresence)
	slow.send(signal.Message{Type: signal.TypeInvite})
	ring := dev1.expect(signal.TypeRing)
	dev1.send(signal.Message{Type: signal.TypeAccept, Call: ring.Call})
	// From here on the slow page reads nothing.

	var stop atomic.Bool
	spamDone := make(chan error, 1)
	go func() {
		sdp := strings.Repeat("s", 40<<10)
		for !stop.Load() {
			m := signal.Message{Type: signal.TypeOffer, Call: ring.Call, SDP: sdp}
			wctx, cancel := context.WithTimeout(ctx, wait)
			err := dev1.c.Write(wctx, websocket.MessageText, mustEncode(t, m))
			cancel()
			if err != nil {
				spamDone <- err
				return
			}
		}
		spamDone <- nil
	}()

	// Meanwhile bed 2's call proceeds.
	fam2.send(signal.Message{Type: signal.TypeInvite})
	id2 := fam2.expect(signal.TypeRinging).Call
	require.Equal(t, id2, dev2.expect(signal.TypeRing).Call)
	dev2.send(signal.Message{Type: signal.TypeAccept, Call: id2})
	fam2.expect(signal.TypeAccepted)
	fam2.send(signal.Message{Type: signal.TypeOffer, Call: id2, SDP: "offer"})
	require.Equal(t, "offer", dev2.expect(signal.TypeOffer).SDP)
	dev2.send(signal.Message{Type: signal.TypeConnected, Call: id2})

	// The flood ends with the slow page dropped and its call failed.
	for {
		m := dev1.next()
		if m.Type == signal.TypeEnded {
			require.Equal(t, signal.ReasonFailed, m.Reason)
			break
		}
		require.Equal(t, signal.TypeError, m.Type, "%+v", m)
		require.Equal(t, signal.CodeNoSuchCall, m.Code)
	}
	stop.Store(true)
	require.NoError(t, <-spamDone)
	require.Contains(t, e.logs.String(), "dropping slow client")

	fam2.send(signal.Message{Type: signal.TypeHangup, Call: id2})
	require.Equal(t, signal.ReasonHangup, dev2.expect(signal.TypeEnded).Reason)
	require.Eventually(t, func() bool {
		recs, err := e.st.Calls(ctx, p2.ID, 0)
		return err == nil && len(recs) == 1 && recs[0].Reason == "hangup" && recs[0].ContactID == k2.ID
	}, wait, 5*time.Millisecond)
	r := e.waitCalls(1)[0]
	require.Equal(t, string(signal.ReasonFailed), r.Reason)
}

func mustEncode(t *testing.T, m signal.Message) []byte {
	t.Helper()
	data, err := signal.Encode(m)
	require.NoError(t, err)
	return data
}
