package store_test

import (
	"context"
	"database/sql"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

func (su suite) TestMigrationsApplyOnce(t *testing.T) {
	f := su.newFixture(t)
	w, err := f.s.CreateWard(f.ctx, store.Ward{Name: "Cardiology"})
	require.NoError(t, err)
	f.reopen(t)
	f.reopen(t)
	got, err := f.s.Ward(f.ctx, w.ID)
	require.NoError(t, err)
	assert.Equal(t, w, got)

	require.NoError(t, f.s.Close())
	db := su.raw(t, f.target)
	var n, max int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&n, &max))
	assert.Equal(t, store.SchemaVersion(), n, "one row per migration")
	assert.Equal(t, store.SchemaVersion(), max)
}

func (su suite) TestOpenRefusesNewerSchema(t *testing.T) {
	f := su.newFixture(t)
	require.NoError(t, f.s.Close())
	db := su.raw(t, f.target)
	_, err := db.Exec(`INSERT INTO schema_version (version, applied)
		SELECT MAX(version) + 1, MAX(applied) FROM schema_version`) // SchemaVersion()+1, in both dialects
	require.NoError(t, err)
	require.NoError(t, db.Close())

	_, err = store.Open(f.ctx, f.target, store.Options{})
	require.ErrorIs(t, err, store.ErrNewerSchema)
	assert.Contains(t, err.Error(), "newer")
}

func (su suite) TestIDsAreValid(t *testing.T) {
	f := su.newFixture(t)
	valid := regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		w, err := f.s.CreateWard(f.ctx, store.Ward{Name: "W" + string(rune('A'+i))})
		require.NoError(t, err)
		assert.Regexp(t, valid, w.ID)
		assert.False(t, seen[w.ID])
		seen[w.ID] = true
	}
}

func (su suite) TestBrokenRandomness(t *testing.T) {
	s, err := store.Open(context.Background(), su.fresh(t), store.Options{Rand: emptyReader{}})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.CreateWard(context.Background(), store.Ward{Name: "A"})
	assert.Error(t, err)
	ws, err := s.Wards(context.Background())
	require.NoError(t, err)
	assert.Empty(t, ws)
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, sql.ErrConnDone }

func (su suite) TestRestartKeepsEverything(t *testing.T) {
	f := su.newFixture(t)
	w, b := f.bed(t)
	d, err := f.s.CreateDevice(f.ctx, store.Device{WardID: w.ID, BedID: b.ID, PublicKey: hash("key"), Name: "Tab", Battery: -1})
	require.NoError(t, err)
	require.NoError(t, f.s.CreateEnrollment(f.ctx, store.Enrollment{TokenHash: hash("t"), WardID: w.ID, Expires: t0.Add(time.Hour)}))
	p, err := f.s.Admit(f.ctx, store.Patient{BedID: b.ID, FirstName: "Ada"})
	require.NoError(t, err)
	c := f.contact(t, p.ID, "Bob")
	l, err := f.s.CreateLink(f.ctx, store.Link{ContactID: c.ID, TokenHash: hash("link"), Expires: t0.Add(time.Hour)})
	require.NoError(t, err)
	photo := []byte("jpeg bytes")
	require.NoError(t, f.s.PutPhoto(f.ctx, hexHash(photo), "image/jpeg", photo))
	call, err := f.s.LogCall(f.ctx, store.CallRecord{PatientID: p.ID, ContactID: c.ID, DeviceID: d.ID,
		Direction: store.FromFamily, Started: t0, Ended: t0.Add(time.Minute), Reason: "hangup", SetupMS: -1})
	require.NoError(t, err)
	st, err := f.s.CreateStaff(f.ctx, store.Staff{Name: "Anna", Role: store.RoleNurse, WardIDs: []string{w.ID}, PasswordHash: []byte("h")})
	require.NoError(t, err)
	require.NoError(t, f.s.CreateSession(f.ctx, store.Session{IDHash: hash("s"), StaffID: st.ID, CSRF: "c", Expires: t0.Add(time.Hour)}))
	require.NoError(t, f.s.Audit(f.ctx, store.AuditEntry{StaffID: st.ID, Action: "admit", Target: p.ID}))

	f.reopen(t)

	gst, err := f.s.StaffByName(f.ctx, "anna")
	require.NoError(t, err)
	assert.Equal(t, st, gst)
	gse, err := f.s.Session(f.ctx, hash("s"))
	require.NoError(t, err)
	assert.Equal(t, st.ID, gse.StaffID)
	audit, err := f.s.AuditLog(f.ctx, 0)
	require.NoError(t, err)
	require.Len(t, audit, 1)
	assert.Equal(t, p.ID, audit[0].Target)

	gw, err := f.s.Ward(f.ctx, w.ID)
	require.NoError(t, err)
	assert.Equal(t, w, gw)
	gb, err := f.s.Bed(f.ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, b, gb)
	gd, err := f.s.Device(f.ctx, d.ID)
	require.NoError(t, err)
	assert.Equal(t, d, gd)
	gp, err := f.s.PatientInBed(f.ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, p, gp)
	gc, err := f.s.Contact(f.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, c, gc)
	gl, err := f.s.LinkByToken(f.ctx, hash("link"))
	require.NoError(t, err)
	assert.Equal(t, l, gl)
	ct, data, err := f.s.Photo(f.ctx, hexHash(photo))
	require.NoError(t, err)
	assert.Equal(t, "image/jpeg", ct)
	assert.Equal(t, photo, data)
	calls, err := f.s.Calls(f.ctx, p.ID, 10)
	require.NoError(t, err)
	assert.Equal(t, []store.CallRecord{call}, calls)
	e, err := f.s.ConsumeEnrollment(f.ctx, hash("t"), "", t0)
	require.NoError(t, err)
	assert.Equal(t, w.ID, e.WardID)
}
