package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

func (su suite) TestPhotos(t *testing.T) {
	f := su.newFixture(t)
	data := []byte("\xff\xd8\xff a jpeg")
	h := hexHash(data)
	require.NoError(t, f.s.PutPhoto(f.ctx, h, "image/jpeg", data))
	require.NoError(t, f.s.PutPhoto(f.ctx, h, "image/jpeg", data), "idempotent")
	ct, got, err := f.s.Photo(f.ctx, h)
	require.NoError(t, err)
	assert.Equal(t, "image/jpeg", ct)
	assert.Equal(t, data, got)

	tests := []struct {
		name, hash, ct string
		data           []byte
	}{
		{"wrong hash", hexHash([]byte("other")), "image/jpeg", data},
		{"upper-case hash", "A" + h[1:], "image/jpeg", data},
		{"no data", hexHash(nil), "image/jpeg", nil},
		{"no content type", h, "", data},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, f.s.PutPhoto(f.ctx, tt.hash, tt.ct, tt.data), store.ErrInvalid)
		})
	}
	_, _, err = f.s.Photo(f.ctx, hexHash([]byte("missing")))
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func (su suite) TestCalls(t *testing.T) {
	f := su.newFixture(t)
	p := f.patient(t)
	other := f.patient(t)
	var want []store.CallRecord
	for i := 0; i < 5; i++ {
		start := t0.Add(time.Duration(i) * time.Minute)
		c, err := f.s.LogCall(f.ctx, store.CallRecord{PatientID: p.ID, ContactID: "c1", DeviceID: "d1",
			Direction: store.FromPatient, Started: start, Answered: start.Add(time.Second),
			Ended: start.Add(30 * time.Second), Reason: "hangup", SetupMS: 420})
		require.NoError(t, err)
		assert.NotEmpty(t, c.ID)
		want = append([]store.CallRecord{c}, want...)
	}
	missed, err := f.s.LogCall(f.ctx, store.CallRecord{PatientID: other.ID, Direction: store.FromFamily,
		Started: t0, Ended: t0.Add(time.Minute), Reason: "missed", SetupMS: -1})
	require.NoError(t, err)
	assert.True(t, missed.Answered.IsZero())

	got, err := f.s.Calls(f.ctx, p.ID, 3)
	require.NoError(t, err)
	assert.Equal(t, want[:3], got, "newest first")
	got, err = f.s.Calls(f.ctx, p.ID, 0)
	require.NoError(t, err)
	assert.Equal(t, want, got, "no limit")
	got, err = f.s.Calls(f.ctx, other.ID, 10)
	require.NoError(t, err)
	assert.Equal(t, []store.CallRecord{missed}, got)
	got, err = f.s.Calls(f.ctx, "nope", 10)
	require.NoError(t, err)
	assert.Empty(t, got)

	tests := []struct {
		name string
		c    store.CallRecord
		err  error
	}{
		{"unknown patient", store.CallRecord{PatientID: "nope", Direction: store.FromFamily, Started: t0}, store.ErrNotFound},
		{"bad direction", store.CallRecord{PatientID: p.ID, Direction: "sideways", Started: t0}, store.ErrInvalid},
		{"no start", store.CallRecord{PatientID: p.ID, Direction: store.FromFamily}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.LogCall(f.ctx, tt.c)
			assert.ErrorIs(t, err, tt.err)
		})
	}
}
