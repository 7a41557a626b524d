package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/internal/pgtest"
	"bedside/server/store"
)

// benchStore opens a store at target with a ward, a bed, an admitted patient, one contact
// with 1000 links, and a tablet.
type benchStore struct {
	s       *store.DB
	patient store.Patient
	contact store.Contact
	device  store.Device
}

func newBenchStore(b *testing.B, target string) benchStore {
	b.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, target, store.Options{})
	require.NoError(b, err)
	b.Cleanup(func() { s.Close() })
	w, err := s.CreateWard(ctx, store.Ward{Name: "W"})
	require.NoError(b, err)
	bed, err := s.CreateBed(ctx, store.Bed{WardID: w.ID, Name: "B"})
	require.NoError(b, err)
	p, err := s.Admit(ctx, store.Patient{BedID: bed.ID, FirstName: "P"})
	require.NoError(b, err)
	c, err := s.CreateContact(ctx, store.Contact{PatientID: p.ID, Name: "C"})
	require.NoError(b, err)
	for i := 0; i < 1000; i++ {
		_, err := s.CreateLink(ctx, store.Link{ContactID: c.ID, TokenHash: hash(fmt.Sprint(i)), Expires: time.Now().Add(time.Hour)})
		require.NoError(b, err)
	}
	d, err := s.CreateDevice(ctx, store.Device{WardID: w.ID, BedID: bed.ID, PublicKey: hash("key"), Battery: -1})
	require.NoError(b, err)
	return benchStore{s: s, patient: p, contact: c, device: d}
}

// BenchmarkStore runs the store's most frequent operations on SQLite (the reference: a file
// in a temp dir) and on PostgreSQL (pgtest's server: a Unix socket, fsync off, as SQLite's
// synchronous=NORMAL does not wait for the disk either), one line beside the other:
// BenchmarkStore/LinkByToken/sqlite, then .../postgres, and so on.
func BenchmarkStore(b *testing.B) {
	srv := pgtest.Start(b)
	engines := []struct {
		name string
		st   benchStore
	}{
		{"sqlite", newBenchStore(b, filepath.Join(b.TempDir(), "bench.db"))},
		{"postgres", newBenchStore(b, srv.NewDatabase(b))},
	}
	ctx := context.Background()

	// The family page's look-up, run on every link opened: reads from several requests at once.
	b.Run("LinkByToken", func(b *testing.B) {
		for _, e := range engines {
			b.Run(e.name, func(b *testing.B) {
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						if _, err := e.st.s.LinkByToken(ctx, hash(fmt.Sprint(i%1000))); err != nil {
							b.Error(err)
							return
						}
						i++
					}
				})
			})
		}
	})

	// A tablet's look-up when it says hello.
	b.Run("Device", func(b *testing.B) {
		for _, e := range engines {
			b.Run(e.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := e.st.s.Device(ctx, e.st.device.ID); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})

	// One write transaction's worth: a call-log row, at the end of every call.
	b.Run("LogCall", func(b *testing.B) {
		for _, e := range engines {
			b.Run(e.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := e.st.s.LogCall(ctx, store.CallRecord{PatientID: e.st.patient.ID, ContactID: e.st.contact.ID,
						Direction: store.FromFamily, Started: time.Now(), Ended: time.Now(), Reason: "hangup", SetupMS: -1}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})

	// A transaction that checks before it writes: a link for an admitted patient's contact.
	b.Run("CreateLink", func(b *testing.B) {
		for _, e := range engines {
			b.Run(e.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if _, err := e.st.s.CreateLink(ctx, store.Link{ContactID: e.st.contact.ID,
						TokenHash: hash(fmt.Sprint("bench", b.N, i)), Expires: time.Now().Add(time.Hour)}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	})
}
