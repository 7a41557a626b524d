package pgtest

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

func TestServer(t *testing.T) {
	ctx := context.Background()
	var srv *Server
	var dir string
	t.Run("databases", func(t *testing.T) {
		srv = Start(t)
		dir = srv.Dir()
		a, b := srv.NewDatabase(t), srv.NewDatabase(t)
		require.NotEqual(t, a, b, "each database is fresh")
		require.True(t, strings.HasPrefix(a, "postgres://"))

		conn, err := pgx.Connect(ctx, a)
		require.NoError(t, err)
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `CREATE TABLE x (n int)`)
		require.NoError(t, err)

		other, err := pgx.Connect(ctx, b)
		require.NoError(t, err)
		defer other.Close(ctx)
		var n int
		require.NoError(t, other.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'x'`).Scan(&n))
		require.Zero(t, n, "a table in one database is not in another")

		// A copy of a database has its tables.
		require.NoError(t, conn.Close(ctx))
		copied, err := pgx.Connect(ctx, srv.NewDatabaseFrom(t, a))
		require.NoError(t, err)
		defer copied.Close(ctx)
		require.NoError(t, copied.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE tablename = 'x'`).Scan(&n))
		require.Equal(t, 1, n, "the copy has the template's table")
		conn, err = pgx.Connect(ctx, a)
		require.NoError(t, err)

		var zone, listen, fsync string
		require.NoError(t, conn.QueryRow(ctx, `SELECT current_setting('TimeZone'),
			current_setting('listen_addresses'), current_setting('fsync')`).Scan(&zone, &listen, &fsync))
		require.Equal(t, TimeZone, zone)
		require.Empty(t, listen, "no TCP port")
		require.Equal(t, "off", fsync)

		var super bool
		var user string
		require.NoError(t, conn.QueryRow(ctx, `SELECT current_user, usesuper FROM pg_user WHERE usename = current_user`).Scan(&user, &super))
		require.Equal(t, Superuser, user)
		require.True(t, super)

		// The server itself does not run as root.
		st, err := os.Stat(filepath.Join(dir, "data", "PG_VERSION"))
		require.NoError(t, err)
		require.NotZero(t, ownerUID(st), "the cluster's files are not root's")

		// The socket is there, and it is the only way in.
		c, err := net.DialTimeout("unix", filepath.Join(dir, ".s.PGSQL.5432"), time.Second)
		require.NoError(t, err)
		c.Close()
	})
	// The subtest's end stopped the server and removed its dir.
	_, err := os.Stat(dir)
	require.True(t, os.IsNotExist(err), "the server's dir is removed: %v", err)
	select {
	case <-srv.exited:
	default:
		t.Fatal("the server still runs after its test")
	}
}

func TestURL(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, URL(t))
	require.NoError(t, err)
	defer conn.Close(ctx)
	var one int
	require.NoError(t, conn.QueryRow(ctx, `SELECT 1`).Scan(&one))
	require.Equal(t, 1, one)
}

func TestBinDirFindsTheNewestVersion(t *testing.T) {
	bin, err := binDir(debianRoot)
	require.NoError(t, err, "PostgreSQL must be installed (make deps-test)")
	require.FileExists(t, filepath.Join(bin, "postgres"))
	require.FileExists(t, filepath.Join(bin, "initdb"))

	root := t.TempDir()
	_, err = binDir(root)
	require.ErrorContains(t, err, "not installed", "no PostgreSQL is an error, never a skip")
	for _, v := range []string{"9", "13", "17", "notaversion"} {
		dir := filepath.Join(root, v, "bin")
		require.NoError(t, os.MkdirAll(dir, 0o755))
		for _, p := range []string{"postgres", "initdb"} {
			require.NoError(t, os.WriteFile(filepath.Join(dir, p), nil, 0o755))
		}
	}
	bin, err = binDir(root)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(root, "17", "bin"), bin, "by number: 17 is newer than 9")
}

// failed is a testing.TB that says it failed, and keeps what is logged.
type failed struct {
	testing.TB
	logged []string
}

func (f *failed) Failed() bool                    { return true }
func (f *failed) Logf(format string, args ...any) { f.logged = append(f.logged, format) }

func TestTheLogIsShownOnFailure(t *testing.T) {
	var f *failed
	t.Run("a failing test", func(t *testing.T) {
		f = &failed{TB: t}
		Start(f)
	})
	require.Len(t, f.logged, 1)
	require.Contains(t, f.logged[0], "the PostgreSQL server's log")
}
