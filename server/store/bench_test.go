package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

// benchStore opens a store with a ward, a bed, an admitted patient and one contact.
func benchStore(b *testing.B) (*store.SQLite, store.Patient, store.Contact) {
	b.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(b.TempDir(), "bench.db"), store.Options{})
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
	return s, p, c
}

// BenchmarkLinkByToken is the family page's look-up, run on every link opened.
func BenchmarkLinkByToken(b *testing.B) {
	s, _, c := benchStore(b)
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		_, err := s.CreateLink(ctx, store.Link{ContactID: c.ID, TokenHash: hash(fmt.Sprint(i)), Expires: time.Now().Add(time.Hour)})
		require.NoError(b, err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.LinkByToken(ctx, hash(fmt.Sprint(i%1000))); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkLogCall is one write transaction's worth: a call-log row.
func BenchmarkLogCall(b *testing.B) {
	s, p, c := benchStore(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.LogCall(ctx, store.CallRecord{PatientID: p.ID, ContactID: c.ID, Direction: store.FromFamily,
			Started: time.Now(), Ended: time.Now(), Reason: "hangup", SetupMS: -1}); err != nil {
			b.Fatal(err)
		}
	}
}
