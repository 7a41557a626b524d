package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"
	"time"

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

// fixture is an open store, fresh and empty (a SQLite file in a temp dir, or a PostgreSQL
// database of its own), with a fake clock.
type fixture struct {
	s      *store.DB
	target string // the SQLite file's path or the database's URL
	clock  *clock
	ctx    context.Context
	wards  int // how many wards bed made, for unique names
}

func (su suite) newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{target: su.fresh(t), clock: &clock{t: t0}, ctx: context.Background()}
	f.open(t)
	return f
}

func (f *fixture) open(t *testing.T) {
	t.Helper()
	s, err := store.Open(f.ctx, f.target, store.Options{Now: f.clock.Now})
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
