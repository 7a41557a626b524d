package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDiskFull makes SQLite run out of room for real (max_page_count on the writer
// connection) and checks that the failure is ErrFull and leaves nothing behind.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "full.db"), Options{})
	require.NoError(t, err)
	defer s.Close()
	w, err := s.CreateWard(ctx, Ward{Name: "A"})
	require.NoError(t, err)

	var pages int
	require.NoError(t, s.write.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages))
	_, err = s.write.ExecContext(ctx, `PRAGMA max_page_count = `+strconv.Itoa(pages+2))
	require.NoError(t, err)

	big := make([]byte, 1<<20)
	_, _ = rand.Read(big)
	sum := sha256.Sum256(big)
	err = s.PutPhoto(ctx, hex.EncodeToString(sum[:]), "image/jpeg", big)
	require.ErrorIs(t, err, ErrFull)
	_, _, err = s.Photo(ctx, hex.EncodeToString(sum[:]))
	assert.ErrorIs(t, err, ErrNotFound, "nothing half-written")

	// A multi-row change that runs out of room leaves nothing either.
	err = s.inTx(ctx, func(tx *txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO beds (id, ward_id, name) VALUES ('b1', ?, 'one')`, w.ID); err != nil {
			return mapErr(err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO photos (hash, content_type, data, created) VALUES ('x', 'y', ?, 0)`, big)
		return mapErr(err)
	})
	require.ErrorIs(t, err, ErrFull)
	beds, err := s.Beds(ctx, w.ID)
	require.NoError(t, err)
	assert.Empty(t, beds)

	// Small writes still fit, and the store keeps working.
	_, err = s.CreateBed(ctx, Bed{WardID: w.ID, Name: "Bed 1"})
	require.NoError(t, err)
}

func TestReadOnlyIsErrFull(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "ro.db"), Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.write.ExecContext(ctx, `PRAGMA query_only = 1`)
	require.NoError(t, err)
	_, err = s.CreateWard(ctx, Ward{Name: "A"})
	require.ErrorIs(t, err, ErrFull)
}

func TestTimesRoundTrip(t *testing.T) {
	assert.False(t, ms(time.Time{}).Valid)
	assert.True(t, fromMS(ms(time.Time{})).IsZero())
	loc := time.FixedZone("CET", 3600)
	in := time.Date(2026, 1, 2, 3, 4, 5, 6789012, loc)
	out := fromMS(ms(in))
	assert.True(t, in.Truncate(time.Millisecond).Equal(out))
	assert.Equal(t, time.UTC, out.Location())
}
