package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

func (su suite) TestTransfer(t *testing.T) {
	f := su.newFixture(t)
	w, b1 := f.bed(t)
	b2, err := f.s.CreateBed(f.ctx, store.Bed{WardID: w.ID, Name: "2"})
	require.NoError(t, err)
	b3, err := f.s.CreateBed(f.ctx, store.Bed{WardID: w.ID, Name: "3"})
	require.NoError(t, err)
	p, err := f.s.Admit(f.ctx, store.Patient{BedID: b1.ID, FirstName: "Maria"})
	require.NoError(t, err)
	q, err := f.s.Admit(f.ctx, store.Patient{BedID: b3.ID, FirstName: "Luca"})
	require.NoError(t, err)

	require.NoError(t, f.s.Transfer(f.ctx, p.ID, b2.ID))
	got, err := f.s.PatientInBed(f.ctx, b2.ID)
	require.NoError(t, err)
	assert.Equal(t, p.ID, got.ID)
	_, err = f.s.PatientInBed(f.ctx, b1.ID)
	assert.ErrorIs(t, err, store.ErrNotFound)

	assert.ErrorIs(t, f.s.Transfer(f.ctx, p.ID, b3.ID), store.ErrConflict, "bed taken")
	assert.ErrorIs(t, f.s.Transfer(f.ctx, p.ID, "nope"), store.ErrNotFound, "unknown bed")
	assert.ErrorIs(t, f.s.Transfer(f.ctx, "nope", b1.ID), store.ErrNotFound, "unknown patient")
	require.NoError(t, f.s.Discharge(f.ctx, q.ID, t0))
	assert.ErrorIs(t, f.s.Transfer(f.ctx, q.ID, b1.ID), store.ErrConflict, "discharged")
}
