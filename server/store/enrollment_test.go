package store_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

func (su suite) TestConsumeEnrollment(t *testing.T) {
	f := su.newFixture(t)
	w, b := f.bed(t)
	live := store.Enrollment{TokenHash: hash("token"), CodeHash: hash("123456"), WardID: w.ID, BedID: b.ID,
		Expires: t0.Add(10 * time.Minute)}
	require.NoError(t, f.s.CreateEnrollment(f.ctx, live))
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("old"), WardID: w.ID,
		Created: t0.Add(-time.Hour), Expires: t0.Add(-time.Minute)}))
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("ward-only"), WardID: w.ID,
		Expires: t0.Add(time.Minute)}))

	tests := []struct {
		name string
		hash []byte
		now  time.Time
		err  error
		bed  string
	}{
		{"unknown", hash("nope"), t0, store.ErrNotFound, ""},
		{"empty hash", nil, t0, store.ErrNotFound, ""},
		{"expired", hash("old"), t0, store.ErrExpired, ""},
		{"expires exactly now", hash("ward-only"), t0.Add(time.Minute), store.ErrExpired, ""},
		{"ward only", hash("ward-only"), t0, nil, ""},
		{"ward only again", hash("ward-only"), t0, store.ErrUsed, ""},
		{"by code", hash("123456"), t0.Add(time.Minute), nil, b.ID},
		{"token after code", hash("token"), t0.Add(time.Minute), store.ErrUsed, ""},
		{"code after code", hash("123456"), t0.Add(time.Minute), store.ErrUsed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := f.s.ConsumeEnrollment(f.ctx, tt.hash, "", tt.now)
			if tt.err != nil {
				assert.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, w.ID, e.WardID)
			assert.Equal(t, tt.bed, e.BedID)
			assert.Equal(t, ms(tt.now), e.Used)
			assert.Equal(t, ms(t0), e.Created, "created defaults to now")
		})
	}
}

func (su suite) TestConsumeEnrollmentByTokenUsesUpCode(t *testing.T) {
	f := su.newFixture(t)
	w, _ := f.bed(t)
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("token"), CodeHash: hash("42"),
		WardID: w.ID, Expires: t0.Add(time.Hour)}))
	e, err := f.s.ConsumeEnrollment(f.ctx, hash("token"), "", t0)
	require.NoError(t, err)
	assert.Equal(t, hash("token"), e.TokenHash)
	assert.Equal(t, hash("42"), e.CodeHash)
	_, err = f.s.ConsumeEnrollment(f.ctx, hash("42"), "", t0)
	assert.ErrorIs(t, err, store.ErrUsed)
}

func (su suite) TestConsumeEnrollmentConcurrent(t *testing.T) {
	f := su.newFixture(t)
	w, _ := f.bed(t)
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("token"), CodeHash: hash("code"),
		WardID: w.ID, Expires: t0.Add(time.Hour)}))

	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			h := hash("token")
			if i%2 == 1 {
				h = hash("code")
			}
			_, errs[i] = f.s.ConsumeEnrollment(f.ctx, h, "", t0)
		}(i)
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
			continue
		}
		assert.ErrorIs(t, err, store.ErrUsed)
	}
	assert.Equal(t, 1, wins)
}

func (su suite) TestCreateEnrollment(t *testing.T) {
	f := su.newFixture(t)
	w, b := f.bed(t)
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("a"), CodeHash: hash("111"),
		WardID: w.ID, Expires: t0.Add(time.Hour)}))
	other, _ := f.bed(t)

	tests := []struct {
		name string
		e    store.Enrollment
		err  error
	}{
		{"same token", store.Enrollment{TokenHash: hash("a"), WardID: w.ID, Expires: t0.Add(time.Hour)}, store.ErrConflict},
		{"live code", store.Enrollment{TokenHash: hash("b"), CodeHash: hash("111"), WardID: w.ID, Expires: t0.Add(time.Hour)}, store.ErrConflict},
		{"unknown ward", store.Enrollment{TokenHash: hash("c"), WardID: "nope", Expires: t0.Add(time.Hour)}, store.ErrNotFound},
		{"unknown bed", store.Enrollment{TokenHash: hash("d"), WardID: w.ID, BedID: "nope", Expires: t0.Add(time.Hour)}, store.ErrNotFound},
		{"no token", store.Enrollment{WardID: w.ID, Expires: t0.Add(time.Hour)}, store.ErrInvalid},
		{"bed of another ward", store.Enrollment{TokenHash: hash("g"), WardID: other.ID, BedID: b.ID, Expires: t0.Add(time.Hour)}, store.ErrInvalid},
		{"no expiry", store.Enrollment{TokenHash: hash("e"), WardID: w.ID}, store.ErrInvalid},
		{"ok", store.Enrollment{TokenHash: hash("f"), WardID: w.ID, BedID: b.ID, Expires: t0.Add(time.Hour)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.s.CreateEnrollment(f.ctx, tt.e)
			if tt.err == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.err)
			}
		})
	}
	// Nothing from the failed attempts was kept.
	_, err := f.s.ConsumeEnrollment(f.ctx, hash("b"), "", t0)
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func (su suite) TestEnrollmentCodeComesRound(t *testing.T) {
	f := su.newFixture(t)
	w, _ := f.bed(t)
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("a"), CodeHash: hash("111"),
		WardID: w.ID, Expires: t0.Add(time.Minute)}))
	_, err := f.s.ConsumeEnrollment(f.ctx, hash("111"), "", t0)
	require.NoError(t, err)
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("b"), CodeHash: hash("111"),
		WardID: w.ID, Expires: t0.Add(time.Hour)}), "a used code may be drawn again")

	f.clock.Add(2 * time.Hour)
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("c"), CodeHash: hash("111"),
		WardID: w.ID, Expires: t0.Add(3 * time.Hour)}), "so may an expired one")
	e, err := f.s.ConsumeEnrollment(f.ctx, hash("111"), "", f.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, hash("c"), e.TokenHash)
	_, err = f.s.ConsumeEnrollment(f.ctx, hash("b"), "", f.clock.Now())
	assert.True(t, errors.Is(err, store.ErrExpired))
}

