package store_test

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

func (su suite) TestAdmit(t *testing.T) {
	f := su.newFixture(t)
	_, b := f.bed(t)
	p, err := f.s.Admit(f.ctx, store.Patient{BedID: b.ID, FirstName: "Maria", Language: "it", AutoAnswer: true,
		VisitingHours: "09:00-20:00", Discharged: t0})
	require.NoError(t, err)
	assert.Equal(t, ms(t0), p.Admitted)
	assert.True(t, p.Discharged.IsZero(), "ignored")

	got, err := f.s.Patient(f.ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, p, got)
	got, err = f.s.PatientInBed(f.ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, p, got)

	tests := []struct {
		name string
		p    store.Patient
		err  error
	}{
		{"occupied bed", store.Patient{BedID: b.ID, FirstName: "Luca"}, store.ErrConflict},
		{"unknown bed", store.Patient{BedID: "nope", FirstName: "Luca"}, store.ErrNotFound},
		{"no name", store.Patient{BedID: b.ID}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.Admit(f.ctx, tt.p)
			assert.ErrorIs(t, err, tt.err)
		})
	}

	require.NoError(t, f.s.Discharge(f.ctx, p.ID, t0.Add(time.Hour)))
	_, err = f.s.PatientInBed(f.ctx, b.ID)
	assert.ErrorIs(t, err, store.ErrNotFound)
	next, err := f.s.Admit(f.ctx, store.Patient{BedID: b.ID, FirstName: "Luca"})
	require.NoError(t, err, "the bed is free again")
	got, err = f.s.PatientInBed(f.ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, next.ID, got.ID)
}

func (su suite) TestAdmitConcurrent(t *testing.T) {
	f := su.newFixture(t)
	_, b := f.bed(t)
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = f.s.Admit(f.ctx, store.Patient{BedID: b.ID, FirstName: "P"})
		}(i)
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else {
			assert.ErrorIs(t, err, store.ErrConflict)
		}
	}
	assert.Equal(t, 1, wins)
}

