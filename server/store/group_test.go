package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

func (su suite) TestGroupSettingsDefaultOnAndPersist(t *testing.T) {
	f := su.newFixture(t)
	p := f.patient(t)
	k := f.contact(t, p.ID, "Bob")
	assert.False(t, p.GroupCallsOff, "group calls allowed by default")
	assert.False(t, k.JoinOff, "joining allowed by default")

	p.GroupCallsOff = true
	require.NoError(t, f.s.UpdatePatient(f.ctx, p))
	k.JoinOff = true
	require.NoError(t, f.s.UpdateContact(f.ctx, k))
	f.reopen(t)
	got, err := f.s.Patient(f.ctx, p.ID)
	require.NoError(t, err)
	assert.True(t, got.GroupCallsOff)
	gk, err := f.s.Contact(f.ctx, k.ID)
	require.NoError(t, err)
	assert.True(t, gk.JoinOff)
}

func (su suite) TestGuestLinks(t *testing.T) {
	f := su.newFixture(t)
	p := f.patient(t)
	now := f.clock.Now()
	g, err := f.s.CreateGuestLink(f.ctx, store.GuestLink{PatientID: p.ID, TokenHash: hash("g1"), Name: "Ines",
		Role: "Interpreter", Expires: now.Add(3 * time.Hour)})
	require.NoError(t, err)
	require.NotEmpty(t, g.ID)
	assert.Equal(t, ms(now), g.Created)

	byToken, err := f.s.GuestLinkByToken(f.ctx, hash("g1"))
	require.NoError(t, err)
	assert.Equal(t, g, byToken)
	_, err = f.s.GuestLinkByToken(f.ctx, hash("nope"))
	assert.ErrorIs(t, err, store.ErrNotFound)

	// Refused: no name, no expiry, unknown patient, a taken token.
	for _, bad := range []store.GuestLink{
		{PatientID: p.ID, TokenHash: hash("g2"), Name: " ", Expires: now.Add(time.Hour)},
		{PatientID: p.ID, TokenHash: hash("g2"), Name: "X"},
		{PatientID: p.ID, Name: "X", Expires: now.Add(time.Hour)},
	} {
		_, err := f.s.CreateGuestLink(f.ctx, bad)
		assert.ErrorIs(t, err, store.ErrInvalid)
	}
	_, err = f.s.CreateGuestLink(f.ctx, store.GuestLink{PatientID: "nope", TokenHash: hash("g2"), Name: "X", Expires: now.Add(time.Hour)})
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = f.s.CreateGuestLink(f.ctx, store.GuestLink{PatientID: p.ID, TokenHash: hash("g1"), Name: "X", Expires: now.Add(time.Hour)})
	assert.ErrorIs(t, err, store.ErrConflict)

	// One call only.
	require.NoError(t, f.s.GuestJoins(f.ctx, g.ID, "call-1"))
	require.NoError(t, f.s.GuestJoins(f.ctx, g.ID, "call-1"), "the same call again (a rejoin)")
	assert.ErrorIs(t, f.s.GuestJoins(f.ctx, g.ID, "call-2"), store.ErrUsed)
	assert.ErrorIs(t, f.s.GuestJoins(f.ctx, "nope", "call-2"), store.ErrNotFound)

	at := now.Add(time.Hour)
	require.NoError(t, f.s.RevokeGuestLink(f.ctx, g.ID, at))
	require.NoError(t, f.s.RevokeGuestLink(f.ctx, g.ID, at.Add(time.Hour)), "again keeps the first time")
	got, err := f.s.GuestLink(f.ctx, g.ID)
	require.NoError(t, err)
	assert.Equal(t, ms(at), got.Revoked)
	assert.Equal(t, "call-1", got.CallID)
	assert.ErrorIs(t, f.s.RevokeGuestLink(f.ctx, "nope", at), store.ErrNotFound)

	// Listed newest first; discharge revokes the rest; a discharged patient gets none.
	f.clock.Add(time.Minute)
	g2, err := f.s.CreateGuestLink(f.ctx, store.GuestLink{PatientID: p.ID, TokenHash: hash("g2"), Name: "Olga", Expires: now.Add(time.Hour)})
	require.NoError(t, err)
	gs, err := f.s.GuestLinks(f.ctx, p.ID)
	require.NoError(t, err)
	require.Len(t, gs, 2)
	assert.Equal(t, g2.ID, gs[0].ID)
	out := now.Add(2 * time.Hour)
	require.NoError(t, f.s.Discharge(f.ctx, p.ID, out))
	got, err = f.s.GuestLink(f.ctx, g2.ID)
	require.NoError(t, err)
	assert.Equal(t, ms(out), got.Revoked)
	_, err = f.s.CreateGuestLink(f.ctx, store.GuestLink{PatientID: p.ID, TokenHash: hash("g3"), Name: "X", Expires: out.Add(time.Hour)})
	assert.ErrorIs(t, err, store.ErrConflict)

	// Purged with the admission's personal data, and the call log keeps no guest id.
	_, err = f.s.LogCall(f.ctx, store.CallRecord{PatientID: p.ID, Direction: store.FromPatient, Started: now, Answered: now, Ended: at,
		Reason: "hangup", Participants: []store.CallParticipant{
			{ID: "device", Kind: store.KindDevice, Joined: now, Left: at, Reason: "hangup"},
			{ID: g.ID, Kind: store.KindGuest, Joined: now, Left: at, Reason: "hangup"},
		}})
	require.NoError(t, err)
	f.clock.Add(40 * 24 * time.Hour)
	_, err = f.s.Purge(f.ctx, f.clock.Now(), f.clock.Now())
	require.NoError(t, err)
	gs, err = f.s.GuestLinks(f.ctx, p.ID)
	require.NoError(t, err)
	assert.Empty(t, gs)
	calls, err := f.s.Calls(f.ctx, p.ID, 0)
	require.NoError(t, err)
	require.Len(t, calls, 1)
	require.Len(t, calls[0].Participants, 2)
	assert.Equal(t, "device", calls[0].Participants[0].ID, "the tablet is no person")
	assert.Empty(t, calls[0].Participants[1].ID)
	assert.Equal(t, store.KindGuest, calls[0].Participants[1].Kind)
}

