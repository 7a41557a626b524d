package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// openSQLite opens (creating it when missing) the SQLite file at path: WAL, one writer
// connection (so writes never contend with each other), a small read-only pool (readers never
// wait for the writer), busy_timeout, foreign keys on.
func openSQLite(ctx context.Context, path string, opts Options, s *DB) error {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return fmt.Errorf("store: open %q: %w: want a plain file path or a postgres:// URL", path, ErrInvalid)
	}
	if strings.Contains(path, "dbname=") || strings.HasPrefix(path, "host=") || strings.HasPrefix(path, "postgres") && strings.Contains(path, ":") {
		// A PostgreSQL connection string of keywords, or a mistyped URL: not a file to create.
		return fmt.Errorf("store: open: %w: give PostgreSQL as a postgres:// URL", ErrInvalid)
	}
	readers := opts.Readers
	if readers <= 0 {
		readers = 4
	}
	busy := opts.BusyTimeout
	if busy <= 0 {
		busy = 5 * time.Second
	}
	common := fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)",
		busy.Milliseconds())

	// The writer comes first: it creates the file and switches it to WAL, which persists.
	write, err := sql.Open("sqlite", path+common+"&_pragma=journal_mode(WAL)&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	s.write = &pool{db: write, eng: sqliteEngine}
	if err := write.PingContext(ctx); err != nil {
		s.Close()
		return fmt.Errorf("store: open %s: %w", path, mapErr(err))
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return fmt.Errorf("store: open %s: %w", path, err)
	}

	read, err := sql.Open("sqlite", path+common+"&_query_only=1")
	if err != nil {
		s.Close()
		return fmt.Errorf("store: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(readers)
	read.SetMaxIdleConns(readers)
	s.read = &pool{db: read, eng: sqliteEngine}
	if err := read.PingContext(ctx); err != nil {
		s.Close()
		return fmt.Errorf("store: open %s: %w", path, mapErr(err))
	}
	return nil
}

// ms converts t to UTC unix milliseconds, as SQLite keeps times; the zero time becomes NULL.
func ms(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// fromMS converts UTC unix milliseconds back to a time in UTC; NULL becomes the zero time.
func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64).UTC()
}
