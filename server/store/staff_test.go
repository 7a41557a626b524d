package store_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

func (su suite) TestStaff(t *testing.T) {
	f := su.newFixture(t)
	w1, _ := f.bed(t)
	w2, _ := f.bed(t)
	nurse, err := f.s.CreateStaff(f.ctx, store.Staff{Name: "Anna", Role: store.RoleNurse,
		WardIDs: []string{w2.ID, w1.ID, w2.ID}, PasswordHash: []byte("$argon2id$x")})
	require.NoError(t, err)
	assert.Equal(t, ms(t0), nurse.Created)
	assert.Len(t, nurse.WardIDs, 2, "repeats dropped")
	admin, err := f.s.CreateStaff(f.ctx, store.Staff{Name: "admin", Role: store.RoleAdmin, PasswordHash: []byte("h")})
	require.NoError(t, err)
	assert.Equal(t, []string{}, admin.WardIDs)

	got, err := f.s.Staff(f.ctx, nurse.ID)
	require.NoError(t, err)
	assert.Equal(t, nurse, got)
	got, err = f.s.StaffByName(f.ctx, "ANNA")
	require.NoError(t, err)
	assert.Equal(t, nurse, got, "names match whatever their case")
	all, err := f.s.AllStaff(f.ctx)
	require.NoError(t, err)
	assert.Equal(t, []store.Staff{admin, nurse}, all)

	nurse.FailedLogins = 5
	nurse.LockedUntil = t0.Add(15 * time.Minute)
	nurse.WardIDs = []string{w1.ID}
	nurse.Role = store.RoleAdmin
	nurse.PasswordHash = []byte("new")
	require.NoError(t, f.s.UpdateStaff(f.ctx, nurse))
	got, err = f.s.Staff(f.ctx, nurse.ID)
	require.NoError(t, err)
	nurse.LockedUntil = ms(nurse.LockedUntil)
	assert.Equal(t, nurse, got)

	tests := []struct {
		name string
		s    store.Staff
		err  error
	}{
		{"taken name", store.Staff{Name: "anna", Role: store.RoleNurse, PasswordHash: []byte("h")}, store.ErrConflict},
		{"unknown ward", store.Staff{Name: "Bea", Role: store.RoleNurse, WardIDs: []string{"nope"}, PasswordHash: []byte("h")}, store.ErrNotFound},
		{"bad role", store.Staff{Name: "Bea", Role: "janitor", PasswordHash: []byte("h")}, store.ErrInvalid},
		{"no name", store.Staff{Role: store.RoleNurse, PasswordHash: []byte("h")}, store.ErrInvalid},
		{"no password", store.Staff{Name: "Bea", Role: store.RoleNurse}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.s.CreateStaff(f.ctx, tt.s)
			assert.ErrorIs(t, err, tt.err)
		})
	}
	_, err = f.s.StaffByName(f.ctx, "Bea")
	assert.ErrorIs(t, err, store.ErrNotFound, "nothing half-written")

	t.Run("update errors", func(t *testing.T) {
		bad := nurse
		bad.WardIDs = []string{w2.ID, "nope"}
		assert.ErrorIs(t, f.s.UpdateStaff(f.ctx, bad), store.ErrNotFound)
		got, err := f.s.Staff(f.ctx, nurse.ID)
		require.NoError(t, err)
		assert.Equal(t, []string{w1.ID}, got.WardIDs, "rolled back")

		bad = nurse
		bad.Name = "Admin"
		assert.ErrorIs(t, f.s.UpdateStaff(f.ctx, bad), store.ErrConflict)
		assert.ErrorIs(t, f.s.UpdateStaff(f.ctx, store.Staff{ID: "nope", Name: "X", Role: store.RoleNurse, PasswordHash: []byte("h")}), store.ErrNotFound)
		assert.ErrorIs(t, f.s.UpdateStaff(f.ctx, store.Staff{ID: nurse.ID}), store.ErrInvalid)
		_, err = f.s.Staff(f.ctx, "nope")
		assert.ErrorIs(t, err, store.ErrNotFound)
	})
}