func (su suite) TestCallParticipants(t *testing.T) {
	f := su.newFixture(t)
	p := f.patient(t)
	anna, bob := f.contact(t, p.ID, "Anna"), f.contact(t, p.ID, "Bob")
	t1 := f.clock.Now()
	parts := []store.CallParticipant{
		{ID: "device", Kind: store.KindDevice, Joined: t1, Left: t1.Add(3 * time.Minute), Reason: "hangup"},
		{ID: anna.ID, Kind: store.KindFamily, Joined: t1, Left: t1.Add(time.Minute), Reason: "hangup"},
		{ID: bob.ID, Kind: store.KindFamily, Joined: t1.Add(30 * time.Second), Left: t1.Add(2 * time.Minute), Reason: "failed"},
	}
	c, err := f.s.LogCall(f.ctx, store.CallRecord{PatientID: p.ID, ContactID: anna.ID, DeviceID: "d1", Direction: store.FromPatient,
		Started: t1, Answered: t1, Ended: t1.Add(3 * time.Minute), Reason: "hangup", Participants: parts})
	require.NoError(t, err)
	// A call never answered has none; both are one row each in the log.
	_, err = f.s.LogCall(f.ctx, store.CallRecord{PatientID: p.ID, ContactID: bob.ID, Direction: store.FromFamily,
		Started: t1.Add(time.Hour), Ended: t1.Add(time.Hour), Reason: "missed", SetupMS: -1})
	require.NoError(t, err)

	calls, err := f.s.Calls(f.ctx, p.ID, 0)
	require.NoError(t, err)
	require.Len(t, calls, 2)
	assert.Empty(t, calls[0].Participants)
	assert.Equal(t, c.ID, calls[1].ID)
	require.Len(t, calls[1].Participants, 3)
	for i, want := range parts {
		got := calls[1].Participants[i]
		assert.Equal(t, want.ID, got.ID)
		assert.Equal(t, want.Kind, got.Kind)
		assert.Equal(t, ms(want.Joined), got.Joined)
		assert.Equal(t, ms(want.Left), got.Left)
		assert.Equal(t, want.Reason, got.Reason)
	}

	_, err = f.s.LogCall(f.ctx, store.CallRecord{PatientID: p.ID, Direction: store.FromFamily, Started: t1,
		Participants: []store.CallParticipant{{ID: "x", Kind: "robot"}}})
	assert.ErrorIs(t, err, store.ErrInvalid)
}
