package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

// TestPurge: a discharged admission's personal data (contacts, links, photos, the name) goes
// once the retention period is over; its call-log rows stay for statistics, without the
// contact; an admitted patient and one discharged recently keep everything.
func (su suite) TestPurge(t *testing.T) {
	f := su.newFixture(t)
	photo := func(s string) string {
		data := []byte("\xff\xd8\xff " + s)
		require.NoError(t, f.s.PutPhoto(f.ctx, hexHash(data), "image/jpeg", data))
		return hexHash(data)
	}
	old, recent, admitted := f.patient(t), f.patient(t), f.patient(t)
	contacts := map[string]store.Contact{}
	for _, p := range []store.Patient{old, recent, admitted} {
		k, err := f.s.CreateContact(f.ctx, store.Contact{PatientID: p.ID, Name: "Anna", PhotoHash: photo(p.ID)})
		require.NoError(t, err)
		_, err = f.s.CreateLink(f.ctx, store.Link{ContactID: k.ID, TokenHash: []byte(hexHash([]byte(k.ID)))[:32], Expires: f.clock.Now().Add(time.Hour)})
		require.NoError(t, err)
		_, err = f.s.LogCall(f.ctx, store.CallRecord{PatientID: p.ID, ContactID: k.ID, DeviceID: "d1", Direction: store.FromFamily,
			Started: f.clock.Now(), Ended: f.clock.Now().Add(time.Minute), Reason: "hangup", SetupMS: 300})
		require.NoError(t, err)
		contacts[p.ID] = k
	}
	require.NoError(t, f.s.Discharge(f.ctx, old.ID, f.clock.Now()))
	f.clock.Add(20 * 24 * time.Hour)
	require.NoError(t, f.s.Discharge(f.ctx, recent.ID, f.clock.Now()))
	f.clock.Add(11 * 24 * time.Hour)

	// 30 days after the first discharge, not yet 30 after the second.
	now := f.clock.Now()
	st, err := f.s.Purge(f.ctx, now.Add(-30*24*time.Hour), now.Add(-time.Hour))
	require.NoError(t, err)
	assert.Equal(t, store.PurgeStats{Patients: 1, Contacts: 1, Photos: 1}, st)

	p, err := f.s.Patient(f.ctx, old.ID)
	require.NoError(t, err)
	assert.Empty(t, p.FirstName)
	assert.Empty(t, p.Language)
	assert.Equal(t, old.BedID, p.BedID)
	assert.False(t, p.Discharged.IsZero())
	ks, err := f.s.Contacts(f.ctx, old.ID)
	require.NoError(t, err)
	assert.Empty(t, ks)
	links, err := f.s.Links(f.ctx, contacts[old.ID].ID)
	require.NoError(t, err)
	assert.Empty(t, links)
	_, _, err = f.s.Photo(f.ctx, contacts[old.ID].PhotoHash)
	assert.ErrorIs(t, err, store.ErrNotFound)
	calls, err := f.s.Calls(f.ctx, old.ID, 0)
	require.NoError(t, err)
	require.Len(t, calls, 1)
	assert.Empty(t, calls[0].ContactID)
	assert.Equal(t, store.FromFamily, calls[0].Direction)
	assert.Equal(t, "hangup", calls[0].Reason)
	assert.Equal(t, 300, calls[0].SetupMS)
	assert.Equal(t, time.Minute, calls[0].Ended.Sub(calls[0].Started))

	for _, id := range []string{recent.ID, admitted.ID} {
		p, err := f.s.Patient(f.ctx, id)
		require.NoError(t, err)
		assert.Equal(t, "Maria", p.FirstName)
		ks, err := f.s.Contacts(f.ctx, id)
		require.NoError(t, err)
		require.Len(t, ks, 1)
		_, _, err = f.s.Photo(f.ctx, ks[0].PhotoHash)
		require.NoError(t, err)
		calls, err := f.s.Calls(f.ctx, id, 0)
		require.NoError(t, err)
		assert.Equal(t, ks[0].ID, calls[0].ContactID)
	}

	again, err := f.s.Purge(f.ctx, now.Add(-30*24*time.Hour), now.Add(-time.Hour))
	require.NoError(t, err)
	assert.Equal(t, store.PurgeStats{}, again, "idempotent")
}

// TestReplacedPhotoIsDeleted: a contact's old photo goes when it is replaced or the contact is
// deleted, unless another contact shows it; an orphan newer than the grace period stays.
func (su suite) TestReplacedPhotoIsDeleted(t *testing.T) {
	f := su.newFixture(t)
	p := f.patient(t)
	put := func(s string) string {
		data := []byte("\xff\xd8\xff " + s)
		require.NoError(t, f.s.PutPhoto(f.ctx, hexHash(data), "image/jpeg", data))
		return hexHash(data)
	}
	first, second, shared := put("first"), put("second"), put("shared")
	k, err := f.s.CreateContact(f.ctx, store.Contact{PatientID: p.ID, Name: "Anna", PhotoHash: first})
	require.NoError(t, err)
	k.PhotoHash = second
	require.NoError(t, f.s.UpdateContact(f.ctx, k))
	_, _, err = f.s.Photo(f.ctx, first)
	assert.ErrorIs(t, err, store.ErrNotFound, "the replaced photo is gone")

	a, err := f.s.CreateContact(f.ctx, store.Contact{PatientID: p.ID, Name: "Bea", PhotoHash: shared})
	require.NoError(t, err)
	b, err := f.s.CreateContact(f.ctx, store.Contact{PatientID: p.ID, Name: "Carla", PhotoHash: shared})
	require.NoError(t, err)
	require.NoError(t, f.s.DeleteContact(f.ctx, a.ID))
	_, _, err = f.s.Photo(f.ctx, shared)
	require.NoError(t, err, "Carla still shows it")
	require.NoError(t, f.s.DeleteContact(f.ctx, b.ID))
	_, _, err = f.s.Photo(f.ctx, shared)
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, f.s.DeleteContact(f.ctx, b.ID), store.ErrNotFound)
	assert.ErrorIs(t, f.s.UpdateContact(f.ctx, b), store.ErrNotFound)

	// An upload not yet attached to a contact survives a purge within the grace period.
	fresh := put("fresh")
	_, err = f.s.Purge(f.ctx, f.clock.Now().Add(-30*24*time.Hour), f.clock.Now().Add(-time.Hour))
	require.NoError(t, err)
	_, _, err = f.s.Photo(f.ctx, fresh)
	require.NoError(t, err)
	f.clock.Add(2 * time.Hour)
	_, err = f.s.Purge(f.ctx, f.clock.Now().Add(-30*24*time.Hour), f.clock.Now().Add(-time.Hour))
	require.NoError(t, err)
	_, _, err = f.s.Photo(f.ctx, fresh)
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, _, err = f.s.Photo(f.ctx, second)
	require.NoError(t, err, "a photo in use stays")
}