func (su suite) TestUpdatePatient(t *testing.T) {
	f := su.newFixture(t)
	p := f.patient(t)
	p.FirstName, p.Language, p.AutoAnswer, p.VisitingHours = "Mary", "en", true, "10:00-12:00"
	want := p
	p.BedID = "ignored"
	require.NoError(t, f.s.UpdatePatient(f.ctx, p))
	got, err := f.s.Patient(f.ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, want, got)

	assert.ErrorIs(t, f.s.UpdatePatient(f.ctx, store.Patient{ID: "nope", FirstName: "X"}), store.ErrNotFound)
	assert.ErrorIs(t, f.s.UpdatePatient(f.ctx, store.Patient{ID: p.ID}), store.ErrInvalid)
	_, err = f.s.Patient(f.ctx, "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func (su suite) TestDischargeRevokesLinks(t *testing.T) {
	f := su.newFixture(t)
	p := f.patient(t)
	other := f.patient(t)
	son, daughter := f.contact(t, p.ID, "Bob"), f.contact(t, p.ID, "Eve")
	stranger := f.contact(t, other.ID, "Zed")
	early := t0.Add(time.Minute)
	mk := func(c store.Contact, token string) store.Link {
		l, err := f.s.CreateLink(f.ctx, store.Link{ContactID: c.ID, TokenHash: hash(token), Expires: t0.Add(24 * time.Hour)})
		require.NoError(t, err)
		return l
	}
	l1, l2, l3, ls := mk(son, "1"), mk(son, "2"), mk(daughter, "3"), mk(stranger, "4")
	require.NoError(t, f.s.RevokeLink(f.ctx, l2.ID, early))

	at := t0.Add(time.Hour)
	require.NoError(t, f.s.Discharge(f.ctx, p.ID, at))

	got, err := f.s.Patient(f.ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, ms(at), got.Discharged)
	for _, tc := range []struct {
		l    store.Link
		want time.Time
	}{{l1, ms(at)}, {l2, ms(early)}, {l3, ms(at)}, {ls, time.Time{}}} {
		l, err := f.s.LinkByToken(f.ctx, tc.l.TokenHash)
		require.NoError(t, err)
		assert.Equal(t, tc.want, l.Revoked, tc.l.ID)
	}

	// Again: nothing changes.
	require.NoError(t, f.s.Discharge(f.ctx, p.ID, at.Add(time.Hour)))
	got, err = f.s.Patient(f.ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, ms(at), got.Discharged)

	// A discharged patient gets no new contacts or links.
	_, err = f.s.CreateContact(f.ctx, store.Contact{PatientID: p.ID, Name: "Late"})
	assert.ErrorIs(t, err, store.ErrConflict)
	_, err = f.s.CreateLink(f.ctx, store.Link{ContactID: son.ID, TokenHash: hash("5"), Expires: at.Add(time.Hour)})
	assert.ErrorIs(t, err, store.ErrConflict)

	assert.ErrorIs(t, f.s.Discharge(f.ctx, "nope", at), store.ErrNotFound)
}

func (su suite) TestContacts(t *testing.T) {
	f := su.newFixture(t)
	p := f.patient(t)
	c1 := f.contact(t, p.ID, "Bob")
	c2, err := f.s.CreateContact(f.ctx, store.Contact{PatientID: p.ID, Name: "Eve", Relation: "daughter",
		Language: "en", AutoAnswer: true, PhotoHash: "ab"})
	require.NoError(t, err)

	got, err := f.s.Contact(f.ctx, c2.ID)
	require.NoError(t, err)
	assert.Equal(t, c2, got)
	cs, err := f.s.Contacts(f.ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, []store.Contact{c1, c2}, cs)

	c1.Name, c1.Relation, c1.Language, c1.AutoAnswer, c1.PhotoHash = "Robert", "brother", "it", true, "cd"
	require.NoError(t, f.s.UpdateContact(f.ctx, c1))
	got, err = f.s.Contact(f.ctx, c1.ID)
	require.NoError(t, err)
	assert.Equal(t, c1, got)

	l, err := f.s.CreateLink(f.ctx, store.Link{ContactID: c1.ID, TokenHash: hash("t"), Expires: t0.Add(time.Hour)})
	require.NoError(t, err)
	_, err = f.s.LogCall(f.ctx, store.CallRecord{PatientID: p.ID, ContactID: c1.ID, Direction: store.FromPatient, Started: t0})
	require.NoError(t, err)
	require.NoError(t, f.s.DeleteContact(f.ctx, c1.ID))
	_, err = f.s.Contact(f.ctx, c1.ID)
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = f.s.LinkByToken(f.ctx, l.TokenHash)
	assert.ErrorIs(t, err, store.ErrNotFound, "its links go with it")
	calls, err := f.s.Calls(f.ctx, p.ID, 0)
	require.NoError(t, err)
	assert.Len(t, calls, 1, "the call log stays")

	t.Run("errors", func(t *testing.T) {
		_, err := f.s.CreateContact(f.ctx, store.Contact{PatientID: "nope", Name: "X"})
		assert.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.s.CreateContact(f.ctx, store.Contact{PatientID: p.ID})
		assert.ErrorIs(t, err, store.ErrInvalid)
		_, err = f.s.Contact(f.ctx, "nope")
		assert.ErrorIs(t, err, store.ErrNotFound)
		assert.ErrorIs(t, f.s.UpdateContact(f.ctx, store.Contact{ID: "nope", Name: "X"}), store.ErrNotFound)
		assert.ErrorIs(t, f.s.UpdateContact(f.ctx, store.Contact{ID: c2.ID}), store.ErrInvalid)
		assert.ErrorIs(t, f.s.DeleteContact(f.ctx, "nope"), store.ErrNotFound)
		assert.ErrorIs(t, f.s.DeleteContact(f.ctx, c1.ID), store.ErrNotFound, "twice")
		cs, err := f.s.Contacts(f.ctx, "nope")
		require.NoError(t, err)
		assert.Empty(t, cs)
	})
}

func (su suite) TestLinks(t *testing.T) {
	f := su.newFixture(t)
	p := f.patient(t)
	c := f.contact(t, p.ID, "Bob")
	l1, err := f.s.CreateLink(f.ctx, store.Link{ContactID: c.ID, TokenHash: hash("a"), Expires: t0.Add(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, ms(t0), l1.Created)
	f.clock.Add(time.Second)
	l2, err := f.s.CreateLink(f.ctx, store.Link{ContactID: c.ID, TokenHash: hash("b"), Expires: t0.Add(time.Hour)})
	require.NoError(t, err)

	got, err := f.s.LinkByToken(f.ctx, hash("a"))
	require.NoError(t, err)
	assert.Equal(t, l1, got)
	ls, err := f.s.Links(f.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, []store.Link{l1, l2}, ls)

	require.NoError(t, f.s.RevokeLink(f.ctx, l1.ID, t0.Add(time.Minute)))
	require.NoError(t, f.s.RevokeLink(f.ctx, l1.ID, t0.Add(time.Hour)), "again")
	got, err = f.s.LinkByToken(f.ctx, hash("a"))
	require.NoError(t, err)
	assert.Equal(t, ms(t0.Add(time.Minute)), got.Revoked, "the first revocation stays")

	tests := []struct {
		name string
		l    store.Link
		err  error
	}{
		{"taken token", store.Link{ContactID: c.ID, TokenHash: hash("a"), Expires: t0.Add(time.Hour)}, store.ErrConflict},
		{"unknown contact", store.Link{ContactID: "nope", TokenHash: hash("c"), Expires: t0.Add(time.Hour)}, store.ErrNotFound},
		{"no token", store.Link{ContactID: c.ID, Expires: t0.Add(time.Hour)}, store.ErrInvalid},
		{"no expiry", store.Link{ContactID: c.ID, TokenHash: hash("d")}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.CreateLink(f.ctx, tt.l)
			assert.ErrorIs(t, err, tt.err)
		})
	}
	_, err = f.s.LinkByToken(f.ctx, hash("nope"))
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = f.s.LinkByToken(f.ctx, nil)
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, f.s.RevokeLink(f.ctx, "nope", t0), store.ErrNotFound)
	ls, err = f.s.Links(f.ctx, "nope")
	require.NoError(t, err)
	assert.Empty(t, ls)
}