func (su suite) TestSessions(t *testing.T) {
	f := su.newFixture(t)
	st, err := f.s.CreateStaff(f.ctx, store.Staff{Name: "Anna", Role: store.RoleNurse, PasswordHash: []byte("h")})
	require.NoError(t, err)
	se := store.Session{IDHash: hash("cookie"), StaffID: st.ID, CSRF: "csrf", Expires: t0.Add(time.Hour)}
	require.NoError(t, f.s.CreateSession(f.ctx, se))
	got, err := f.s.Session(f.ctx, hash("cookie"))
	require.NoError(t, err)
	assert.Equal(t, st.ID, got.StaffID)
	assert.Equal(t, "csrf", got.CSRF)
	assert.Equal(t, ms(t0), got.Created)
	assert.Equal(t, ms(t0.Add(time.Hour)), got.Expires)

	require.NoError(t, f.s.CreateSession(f.ctx, store.Session{IDHash: hash("other"), StaffID: st.ID, CSRF: "c2", Expires: t0.Add(time.Hour)}))
	require.NoError(t, f.s.DeleteSession(f.ctx, hash("cookie")))
	_, err = f.s.Session(f.ctx, hash("cookie"))
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, f.s.DeleteSession(f.ctx, hash("cookie")), store.ErrNotFound)

	require.NoError(t, f.s.DeleteStaffSessions(f.ctx, st.ID))
	_, err = f.s.Session(f.ctx, hash("other"))
	assert.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, f.s.DeleteStaffSessions(f.ctx, st.ID), "none left is fine")

	// Expired sessions are swept when a new one is made.
	require.NoError(t, f.s.CreateSession(f.ctx, store.Session{IDHash: hash("stale"), StaffID: st.ID, CSRF: "c", Expires: t0.Add(time.Minute)}))
	f.clock.Add(time.Hour)
	_, err = f.s.Session(f.ctx, hash("stale"))
	require.NoError(t, err, "returned whatever its expiry")
	require.NoError(t, f.s.CreateSession(f.ctx, store.Session{IDHash: hash("fresh"), StaffID: st.ID, CSRF: "c", Expires: f.clock.Now().Add(time.Hour)}))
	_, err = f.s.Session(f.ctx, hash("stale"))
	assert.ErrorIs(t, err, store.ErrNotFound)

	tests := []struct {
		name string
		se   store.Session
		err  error
	}{
		{"taken id", store.Session{IDHash: hash("fresh"), StaffID: st.ID, CSRF: "c", Expires: t0.Add(2 * time.Hour)}, store.ErrConflict},
		{"unknown staff", store.Session{IDHash: hash("x"), StaffID: "nope", CSRF: "c", Expires: t0.Add(2 * time.Hour)}, store.ErrNotFound},
		{"no id", store.Session{StaffID: st.ID, CSRF: "c", Expires: t0.Add(2 * time.Hour)}, store.ErrInvalid},
		{"no csrf", store.Session{IDHash: hash("y"), StaffID: st.ID, Expires: t0.Add(2 * time.Hour)}, store.ErrInvalid},
		{"no expiry", store.Session{IDHash: hash("z"), StaffID: st.ID, CSRF: "c"}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.ErrorIs(t, f.s.CreateSession(f.ctx, tt.se), tt.err)
		})
	}
	_, err = f.s.Session(f.ctx, nil)
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func (su suite) TestAudit(t *testing.T) {
	f := su.newFixture(t)
	log, err := f.s.AuditLog(f.ctx, 10)
	require.NoError(t, err)
	assert.Empty(t, log)

	require.NoError(t, f.s.Audit(f.ctx, store.AuditEntry{StaffID: "s1", Action: "login"}))
	require.NoError(t, f.s.Audit(f.ctx, store.AuditEntry{StaffID: "s1", Action: "admit", Target: "p1"}))
	f.clock.Add(time.Second)
	require.NoError(t, f.s.Audit(f.ctx, store.AuditEntry{Action: "discharge", Target: "p1", At: t0.Add(time.Minute)}))
	assert.ErrorIs(t, f.s.Audit(f.ctx, store.AuditEntry{StaffID: "s1"}), store.ErrInvalid)

	log, err = f.s.AuditLog(f.ctx, 0)
	require.NoError(t, err)
	require.Len(t, log, 3)
	assert.Equal(t, []string{"discharge", "admit", "login"}, []string{log[0].Action, log[1].Action, log[2].Action}, "newest first")
	assert.Equal(t, ms(t0.Add(time.Minute)), log[0].At)
	assert.Equal(t, ms(t0), log[1].At, "defaults to now")
	assert.Equal(t, "p1", log[1].Target)
	assert.Equal(t, "s1", log[1].StaffID)
	assert.NotEmpty(t, log[1].ID)

	log, err = f.s.AuditLog(f.ctx, 2)
	require.NoError(t, err)
	assert.Len(t, log, 2)
}
