package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/pgtest"
)

func TestMigrationListsMatch(t *testing.T) {
	lite, err := migrationsOf(sqliteEngine)
	require.NoError(t, err)
	pg, err := migrationsOf(pgEngine)
	require.NoError(t, err)
	require.Equal(t, len(lite), len(pg), "one migration per version on each engine")
	for i := range lite {
		assert.Equal(t, lite[i].version, pg[i].version)
		assert.Equal(t, lite[i].name, pg[i].name, "the same step has the same name on both engines")
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://bedside:s3cret@db.example/ward":          "postgres://bedside:xxxxx@db.example/ward",
		"postgresql://bedside@db/ward?sslmode=require":       "postgresql://bedside@db/ward?sslmode=require",
		"postgres://db/ward?password=s3cret&sslmode=require": "postgres://db/ward?password=xxxxx&sslmode=require",
		"/var/lib/bedside/bedside.db":                        "/var/lib/bedside/bedside.db",
		"postgres://bedside:s3cret@[::1/ward":                "(unparsable URL)",
		"POSTGRES://bedside:s3cret@db.example/ward?x=1#frag": "postgres://bedside:xxxxx@db.example/ward?x=1#frag",
	} {
		assert.Equal(t, want, RedactURL(in), in)
	}
}

// openPG opens a store on a fresh database of srv.
func openPG(t *testing.T, srv *pgtest.Server) *DB {
	t.Helper()
	s, err := Open(context.Background(), srv.NewDatabase(t), Options{})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPostgresOnly(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()

	// A database left at schema version 1 by an older Bedside gets the rest, and keeps its data.
	t.Run("UpgradeFromVersion1", func(t *testing.T) {
		url := srv.NewDatabase(t)
		ms, err := migrationsOf(pgEngine)
		require.NoError(t, err)
		db, err := sql.Open("pgx", url)
		require.NoError(t, err)
		_, err = db.Exec(schemaVersionTable[pgEngine])
		require.NoError(t, err)
		_, err = db.Exec(ms[0].sql)
		require.NoError(t, err)
		_, err = db.Exec(`INSERT INTO schema_version VALUES (1, now()); INSERT INTO wards VALUES ('w1', 'Old ward', now())`)
		require.NoError(t, err)
		require.NoError(t, db.Close())

		s, err := Open(ctx, url, Options{})
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
	})

	// Servers starting at once on an empty database migrate it once, one after the other.
	t.Run("ConcurrentOpen", func(t *testing.T) {
		url := srv.NewDatabase(t)
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := Open(ctx, url, Options{})
				if err == nil {
					_, err = s.CreateWard(ctx, Ward{Name: fmt.Sprint("W", i)})
					s.Close()
				}
				errs[i] = err
			}()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		s, err := Open(ctx, url, Options{})
		require.NoError(t, err)
		defer s.Close()
		var rows int
		require.NoError(t, s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_version`).Scan(&rows))
		assert.Equal(t, SchemaVersion(), rows, "each migration applied once")
		ws, err := s.Wards(ctx)
		require.NoError(t, err)
		assert.Len(t, ws, n)
	})

	// Transactions that read what the others write are retried, not lost: a counter that ten
	// goroutines read and increase at once ends at ten.
	t.Run("SerializableRetries", func(t *testing.T) {
		s := openPG(t, srv)
		_, err := s.write.ExecContext(ctx, `CREATE TABLE counter (n integer NOT NULL); INSERT INTO counter VALUES (0)`)
		require.NoError(t, err)
		const n = 10
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.inTx(ctx, func(tx *txn) error {
					var v int
					if err := tx.QueryRowContext(ctx, `SELECT n FROM counter`).Scan(&v); err != nil {
						return mapErr(err)
					}
					_, err := tx.ExecContext(ctx, `UPDATE counter SET n = ?`, v+1)
					return mapErr(err)
				})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
		var v int
		require.NoError(t, s.read.QueryRowContext(ctx, `SELECT n FROM counter`).Scan(&v))
		assert.Equal(t, n, v)
	})

	// A transaction that checked the patient is admitted, then found them discharged by
	// another connection before it wrote (what SQLite's single writer never lets happen), is
	// run again, and then sees the discharge: no working link for a discharged patient.
	t.Run("CheckThenWriteIsRetried", func(t *testing.T) {
		s := openPG(t, srv)
		w, err := s.CreateWard(ctx, Ward{Name: "W"})
		require.NoError(t, err)
		b, err := s.CreateBed(ctx, Bed{WardID: w.ID, Name: "B"})
		require.NoError(t, err)
		p, err := s.Admit(ctx, Patient{BedID: b.ID, FirstName: "P"})
		require.NoError(t, err)
		c, err := s.CreateContact(ctx, Contact{PatientID: p.ID, Name: "C"})
		require.NoError(t, err)

		attempts := 0
		err = s.inTx(ctx, func(tx *txn) error { // CreateLink's steps, with a discharge between them
			attempts++
			if err := admitted(ctx, tx, p.ID); err != nil {
				return err
			}
			if attempts == 1 {
				require.NoError(t, s.Discharge(ctx, p.ID, time.Now()), "on another connection")
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO links (`+linkCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
				"l1", c.ID, []byte("token hash"), ts(time.Now()), ts(time.Now().Add(time.Hour)), ts(time.Time{}))
			return mapErr(err)
		})
		require.ErrorIs(t, err, ErrConflict, "the second attempt sees the discharge")
		assert.Equal(t, 2, attempts)
		links, err := s.Links(ctx, c.ID)
		require.NoError(t, err)
		assert.Empty(t, links)
	})

	// What PostgreSQL refuses to keep (a NUL byte, invalid UTF-8) is ErrInvalid.
	t.Run("BadTextIsInvalid", func(t *testing.T) {
		s := openPG(t, srv)
		for _, name := range []string{"Ward\x00A", "Ward \xff"} {
			_, err := s.CreateWard(ctx, Ward{Name: name})
			assert.ErrorIs(t, err, ErrInvalid, "%q", name)
		}
		ws, err := s.Wards(ctx)
		require.NoError(t, err)
		assert.Empty(t, ws)
	})
}
