package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMigrationsAreNumbered(t *testing.T) {
	ms, err := migrations()
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	for i, m := range ms {
		assert.Equal(t, i+1, m.version, m.name)
	}
	assert.Equal(t, len(ms), SchemaVersion())
}

// TestUpgradeFromVersion1 opens a file left at schema version 1 by an older Bedside and checks
// that Open applies the rest and keeps the data.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	ms, err := migrations()
	require.NoError(t, err)
	db, err := sql.Open("sqlite", path)
	require.NoError(t, err)
	_, err = db.Exec(`CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`)
	require.NoError(t, err)
	_, err = db.Exec(ms[0].sql)
	require.NoError(t, err)
	_, err = db.Exec(`INSERT INTO schema_version VALUES (1, 0); INSERT INTO wards VALUES ('w1', 'Old ward', 0)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err := Open(ctx, path, Options{})
	require.NoError(t, err)
	defer s.Close()
	w, err := s.Ward(ctx, "w1")
	require.NoError(t, err)
	assert.Equal(t, "Old ward", w.Name)
	_, err = s.CreateStaff(ctx, Staff{Name: "a", Role: RoleAdmin, PasswordHash: []byte("h"), WardIDs: []string{"w1"}})
	require.NoError(t, err, "later migrations applied")
	var version int
	require.NoError(t, s.read.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&version))
	assert.Equal(t, SchemaVersion(), version)
}
