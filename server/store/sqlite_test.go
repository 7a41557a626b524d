package store_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
	_ "modernc.org/sqlite"
)

// t0 is the fake clock's start: a fixed instant with sub-millisecond digits, which the store
// drops.
var t0 = time.Date(2026, 11, 27, 9, 30, 0, 123456789, time.UTC)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// ms is t as the store returns it.
func ms(t time.Time) time.Time { return time.UnixMilli(t.UnixMilli()).UTC() }

func hexHash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// fixture is an open store in a temporary file with a fake clock.
type fixture struct {
	s     *store.SQLite
	path  string
	clock *clock
	ctx   context.Context
	wards int // how many wards bed made, for unique names
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{path: filepath.Join(t.TempDir(), "bedside.db"), clock: &clock{t: t0}, ctx: context.Background()}
	f.open(t)
	return f
}

func (f *fixture) open(t *testing.T) {
	t.Helper()
	s, err := store.Open(f.ctx, f.path, store.Options{Now: f.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	f.s = s
}

// reopen closes the store and opens the same file again, like a server restart.
func (f *fixture) reopen(t *testing.T) {
	t.Helper()
	require.NoError(t, f.s.Close())
	f.open(t)
}

// bed makes a ward and a bed in it.
func (f *fixture) bed(t *testing.T) (store.Ward, store.Bed) {
	t.Helper()
	f.wards++
	w, err := f.s.CreateWard(f.ctx, store.Ward{Name: fmt.Sprintf("Ward %d", f.wards)})
	require.NoError(t, err)
	b, err := f.s.CreateBed(f.ctx, store.Bed{WardID: w.ID, Name: "Bed 1"})
	require.NoError(t, err)
	return w, b
}

// patient admits a patient to a fresh bed.
func (f *fixture) patient(t *testing.T) store.Patient {
	t.Helper()
	_, b := f.bed(t)
	p, err := f.s.Admit(f.ctx, store.Patient{BedID: b.ID, FirstName: "Maria", Language: "it"})
	require.NoError(t, err)
	return p
}

// contact adds a contact to the patient.
func (f *fixture) contact(t *testing.T, patientID, name string) store.Contact {
	t.Helper()
	c, err := f.s.CreateContact(f.ctx, store.Contact{PatientID: patientID, Name: name, Relation: "son"})
	require.NoError(t, err)
	return c
}

func TestOpenRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro", filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")} {
		_, err := store.Open(context.Background(), p, store.Options{})
		assert.Error(t, err, p)
	}
}

func TestOpenSetsPragmas(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.s.Close())
	db, err := sql.Open("sqlite", f.path)
	require.NoError(t, err)
	defer db.Close()
	var mode string
	require.NoError(t, db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	assert.Equal(t, "wal", mode, "WAL persists in the file")
}

func TestMigrationsApplyOnce(t *testing.T) {
	f := newFixture(t)
	w, err := f.s.CreateWard(f.ctx, store.Ward{Name: "Cardiology"})
	require.NoError(t, err)
	f.reopen(t)
	f.reopen(t)
	got, err := f.s.Ward(f.ctx, w.ID)
	require.NoError(t, err)
	assert.Equal(t, w, got)

	require.NoError(t, f.s.Close())
	db, err := sql.Open("sqlite", f.path)
	require.NoError(t, err)
	defer db.Close()
	var n, max int
	require.NoError(t, db.QueryRow(`SELECT COUNT(*), MAX(version) FROM schema_version`).Scan(&n, &max))
	assert.Equal(t, store.SchemaVersion(), n, "one row per migration")
	assert.Equal(t, store.SchemaVersion(), max)
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	f := newFixture(t)
	require.NoError(t, f.s.Close())
	db, err := sql.Open("sqlite", f.path)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO schema_version (version, applied) VALUES (?, 0)`, store.SchemaVersion()+1)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	_, err = store.Open(f.ctx, f.path, store.Options{})
	require.ErrorIs(t, err, store.ErrNewerSchema)
	assert.Contains(t, err.Error(), "newer")
}

func TestIDsAreValid(t *testing.T) {
	f := newFixture(t)
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

func TestBrokenRandomness(t *testing.T) {
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "x.db"), store.Options{Rand: emptyReader{}})
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

func TestRestartKeepsEverything(t *testing.T) {
	f := newFixture(t)
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
