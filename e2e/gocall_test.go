package e2e

import (
	"bedside/internal/testkit"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/call/signal"
	"bedside/server"
	"bedside/server/store"
)

// These tests put the Go call engine at both ends — the tablet and a family member — through a
// real ward server on a real SQLite file: real VP8 and Opus, real WebRTC on loopback.

// The family calls, the tablet answers, both decode video and audio, the family hangs up; then
// the tablet calls, the family answers, the tablet hangs up. Each call leaves one log row.
func TestGoCallBothWaysAndHangupFromEitherSide(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w)
	fam := newFamily(t, w)
	ctx := context.Background()

	// Family → tablet.
	callID := fam.dial(t, "")
	require.Equal(t, callID, tab.ringingCall(t))
	assert.Equal(t, "Anna", tab.last().Party.Name)
	require.NoError(t, tab.phone.Answer(ctx, callID))
	tab.waitMedia(t, "the tablet", 60)
	fam.waitMedia(t, "the family", 60)
	testkit.Eventually(t, "both ends are in the call", func() bool {
		return tab.phone.State() == call.InCall && fam.phone.State() == call.InCall
	})
	require.NoError(t, fam.phone.Hangup(ctx))
	waitIdle(t, tab, fam)
	assertEnded(t, signal.ReasonHangup, tab, fam)

	// Tablet → family.
	tab.resetCounts()
	fam.resetCounts()
	callID2 := tab.dial(t, w.demo.ContactID)
	require.Equal(t, callID2, fam.ringingCall(t))
	require.NoError(t, fam.phone.Answer(ctx, callID2))
	tab.waitMedia(t, "the tablet", 60)
	fam.waitMedia(t, "the family", 60)
	require.NoError(t, tab.phone.Hangup(ctx))
	waitIdle(t, tab, fam)

	rows := callLog(t, w, 2) // newest first
	assert.Equal(t, store.FromPatient, rows[0].Direction)
	assert.Equal(t, store.FromFamily, rows[1].Direction)
	for _, r := range rows {
		assert.Equal(t, string(signal.ReasonHangup), r.Reason)
		assert.Equal(t, w.demo.ContactID, r.ContactID)
		assert.Equal(t, w.demo.PatientID, r.PatientID)
		assert.False(t, r.Answered.IsZero())
		assert.GreaterOrEqual(t, r.SetupMS, 0, "the call connected, so its setup time is known")
		assert.False(t, r.Ended.Before(r.Started))
	}
}

func TestGoCallDeclined(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w)
	fam := newFamily(t, w)
	ctx := context.Background()

	callID := fam.dial(t, "")
	require.Equal(t, callID, tab.ringingCall(t))
	require.NoError(t, tab.phone.Decline(ctx, callID))
	waitIdle(t, tab, fam)
	assertEnded(t, signal.ReasonDeclined, fam)
	rows := callLog(t, w, 1)
	assert.Equal(t, string(signal.ReasonDeclined), rows[0].Reason)
	assert.True(t, rows[0].Answered.IsZero())
	assert.Equal(t, -1, rows[0].SetupMS)
	assert.Zero(t, tab.frames.Load(), "a declined call sends no media")
}

func TestGoCallCancelledBeforeAnswer(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w)
	fam := newFamily(t, w)
	ctx := context.Background()

	callID := tab.dial(t, w.demo.ContactID)
	require.Equal(t, callID, fam.ringingCall(t))
	require.NoError(t, tab.phone.Hangup(ctx))
	waitIdle(t, tab, fam)
	assertEnded(t, signal.ReasonCancelled, fam)
	rows := callLog(t, w, 1)
	assert.Equal(t, string(signal.ReasonCancelled), rows[0].Reason)
	assert.Equal(t, store.FromPatient, rows[0].Direction)
}

