package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

func TestOpenRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro", "host=/tmp dbname=bedside", "postgres:/db/ward", filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")} {
		_, err := store.Open(context.Background(), p, store.Options{})
		assert.Error(t, err, p)
	}
}

func TestOpenSetsPragmas(t *testing.T) {
	f := suite{sqliteEngine()}.newFixture(t)
	require.NoError(t, f.s.Close())
	db, err := sql.Open("sqlite", f.target)
	require.NoError(t, err)
	defer db.Close()
	var mode string
	require.NoError(t, db.QueryRow(`PRAGMA journal_mode`).Scan(&mode))
	assert.Equal(t, "wal", mode, "WAL persists in the file")
}
