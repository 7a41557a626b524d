package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

// floodRings has fam invite and hang up n times as fast as the server answers, and returns
// how many invites rang (the others were refused with rate-limited).
func floodRings(t *testing.T, w *ws, to string, n int) (rang int) {
	t.Helper()
	for range n {
		w.send(signal.Message{Type: signal.TypeInvite, To: to})
		m := w.next()
		for m.Type == signal.TypePresence {
			m = w.next()
		}
		switch m.Type {
		case signal.TypeRinging:
			rang++
			w.send(signal.Message{Type: signal.TypeHangup, Call: m.Call})
			require.Equal(t, signal.ReasonCancelled, w.expect(signal.TypeEnded).Reason)
		case signal.TypeError:
			require.Equal(t, signal.CodeRateLimited, m.Code, m.Message)
			require.Contains(t, m.Message, "wait a minute")
		default:
			t.Fatalf("invite answered with %+v", m)
		}
	}
	return rang
}

// TestRingFlood: a family link that invites and hangs up in a loop (the issue saw 8,639 rings
// reach the tablet in 10 s, and 17,599 call-log rows) rings the tablet a few times, and
// writes a row for each ring only; a minute later it may call again. The tablet is limited
// the same way.
func TestRingFlood(t *testing.T) {
	e := newEnv(t, nil)
	dev := e.device(e.enroll(e.demo.PairingCode))
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)

	const attempts = 200
	rang := floodRings(t, fam, "", attempts)
	rings := countRings(t, dev)
	t.Logf("ring flood: %d invites, %d rings reached the tablet, %d call-log rows", attempts, rings, len(e.waitCalls(rang)))
	require.Equal(t, 6, rang, "invites that rang out of %d", attempts)
	require.Equal(t, rang, rings)
	require.Equal(t, 1, strings.Count(e.logs.String(), "invite rate limited"), "one log line for the run of refusals")

	// Another page of the same contact shares the limit.
	other := e.family(e.demo.FamilyToken)
	require.Equal(t, 0, floodRings(t, other, "", 5))
	require.Equal(t, 0, countRings(t, dev))

	// A minute later the person may call again, a few times.
	e.clock.Advance(time.Minute)
	require.Equal(t, 3, floodRings(t, fam, "", 10))
	require.Equal(t, 3, countRings(t, dev))

	// The tablet flooding a contact is bounded the same way.
	require.Equal(t, 6, floodRings(t, dev, e.demo.ContactID, attempts))
	require.Equal(t, 2*6, countRings(t, fam)+countRings(t, other), "each call rings both pages of the contact")
	require.Len(t, e.waitCalls(6+3+6), 6+3+6)
}

// countRings reads what w was sent up to a sync barrier and counts the rings among it.
func countRings(t *testing.T, w *ws) int {
	t.Helper()
	w.sendRaw([]byte(`{"type":"sync-barrier"}`))
	n := 0
	for {
		m := w.next()
		switch {
		case m.Type == signal.TypeRing:
			n++
		case m.Type == signal.TypeError && m.Code == signal.CodeUnknownType:
			return n
		}
	}
}
