package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migrationFS holds the schema as numbered SQL files, 0001_init.sql, 0002_..., applied in
// order: SQLite's in migrations, PostgreSQL's in migrations/postgres. Both engines have the
// same list (the same versions, under the same names), each in its own dialect.
//
//go:embed migrations/*.sql migrations/postgres/*.sql
var migrationFS embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
}

// migrationDir is where each engine's migrations are.
var migrationDir = map[*engine]string{sqliteEngine: "migrations", pgEngine: "migrations/postgres"}

// schemaVersionTable is each engine's table of applied migrations.
var schemaVersionTable = map[*engine]string{
	sqliteEngine: `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY,
		applied INTEGER NOT NULL
	)`,
	pgEngine: `CREATE TABLE IF NOT EXISTS schema_version (
		version integer PRIMARY KEY,
		applied timestamptz NOT NULL
	)`,
}

// migrationLock is the key of the PostgreSQL advisory lock that servers starting at once on
// one database take in turn to migrate it ("bedsides" in ASCII, as a number).
const migrationLock = 0x6265647369646573

// migrations returns SQLite's migrations (see migrationsOf).
func migrations() ([]migration, error) { return migrationsOf(sqliteEngine) }

// migrationsOf returns the engine's embedded migrations sorted by version. Versions must be
// 1, 2, 3, ... with no gap.
func migrationsOf(e *engine) ([]migration, error) {
	dir := migrationDir[e]
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %q: want NNNN_name.sql", e.Name())
		}
		b, err := migrationFS.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %q: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this program writes: the number of its migrations.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate brings the schema up to date, one transaction per migration, each recorded in
// schema_version. It refuses a database whose schema is newer than the code knows. On
// PostgreSQL each transaction first takes an advisory lock, so that servers starting at once
// migrate one after the other (and each transaction reads committed data, so that the one
// that waited sees what the other applied).
func (s *DB) migrate(ctx context.Context) error {
	eng := s.write.eng
	ms, err := migrationsOf(eng)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := s.migrateTo(ctx, m, len(ms)); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	return nil
}

// migrateTo applies m unless the database has it already.
func (s *DB) migrateTo(ctx context.Context, m migration, known int) error {
	eng := s.write.eng
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	defer tx.Rollback()
	if eng == pgEngine {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(migrationLock)); err != nil {
			return mapErr(err)
		}
	}
	if _, err := tx.ExecContext(ctx, schemaVersionTable[eng]); err != nil {
		return mapErr(err)
	}
	var current sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&current); err != nil {
		return mapErr(err)
	}
	if current.Int64 > int64(known) {
		return fmt.Errorf("%w: the database has version %d, this program knows up to %d",
			ErrNewerSchema, current.Int64, known)
	}
	if current.Int64 >= int64(m.version) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("%s: %w", m.name, mapErr(err))
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied) VALUES (?, ?)`,
		m.version, ts(s.now())); err != nil {
		return fmt.Errorf("%s: %w", m.name, mapErr(err))
	}
	return mapErr(tx.Commit())
}