func (su suite) TestConsumeEnrollmentBoundToFingerprint(t *testing.T) {
	f := su.newFixture(t)
	w, b := f.bed(t)
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("tok"), CodeHash: hash("code"),
		WardID: w.ID, BedID: b.ID, Expires: t0.Add(time.Hour), Fingerprint: "AAAA-BBBB"}))

	_, err := f.s.ConsumeEnrollment(f.ctx, hash("code"), "", t0)
	assert.ErrorIs(t, err, store.ErrNotFound, "no fingerprint")
	_, err = f.s.ConsumeEnrollment(f.ctx, hash("code"), "CCCC-DDDD", t0)
	assert.ErrorIs(t, err, store.ErrNotFound, "another tablet's key")
	e, err := f.s.ConsumeEnrollment(f.ctx, hash("code"), "AAAA-BBBB", t0)
	require.NoError(t, err, "the approved tablet pairs: the wrong tries used nothing up")
	assert.Equal(t, "AAAA-BBBB", e.Fingerprint)
	assert.Equal(t, b.ID, e.BedID)
}

// Enroll is all or nothing: a refused pairing leaves no device and the token unused.
func (su suite) TestEnrollIsAtomic(t *testing.T) {
	f := su.newFixture(t)
	w, b := f.bed(t)
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("t1"), WardID: w.ID, BedID: b.ID,
		Expires: t0.Add(time.Minute)}))
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("t2"), WardID: w.ID,
		Expires: t0.Add(time.Minute)}))
	devices := func() int {
		ds, err := f.s.Devices(f.ctx, w.ID)
		require.NoError(t, err)
		return len(ds)
	}

	e, d, err := f.s.Enroll(f.ctx, hash("t1"), "", t0, store.Device{PublicKey: hash("key1"), Name: "Tab", Battery: -1,
		WardID: "ignored", BedID: "ignored"})
	require.NoError(t, err)
	assert.Equal(t, b.ID, e.BedID)
	assert.Equal(t, w.ID, d.WardID)
	assert.Equal(t, b.ID, d.BedID)
	got, err := f.s.Device(f.ctx, d.ID)
	require.NoError(t, err)
	assert.Equal(t, d, got)

	// The same key again: refused, and t2 is not used up by it.
	_, _, err = f.s.Enroll(f.ctx, hash("t2"), "", t0, store.Device{PublicKey: hash("key1"), Battery: -1})
	require.ErrorIs(t, err, store.ErrConflict)
	assert.Equal(t, 1, devices())
	for _, tc := range []struct {
		name string
		hash []byte
		now  time.Time
		key  []byte
		err  error
	}{
		{"used", hash("t1"), t0, hash("key2"), store.ErrUsed},
		{"unknown", hash("nope"), t0, hash("key2"), store.ErrNotFound},
		{"no key", hash("t2"), t0, nil, store.ErrInvalid},
		{"expired", hash("t2"), t0.Add(time.Hour), hash("key2"), store.ErrExpired},
	} {
		_, _, err = f.s.Enroll(f.ctx, tc.hash, "", tc.now, store.Device{PublicKey: tc.key, Battery: -1})
		assert.ErrorIs(t, err, tc.err, tc.name)
		assert.Equal(t, 1, devices(), tc.name)
	}
	_, d2, err := f.s.Enroll(f.ctx, hash("t2"), "", t0, store.Device{PublicKey: hash("key2"), Battery: -1})
	require.NoError(t, err, "t2 still works")
	assert.Empty(t, d2.BedID)
	assert.Equal(t, 2, devices())
}