// Nobody answers: the ring timeout (fired by hand through the injected clock) ends it as missed.
func TestGoCallMissed(t *testing.T) {
	timers := &manualTimers{}
	w := newWard(t, withConfig(func(c *server.Config) {
		c.AfterFunc = timers.AfterFunc
		c.RingTimeout = 45 * time.Second
	}))
	tab := newTablet(t, w)
	fam := newFamily(t, w)

	callID := fam.dial(t, "")
	require.Equal(t, callID, tab.ringingCall(t))
	require.Equal(t, 1, timers.fire(45*time.Second), "one ring timer is pending")
	waitIdle(t, tab, fam)
	assertEnded(t, signal.ReasonMissed, tab, fam)
	rows := callLog(t, w, 1)
	assert.Equal(t, string(signal.ReasonMissed), rows[0].Reason)
}

// The server stops and starts again on the same database: both phones reconnect by themselves,
// the link and the device still authenticate, and a call goes through.
func TestGoCallAfterServerRestart(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w)
	fam := newFamily(t, w)
	ctx := context.Background()

	w.stop()
	testkit.Eventually(t, "both phones notice the server is gone", func() bool {
		return !tab.phone.Connected() && !fam.phone.Connected()
	})
	w.startAgain()
	testkit.Eventually(t, "both phones reconnect", func() bool {
		return tab.phone.Connected() && fam.phone.Connected()
	})
	assert.Equal(t, "Maria", fam.phone.Config().Patient, "the family's welcome after the restart names the patient")
	require.Len(t, tab.phone.Config().Contacts, 1)

	callID := fam.dial(t, "")
	require.Equal(t, callID, tab.ringingCall(t))
	require.NoError(t, tab.phone.Answer(ctx, callID))
	tab.waitMedia(t, "the tablet", 30)
	fam.waitMedia(t, "the family", 30)
	require.NoError(t, tab.phone.Hangup(ctx))
	waitIdle(t, tab, fam)
	rows := callLog(t, w, 1)
	assert.Equal(t, string(signal.ReasonHangup), rows[0].Reason)
}

// callLog waits until the demo patient's call log has n rows and returns them, newest first.
func callLog(t *testing.T, w *ward, n int) []store.CallRecord {
	t.Helper()
	var rows []store.CallRecord
	testkit.Eventually(t, "the call log is written", func() bool {
		var err error
		rows, err = w.st.Calls(context.Background(), w.demo.PatientID, 0)
		require.NoError(t, err)
		return len(rows) >= n
	})
	require.Len(t, rows, n, "exactly one row per call")
	return rows
}

// The server stops in the middle of a call and starts again: the call's media goes on peer to
// peer meanwhile, both engines reconnect and resume the call with the new server, which takes
// it back; the call ends normally later with exactly one log row, "hangup". No "busy" ghost:
// the next call goes through.
func TestGoCallSurvivesServerRestart(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w, autoAnswer)
	fam := newFamily(t, w)
	ctx := context.Background()

	callID := fam.dial(t, "")
	tab.waitMedia(t, "the tablet", 30)
	fam.waitMedia(t, "the family", 30)
	testkit.Eventually(t, "both ends are in the call", func() bool {
		return tab.phone.State() == call.InCall && fam.phone.State() == call.InCall
	})

	w.stop()
	testkit.Eventually(t, "both phones notice the server is gone", func() bool {
		return !tab.phone.Connected() && !fam.phone.Connected()
	})
	frames := fam.frames.Load()
	testkit.Eventually(t, "media without a server", func() bool { return fam.frames.Load() > frames+30 })
	w.startAgain()
	testkit.Eventually(t, "both phones reconnect", func() bool {
		return tab.phone.Connected() && fam.phone.Connected()
	})
	require.Equal(t, call.InCall, tab.phone.State())
	require.Equal(t, callID, tab.last().ID)
	require.Equal(t, call.InCall, fam.phone.State())

	require.NoError(t, fam.phone.Hangup(ctx))
	waitIdle(t, tab, fam)
	assertEnded(t, signal.ReasonHangup, tab, fam)
	rows := callLog(t, w, 1)
	assert.Equal(t, string(signal.ReasonHangup), rows[0].Reason)

	fam.dial(t, "")
	testkit.Eventually(t, "the next call", func() bool { return tab.phone.State() == call.InCall })
}
