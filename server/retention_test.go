package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

// TestRetention: discharged patients, their contacts and photos stayed in the database for
// ever. The server now purges a discharged admission's personal data once the retention
// period (30 days by default) is over, on its own schedule (the injected clock fires it);
// the call log keeps the rows statistics need, without the contact.
func TestRetention(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	hash := e.contactPhoto([]byte("\x89PNG\r\n\x1a\nAnna's photo"))
	_, err := e.st.LogCall(ctx, store.CallRecord{PatientID: e.demo.PatientID, ContactID: e.demo.ContactID,
		Direction: store.FromFamily, Started: e.clock.Now(), Ended: e.clock.Now().Add(time.Minute), Reason: "hangup", SetupMS: 250})
	require.NoError(t, err)
	require.NoError(t, e.st.Discharge(ctx, e.demo.PatientID, e.clock.Now()))

	kept := func() bool {
		_, err := e.st.Contact(ctx, e.demo.ContactID)
		return err == nil
	}
	e.clock.Advance(29 * 24 * time.Hour)
	e.clock.Advance(time.Hour)
	require.True(t, kept(), "within the retention period")

	e.clock.Advance(24 * time.Hour)
	e.clock.Advance(time.Hour)
	require.False(t, kept(), "purged after 30 days")
	_, _, err = e.st.Photo(ctx, hash)
	require.ErrorIs(t, err, store.ErrNotFound)
	links, err := e.st.Links(ctx, e.demo.ContactID)
	require.NoError(t, err)
	require.Empty(t, links)
	p, err := e.st.Patient(ctx, e.demo.PatientID)
	require.NoError(t, err)
	require.Empty(t, p.FirstName)
	calls := e.calls()
	require.Len(t, calls, 1)
	require.Empty(t, calls[0].ContactID)
	require.Equal(t, "hangup", calls[0].Reason)
	require.Equal(t, 250, calls[0].SetupMS)
	require.Contains(t, e.logs.String(), "retention purge")
}
