// Package pgtest starts a real PostgreSQL server for a test: Debian's binaries (the newest
// version under /usr/lib/postgresql), a fresh cluster in a temp dir, listening on a Unix socket
// in that dir only (no TCP port at all), tuned to start fast and forget durability (fsync off,
// small buffers, no autovacuum).
// The server is stopped and its dir removed when the test ends; when the test failed, the
// server's log is shown.
//
// PostgreSQL refuses to run as root. When the test runs as root, the server runs as `nobody`:
// that account exists on every Debian system and owns no files, so the server can touch nothing
// but the temp dir the harness hands it (the `postgres` account would also reach a system
// cluster, if there is one). A test run by an ordinary user runs the server as that user.
//
// The server's time zone is Pacific/Chatham (UTC+12:45 or +13:45), so that code which leans on
// the server's zone being UTC fails its tests.
//
// A missing PostgreSQL fails the test (`make deps-test` installs it). Only tests import this.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Guard bounds the server's start and stop, so that a broken install fails a test instead of
// hanging it (the same bound as testkit.Guard).
const Guard = 60 * time.Second

// Superuser is the role the cluster is created with; URLs connect as it.
const Superuser = "postgres"

// TimeZone is the server's time zone (see the package comment).
const TimeZone = "Pacific/Chatham"

// Server is a running PostgreSQL server that a test started.
type Server struct {
	dir     string // temp dir: data/, the socket, the log
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the server process has exited
	dbs     atomic.Int64  // databases created so far, for their names
	// fileCopy: the server (15 or newer) can copy a database's files for CREATE DATABASE,
	// faster than writing the copy through its log.
	fileCopy bool
	stopped  sync.Once
}

// URL opens a fresh, empty database on a server of its own and returns its postgres:// URL:
// the shortest path for a test that needs one database.
func URL(tb testing.TB) string {
	tb.Helper()
	return Start(tb).NewDatabase(tb)
}

// Start starts a server in a new temp dir. It is stopped, and the dir removed, when tb ends;
// when tb failed, the server's log is logged first. It fails tb when PostgreSQL is missing or
// does not start.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := binDir(debianRoot)
	if err != nil {
		tb.Fatalf("pgtest: %v: run `make deps-test` (scripts/deps.sh installs postgresql)", err)
	}
	cred, err := runAs()
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	// Not tb.TempDir(): its parent dirs are closed to others, and the server may run as nobody.
	// The socket's path must also stay short (about 100 bytes at most).
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	s := &Server{dir: dir, logPath: filepath.Join(dir, "server.log"), exited: make(chan struct{})}
	tb.Cleanup(func() { s.stop(tb) })
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			tb.Fatalf("pgtest: %v", err)
		}
	}
	if err := os.Chmod(dir, 0o700); err != nil { // only the server's user (and root) may connect
		tb.Fatalf("pgtest: %v", err)
	}
	data := filepath.Join(dir, "data")
	initdb := command(filepath.Join(bin, "initdb"), cred, dir,
		"-D", data, "-U", Superuser, "--auth=trust", "--encoding=UTF8", "--locale=C",
		"--no-sync", "--no-instructions")
	if out, err := initdb.CombinedOutput(); err != nil {
		tb.Fatalf("pgtest: initdb: %v\n%s", err, out)
	}

	logFile, err := os.Create(s.logPath) // the harness writes it, so its owner does not matter
	if err != nil {
		tb.Fatalf("pgtest: %v", err)
	}
	defer logFile.Close()
	s.cmd = command(filepath.Join(bin, "postgres"), cred, dir, "-D", data,
		"-c", "listen_addresses=",
		"-c", "unix_socket_directories="+dir,
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "shared_buffers=16MB",
		"-c", "max_connections=60",
		"-c", "max_wal_senders=0",
		"-c", "wal_level=minimal",
		"-c", "TimeZone="+TimeZone,
		"-c", "autovacuum=off", // short-lived databases: no background work
		"-c", "jit=off",
		"-c", "log_checkpoints=off",
		"-c", "log_line_prefix=%m [%p] ",
	)
	s.cmd.Stdout = logFile
	s.cmd.Stderr = logFile
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("pgtest: start postgres: %v", err)
	}
	go func() {
		_ = s.cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(); err != nil {
		tb.Fatalf("pgtest: %v\n%s", err, s.log())
	}
	version, err := s.version(context.Background())
	if err != nil {
		tb.Fatalf("pgtest: %v\n%s", err, s.log())
	}
	s.fileCopy = version >= 150000
	return s
}

