package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

func (su suite) TestDevices(t *testing.T) {
	f := su.newFixture(t)
	w, b := f.bed(t)
	d1, err := f.s.CreateDevice(f.ctx, store.Device{WardID: w.ID, BedID: b.ID, PublicKey: hash("k1"),
		Name: "Tab A", AppVersion: "1.0", Battery: 80})
	require.NoError(t, err)
	assert.Equal(t, ms(t0), d1.Created)
	assert.True(t, d1.LastSeen.IsZero())
	f.clock.Add(time.Second)
	d2, err := f.s.CreateDevice(f.ctx, store.Device{WardID: w.ID, BedID: b.ID, PublicKey: hash("k2"), Battery: -1})
	require.NoError(t, err)
	d3, err := f.s.CreateDevice(f.ctx, store.Device{WardID: w.ID, PublicKey: hash("k3"), Battery: -1})
	require.NoError(t, err, "paired to the ward only")

	got, err := f.s.Device(f.ctx, d1.ID)
	require.NoError(t, err)
	assert.Equal(t, d1, got)

	ds, err := f.s.Devices(f.ctx, w.ID)
	require.NoError(t, err)
	assert.Equal(t, []store.Device{d1, d2, d3}, ds)

	newest, err := f.s.DeviceForBed(f.ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, d2.ID, newest.ID)

	require.NoError(t, f.s.RevokeDevice(f.ctx, d2.ID))
	require.NoError(t, f.s.RevokeDevice(f.ctx, d2.ID), "again")
	newest, err = f.s.DeviceForBed(f.ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, d1.ID, newest.ID, "the newest unrevoked")
	got, err = f.s.Device(f.ctx, d2.ID)
	require.NoError(t, err)
	assert.True(t, got.Revoked)

	seen := t0.Add(time.Hour + 123*time.Microsecond)
	require.NoError(t, f.s.TouchDevice(f.ctx, d1.ID, seen))
	got, err = f.s.Device(f.ctx, d1.ID)
	require.NoError(t, err)
	assert.Equal(t, ms(seen), got.LastSeen)

	// A revoked device's key may enroll again; a live one's may not.
	_, err = f.s.CreateDevice(f.ctx, store.Device{WardID: w.ID, PublicKey: hash("k2")})
	assert.NoError(t, err)

	other, _ := f.bed(t)
	tests := []struct {
		name string
		d    store.Device
		err  error
	}{
		{"live key", store.Device{WardID: w.ID, PublicKey: hash("k1")}, store.ErrConflict},
		{"unknown ward", store.Device{WardID: "nope", PublicKey: hash("k9")}, store.ErrNotFound},
		{"unknown bed", store.Device{WardID: w.ID, BedID: "nope", PublicKey: hash("k9")}, store.ErrNotFound},
		{"no key", store.Device{WardID: w.ID}, store.ErrInvalid},
		{"bed of another ward", store.Device{WardID: other.ID, BedID: b.ID, PublicKey: hash("k9")}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.CreateDevice(f.ctx, tt.d)
			assert.ErrorIs(t, err, tt.err)
		})
	}

	t.Run("not found", func(t *testing.T) {
		_, err := f.s.Device(f.ctx, "nope")
		assert.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.s.DeviceForBed(f.ctx, "nope")
		assert.ErrorIs(t, err, store.ErrNotFound)
		assert.ErrorIs(t, f.s.RevokeDevice(f.ctx, "nope"), store.ErrNotFound)
		assert.ErrorIs(t, f.s.TouchDevice(f.ctx, "nope", t0), store.ErrNotFound)
		ds, err := f.s.Devices(f.ctx, "nope")
		require.NoError(t, err)
		assert.Empty(t, ds)
	})
}

func (su suite) TestDeviceStatus(t *testing.T) {
	f := su.newFixture(t)
	w, b := f.bed(t)
	d, err := f.s.CreateDevice(f.ctx, store.Device{WardID: w.ID, BedID: b.ID, PublicKey: hash("k1"), AppVersion: "1.0", Battery: -1})
	require.NoError(t, err)

	seen := t0.Add(time.Minute)
	require.NoError(t, f.s.UpdateDeviceStatus(f.ctx, d.ID, 57, "1.1", seen))
	got, err := f.s.Device(f.ctx, d.ID)
	require.NoError(t, err)
	assert.Equal(t, 57, got.Battery)
	assert.Equal(t, "1.1", got.AppVersion)
	assert.Equal(t, ms(seen), got.LastSeen)

	require.NoError(t, f.s.UpdateDeviceStatus(f.ctx, d.ID, -1, "", seen.Add(time.Minute)))
	got, err = f.s.Device(f.ctx, d.ID)
	require.NoError(t, err)
	assert.Equal(t, -1, got.Battery, "unknown")
	assert.Equal(t, "1.1", got.AppVersion, "an empty version keeps the known one")

	for _, bad := range []int{-2, 101} {
		assert.ErrorIs(t, f.s.UpdateDeviceStatus(f.ctx, d.ID, bad, "2.0", seen), store.ErrInvalid)
	}
	assert.ErrorIs(t, f.s.UpdateDeviceStatus(f.ctx, "no-such-device", 50, "", seen), store.ErrNotFound)
	got, err = f.s.Device(f.ctx, d.ID)
	require.NoError(t, err)
	assert.Equal(t, "1.1", got.AppVersion, "refused changes change nothing")
}
