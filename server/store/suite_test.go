package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx", to look under the store
	"github.com/stretchr/testify/require"

	"bedside/internal/pgtest"
	"bedside/server/store"
)

// engine makes fresh stores of one kind for the shared suite.
type engine struct {
	name string
	// fresh returns where a fresh, empty store lives: a SQLite file's path or a PostgreSQL
	// database's URL.
	fresh func(t *testing.T) string
	// driver is the database/sql driver that opens target directly, for the tests that look
	// under the store.
	driver string
}

// raw opens the database at target with its own driver, closed when t ends.
func (e engine) raw(t *testing.T, target string) *sql.DB {
	t.Helper()
	db, err := sql.Open(e.driver, target)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// sqliteEngine keeps each store in a file of its own in a temp dir.
func sqliteEngine() engine {
	return engine{name: "sqlite", driver: "sqlite", fresh: func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "bedside.db")
	}}
}

// postgresEngine keeps each store in a database of its own on srv: a copy of a database
// that Open migrated once, made on first use and dropped when tb ends.
func postgresEngine(tb testing.TB, srv *pgtest.Server) engine {
	var template string
	return engine{name: "postgres", driver: "pgx", fresh: func(t *testing.T) string {
		if template == "" {
			template = srv.NewDatabase(tb)
			s, err := store.Open(context.Background(), template, store.Options{})
			require.NoError(t, err)
			require.NoError(t, s.Close())
		}
		return srv.NewDatabaseFrom(t, template)
	}}
}

// suite is the store's tests that run on every engine: each of its methods named TestXxx runs
// as a subtest of TestSQLite and of TestPostgres. A test of one engine only is a plain TestXxx
// function.
type suite struct{ engine }

// run runs every test of the suite on su's engine.
func run(t *testing.T, su suite) {
	v := reflect.ValueOf(su)
	ran := 0
	for i := 0; i < v.NumMethod(); i++ {
		m := v.Type().Method(i)
		test, ok := v.Method(i).Interface().(func(*testing.T))
		if !strings.HasPrefix(m.Name, "Test") || !ok {
			continue
		}
		ran++
		t.Run(strings.TrimPrefix(m.Name, "Test"), test)
	}
	require.NotZero(t, ran, "the suite has tests")
}

// TestSQLite runs the suite on SQLite files.
func TestSQLite(t *testing.T) { run(t, suite{sqliteEngine()}) }

// TestPostgres runs the suite on a real PostgreSQL (one server, a fresh database per test).
func TestPostgres(t *testing.T) { run(t, suite{postgresEngine(t, pgtest.Start(t))}) }