// NewDatabase creates a fresh, empty database and returns its postgres:// URL. The database
// is dropped when tb ends (even with connections still open).
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	return s.newDatabase(tb, "template0")
}

// NewDatabaseFrom creates a fresh database as a copy of the database at templateURL, one of
// s's, and returns its URL: a schema made once is copied for each test, faster than making
// it again. Nothing may be connected to the template (PostgreSQL waits a few seconds for
// sessions that are ending). The copy is dropped when tb ends.
func (s *Server) NewDatabaseFrom(tb testing.TB, templateURL string) string {
	tb.Helper()
	u, err := url.Parse(templateURL)
	if err != nil {
		tb.Fatalf("pgtest: template %q: %v", templateURL, err)
	}
	return s.newDatabase(tb, strings.TrimPrefix(u.Path, "/"))
}

func (s *Server) newDatabase(tb testing.TB, template string) string {
	tb.Helper()
	name := "t" + strconv.FormatInt(s.dbs.Add(1), 10)
	create := `CREATE DATABASE ` + name + ` TEMPLATE ` + pgx.Identifier{template}.Sanitize()
	if s.fileCopy {
		create += ` STRATEGY FILE_COPY` // with fsync off, 2 to 3 times as fast as the default
	}
	err := s.exec(context.Background(), create)
	if err != nil {
		tb.Fatalf("pgtest: create database: %v\n%s", err, s.log())
	}
	tb.Cleanup(func() {
		select {
		case <-s.exited: // the server is gone; its dir goes with it
			return
		default:
		}
		if err := s.exec(context.Background(), `DROP DATABASE `+name+` WITH (FORCE)`); err != nil {
			tb.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	return s.URL(name)
}

// URL is the postgres:// URL of database db on s, connecting through the Unix socket as the
// superuser (trust authentication: only the server's user and root can reach the socket).
func (s *Server) URL(db string) string {
	return "postgres://" + Superuser + "@/" + url.PathEscape(db) + "?host=" + url.QueryEscape(s.dir) +
		"&sslmode=disable"
}

// Dir is the server's temp dir, which holds its socket.
func (s *Server) Dir() string { return s.dir }

// exec runs one statement in the postgres database.
func (s *Server) exec(ctx context.Context, sql string) error {
	ctx, cancel := context.WithTimeout(ctx, Guard)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// version is the server's server_version_num, e.g. 150004.
func (s *Server) version(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, Guard)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	var v string
	if err := conn.QueryRow(ctx, `SHOW server_version_num`).Scan(&v); err != nil {
		return 0, err
	}
	return strconv.Atoi(v)
}

// waitReady waits until the server accepts connections, or has exited, or Guard has passed.
func (s *Server) waitReady() error {
	deadline := time.Now().Add(Guard)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		cancel()
		if err == nil {
			return conn.Close(context.Background())
		}
		select {
		case <-s.exited:
			return fmt.Errorf("postgres exited at start (%v)", s.cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres not ready after %s: %v", Guard, err)
		}
	}
}

// stop shuts the server down (fast shutdown: open sessions are ended), logs its log when tb
// failed, and removes its dir.
func (s *Server) stop(tb testing.TB) {
	s.stopped.Do(func() {
		if s.cmd != nil && s.cmd.Process != nil {
			select {
			case <-s.exited:
			default:
				_ = s.cmd.Process.Signal(syscall.SIGINT)
				select {
				case <-s.exited:
				case <-time.After(Guard):
					tb.Errorf("pgtest: postgres did not stop after %s; killed", Guard)
					_ = s.cmd.Process.Kill()
					<-s.exited
				}
			}
		}
		if tb.Failed() {
			tb.Logf("pgtest: the PostgreSQL server's log:\n%s", s.log())
		}
		if err := os.RemoveAll(s.dir); err != nil {
			tb.Errorf("pgtest: %v", err)
		}
	})
}

// log returns the server's log so far.
func (s *Server) log() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	return string(b)
}
