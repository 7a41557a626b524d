package store_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

func (su suite) TestWards(t *testing.T) {
	f := su.newFixture(t)
	ws, err := f.s.Wards(f.ctx)
	require.NoError(t, err)
	assert.Empty(t, ws)

	b, err := f.s.CreateWard(f.ctx, store.Ward{Name: "Surgery"})
	require.NoError(t, err)
	a, err := f.s.CreateWard(f.ctx, store.Ward{Name: "Cardiology"})
	require.NoError(t, err)
	assert.Equal(t, ms(t0), a.Created)
	assert.NotEmpty(t, a.ID)

	ws, err = f.s.Wards(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, []store.Ward{a, b}, ws, "by name")

	got, err := f.s.Ward(f.ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, a, got)

	tests := []struct {
		name string
		ward store.Ward
		err  error
	}{
		{"taken name", store.Ward{Name: "Surgery"}, store.ErrConflict},
		{"empty name", store.Ward{Name: " "}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.CreateWard(f.ctx, tt.ward)
			assert.ErrorIs(t, err, tt.err)
		})
	}
	_, err = f.s.Ward(f.ctx, "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.Contains(t, err.Error(), "nope")
}

func (su suite) TestBeds(t *testing.T) {
	f := su.newFixture(t)
	w, err := f.s.CreateWard(f.ctx, store.Ward{Name: "Cardiology"})
	require.NoError(t, err)
	other, err := f.s.CreateWard(f.ctx, store.Ward{Name: "Surgery"})
	require.NoError(t, err)

	b2, err := f.s.CreateBed(f.ctx, store.Bed{WardID: w.ID, Name: "Bed 2"})
	require.NoError(t, err)
	b1, err := f.s.CreateBed(f.ctx, store.Bed{WardID: w.ID, Name: "Bed 1"})
	require.NoError(t, err)
	o1, err := f.s.CreateBed(f.ctx, store.Bed{WardID: other.ID, Name: "Bed 1"})
	require.NoError(t, err, "names are per ward")

	bs, err := f.s.Beds(f.ctx, w.ID)
	require.NoError(t, err)
	assert.Equal(t, []store.Bed{b1, b2}, bs)
	bs, err = f.s.Beds(f.ctx, other.ID)
	require.NoError(t, err)
	assert.Equal(t, []store.Bed{o1}, bs)
	bs, err = f.s.Beds(f.ctx, "nope")
	require.NoError(t, err)
	assert.Empty(t, bs)

	got, err := f.s.Bed(f.ctx, b1.ID)
	require.NoError(t, err)
	assert.Equal(t, b1, got)

	tests := []struct {
		name string
		bed  store.Bed
		err  error
	}{
		{"taken name", store.Bed{WardID: w.ID, Name: "Bed 1"}, store.ErrConflict},
		{"unknown ward", store.Bed{WardID: "nope", Name: "Bed 9"}, store.ErrNotFound},
		{"empty name", store.Bed{WardID: w.ID}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.CreateBed(f.ctx, tt.bed)
			assert.ErrorIs(t, err, tt.err)
		})
	}
	_, err = f.s.Bed(f.ctx, "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func (su suite) TestNursePIN(t *testing.T) {
	f := su.newFixture(t)
	w, err := f.s.CreateWard(f.ctx, store.Ward{Name: "Surgery", NursePINHash: []byte("ignored")})
	require.NoError(t, err)
	assert.Nil(t, w.NursePINHash, "CreateWard sets no PIN")
	got, err := f.s.Ward(f.ctx, w.ID)
	require.NoError(t, err)
	assert.Nil(t, got.NursePINHash)

	require.NoError(t, f.s.SetNursePIN(f.ctx, w.ID, []byte("$2a$10$first")))
	require.NoError(t, f.s.SetNursePIN(f.ctx, w.ID, []byte("$2a$10$second")), "replaced")
	got, err = f.s.Ward(f.ctx, w.ID)
	require.NoError(t, err)
	assert.Equal(t, []byte("$2a$10$second"), got.NursePINHash)
	ws, err := f.s.Wards(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, []store.Ward{got}, ws)

	assert.ErrorIs(t, f.s.SetNursePIN(f.ctx, w.ID, nil), store.ErrInvalid)
	assert.ErrorIs(t, f.s.SetNursePIN(f.ctx, "no-such-ward", []byte("h")), store.ErrNotFound)
	got, err = f.s.Ward(f.ctx, w.ID)
	require.NoError(t, err)
	assert.Equal(t, []byte("$2a$10$second"), got.NursePINHash, "a refused change changes nothing")
}
